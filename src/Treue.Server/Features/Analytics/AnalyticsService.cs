using Microsoft.EntityFrameworkCore;
using Treue.Analytics.Economics;
using Treue.Analytics.Loyalty;
using Treue.Domain.Earning;
using Treue.Domain.Programmes;
using Treue.Domain.Promotions;
using Treue.Server.Features.Programmes;
using Treue.Server.Infrastructure;
using Treue.Storage;

namespace Treue.Server.Features.Analytics;

/// <summary>A proposed change of the earning rules, replayed over a period of real purchases.</summary>
/// <param name="From">First day of the period (programme time zone); default 90 days before <paramref name="To"/>.</param>
/// <param name="To">Last day of the period; default the day of the last recorded purchase.</param>
/// <param name="BaseRate">Proposed base rate; default the current one.</param>
/// <param name="Rounding">Proposed rounding; default the current one.</param>
/// <param name="Rules">Proposed rule set, in the programme document's format; default the current rules.</param>
/// <param name="CampaignId">An existing campaign to replay over the period's baskets, to see its discount cost.</param>
/// <param name="Campaign">A draft campaign (as <c>POST /api/v1/campaigns</c> takes it) to replay instead; not stored.</param>
public sealed record WhatIfRequest(DateOnly? From = null, DateOnly? To = null, decimal? BaseRate = null, RoundingPolicy? Rounding = null, IReadOnlyList<EarningRule>? Rules = null,
    string? CampaignId = null, Campaign? Campaign = null);

/// <summary>The what-if comparison with the period and the breakage rate it assumed.</summary>
/// <param name="From">First day replayed.</param>
/// <param name="To">Last day replayed.</param>
/// <param name="BreakageRate">The breakage rate the expected costs assume.</param>
/// <param name="Result">The points comparison.</param>
/// <param name="Campaign">What the campaign of the request would have given, when one was given.</param>
public sealed record WhatIfReport(DateOnly From, DateOnly To, double BreakageRate, WhatIfResult Result, CampaignWhatIfResult? Campaign = null);

/// <summary>
/// Runs the analyses of <c>Treue.Analytics</c> on a programme's stored history. The API, the CLI's
/// <c>treue report</c> and the console's analytics pages all call this class, so they always agree.
/// </summary>
public sealed partial class AnalyticsService(TreueDb db, ProgrammeCache cache, ProgrammeApplier applier, TimeProvider clock, AnalyticsCache results)
{
    /// <summary>
    /// How many of the programme's members member lists never show, because they did not consent to profiling (or
    /// objected): lists name them nowhere, and the totals count them only as the privacy settings say.
    /// </summary>
    public async Task<int> UnlistedMembersAsync(Guid programmeId, CancellationToken ct)
    {
        var profiled = await Privacy.Consents.MembersAllowingAsync(db, programmeId, Storage.Entities.ConsentPurpose.Profiling, ct);
        var members = await db.Members.CountAsync(m => m.ProgrammeId == programmeId, ct);
        return Math.Max(0, members - profiled.Count);
    }

    /// <summary>The longest period the what-if simulator replays.</summary>
    public const int MaxWhatIfDays = 3 * 366;

    private static int MinorPerUnit(AnalyticsData data) => (int)Math.Pow(10, data.Programme.Currency.MinorDigits);

    /// <summary>The version of a programme's data that cached results are keyed by.</summary>
    private Task<DataVersion> VersionAsync(Guid programmeId, CancellationToken ct) =>
        // One round trip: the counts are subqueries of the programme's row.
        db.Programmes.Where(p => p.Id == programmeId).Select(p => new DataVersion(p.ConfigVersion,
            db.Purchases.Count(x => x.ProgrammeId == programmeId),
            db.Returns.Count(r => r.ProgrammeId == programmeId),
            db.Members.Count(m => m.ProgrammeId == programmeId),
            // A consent given or withdrawn, or a change of the privacy settings, changes who the results may show.
            db.ConsentRecords.Count(r => r.ProgrammeId == programmeId),
            db.PrivacySettings.Where(s => s.ProgrammeId == programmeId).Select(s => (DateTime?)s.UpdatedAt).FirstOrDefault())).SingleAsync(ct);

