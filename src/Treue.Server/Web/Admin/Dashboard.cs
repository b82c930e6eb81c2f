using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Domain.Ledger;
using Treue.Server.Features.Programmes;
using Treue.Server.Web.Shared;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Web.Admin;

public sealed record MonthFigures(DateOnly Month, long Enrolled, long Active, long Issued, long Redeemed, long Expired, long Pending);

public sealed record Liability(long Available, long Pending, decimal Value, string Currency);

public sealed record Ranked(string Name, long Count, decimal Amount);

/// <summary>Coupon and campaign redemptions of a month and their discount cost (what returns gave back left out).</summary>
public sealed record MonthCoupons(DateOnly Month, long Redemptions, decimal Discount);

/// <summary>
/// The figures of the console's dashboard within a range of days, per calendar month. Days and months are the
/// programme's: a purchase at 23:30 on 31 May where the programme is counts in May, whatever its UTC time.
/// </summary>
public sealed class Dashboard(TreueDb db)
{
    /// <summary>Members enrolled and active (with a purchase) and points issued, redeemed, expired and still pending, per month.</summary>
    public async Task<IReadOnlyList<MonthFigures>> MonthsAsync(Guid programmeId, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var zone = await ZoneAsync(programmeId, ct);
        var (start, end) = Range(from, to, zone);
        var months = new List<DateOnly>();
        for (var m = new DateOnly(from.Year, from.Month, 1); m <= to; m = m.AddMonths(1)) months.Add(m);
        // Where each month after the first begins, as a stored (UTC) time: the database sorts rows into the months.
        var bounds = months.Skip(1).Select(m => ProgrammeTime.StartOfDayUtc(m, zone)).ToArray();
        var enrolled = await ByMonth(db.Members.AsNoTracking().Where(m => m.ProgrammeId == programmeId && m.EnrolledAt >= start && m.EnrolledAt < end)
            .GroupBy(m => MonthOf(m.EnrolledAt)).Select(g => new { Month = g.Key, N = (long)g.Count() }), bounds).ToListAsync(ct);
        var active = await ByMonth(db.Purchases.AsNoTracking().Where(p => p.ProgrammeId == programmeId && p.MemberId != null && p.OccurredAt >= start && p.OccurredAt < end)
            .GroupBy(p => MonthOf(p.OccurredAt)).Select(g => new { Month = g.Key, N = (long)g.Select(p => p.MemberId).Distinct().Count() }), bounds)
            .ToListAsync(ct);
        var kinds = new[] { LedgerKind.Earn, LedgerKind.Redeem, LedgerKind.Refund, LedgerKind.Expire };
        var moves = await ByMonth(from e in db.LedgerEntries.AsNoTracking()
                                  join t in db.LedgerTransactions.AsNoTracking() on e.TransactionId equals t.Id
                                  where e.ProgrammeId == programmeId && e.MemberId != null && t.OccurredAt >= start && t.OccurredAt < end && kinds.Contains(t.Kind)
                                        && (e.Account == LedgerAccounts.MemberAvailable || e.Account == LedgerAccounts.MemberPending)
                                  group e.Amount by new { Month = MonthOf(t.OccurredAt), t.Kind } into g
                                  select new { g.Key.Month, g.Key.Kind, Sum = g.Sum() }, bounds).ToListAsync(ct);
        var pending = await ByMonth(db.PointLots.AsNoTracking()
            .Where(l => l.ProgrammeId == programmeId && l.Status == LotStatus.Pending && l.EarnedAt >= start && l.EarnedAt < end)
            .GroupBy(l => MonthOf(l.EarnedAt)).Select(g => new { Month = g.Key, N = g.Sum(l => l.Remaining) }), bounds).ToListAsync(ct);

        var result = new List<MonthFigures>();
        for (var i = 0; i < months.Count; i++)
        {
            var key = i;
            long Moved(LedgerKind k) => moves.Where(x => x.Month == key && x.Kind == k).Sum(x => x.Sum);
            result.Add(new MonthFigures(months[i],
                enrolled.Where(x => x.Month == key).Sum(x => x.N),
                active.Where(x => x.Month == key).Sum(x => x.N),
                Moved(LedgerKind.Earn),
                -(Moved(LedgerKind.Redeem) + Moved(LedgerKind.Refund)),
                -Moved(LedgerKind.Expire),
                pending.Where(x => x.Month == key).Sum(x => x.N)));
        }
        return result;
    }

    /// <summary>Points members hold now and their money value at the programme's point value.</summary>
    public async Task<Liability> LiabilityAsync(Guid programmeId, CancellationToken ct)
    {
        var p = await db.Programmes.AsNoTracking().SingleAsync(x => x.Id == programmeId, ct);
        var sums = await db.Members.AsNoTracking().Where(m => m.ProgrammeId == programmeId)
            .GroupBy(_ => 1).Select(g => new { Available = g.Sum(m => m.Available), Pending = g.Sum(m => m.Pending) }).SingleOrDefaultAsync(ct);
        var currency = Currency.Find(p.Currency)!;
        var available = sums?.Available ?? 0;
        var pending = sums?.Pending ?? 0;
        var value = currency.FromMinor((long)decimal.Floor(currency.ToMinorExact((available + pending) * p.PointValue)));
        return new Liability(available, pending, value, p.Currency);
    }

