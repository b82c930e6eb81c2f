using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Treue.Domain.Promotions;
using Treue.Domain.Tiers;
using Treue.Domain.Triggers;
using Treue.Server.Features.Programmes;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Triggers;

/// <summary>A trigger to create or replace: when it fires, what it does, its cap and whether it runs.</summary>
/// <param name="Name">The name staff see.</param>
/// <param name="Kind">When it fires.</param>
/// <param name="Action">What it does.</param>
public sealed record TriggerRequest(string Name, TriggerKind Kind, TriggerAction Action)
{
    /// <summary>Whether the scheduler runs it (default true).</summary>
    public bool Active { get; init; } = true;
    /// <summary>For a birthday: days before it (0: on the day).</summary>
    public int DaysBefore { get; init; }
    /// <summary>For a win-back: days without a purchase; for points expiring: days ahead.</summary>
    public int Days { get; init; }
    /// <summary>For the n-th purchase: which one.</summary>
    public int N { get; init; }
    /// <summary>For the n-th purchase: every n-th.</summary>
    public bool Repeat { get; init; }
    /// <summary>For a tier upgrade: the tier reached, or null for any.</summary>
    public string? Tier { get; init; }
    /// <summary>For a fixed date: month, day and optionally year.</summary>
    public int Month { get; init; }
    /// <summary>For a fixed date: the day of the month.</summary>
    public int Day { get; init; }
    /// <summary>For a fixed date: the year, or null for every year.</summary>
    public int? Year { get; init; }
    /// <summary>A cap per period, or null for none.</summary>
    public TriggerBudget? Budget { get; init; }

    /// <summary>The domain's definition under <paramref name="id"/>.</summary>
    public TriggerDefinition Definition(string id) => new(id, Kind, Action)
    {
        DaysBefore = DaysBefore, Days = Days, N = N, Repeat = Repeat, Tier = string.IsNullOrWhiteSpace(Tier) ? null : Tier.Trim(),
        Month = Month, Day = Day, Year = Year, Budget = Budget,
    };
}

/// <summary>A trigger as the API shows it.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Active">Whether the scheduler runs it.</param>
/// <param name="Definition">When it fires and what it does.</param>
/// <param name="CheckedThrough">The last day whose occasions the scheduler has seen (programme time zone).</param>
/// <param name="Firings">Firings so far.</param>
public sealed record TriggerView(string Id, string Name, bool Active, TriggerDefinition Definition, DateOnly? CheckedThrough, long Firings);

/// <summary>One member a trigger would hit today, and with what.</summary>
/// <param name="MemberId">The member.</param>
/// <param name="MemberName">Their name.</param>
/// <param name="Occasion">The occasion (<c>birthday:2026</c>).</param>
/// <param name="Day">The day it is due.</param>
/// <param name="Action">What the trigger does.</param>
/// <param name="OverBudget">True when the budget holds it back.</param>
public sealed record DryRunHit(Guid MemberId, string MemberName, string Occasion, DateOnly Day, TriggerAction Action, bool OverBudget);

/// <summary>The dry run of a trigger: who would be hit today, and with what.</summary>
/// <param name="TriggerId">The trigger.</param>
/// <param name="Today">Today in the programme's time zone.</param>
/// <param name="Hits">The members, within the budget or held back by it.</param>
public sealed record DryRunView(string TriggerId, DateOnly Today, IReadOnlyList<DryRunHit> Hits)
{
    /// <summary>The members it would hit within its budget.</summary>
    public int Count => Hits.Count(h => !h.OverBudget);
}

/// <summary>A message in the outbox.</summary>
public sealed record OutboxView(long Id, Guid? MemberId, string Template, string Language, IReadOnlyDictionary<string, string> Data, string? Source,
    OutboxState State, string? Reason, int Attempts, DateTime? NextAttemptAt, DateTime CreatedAt, DateTime? SentAt);

/// <summary>A trigger that fired for a member: the occasion and what it gave.</summary>
public sealed record FiringView(long Id, string TriggerId, string? TriggerName, string Occasion, DateOnly Day, long Points, string? CouponCode,
    long? OutboxMessageId, DateTime FiredAt);