    /// <summary>
    /// A report computed once per programme, data version and day (in the programme's time zone, since reports default
    /// to "today"): repeated and concurrent requests with the same <paramref name="key"/> share one computation.
    /// </summary>
    private async Task<T> CachedAsync<T>(object key, Guid programmeId, Func<AnalyticsService, CancellationToken, Task<T>> compute, CancellationToken ct)
    {
        var today = (await DataAsync(programmeId, ct)).Today(clock);
        return await results.GetAsync((key, programmeId, today), await VersionAsync(programmeId, ct),
            (services, stopping) => compute(services.GetRequiredService<AnalyticsService>(), stopping), ct);
    }

    private async Task<AnalyticsData> DataAsync(Guid programmeId, CancellationToken ct) =>
        new(db, await cache.GetAsync(db, programmeId, ct), await AnalyticsPrivacy.LoadAsync(db, programmeId, ct));

    /// <summary>Liability, breakage, redemption and reward cost.</summary>
    public async Task<EconomicsReport> EconomicsAsync(Guid programmeId, CancellationToken ct)
    {
        var data = await DataAsync(programmeId, ct);
        var months = await data.PointsMonthsAsync(ct);
        var outstanding = await data.OutstandingAsync(ct);
        return ProgrammeEconomics.Compute(months, outstanding, data.Programme.Settings.PointValue, MinorPerUnit(data));
    }

    /// <summary>
    /// Cross-buying, members against anonymous buyers, revenue around enrolment, from receipts up to a day (default: the
    /// day of the last recorded purchase).
    /// </summary>
    public Task<(LoyaltyReport? Report, Validation? Invalid)> LoyaltyAsync(Guid programmeId, DateOnly? asOf, CancellationToken ct) =>
        CachedAsync(("loyalty", asOf), programmeId, (s, c) => s.ComputeLoyaltyAsync(programmeId, asOf, c), ct);

    private async Task<(LoyaltyReport? Report, Validation? Invalid)> ComputeLoyaltyAsync(Guid programmeId, DateOnly? asOf, CancellationToken ct)
    {
        var v = new Validation();
        v.Date(asOf, "asOf");
        if (v.Failed) return (null, v);
        var data = await DataAsync(programmeId, ct);
        var span = await data.SpanAsync(ct);
        var day = asOf ?? span.AsOf(data.Today(clock));
        var members = data.Members();
        var partners = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var categories = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        // Receipts arrive in time order, so the first one after the day ends the stream; members who enrolled later
        // were not members yet.
        var receipts = data.Receipts(members, Intern(partners), Intern(categories)).TakeWhile(r => r.Day <= day);
        var report = LoyaltyMeasures.Compute(receipts, members.EnrolledOn.Select(d => d <= day ? d : DateOnly.MaxValue).ToList(), minorPerUnit: MinorPerUnit(data));
        // The referral rate: which members enrolled with an accepted code, and whose qualifying purchase came.
        var referrals = await db.Referrals.AsNoTracking()
            .Where(r => r.ProgrammeId == programmeId && r.Status != Domain.Referrals.ReferralStatus.Refused)
            .Select(r => new { r.MemberId, r.Status }).ToDictionaryAsync(r => r.MemberId, r => r.Status, ct);
        var enrolments = members.Ids.Select((id, i) => new Enrolment(members.EnrolledOn[i], referrals.ContainsKey(id),
            referrals.GetValueOrDefault(id) is Domain.Referrals.ReferralStatus.Pending or Domain.Referrals.ReferralStatus.Rewarded));
        return (report with { Referrals = ReferralMeasures.Compute(enrolments, day) }, null);

        static Func<string, int> Intern(Dictionary<string, int> map) => key =>
        {
            if (!map.TryGetValue(key, out var i)) map[key] = i = map.Count;
            return i;
        };
    }

    // JSON may leave out or null any list of a rule's conditions; the scheme wants empty lists.
    private static EarningRule Normalised(EarningRule r)
    {
        var c = r.Conditions ?? new RuleConditions();
        return r with
        {
            Conditions = c with
            {
                Partners = c.Partners ?? [], Stores = c.Stores ?? [], Channels = c.Channels ?? [], Skus = c.Skus ?? [],
                Categories = c.Categories ?? [], Weekdays = c.Weekdays ?? [],
            },
        };
    }