    /// <summary>The rewards ordered most often (cancelled orders left out).</summary>
    public async Task<IReadOnlyList<Ranked>> TopRewardsAsync(Guid programmeId, DateOnly from, DateOnly to, int take, CancellationToken ct)
    {
        var (start, end) = Range(from, to, await ZoneAsync(programmeId, ct));
        var rows = await db.RewardOrders.AsNoTracking()
            .Where(o => o.ProgrammeId == programmeId && o.Status != RewardOrderStatus.Cancelled && o.PlacedAt >= start && o.PlacedAt < end)
            .GroupBy(o => o.RewardName).Select(g => new { Name = g.Key, N = (long)g.Count(), Points = g.Sum(o => o.Points) })
            .OrderByDescending(x => x.N).Take(take).ToListAsync(ct);
        return rows.Select(r => new Ranked(r.Name, r.N, r.Points)).ToList();
    }

    /// <summary>Purchases and their turnover per partner.</summary>
    public async Task<IReadOnlyList<Ranked>> PurchasesByPartnerAsync(Guid programmeId, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var (start, end) = Range(from, to, await ZoneAsync(programmeId, ct));
        var currency = Currency.Find(await db.Programmes.Where(x => x.Id == programmeId).Select(x => x.Currency).SingleAsync(ct))!;
        var rows = await db.Purchases.AsNoTracking().Where(p => p.ProgrammeId == programmeId && p.OccurredAt >= start && p.OccurredAt < end)
            .GroupBy(p => p.PartnerCode).Select(g => new { Partner = g.Key, N = (long)g.Count(), Minor = g.Sum(p => p.TotalMinor) }).ToListAsync(ct);
        var names = await db.Partners.AsNoTracking().Where(p => p.ProgrammeId == programmeId).ToDictionaryAsync(p => p.Code, p => p.Name, ct);
        return rows.OrderByDescending(r => r.N).Select(r => new Ranked(names.GetValueOrDefault(r.Partner, r.Partner), r.N, currency.FromMinor(r.Minor))).ToList();
    }

    /// <summary>
    /// Campaigns applied to purchases per month (one redemption per campaign and purchase) and the discount they cost: what
    /// was given less what returns gave back, in the programme currency.
    /// </summary>
    public async Task<IReadOnlyList<MonthCoupons>> CouponsAsync(Guid programmeId, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var zone = await ZoneAsync(programmeId, ct);
        var (start, end) = Range(from, to, zone);
        var months = new List<DateOnly>();
        for (var m = new DateOnly(from.Year, from.Month, 1); m <= to; m = m.AddMonths(1)) months.Add(m);
        var bounds = months.Skip(1).Select(m => ProgrammeTime.StartOfDayUtc(m, zone)).ToArray();
        var currency = Currency.Find(await db.Programmes.Where(x => x.Id == programmeId).Select(x => x.Currency).SingleAsync(ct))!;
        var rows = await ByMonth(db.CouponRedemptions.AsNoTracking().Where(r => r.ProgrammeId == programmeId && r.RedeemedAt >= start && r.RedeemedAt < end)
            .GroupBy(r => MonthOf(r.RedeemedAt)).Select(g => new { Month = g.Key, N = (long)g.Count(), Minor = g.Sum(r => r.DiscountMinor - r.ReturnedMinor) }), bounds)
            .ToListAsync(ct);
        return months.Select((m, i) => new MonthCoupons(m, rows.Where(r => r.Month == i).Sum(r => r.N), currency.FromMinor(rows.Where(r => r.Month == i).Sum(r => r.Minor))))
            .ToList();
    }

    private async Task<TimeZoneInfo> ZoneAsync(Guid programmeId, CancellationToken ct) =>
        ProgrammeApplier.TryTimeZone(await db.Programmes.AsNoTracking().Where(p => p.Id == programmeId).Select(p => p.TimeZone).SingleAsync(ct)) ?? TimeZoneInfo.Utc;

    /// <summary>From the start of <paramref name="from"/> to the end of <paramref name="to"/>, both days in <paramref name="zone"/>.</summary>
    private static (DateTime Start, DateTime End) Range(DateOnly from, DateOnly to, TimeZoneInfo zone) =>
        (ProgrammeTime.StartOfDayUtc(from, zone), ProgrammeTime.StartOfDayUtc(to.AddDays(1), zone));

    /// <summary>The month (0 for the first of the range) a stored time falls in; <see cref="ByMonth"/> puts it into the query.</summary>
    private static int MonthOf(DateTime utc) => throw new InvalidOperationException($"{nameof(MonthOf)} runs only in a query.");

    /// <summary>
    /// The query with each <see cref="MonthOf"/> replaced by a comparison with the months' beginnings (a CASE in SQL).
    /// A month in a zone with summer time is not a fixed shift of the UTC month, so the database compares instants.
    /// </summary>
    private static IQueryable<T> ByMonth<T>(IQueryable<T> query, DateTime[] bounds) =>
        query.Provider.CreateQuery<T>(new MonthRewriter(bounds).Visit(query.Expression));

    private sealed class MonthRewriter(DateTime[] bounds) : ExpressionVisitor
    {
        private static readonly System.Reflection.MethodInfo Marker = typeof(Dashboard).GetMethod(nameof(MonthOf), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if (node.Method != Marker) return base.VisitMethodCall(node);
            var time = Visit(node.Arguments[0]);
            // time < b1 ? 0 : time < b2 ? 1 : ... : n, built from the last month backwards.
            Expression month = Expression.Constant(bounds.Length);
            for (var i = bounds.Length - 1; i >= 0; i--)
                month = Expression.Condition(Expression.LessThan(time, Expression.Constant(bounds[i])), Expression.Constant(i), month);
            return month;
        }
    }
}
