using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Domain.Promotions;
using Treue.Domain.Referrals;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Programmes;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;
using Treue.Storage.Purchases;

namespace Treue.Server.Features.Referrals;

/// <summary>The programme's referral settings: whether it runs referrals, and its terms.</summary>
/// <param name="Enabled">Whether members' codes can be used at enrolment.</param>
/// <param name="Terms">The terms (when off, the terms a new programme starts from).</param>
public sealed record ReferralSettingsView(bool Enabled, ReferralTerms Terms);

/// <summary>The referral settings as set through the API and the console.</summary>
/// <param name="Enabled">False turns referrals off: codes can no longer be used; points already pending are still posted by the ledger.</param>
/// <param name="CodePattern">The pattern of members' codes, like a coupon code's ('#' a character, a check character added).</param>
/// <param name="QualifyWithinDays">Days after enrolment within which the new member's first qualifying purchase must come.</param>
/// <param name="ReturnWindowDays">Days the rewards stay pending after that purchase.</param>
/// <param name="Referrer">What the member who referred receives: points, a coupon of a campaign, or both.</param>
/// <param name="NewMember">What the new member receives.</param>
/// <param name="MinPurchase">The smallest purchase total that qualifies.</param>
/// <param name="MaxPerReferrer">The most referrals one member may make within <paramref name="LimitDays"/>; 0 for no limit.</param>
/// <param name="LimitDays">The period of the limit, in days.</param>
public sealed record ReferralSettingsRequest(bool Enabled, string? CodePattern, int QualifyWithinDays, int ReturnWindowDays, ReferralReward? Referrer,
    ReferralReward? NewMember, decimal MinPurchase = 0, int MaxPerReferrer = 0, int LimitDays = 365);

/// <summary>One referral.</summary>
/// <param name="Referrer">The member whose code was used.</param>
/// <param name="NewMember">The member who enrolled with it.</param>
/// <param name="Code">The code.</param>
/// <param name="EnrolledOn">The day of enrolment (programme time zone).</param>
/// <param name="Status">Where it stands today.</param>
/// <param name="Reason">Why it was refused or cancelled: <c>self_referral</c>, <c>referral_limit</c>, <c>returned</c>.</param>
/// <param name="PurchaseReference">The qualifying purchase's receipt id.</param>
/// <param name="PurchasedOn">The day of the qualifying purchase.</param>
/// <param name="RewardOn">The day the rewards are given (the day after the return window).</param>
/// <param name="ReferrerPoints">The points the referrer receives.</param>
/// <param name="ReferrerCampaignId">The campaign whose coupon the referrer receives.</param>
/// <param name="NewMemberPoints">The points the new member receives.</param>
/// <param name="NewMemberCampaignId">The campaign whose coupon the new member receives.</param>
public sealed record ReferralView(Guid Referrer, Guid NewMember, string Code, DateOnly EnrolledOn, ReferralStatus Status, string? Reason,
    string? PurchaseReference, DateOnly? PurchasedOn, DateOnly? RewardOn, long ReferrerPoints, string? ReferrerCampaignId, long NewMemberPoints,
    string? NewMemberCampaignId);

/// <summary>Referrals counted by state.</summary>
/// <param name="Total">All referrals, refused ones included.</param>
/// <param name="Converted">Those whose new member made a qualifying purchase (pending or rewarded).</param>
/// <param name="ConversionRate">Converted as a share of those not refused (0 to 1), or null when there are none.</param>
public sealed record ReferralCounts(int Total, int Waiting, int Pending, int Rewarded, int Cancelled, int Lapsed, int Refused, int Converted, double? ConversionRate)
{
    /// <summary>Counts referrals by the state each has today.</summary>
    public static ReferralCounts Of(IReadOnlyCollection<ReferralStatus> states)
    {
        int Count(ReferralStatus s) => states.Count(x => x == s);
        var converted = Count(ReferralStatus.Pending) + Count(ReferralStatus.Rewarded);
        var considered = states.Count - Count(ReferralStatus.Refused);
        return new(states.Count, Count(ReferralStatus.Waiting), Count(ReferralStatus.Pending), Count(ReferralStatus.Rewarded), Count(ReferralStatus.Cancelled),
            Count(ReferralStatus.Lapsed), Count(ReferralStatus.Refused), converted, considered == 0 ? null : (double)converted / considered);
    }
}

