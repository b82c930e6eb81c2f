using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Domain.Ledger;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Web.Admin;

public sealed record MonthFigures(DateOnly Month, long Enrolled, long Active, long Issued, long Redeemed, long Expired, long Pending);

public sealed record Liability(long Available, long Pending, decimal Value, string Currency);

public sealed record Ranked(string Name, long Count, decimal Amount);

/// <summary>The figures of the console's dashboard, per calendar month (UTC) within a date range.</summary>
public sealed class Dashboard(TreueDb db)
{
    /// <summary>Members enrolled and active (with a purchase) and points issued, redeemed, expired and still pending, per month.</summary>
    public async Task<IReadOnlyList<MonthFigures>> MonthsAsync(Guid programmeId, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var (start, end) = Range(from, to);
        var enrolled = await db.Members.AsNoTracking().Where(m => m.ProgrammeId == programmeId && m.EnrolledAt >= start && m.EnrolledAt < end)
            .GroupBy(m => TreueDb.UtcMonth(m.EnrolledAt)).Select(g => new { Month = g.Key, N = (long)g.Count() }).ToListAsync(ct);
        var active = await db.Purchases.AsNoTracking().Where(p => p.ProgrammeId == programmeId && p.MemberId != null && p.OccurredAt >= start && p.OccurredAt < end)
            .GroupBy(p => TreueDb.UtcMonth(p.OccurredAt)).Select(g => new { Month = g.Key, N = (long)g.Select(p => p.MemberId).Distinct().Count() })
            .ToListAsync(ct);
        var kinds = new[] { LedgerKind.Earn, LedgerKind.Redeem, LedgerKind.Refund, LedgerKind.Expire };
        var moves = await (from e in db.LedgerEntries.AsNoTracking()
                           join t in db.LedgerTransactions.AsNoTracking() on e.TransactionId equals t.Id
                           where e.ProgrammeId == programmeId && e.MemberId != null && t.OccurredAt >= start && t.OccurredAt < end && kinds.Contains(t.Kind)
                                 && (e.Account == LedgerAccounts.MemberAvailable || e.Account == LedgerAccounts.MemberPending)
                           group e.Amount by new { Month = TreueDb.UtcMonth(t.OccurredAt), t.Kind } into g
                           select new { g.Key.Month, g.Key.Kind, Sum = g.Sum() }).ToListAsync(ct);
        var pending = await db.PointLots.AsNoTracking()
            .Where(l => l.ProgrammeId == programmeId && l.Status == LotStatus.Pending && l.EarnedAt >= start && l.EarnedAt < end)
            .GroupBy(l => TreueDb.UtcMonth(l.EarnedAt)).Select(g => new { Month = g.Key, N = g.Sum(l => l.Remaining) }).ToListAsync(ct);

        var result = new List<MonthFigures>();
        for (var m = new DateOnly(from.Year, from.Month, 1); m <= to; m = m.AddMonths(1))
        {
            var key = m.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
            long Moved(LedgerKind k) => moves.Where(x => x.Month == key && x.Kind == k).Sum(x => x.Sum);
            result.Add(new MonthFigures(m,
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
        var (start, end) = Range(from, to);
        var rows = await db.RewardOrders.AsNoTracking()
            .Where(o => o.ProgrammeId == programmeId && o.Status != RewardOrderStatus.Cancelled && o.PlacedAt >= start && o.PlacedAt < end)
            .GroupBy(o => o.RewardName).Select(g => new { Name = g.Key, N = (long)g.Count(), Points = g.Sum(o => o.Points) })
            .OrderByDescending(x => x.N).Take(take).ToListAsync(ct);
        return rows.Select(r => new Ranked(r.Name, r.N, r.Points)).ToList();
    }

    /// <summary>Purchases and their turnover per partner.</summary>
    public async Task<IReadOnlyList<Ranked>> PurchasesByPartnerAsync(Guid programmeId, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var (start, end) = Range(from, to);
        var currency = Currency.Find(await db.Programmes.Where(x => x.Id == programmeId).Select(x => x.Currency).SingleAsync(ct))!;
        var rows = await db.Purchases.AsNoTracking().Where(p => p.ProgrammeId == programmeId && p.OccurredAt >= start && p.OccurredAt < end)
            .GroupBy(p => p.PartnerCode).Select(g => new { Partner = g.Key, N = (long)g.Count(), Minor = g.Sum(p => p.TotalMinor) }).ToListAsync(ct);
        var names = await db.Partners.AsNoTracking().Where(p => p.ProgrammeId == programmeId).ToDictionaryAsync(p => p.Code, p => p.Name, ct);
        return rows.OrderByDescending(r => r.N).Select(r => new Ranked(names.GetValueOrDefault(r.Partner, r.Partner), r.N, currency.FromMinor(r.Minor))).ToList();
    }

    private static (DateTime Start, DateTime End) Range(DateOnly from, DateOnly to) =>
        (from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), to.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
}