/// <summary>
/// Triggers (see docs/triggers.md): storing them, the facts of the members they read, the dry run, and one firing. The API, the
/// console and <see cref="TriggerScheduler"/> call these; there is one way to do each.
/// </summary>
public static class TriggerService
{
    /// <summary>The programme's triggers by id.</summary>
    public static async Task<List<TriggerView>> ListAsync(TreueDb db, Guid programmeId, CancellationToken ct) =>
        (await db.Triggers.AsNoTracking().Where(t => t.ProgrammeId == programmeId).OrderBy(t => t.Id).ToListAsync(ct)).Select(View).ToList();

    /// <summary>One trigger, or null when the programme has none of that id.</summary>
    public static async Task<TriggerView?> GetAsync(TreueDb db, Guid programmeId, string id, CancellationToken ct) =>
        await db.Triggers.AsNoTracking().SingleOrDefaultAsync(t => t.ProgrammeId == programmeId && t.Id == id, ct) is { } row ? View(row) : null;

    private static TriggerView View(TriggerRecord t) => new(t.Id, t.Name, t.Active, t.Definition, t.CheckedThrough, t.Firings);

    /// <summary>Why a trigger cannot be stored, field by field; null when it can.</summary>
    public static async Task<Validation?> CheckAsync(TreueDb db, Guid programmeId, string id, TriggerRequest? req, CancellationToken ct)
    {
        var v = new Validation();
        if (req is null)
        {
            v.Add("name", "is required");
            return v;
        }
        v.Check(id.Length is >= 1 and <= 64 && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_'), "id",
            "must be 1 to 64 lower-case letters, digits, '-' or '_'");
        v.Text(req.Name, "name", 200);
        if (req.Action is null) v.Add("action", "is required");
        if (v.Failed) return v;
        if (req.Definition(id).Problem() is { } problem) v.Add(problem.Field ?? "kind", problem.Message);
        v.Check(req.Tier is null || req.Tier.Length <= 64, "tier", "must be at most {0} characters", 64);
        v.Check(req.Budget is null || req.Budget.Amount <= 1_000_000_000, "budget.amount", "must be at most {0:N0}", 1_000_000_000L);
        v.Check(req.Action is not AwardPoints { Points: > InputBounds.MaxAdjustmentPoints }, "action.points", "must be at most {0:N0}", InputBounds.MaxAdjustmentPoints);
        switch (req.Action)
        {
            case IssueCoupon coupon:
                if (!v.Text(coupon.CampaignId, "action.campaignId", 64)) break;
                var campaign = await db.Campaigns.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.Id == coupon.CampaignId)
                    .Select(c => c.Definition).SingleOrDefaultAsync(ct);
                v.Check(campaign is not null, "action.campaignId", "names no campaign of this programme");
                v.Check(campaign is null || campaign.Codes == CodeKind.Personal, "action.campaignId", "the campaign's codes are not personal");
                break;
            case QueueMessage message:
                if (v.Text(message.Template, "action.template", 64))
                    v.Check(message.Template.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-'), "action.template",
                        "may hold only lower-case letters, digits, '-' and '_'");
                v.Check(message.Data is null || message.Data.Count <= 20, "action.data", "may hold at most 20 values");
                foreach (var (key, value) in message.Data ?? new Dictionary<string, string>())
                    v.Check(key.Length is >= 1 and <= 64 && (value?.Length ?? 0) <= 500, "action.data", "keys are 1 to 64 characters, values at most 500");
                break;
        }
        return v.Failed ? v : null;
    }

    /// <summary>Creates or replaces a trigger; the field errors when it cannot be stored, null when it was.</summary>
    public static async Task<Validation?> PutAsync(TreueDb db, Guid programmeId, string id, TriggerRequest req, DateTime now, CancellationToken ct)
    {
        if (await CheckAsync(db, programmeId, id, req, ct) is { } invalid) return invalid;
        var definition = req.Definition(id);
        var row = await db.Triggers.SingleOrDefaultAsync(t => t.ProgrammeId == programmeId && t.Id == id, ct);
        if (row is null)
            db.Triggers.Add(new TriggerRecord { ProgrammeId = programmeId, Id = id, Name = req.Name.Trim(), Definition = definition, Active = req.Active, CreatedAt = now, UpdatedAt = now });
        else
        {
            row.Name = req.Name.Trim();
            row.Definition = definition;
            row.Active = req.Active;
            row.UpdatedAt = now;
        }
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>Deletes a trigger (its firings stay, so a trigger created again under the id fires no occasion twice); false when there was none.</summary>
    public static async Task<bool> DeleteAsync(TreueDb db, Guid programmeId, string id, CancellationToken ct) =>
        await db.Triggers.Where(t => t.ProgrammeId == programmeId && t.Id == id).ExecuteDeleteAsync(ct) > 0;

    /// <summary>The programme's time zone.</summary>
    public static async Task<TimeZoneInfo> ZoneAsync(TreueDb db, Guid programmeId, CancellationToken ct) =>
        ProgrammeApplier.TryTimeZone(await db.Programmes.AsNoTracking().Where(p => p.Id == programmeId).Select(p => p.TimeZone).SingleAsync(ct)) ?? TimeZoneInfo.Utc;

    /// <summary>
    /// What the triggers of <paramref name="kinds"/> need to know of the programme's active members, with days in
    /// <paramref name="zone"/>: enrolment and birthday always, purchases, tier upgrades and expiring points only when a kind reads them.
    /// </summary>
    public static async Task<List<MemberFacts>> FactsAsync(TreueDb db, Guid programmeId, TimeZoneInfo zone, IReadOnlySet<TriggerKind> kinds, CancellationToken ct)
    {
        DateOnly Day(DateTime utc) => TriggerRules.Today(utc, zone);
        var members = await db.Members.AsNoTracking().Where(m => m.ProgrammeId == programmeId && m.Status == MemberStatus.Active)
            .Select(m => new { m.Id, m.EnrolledAt, m.Birthday }).ToListAsync(ct);
        var purchases = new Dictionary<Guid, List<DateOnly>>();
        if (kinds.Contains(TriggerKind.NthPurchase) || kinds.Contains(TriggerKind.WinBack))
        {
            var rows = await db.Purchases.AsNoTracking().Where(p => p.ProgrammeId == programmeId && p.MemberId != null)
                .OrderBy(p => p.OccurredAt).Select(p => new { MemberId = p.MemberId!.Value, p.OccurredAt }).ToListAsync(ct);
            foreach (var r in rows)
            {
                if (!purchases.TryGetValue(r.MemberId, out var days)) purchases[r.MemberId] = days = [];
                days.Add(Day(r.OccurredAt));
            }
        }
        var upgrades = new Dictionary<Guid, List<(DateOnly, string)>>();
        if (kinds.Contains(TriggerKind.TierUpgrade))
        {
            var rows = await db.TierHistory.AsNoTracking().Where(h => h.ProgrammeId == programmeId && h.Reason == TierChangeReason.Upgrade)
                .OrderBy(h => h.At).Select(h => new { h.MemberId, h.At, h.ToLevel }).ToListAsync(ct);
            foreach (var r in rows)
            {
                if (!upgrades.TryGetValue(r.MemberId, out var list)) upgrades[r.MemberId] = list = [];
                list.Add((Day(r.At), r.ToLevel));
            }
        }
        var expiring = new Dictionary<Guid, List<(DateOnly, long)>>();
        if (kinds.Contains(TriggerKind.PointsExpiring))
        {
            var rows = await db.PointLots.AsNoTracking()
                .Where(l => l.ProgrammeId == programmeId && l.Status == LotStatus.Available && l.Remaining > 0 && l.ExpiresAt != null)
                .Select(l => new { l.MemberId, ExpiresAt = l.ExpiresAt!.Value, l.Remaining }).ToListAsync(ct);
            foreach (var r in rows)
            {
                if (!expiring.TryGetValue(r.MemberId, out var list)) expiring[r.MemberId] = list = [];
                list.Add((Day(r.ExpiresAt), r.Remaining));
            }
        }
        return members.Select(m => new MemberFacts(m.Id, Day(m.EnrolledAt))
        {
            Birthday = m.Birthday,
            PurchaseDays = purchases.GetValueOrDefault(m.Id) ?? [],
            Upgrades = upgrades.GetValueOrDefault(m.Id) ?? [],
            Expiring = expiring.GetValueOrDefault(m.Id) ?? [],
        }).ToList();
    }

    /// <summary>
    /// The dry run of a trigger, stored or not: who it would hit today and with what, leaving out the occasions that fired
    /// already and marking those its budget holds back. Changes nothing.
    /// </summary>
    public static async Task<DryRunView> DryRunAsync(TreueDb db, Guid programmeId, TriggerDefinition trigger, DateTime nowUtc, CancellationToken ct)
    {
        var zone = await ZoneAsync(db, programmeId, ct);
        var today = TriggerRules.Today(nowUtc, zone);
        var facts = await FactsAsync(db, programmeId, zone, new HashSet<TriggerKind> { trigger.Kind }, ct);
        var fired = await FiredAsync(db, programmeId, trigger.Id, ct);
        var due = TriggerRules.DryRun(trigger, facts, today).Where(o => !fired.Contains((o.Member, o.Name))).ToList();
        var used = await UsedAsync(db, programmeId, trigger, due.Select(o => o.Day), ct);
        var (_, over) = TriggerRules.WithinBudget(trigger, due, period => used.GetValueOrDefault(period));
        var names = await db.Members.AsNoTracking().Where(m => m.ProgrammeId == programmeId).Select(m => new { m.Id, m.Name }).ToDictionaryAsync(m => m.Id, m => m.Name, ct);
        var overSet = over.ToHashSet();
        return new DryRunView(trigger.Id, today, due.Select(o => new DryRunHit(o.Member, names.GetValueOrDefault(o.Member) ?? "", o.Name, o.Day, o.Action, overSet.Contains(o))).ToList());
    }

    /// <summary>The occasions a trigger has fired, by member.</summary>
    internal static async Task<HashSet<(Guid, string)>> FiredAsync(TreueDb db, Guid programmeId, string triggerId, CancellationToken ct) =>
        (await db.TriggerFirings.AsNoTracking().Where(f => f.ProgrammeId == programmeId && f.TriggerId == triggerId)
            .Select(f => new { f.MemberId, f.Occasion }).ToListAsync(ct)).Select(f => (f.MemberId, f.Occasion)).ToHashSet();

    /// <summary>What a trigger has used of its budget in the periods of <paramref name="days"/>.</summary>
    private static async Task<Dictionary<string, long>> UsedAsync(TreueDb db, Guid programmeId, TriggerDefinition trigger, IEnumerable<DateOnly> days, CancellationToken ct)
    {
        if (trigger.Budget is not { } budget) return [];
        var periods = days.Select(budget.PeriodOf).Distinct().ToList();
        var rows = await db.TriggerFirings.AsNoTracking().Where(f => f.ProgrammeId == programmeId && f.TriggerId == trigger.Id && periods.Contains(f.Period))
            .GroupBy(f => f.Period).Select(g => new { Period = g.Key, Count = g.LongCount(), Points = g.Sum(f => f.Points) }).ToListAsync(ct);
        return rows.ToDictionary(r => r.Period, r => budget.Unit == TriggerBudgetUnit.Firings ? r.Count : r.Points);
    }

    /// <summary>A message's data from its JSON column.</summary>
    internal static IReadOnlyDictionary<string, string> ReadData(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json, TreueJson.Options) ?? [];

    internal static OutboxView View(OutboxMessage m) => new(m.Id, m.MemberId, m.Template, m.Language, ReadData(m.Data), m.Source, m.State, m.Reason, m.Attempts,
        m.NextAttemptAt, m.CreatedAt, m.SentAt);

    /// <summary>The outbox, newest first: the programme's, or one member's when <paramref name="memberId"/> is given; optionally in one state.</summary>
    public static async Task<List<OutboxView>> OutboxAsync(TreueDb db, Guid programmeId, Guid? memberId, OutboxState? state, long? beforeId, int take, CancellationToken ct)
    {
        var q = db.Outbox.AsNoTracking().Where(m => m.ProgrammeId == programmeId);
        if (memberId is { } member) q = q.Where(m => m.MemberId == member);
        if (state is { } s) q = q.Where(m => m.State == s);
        if (beforeId is { } before) q = q.Where(m => m.Id < before);
        return (await q.OrderByDescending(m => m.Id).Take(take).ToListAsync(ct)).Select(View).ToList();
    }

    /// <summary>The triggers fired for a member, newest first.</summary>
    public static async Task<List<FiringView>> FiringsAsync(TreueDb db, Guid programmeId, Guid memberId, int take, CancellationToken ct)
    {
        var rows = await db.TriggerFirings.AsNoTracking().Where(f => f.ProgrammeId == programmeId && f.MemberId == memberId)
            .OrderByDescending(f => f.Id).Take(take).ToListAsync(ct);
        var ids = rows.Select(r => r.TriggerId).Distinct().ToList();
        var names = await db.Triggers.AsNoTracking().Where(t => t.ProgrammeId == programmeId && ids.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        return rows.Select(f => new FiringView(f.Id, f.TriggerId, names.GetValueOrDefault(f.TriggerId), f.Occasion, f.Day, f.Points, f.CouponCode, f.OutboxMessageId, f.FiredAt)).ToList();
    }
}
