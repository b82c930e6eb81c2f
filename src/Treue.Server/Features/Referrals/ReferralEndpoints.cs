using Microsoft.AspNetCore.Http.HttpResults;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Programmes;
using Treue.Server.Infrastructure;
using Treue.Storage;

namespace Treue.Server.Features.Referrals;

/// <summary>Referrals (see docs/referrals.md): the programme's settings and statistics, a member's code, link and referrals.</summary>
public static class ReferralEndpoints
{
    /// <summary>The longest period the statistics count over, in days.</summary>
    public const int MaxStatsDays = 3660;

    public static RouteGroupBuilder MapReferrals(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/referrals").WithTags("Referrals");
        g.MapGet("/settings", Get).WithName("getReferralSettings").RequireAuthorization(Policies.Pos)
            .WithSummary("The programme's referral terms: code pattern, rewards for each side, qualifying days, return window and limit per referrer");
        g.MapPut("/settings", Put).WithName("putReferralSettings").RequireAuthorization(Policies.Admin)
            .WithSummary("Set the programme's referral terms, or turn referrals off");
        g.MapGet("/statistics", Stats).WithName("getReferralStatistics").RequireAuthorization(Policies.Admin)
            .WithSummary("Referrals of the members who enrolled in a period: by state, conversion, referral rate, points given and top referrers");
        api.MapGet("/members/{memberId:guid}/referrals", Member).WithName("getMemberReferrals").WithTags("Referrals").RequireAuthorization(Policies.Pos)
            .Refuses(404, "member_not_found").WithSummary("A member's referral code and link to share, who referred them, and whom they referred");
        api.MapPost("/jobs/referrals", Settle).WithName("settleReferrals").WithTags("Referrals").RequireAuthorization(Policies.Admin)
            .WithSummary("Reward the pending referrals whose return window has passed and lapse those whose days ran out, now (idempotent)");
        return api;
    }

    /// <summary>The number of referrals the settling job changed.</summary>
    public sealed record ReferralSettleView(int Changes);

    private static async Task<Ok<ReferralSettingsView>> Get(HttpContext http, TreueDb db, CancellationToken ct) =>
        TypedResults.Ok(await ReferralService.SettingsAsync(db, Caller.From(http.User).ProgrammeId, ct));

    private static async Task<Results<Ok<ReferralSettingsView>, ProblemHttpResult>> Put(ReferralSettingsRequest req, HttpContext http, TreueDb db, TimeProvider clock,
        CancellationToken ct)
    {
        var (view, invalid) = await ReferralService.PutAsync(db, Caller.From(http.User).ProgrammeId, req, AuditActor.Api(http), clock.GetUtcNow().UtcDateTime, ct);
        return invalid is not null ? invalid.Problem() : TypedResults.Ok(view!);
    }

    private static async Task<Results<Ok<MemberReferralsView>, ProblemHttpResult>> Member(Guid memberId, HttpContext http, TreueDb db, ProgrammeCache programmes,
        PublicUrls urls, TimeProvider clock, CancellationToken ct)
    {
        var p = await programmes.GetAsync(db, Caller.From(http.User).ProgrammeId, ct);
        var view = await ReferralService.MemberAsync(db, urls, p, memberId, clock.GetUtcNow().UtcDateTime, ct);
        return view is null ? Problems.NotFound("member_not_found", "The member", "memberId") : TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<ReferralStatsView>, ProblemHttpResult>> Stats(DateOnly? from, DateOnly? to, HttpContext http, TreueDb db,
        ProgrammeCache programmes, TimeProvider clock, CancellationToken ct)
    {
        var p = await programmes.GetAsync(db, Caller.From(http.User).ProgrammeId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var today = DateOnly.FromDateTime(p.LocalTime(now));
        var (first, last) = (from ?? today.AddDays(-364), to ?? today);
        var v = new Validation();
        v.Check(first.Year >= 1970, "from", "must be 1970 or later");
        if (v.Check(last >= first, "to", "must not be before from"))
            v.Check(last.DayNumber - first.DayNumber < MaxStatsDays, "to", $"the period may be at most {MaxStatsDays} days");
        if (v.Failed) return v.Problem();
        return TypedResults.Ok(await ReferralService.StatsAsync(db, p, first, last, now, ct));
    }

    private static async Task<Ok<ReferralSettleView>> Settle(HttpContext http, TreueDb db, TimeProvider clock, CancellationToken ct) =>
        TypedResults.Ok(new ReferralSettleView(await ReferralService.SettleAllAsync(db, clock.GetUtcNow().UtcDateTime, ct, Caller.From(http.User).ProgrammeId)));
}
