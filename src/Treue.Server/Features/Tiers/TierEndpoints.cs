using Microsoft.AspNetCore.Http.HttpResults;
using Treue.Domain.Tiers;
using Treue.Server.Features.Audit;
using Treue.Server.Infrastructure;
using Treue.Storage;

namespace Treue.Server.Features.Tiers;

/// <summary>Tiers (see docs/tiers.md): the programme's definition, a member's tier with progress and history, and a level set by staff.</summary>
public static class TierEndpoints
{
    public static RouteGroupBuilder MapTiers(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/tiers").WithTags("Tiers");
        g.MapGet("/", Get).WithName("getTiers").RequireAuthorization(Policies.Pos)
            .WithSummary("The programme's tiers: levels, qualifying measure and period, downgrade rules, multipliers and service flags");
        g.MapPut("/", Put).WithName("putTiers").RequireAuthorization(Policies.Admin).WithSummary("Set the programme's tiers (no levels: the programme has none)");
        var m = api.MapGroup("/members/{memberId:guid}/tier").WithTags("Tiers");
        m.MapGet("/", Member).WithName("getMemberTier").Refuses(404, "member_not_found", "tiers_not_configured").RequireAuthorization(Policies.Pos)
            .WithSummary("A member's tier, service flags, progress to the next level, until when the current one holds, and history");
        m.MapPut("/", Set).WithName("setMemberTier").Refuses(404, "member_not_found", "tiers_not_configured").Refuses(409, "conflict")
            .Refuses(422, "unknown_tier", "reason_required", "invalid_until").RequireAuthorization(Policies.Admin)
            .WithSummary("Set a member's tier by hand, with a reason and an end date (audited)");
        api.MapPost("/jobs/tier-review", Review).WithName("reviewTiers").WithTags("Tiers").RequireAuthorization(Policies.Admin)
            .WithSummary("Review the tiers whose period (with grace) or manual level has ended, now (idempotent)");
        return api;
    }

    /// <summary>The number of tier changes a review wrote.</summary>
    public sealed record TierReviewView(int Changes);

    private static async Task<Ok<TierReviewView>> Review(HttpContext http, TreueDb db, TimeProvider clock, CancellationToken ct)
    {
        var programmeId = Caller.From(http.User).ProgrammeId;
        var scheme = await TierService.SchemeAsync(db, programmeId, ct);
        var changes = scheme is null ? 0 : await TierReview.RunAsync(db, scheme, programmeId, clock.GetUtcNow().UtcDateTime, ct);
        return TypedResults.Ok(new TierReviewView(changes));
    }

    private static ProblemHttpResult NoTiers() => Problems.Problem("tiers_not_configured", "The programme has no tiers.", null, 404);

    /// <summary>The programme's tiers; a programme without tiers has no levels.</summary>
    private static async Task<Ok<TierScheme>> Get(HttpContext http, TreueDb db, CancellationToken ct)
    {
        var programmeId = Caller.From(http.User).ProgrammeId;
        return TypedResults.Ok(await TierService.SchemeAsync(db, programmeId, ct) ?? await TierService.NoneAsync(db, programmeId, ct));
    }

    private static async Task<Results<Ok<TierScheme>, ProblemHttpResult>> Put(TierDefinitionRequest req, HttpContext http, TreueDb db, TimeProvider clock,
        CancellationToken ct)
    {
        var (scheme, invalid) = await TierService.PutAsync(db, Caller.From(http.User).ProgrammeId, req, AuditActor.Api(http), clock.GetUtcNow().UtcDateTime, ct);
        if (invalid is not null) return invalid.Problem();
        return TypedResults.Ok(scheme ?? await TierService.NoneAsync(db, Caller.From(http.User).ProgrammeId, ct));
    }

    private static async Task<Results<Ok<MemberTierView>, ProblemHttpResult>> Member(Guid memberId, HttpContext http, TreueDb db, TimeProvider clock,
        CancellationToken ct)
    {
        var programmeId = Caller.From(http.User).ProgrammeId;
        if (await TierService.SchemeAsync(db, programmeId, ct) is not { } scheme) return NoTiers();
        var view = await TierService.MemberAsync(db, scheme, programmeId, memberId, clock.GetUtcNow().UtcDateTime, ct);
        return view is null ? Problems.NotFound("member_not_found", "The member", "memberId") : TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<MemberTierView>, ProblemHttpResult>> Set(Guid memberId, SetTierRequest req, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var programmeId = Caller.From(http.User).ProgrammeId;
        if (await TierService.SchemeAsync(db, programmeId, ct) is not { } scheme) return NoTiers();
        var now = clock.GetUtcNow().UtcDateTime;
        if (await TierService.SetAsync(db, scheme, programmeId, memberId, req, AuditActor.Api(http), now, ct) is { } problem) return problem;
        return TypedResults.Ok((await TierService.MemberAsync(db, scheme, programmeId, memberId, now, ct))!);
    }
}