/// <summary>A member's referrals: their code and link to share, who referred them, and whom they referred.</summary>
/// <param name="Code">The member's code, or null when the programme runs no referrals.</param>
/// <param name="Link">The portal's sign-up address with the code, to share.</param>
/// <param name="ReferredBy">The referral the member enrolled with, if any.</param>
/// <param name="Referrals">The members they referred, newest first (at most 100).</param>
/// <param name="Counts">Their referrals counted by state.</param>
/// <param name="PointsEarned">The points their referrals have given them or hold pending for them.</param>
public sealed record MemberReferralsView(string? Code, string? Link, ReferralView? ReferredBy, IReadOnlyList<ReferralView> Referrals, ReferralCounts Counts,
    long PointsEarned);

/// <summary>The programme's referral statistics for enrolments in a period.</summary>
/// <param name="From">The first day (programme time zone).</param>
/// <param name="To">The last day.</param>
/// <param name="Counts">The period's referrals by state, with the conversion rate.</param>
/// <param name="NewMembers">Members who enrolled in the period.</param>
/// <param name="ReferralRate">The share of them who enrolled with a code that was not refused, or null when nobody enrolled.</param>
/// <param name="PointsGiven">Points given to both sides for the period's referrals, pending ones included.</param>
/// <param name="TopReferrers">The members with most referrals in the period (at most 10).</param>
public sealed record ReferralStatsView(DateOnly From, DateOnly To, ReferralCounts Counts, int NewMembers, double? ReferralRate, long PointsGiven,
    IReadOnlyList<ReferrerCount> TopReferrers);

/// <summary>A referrer and how many referrals they made, how many converted.</summary>
public sealed record ReferrerCount(Guid MemberId, string Name, int Referrals, int Converted);

/// <summary>
/// Referrals (see docs/referrals.md): the settings, each member's code, enrolment with a code, a member's referrals and the
/// programme's statistics. The API, the till's enrolment, the portal and the console call these, one path per act; the
/// purchase recorder and returns use <see cref="ReferralStore"/> in their own transactions.
/// </summary>
public static class ReferralService
{
    /// <summary>The terms a programme without referrals starts from.</summary>
    public static readonly ReferralTerms Defaults = new("FRIEND-#########", 30, 14, new ReferralReward(500), new ReferralReward(250))
    {
        MinPurchase = 0, MaxPerReferrer = 10, LimitDays = 365,
    };

    /// <summary>The most referrals a member's view lists.</summary>
    public const int Shown = 100;

    /// <summary>The programme's settings.</summary>
    public static async Task<ReferralSettingsView> SettingsAsync(TreueDb db, Guid programmeId, CancellationToken ct)
    {
        var terms = await db.Programmes.AsNoTracking().Where(p => p.Id == programmeId).Select(p => p.Referrals).SingleAsync(ct);
        return new ReferralSettingsView(terms is not null, terms ?? Defaults);
    }