    /// <summary>
    /// Replays a period under proposed rules. Returns the validation problems of the request instead when it is
    /// not valid; writes nothing either way.
    /// </summary>
    public async Task<(WhatIfReport? Report, Validation? Invalid)> WhatIfAsync(Guid programmeId, WhatIfRequest request, CancellationToken ct)
    {
        var dates = new Validation();
        dates.Date(request.From, "from");
        dates.Date(request.To, "to");
        if (dates.Failed) return (null, dates);
        var data = await DataAsync(programmeId, ct);
        var to = request.To ?? (await data.SpanAsync(ct)).AsOf(data.Today(clock));
        var from = request.From ?? to.AddDays(-90);
        var current = (await applier.ExportAsync(programmeId, ct))!;
        var missing = new Validation();
        var given = request.Rules ?? current.Rules;
        for (var i = 0; i < given.Count; i++)
            if (given[i] is null) missing.Add($"rules[{i}]", "is required");
        if (missing.Failed) return (null, missing);
        var proposed = current with
        {
            BaseRate = request.BaseRate ?? current.BaseRate,
            Rounding = request.Rounding ?? current.Rounding,
            Rules = [.. given.Select(Normalised)],
        };
        var invalid = ProgrammeApplier.Validate(proposed) ?? new Validation();
        invalid.Check(from <= to, "to", "must not be before from");
        invalid.Check(to.DayNumber - from.DayNumber < MaxWhatIfDays, "from", $"the period must be shorter than {MaxWhatIfDays} days");
        invalid.Check(request.Rounding is null || Enum.IsDefined(request.Rounding.Value), "rounding", "is not a rounding policy");
        var campaign = await CampaignOfAsync(programmeId, request, invalid, ct);
        if (invalid.Failed) return (null, invalid);

        var economics = ProgrammeEconomics.Compute(await data.PointsMonthsAsync(ct), 0, data.Programme.Settings.PointValue);
        var breakage = economics.BreakageRate ?? 0;
        var scheme = new EarningScheme(proposed.BaseRate, proposed.Rounding, proposed.Rules);
        var members = data.Members();
        var result = WhatIf.Simulate(data.Replay(members, from, to), data.Programme.Terms with { Scheme = scheme }, breakage);
        var offered = campaign is null ? null : CampaignWhatIf.Simulate(data.Replay(members, from, to), campaign, data.Programme.Currency);
        return (new WhatIfReport(from, to, breakage, result, offered), null);
    }

    /// <summary>
    /// The campaign a what-if request names (an existing one by id) or brings (a draft), or null without one. Problems go to
    /// <paramref name="invalid"/>, naming the field.
    /// </summary>
    private async Task<Campaign?> CampaignOfAsync(Guid programmeId, WhatIfRequest request, Validation invalid, CancellationToken ct)
    {
        if (request.CampaignId is not null && request.Campaign is not null)
        {
            invalid.Add("campaignId", "give either campaignId or campaign, not both");
            return null;
        }
        if (request.CampaignId is { } id)
        {
            if (!invalid.Text(id, "campaignId", 64)) return null;
            var stored = await db.Campaigns.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.Id == id).Select(c => c.Definition).SingleOrDefaultAsync(ct);
            if (stored is null) invalid.Add("campaignId", "is not a campaign of this programme");
            return stored;
        }
        if (request.Campaign is not { } draft) return null;
        invalid.Text(draft.Id, "campaign.id", 64);
        invalid.Text(draft.Name, "campaign.name", 200);
        invalid.Check(draft.Offer is not null, "campaign.offer", "is required");
        invalid.Check(draft.Offer is not (PercentOffBasket { Percent: < 0 or > 100 } or PercentOffLines { Percent: < 0 or > 100 } or BuyXGetY { PercentOff: < 0 or > 100 }),
            "campaign.offer.percent", "must be between 0 and 100");
        var limits = draft.Limits ?? new CampaignLimits();
        invalid.Check(limits.UsesPerCode is null or >= 1 && limits.UsesPerMember is null or >= 1 && limits.Budget is null or { Amount: >= 0 },
            "campaign.limits", "limits must be at least 1 and a budget not negative");
        return draft with { Limits = limits, Conditions = draft.Conditions ?? new CampaignConditions() };
    }
}
