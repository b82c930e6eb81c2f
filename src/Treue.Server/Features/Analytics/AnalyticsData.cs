using Microsoft.EntityFrameworkCore;
using Treue.Analytics;
using Treue.Analytics.Economics;
using Treue.Analytics.Loyalty;
using Treue.Domain;
using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Server.Features.Programmes;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Analytics;

/// <summary>
/// A programme's members as dense indexes, which is how the analyses address customers: index i is
/// <c>Ids[i]</c>, enrolled on <c>EnrolledOn[i]</c> (programme time zone).
/// </summary>
public sealed class MemberIndex
{
    private readonly Dictionary<Guid, int> _index;
    private readonly bool[] _shown;

    private MemberIndex(Guid[] ids, DateOnly[] enrolledOn, bool[] shown)
    {
        Ids = ids;
        EnrolledOn = enrolledOn;
        _shown = shown;
        _index = new Dictionary<Guid, int>(ids.Length);
        for (var i = 0; i < ids.Length; i++) _index[ids[i]] = i;
    }

    /// <summary>Member ids by index.</summary>
    public IReadOnlyList<Guid> Ids { get; }

    /// <summary>Enrolment days by index.</summary>
    public IReadOnlyList<DateOnly> EnrolledOn { get; }

    /// <summary>Number of members.</summary>
    public int Count => Ids.Count;

    /// <summary>The index of a member, or -1 for an unknown id.</summary>
    public int Of(Guid id) => _index.TryGetValue(id, out var i) ? i : -1;

    /// <summary>
    /// Whether the member at <paramref name="index"/> may be shown one by one (named, listed, scored): only members who
    /// consented to profiling. The others count in totals only, or not at all (<see cref="AnalyticsPrivacy"/>).
    /// </summary>
    public bool Shown(int index) => _shown[index];

    /// <summary>Reads the members of a programme that <paramref name="privacy"/> lets analyses see.</summary>
    public static MemberIndex Load(TreueDb db, Guid programmeId, TimeZoneInfo zone, AnalyticsPrivacy privacy)
    {
        var ids = new List<Guid>();
        var days = new List<DateOnly>();
        var shown = new List<bool>();
        foreach (var m in db.Members.AsNoTracking().Where(m => m.ProgrammeId == programmeId).OrderBy(m => m.Id)
                     .Select(m => new { m.Id, m.EnrolledAt }).AsEnumerable())
        {
            var profiled = privacy.Profiled.Contains(m.Id);
            if (!profiled && privacy.Mode == UnconsentedAnalytics.Exclude) continue;
            ids.Add(m.Id);
            days.Add(AnalyticsData.Day(m.EnrolledAt, zone));
            shown.Add(profiled);
        }
        return new MemberIndex([.. ids], [.. days], [.. shown]);
    }
}

/// <summary>
/// Who analyses may profile: the members whose consent to profiling stands (GDPR Art. 6(1)(a), 21), and what becomes of
/// the others, as the programme's privacy settings say: left out, or counted in aggregates only.
/// </summary>
/// <param name="Mode">Exclude or aggregate-only.</param>
/// <param name="Profiled">The members who consented to profiling.</param>
public sealed record AnalyticsPrivacy(UnconsentedAnalytics Mode, IReadOnlySet<Guid> Profiled)
{
    /// <summary>The programme's settings and the consents as they stand.</summary>
    public static async Task<AnalyticsPrivacy> LoadAsync(TreueDb db, Guid programmeId, CancellationToken ct) => new(
        (await Privacy.PrivacySettingsStore.GetAsync(db, programmeId, ct)).Analytics,
        await Privacy.Consents.MembersAllowingAsync(db, programmeId, ConsentPurpose.Profiling, ct));

    /// <summary>Whether a purchase of <paramref name="memberId"/> (null: anonymous) may enter an analysis at all.</summary>
    public bool Admits(Guid? memberId) => Mode != UnconsentedAnalytics.Exclude || memberId is not { } id || Profiled.Contains(id);
}

/// <summary>
/// Streams what the pure analyses read from storage. Every read is ordered so that a member's purchases arrive in
/// chronological order, and none holds more than one row at a time, so a programme of millions of purchases is
/// analysed in memory proportional to its members.
/// </summary>
public sealed class AnalyticsData(TreueDb db, CompiledProgramme programme, AnalyticsPrivacy privacy)
{
    /// <summary>Who may be profiled, and what becomes of the others.</summary>
    public AnalyticsPrivacy Privacy => privacy;

    /// <summary>The programme analysed.</summary>
    public CompiledProgramme Programme => programme;