    /// <summary>The terms a request describes (null when it turns referrals off), or the field errors.</summary>
    public static async Task<(ReferralTerms? Terms, Validation? Invalid)> CheckAsync(TreueDb db, Guid programmeId, ReferralSettingsRequest? req, CancellationToken ct)
    {
        var v = new Validation();
        if (req is null) { v.Add("enabled", "is required"); return (null, v); }
        if (!req.Enabled) return (null, null);
        v.Text(req.CodePattern, "codePattern", 64);
        v.Check(req.QualifyWithinDays is >= 1 and <= 3660, "qualifyWithinDays", "must be between 1 and 3660");
        v.Check(req.ReturnWindowDays is >= 0 and <= 3660, "returnWindowDays", "must be between 0 and 3660");
        v.Check(req.MinPurchase is >= 0 and <= 1_000_000, "minPurchase", "must be between 0 and 1,000,000");
        v.Check(req.MaxPerReferrer is >= 0 and <= 100_000, "maxPerReferrer", "must be between 0 and 100,000");
        v.Check(req.LimitDays is >= 1 and <= 3660, "limitDays", "must be between 1 and 3660");
        foreach (var (reward, field) in new[] { (req.Referrer, "referrer"), (req.NewMember, "newMember") })
        {
            if (reward is null) { v.Add(field, "is required"); continue; }
            v.Check(reward.Points is >= 0 and <= 1_000_000_000, field + ".points", "must be between 0 and 1,000,000,000");
            if (reward.CampaignId is { } campaign && v.Text(campaign, field + ".campaignId", 64))
                v.Check(await db.Campaigns.AsNoTracking().AnyAsync(c => c.ProgrammeId == programmeId && c.Id == campaign, ct), field + ".campaignId",
                    "is not a campaign of this programme");
        }
        if (v.Failed) return (null, v);
        var terms = new ReferralTerms(req.CodePattern!.Trim(), req.QualifyWithinDays, req.ReturnWindowDays, req.Referrer!, req.NewMember!)
        {
            MinPurchase = req.MinPurchase, MaxPerReferrer = req.MaxPerReferrer, LimitDays = req.LimitDays,
        };
        if (terms.Problem() is { } problem) { v.Add(problem.Field ?? "codePattern", problem.Message); return (null, v); }
        return (terms, null);
    }

    /// <summary>
    /// Sets the programme's referral terms (a new configuration version, so every node applies them from its next act).
    /// Turning referrals off keeps codes and referrals; referrals already pending keep the rewards they were decided with.
    /// </summary>
    public static async Task<(ReferralSettingsView? View, Validation? Invalid)> PutAsync(TreueDb db, Guid programmeId, ReferralSettingsRequest? req, AuditActor actor,
        DateTime now, CancellationToken ct)
    {
        var (terms, invalid) = await CheckAsync(db, programmeId, req, ct);
        if (invalid is not null) return (null, invalid);
        await using var work = await Work.BeginAsync(db, ct);
        await db.Programmes.Where(p => p.Id == programmeId).ExecuteUpdateAsync(s => s
            .SetProperty(p => p.Referrals, terms).SetProperty(p => p.UpdatedAt, now).SetProperty(p => p.ConfigVersion, p => p.ConfigVersion + 1), ct);
        AuditLog.Add(db, programmeId, actor, AuditActions.ProgrammeChanged, now, "referrals",
            terms is null ? "off" : $"{terms.CodePattern}, {terms.Referrer.Points}/{terms.NewMember.Points} points, {terms.QualifyWithinDays} days");
        await work.CommitAsync(ct);
        return (new ReferralSettingsView(terms is not null, terms ?? Defaults), null);
    }

    /// <summary>How many members would have a code to share and how many referrals wait or are pending today: the settings page's preview.</summary>
    public sealed record Preview(int ActiveMembers, int Waiting, int Pending, int WouldLapse);

    /// <summary>The preview of terms: who they reach today (every active member may share a code) and what stands open under them.</summary>
    public static async Task<Preview> PreviewAsync(TreueDb db, Guid programmeId, ReferralTerms terms, DateOnly today, CancellationToken ct)
    {
        var active = await db.Members.AsNoTracking().CountAsync(m => m.ProgrammeId == programmeId && m.Status == MemberStatus.Active, ct);
        var open = await db.Referrals.AsNoTracking()
            .Where(r => r.ProgrammeId == programmeId && (r.Status == ReferralStatus.Waiting || r.Status == ReferralStatus.Pending))
            .Select(r => new { r.Status, r.EnrolledOn }).ToListAsync(ct);
        var lapseBefore = today.AddDays(-terms.QualifyWithinDays);
        return new Preview(active, open.Count(r => r.Status == ReferralStatus.Waiting), open.Count(r => r.Status == ReferralStatus.Pending),
            open.Count(r => r.Status == ReferralStatus.Waiting && r.EnrolledOn < lapseBefore));
    }

    /// <summary>A new code row for a member, from the programme's pattern.</summary>
    public static MemberReferralCode NewCode(ReferralTerms terms, Guid programmeId, Guid memberId, byte[]? paymentHash, DateTime now) => new()
    {
        ProgrammeId = programmeId, MemberId = memberId, Code = CouponCodes.Normalise(ReferralRules.NewCode(terms, RandomNumberGenerator.Create())),
        PaymentReferenceHash = paymentHash, CreatedAt = now,
    };

    /// <summary>
    /// The member's code, made now when they have none yet (members who enrolled before the programme ran referrals). Two
    /// requests making it at once keep the first one's.
    /// </summary>
    public static async Task<string?> CodeAsync(TreueDb db, ReferralTerms? terms, Guid programmeId, Guid memberId, DateTime now, CancellationToken ct)
    {
        var code = await db.ReferralCodes.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.MemberId == memberId).Select(c => c.Code).SingleOrDefaultAsync(ct);
        if (code is not null || terms is null) return code;
        var row = NewCode(terms, programmeId, memberId, null, now);
        db.ReferralCodes.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
            return row.Code;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return await db.ReferralCodes.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.MemberId == memberId).Select(c => c.Code).SingleAsync(ct);
        }
    }

    /// <summary>The portal's sign-up address with a code.</summary>
    public static string Link(PublicUrls urls, string code) => urls.For("portal/join?code=" + Uri.EscapeDataString(code)).AbsoluteUri;

    /// <summary>
    /// Enrolment with a referral code, in the enrolment's transaction after the new member and their cards were added. A
    /// mistyped or unknown code refuses the enrolment (<c>invalid_code</c>, field <c>referralCode</c>), so the person can
    /// correct it and nothing is written. A self-referral or a referrer over their limit enrols the member all the same
    /// and keeps the referral as refused, with its reason. Enrolments with one code are serialised by the update of the
    /// code's row, so the limit holds when friends enrol at once on several nodes.
    /// </summary>
    public static async Task<(ReferralRecord? Referral, ProblemHttpResult? Problem)> EnrolAsync(TreueDb db, CompiledProgramme p, Member newMember,
        IReadOnlyList<Card> newCards, string? referralCode, byte[]? paymentHash, DateTime now, CancellationToken ct)
    {
        var terms = p.Settings.Referrals;
        // Every member of a programme with referrals gets a code to share at once.
        if (terms is not null) db.ReferralCodes.Add(NewCode(terms, p.Settings.Id, newMember.Id, paymentHash, now));
        if (referralCode is null) return (null, null);
        var invalid = Problems.Problem("invalid_code", "The referral code is not valid.", "referralCode");
        if (terms is null || !CouponCodes.IsValid(terms.CodePattern, referralCode)) return (null, invalid);
        var code = CouponCodes.Normalise(referralCode);
        var programmeId = p.Settings.Id;
        var locked = await db.ReferralCodes.Where(c => c.ProgrammeId == programmeId && c.Code == code)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Uses, c => c.Uses + 1), ct);
        if (locked == 0) return (null, invalid);
        var owner = await db.ReferralCodes.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.Code == code)
            .Select(c => new { c.MemberId, c.PaymentReferenceHash }).SingleAsync(ct);
        var referrer = await db.Members.AsNoTracking().Where(m => m.Id == owner.MemberId && m.ProgrammeId == programmeId)
            .Select(m => new { m.Email, m.Status }).SingleAsync(ct);
        if (referrer.Status != MemberStatus.Active) return (null, invalid);
        var referrerCards = await db.Cards.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.MemberId == owner.MemberId).Select(c => c.Number).ToListAsync(ct);
        var today = DateOnly.FromDateTime(p.LocalTime(now));
        var since = today.AddDays(-terms.LimitDays);
        var earlier = await db.Referrals.AsNoTracking()
            .Where(r => r.ProgrammeId == programmeId && r.ReferrerId == owner.MemberId && r.EnrolledOn >= since
                && r.Status != ReferralStatus.Refused && r.Status != ReferralStatus.Cancelled)
            .Select(r => r.EnrolledOn).ToListAsync(ct);
        static List<string> Hex(byte[]? hash) => hash is null ? [] : [Convert.ToHexString(hash)];
        var (referral, refusal) = ReferralRules.Enrol(terms, code, owner.MemberId, new Identity(referrer.Email, referrerCards, Hex(owner.PaymentReferenceHash)),
            earlier, newMember.Id, new Identity(newMember.Email, newCards.Select(c => c.Number).ToList(), Hex(paymentHash)), today);
        if (refusal is { Code: "invalid_code" }) return (null, invalid);
        var row = new ReferralRecord
        {
            ProgrammeId = programmeId, MemberId = newMember.Id, ReferrerId = owner.MemberId, Code = code, EnrolledOn = today, EnrolledAt = now,
            Status = referral?.Status ?? ReferralStatus.Refused, Reason = refusal?.Code, Version = 1, UpdatedAt = now,
        };
        db.Referrals.Add(row);
        return (row, null);
    }

    /// <summary>The state a referral has today: the settling job may not have run yet since its reward day or its last day.</summary>
    public static ReferralStatus Today(ReferralRecord r, ReferralTerms? terms, DateOnly today) => r.Status switch
    {
        ReferralStatus.Pending when r.RewardOn is { } on && today >= on => ReferralStatus.Rewarded,
        ReferralStatus.Waiting when terms is not null && today > r.EnrolledOn.AddDays(terms.QualifyWithinDays) => ReferralStatus.Lapsed,
        _ => r.Status,
    };

    public static ReferralView View(ReferralRecord r, ReferralTerms? terms, DateOnly today) =>
        new(r.ReferrerId, r.MemberId, r.Code, r.EnrolledOn, Today(r, terms, today), r.Reason, r.PurchaseReference, r.PurchasedOn, r.RewardOn,
            r.ReferrerPoints, r.ReferrerCampaignId, r.NewMemberPoints, r.NewMemberCampaignId);

    /// <summary>A member's code, link and referrals, or null when the member is not in the programme.</summary>
    public static async Task<MemberReferralsView?> MemberAsync(TreueDb db, PublicUrls urls, CompiledProgramme p, Guid memberId, DateTime now, CancellationToken ct)
    {
        var programmeId = p.Settings.Id;
        if (!await db.Members.AsNoTracking().AnyAsync(m => m.Id == memberId && m.ProgrammeId == programmeId, ct)) return null;
        var terms = p.Settings.Referrals;
        var today = DateOnly.FromDateTime(p.LocalTime(now));
        var code = await CodeAsync(db, terms, programmeId, memberId, now, ct);
        var by = await db.Referrals.AsNoTracking().SingleOrDefaultAsync(r => r.ProgrammeId == programmeId && r.MemberId == memberId, ct);
        var made = await db.Referrals.AsNoTracking().Where(r => r.ProgrammeId == programmeId && r.ReferrerId == memberId)
            .OrderByDescending(r => r.EnrolledAt).ToListAsync(ct);
        var views = made.Select(r => View(r, terms, today)).ToList();
        var earned = views.Where(r => r.Status is ReferralStatus.Pending or ReferralStatus.Rewarded).Sum(r => r.ReferrerPoints)
            + (by is not null && Today(by, terms, today) is ReferralStatus.Pending or ReferralStatus.Rewarded ? by.NewMemberPoints : 0);
        return new MemberReferralsView(code, code is null || terms is null ? null : Link(urls, code), by is null ? null : View(by, terms, today),
            views.Take(Shown).ToList(), ReferralCounts.Of(views.Select(v => v.Status).ToList()), earned);
    }

    /// <summary>The programme's referrals of members who enrolled from <paramref name="from"/> to <paramref name="to"/> (programme days).</summary>
    public static async Task<ReferralStatsView> StatsAsync(TreueDb db, CompiledProgramme p, DateOnly from, DateOnly to, DateTime now, CancellationToken ct)
    {
        var programmeId = p.Settings.Id;
        var terms = p.Settings.Referrals;
        var today = DateOnly.FromDateTime(p.LocalTime(now));
        var rows = await db.Referrals.AsNoTracking().Where(r => r.ProgrammeId == programmeId && r.EnrolledOn >= from && r.EnrolledOn <= to).ToListAsync(ct);
        var states = rows.Select(r => (Row: r, Status: Today(r, terms, today))).ToList();
        // Enrolment times are UTC; the period's days are the programme's, so its bounds are converted once.
        var start = TimeZoneInfo.ConvertTimeToUtc(from.ToDateTime(TimeOnly.MinValue), p.TimeZone);
        var end = TimeZoneInfo.ConvertTimeToUtc(to.AddDays(1).ToDateTime(TimeOnly.MinValue), p.TimeZone);
        var newMembers = await db.Members.AsNoTracking().CountAsync(m => m.ProgrammeId == programmeId && m.EnrolledAt >= start && m.EnrolledAt < end, ct);
        var referred = states.Count(s => s.Status != ReferralStatus.Refused);
        var given = states.Where(s => s.Status is ReferralStatus.Pending or ReferralStatus.Rewarded).Sum(s => s.Row.ReferrerPoints + s.Row.NewMemberPoints);
        var top = states.GroupBy(s => s.Row.ReferrerId)
            .Select(g => (Id: g.Key, Count: g.Count(s => s.Status != ReferralStatus.Refused), Converted: g.Count(s => s.Status is ReferralStatus.Pending or ReferralStatus.Rewarded)))
            .Where(t => t.Count > 0).OrderByDescending(t => t.Count).ThenByDescending(t => t.Converted).Take(10).ToList();
        var ids = top.Select(t => t.Id).ToList();
        var names = await db.Members.AsNoTracking().Where(m => m.ProgrammeId == programmeId && ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.Name, ct);
        return new ReferralStatsView(from, to, ReferralCounts.Of(states.Select(s => s.Status).ToList()), newMembers,
            newMembers == 0 ? null : Math.Min(1.0, (double)referred / newMembers), given,
            top.Select(t => new ReferrerCount(t.Id, names.GetValueOrDefault(t.Id, ""), t.Count, t.Converted)).ToList());
    }

    /// <summary>Settles every programme's referrals that are due (see <see cref="ReferralStore.SettleAsync"/>); returns how many changed.</summary>
    public static async Task<int> SettleAllAsync(TreueDb db, DateTime nowUtc, CancellationToken ct, Guid? programmeId = null)
    {
        var programmes = await db.Programmes.AsNoTracking().Where(p => p.Referrals != null && (programmeId == null || p.Id == programmeId))
            .Select(p => new { p.Id, p.Referrals, p.TimeZone }).ToListAsync(ct);
        var changes = 0;
        foreach (var x in programmes)
        {
            var zone = ProgrammeApplier.TryTimeZone(x.TimeZone) ?? TimeZoneInfo.Utc;
            int n;
            do { n = await ReferralStore.SettleAsync(db, x.Id, x.Referrals!, zone, nowUtc, 200, ct); changes += n; } while (n > 0);
        }
        return changes;
    }
}