    /// <summary>The day of a UTC instant in a time zone.</summary>
    public static DateOnly Day(DateTime utc, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone));

    /// <summary>Today in the programme's time zone.</summary>
    public DateOnly Today(TimeProvider clock) => Day(clock.GetUtcNow().UtcDateTime, programme.TimeZone);

    /// <summary>The local days of the programme's first and last recorded purchase (members' and anonymous).</summary>
    public async Task<DataSpan> SpanAsync(CancellationToken ct)
    {
        var id = programme.Settings.Id;
        var all = db.Purchases.AsNoTracking().Where(p => p.ProgrammeId == id);
        var first = await all.OrderBy(p => p.OccurredAt).Select(p => (DateTime?)p.OccurredAt).FirstOrDefaultAsync(ct);
        var last = await all.OrderByDescending(p => p.OccurredAt).Select(p => (DateTime?)p.OccurredAt).FirstOrDefaultAsync(ct);
        return new DataSpan(first is { } f ? Day(f, programme.TimeZone) : null, last is { } l ? Day(l, programme.TimeZone) : null);
    }

    /// <summary>Loads the member index.</summary>
    public MemberIndex Members() => MemberIndex.Load(db, programme.Settings.Id, programme.TimeZone, privacy);

    /// <summary>Members' purchases up to and including <paramref name="until"/>, net of returns, by member and time.</summary>
    public IEnumerable<PurchaseEvent> Purchases(MemberIndex members, DateOnly? until = null)
    {
        var zone = programme.TimeZone;
        var id = programme.Settings.Id;
        var query = db.Purchases.AsNoTracking().Where(p => p.ProgrammeId == id && p.MemberId != null);
        if (until is { } u)
        {
            // A day later in UTC bounds every time zone; the exact cut is made on the local day below.
            var bound = u.AddDays(2).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            query = query.Where(p => p.OccurredAt < bound);
        }
        foreach (var p in query.OrderBy(p => p.MemberId).ThenBy(p => p.OccurredAt)
                     .Select(p => new { p.MemberId, p.OccurredAt, Net = p.TotalMinor - p.ReturnedMinor }).AsEnumerable())
        {
            var customer = members.Of(p.MemberId!.Value);
            if (customer < 0) continue;
            var day = Day(p.OccurredAt, zone);
            if (until is { } last && day > last) continue;
            yield return new PurchaseEvent(customer, day, p.Net);
        }
    }

    /// <summary>Points movements of members' accounts per month, with members' revenue.</summary>
    public async Task<IReadOnlyList<PointsMonth>> PointsMonthsAsync(CancellationToken ct)
    {
        var id = programme.Settings.Id;
        var moves = await (from e in db.LedgerEntries.AsNoTracking()
                           join t in db.LedgerTransactions.AsNoTracking() on e.TransactionId equals t.Id
                           where e.ProgrammeId == id && e.MemberId != null
                                 && (e.Account == LedgerAccounts.MemberAvailable || e.Account == LedgerAccounts.MemberPending)
                                 && t.Kind != LedgerKind.Post && t.Kind != LedgerKind.Transfer
                           group e.Amount by new { Month = TreueDb.UtcMonth(t.OccurredAt), t.Kind, Positive = e.Amount > 0 } into g
                           select new { g.Key.Month, g.Key.Kind, g.Key.Positive, Sum = g.Sum() }).ToListAsync(ct);
        var revenue = await db.Purchases.AsNoTracking().Where(p => p.ProgrammeId == id && p.MemberId != null)
            .GroupBy(p => TreueDb.UtcMonth(p.OccurredAt))
            .Select(g => new { Month = g.Key, Minor = g.Sum(p => p.TotalMinor - p.ReturnedMinor) }).ToListAsync(ct);
        // Campaign discounts are cost in the month of the purchase they were given on, net of what returns took back.
        var discounts = await (from r in db.CouponRedemptions.AsNoTracking()
                               join p in db.Purchases.AsNoTracking() on r.PurchaseId equals p.Id
                               where r.ProgrammeId == id && p.ProgrammeId == id
                               group r by TreueDb.UtcMonth(p.OccurredAt) into g
                               select new { Month = g.Key, Minor = g.Sum(r => r.DiscountMinor - r.ReturnedMinor) }).ToListAsync(ct);
        var months = moves.Select(m => m.Month).Concat(revenue.Select(r => r.Month)).Concat(discounts.Select(d => d.Month))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return months.Select(ym =>
        {
            long Sum(Func<LedgerKind, bool> kind, bool positive) =>
                moves.Where(x => x.Month == ym && kind(x.Kind) && x.Positive == positive).Sum(x => x.Sum);
            var issued = Sum(k => k is LedgerKind.Earn or LedgerKind.Adjust, true);
            var reversed = -Sum(k => k is LedgerKind.Reverse or LedgerKind.Adjust, false) - Sum(k => k == LedgerKind.Earn, false);
            var redeemed = -Sum(k => k == LedgerKind.Redeem, false) - Sum(k => k == LedgerKind.Refund, true);
            var expired = -Sum(k => k == LedgerKind.Expire, false);
            var minor = revenue.Where(r => r.Month == ym).Sum(r => r.Minor);
            var discount = discounts.Where(d => d.Month == ym).Sum(d => d.Minor);
            return new PointsMonth(DateOnly.ParseExact(ym + "-01", "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), issued, reversed, redeemed, expired, minor,
                discount);
        }).ToList();
    }

    /// <summary>Points members hold now, available and pending.</summary>
    public async Task<long> OutstandingAsync(CancellationToken ct)
    {
        var id = programme.Settings.Id;
        return await db.Members.AsNoTracking().Where(m => m.ProgrammeId == id).SumAsync(m => m.Available + m.Pending, ct);
    }

    /// <summary>Every receipt, members' and anonymous, in chronological order, with its partner and categories.</summary>
    public IEnumerable<ReceiptFact> Receipts(MemberIndex members, Func<string, int> partnerIndex, Func<string, int> categoryIndex)
    {
        var zone = programme.TimeZone;
        var id = programme.Settings.Id;
        var rows = from p in db.Purchases.AsNoTracking().Where(p => p.ProgrammeId == id)
                   join l in db.PurchaseLines.AsNoTracking() on p.Id equals l.PurchaseId into lines
                   from l in lines.DefaultIfEmpty()
                   orderby p.OccurredAt, p.Id
                   select new { p.Id, p.MemberId, p.OccurredAt, Net = p.TotalMinor - p.ReturnedMinor, p.PartnerCode, Category = l == null ? null : l.Category, Quantity = l == null ? 0m : l.Quantity };
        Guid? current = null;
        ReceiptFact pending = default;
        var categories = new List<int>();
        decimal items = 0;
        foreach (var r in rows.AsEnumerable())
        {
            if (current != r.Id)
            {
                if (current is not null) yield return pending with { Items = (int)Math.Round(items), Categories = categories.ToArray() };
                current = r.Id;
                categories.Clear();
                items = 0;
                pending = new ReceiptFact(r.MemberId is { } m ? members.Of(m) : -1, Day(r.OccurredAt, zone), r.Net, 0, partnerIndex(r.PartnerCode), default);
            }
            items += r.Quantity;
            if (r.Category is { Length: > 0 } c) categories.Add(categoryIndex(c));
        }
        if (current is not null) yield return pending with { Items = (int)Math.Round(items), Categories = categories.ToArray() };
    }

    /// <summary>
    /// Members' purchases whose local day falls in [from, to], as the earning rules saw them, for the what-if
    /// simulator. A purchase was the member's first when it was recorded as their first (<c>member_purchase_no</c> 1),
    /// which is what the rules saw when it was decided.
    /// </summary>
    public IEnumerable<ReplayedPurchase> Replay(MemberIndex members, DateOnly from, DateOnly to)
    {
        var zone = programme.TimeZone;
        var id = programme.Settings.Id;
        var currency = programme.Currency;
        var start = from.AddDays(-1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var end = to.AddDays(2).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var rows = from p in db.Purchases.AsNoTracking().Where(p => p.ProgrammeId == id && p.MemberId != null && p.OccurredAt >= start && p.OccurredAt < end)
                   join l in db.PurchaseLines.AsNoTracking() on p.Id equals l.PurchaseId
                   orderby p.OccurredAt, p.Id, l.LineNo
                   select new { p.Id, p.MemberId, p.OccurredAt, p.PartnerCode, p.StoreCode, p.Channel, p.PointsEarned, p.MemberPurchaseNo, l.LineNo, l.Sku, l.Category, l.Quantity, l.UnitPriceMinor, l.DiscountMinor, l.Contributions };
        Guid? current = null;
        var lines = new List<BasketLine>();
        string? tier = null;
        (Guid Member, DateTime At, string Partner, string? Store, Channel Channel, long Points, bool First) head = default;
        foreach (var r in rows.AsEnumerable())
        {
            if (current != r.Id)
            {
                if (current is not null && Emit() is { } done) yield return done;
                current = r.Id;
                lines = [];
                tier = null;
                head = (r.MemberId!.Value, r.OccurredAt, r.PartnerCode, r.StoreCode, r.Channel, r.PointsEarned, r.MemberPurchaseNo == 1);
            }
            lines.Add(new BasketLine(r.LineNo, r.Sku, r.Category, r.Quantity, currency.FromMinor(r.UnitPriceMinor), currency.FromMinor(r.DiscountMinor)));
            // The tier multiplier's points are explained on the lines as "tier:<level>".
            tier ??= r.Contributions.FirstOrDefault(c => c.Rule.StartsWith("tier:", StringComparison.Ordinal))?.Rule["tier:".Length..];
        }
        if (current is not null && Emit() is { } last) yield return last;

        ReplayedPurchase? Emit()
        {
            var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(head.At, DateTimeKind.Utc), zone);
            var day = DateOnly.FromDateTime(local);
            var customer = members.Of(head.Member);
            if (day < from || day > to || customer < 0) return null;
            var basket = new Basket(head.Partner!, head.Store, head.Channel, local, lines);
            return new ReplayedPurchase(customer, basket, head.First, head.Points) { OccurredAtUtc = DateTime.SpecifyKind(head.At, DateTimeKind.Utc), TierLevel = tier };
        }
    }
}
