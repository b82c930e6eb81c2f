using Microsoft.AspNetCore.Http.HttpResults;
using Treue.Analytics.Economics;
using Treue.Analytics.Loyalty;
using Treue.Server.Infrastructure;

namespace Treue.Server.Features.Analytics;

/// <summary>Reports on customers and on the programme itself. Read-only; administrators only.</summary>
public static class AnalyticsEndpoints
{
    public static RouteGroupBuilder MapAnalytics(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/analytics").WithTags("Analytics").RequireAuthorization(Policies.Admin);
        g.MapGet("/economics", Economics).WithSummary("Points liability, expected breakage, redemption rate and reward cost per month");
        g.MapGet("/loyalty", Loyalty).WithSummary("Cross-buying, members against anonymous buyers, and revenue around enrolment");
        g.MapPost("/what-if", WhatIfReplay).WithSummary("Replay a period of real purchases under proposed earning rules and compare; writes nothing");
        return api;
    }

    private static async Task<Ok<EconomicsReport>> Economics(HttpContext http, AnalyticsService analytics, CancellationToken ct) =>
        TypedResults.Ok(await analytics.EconomicsAsync(Caller.From(http.User).ProgrammeId, ct));

    private static async Task<Ok<LoyaltyReport>> Loyalty(HttpContext http, AnalyticsService analytics, CancellationToken ct) =>
        TypedResults.Ok(await analytics.LoyaltyAsync(Caller.From(http.User).ProgrammeId, ct));

    private static async Task<Results<Ok<WhatIfReport>, ProblemHttpResult>> WhatIfReplay(WhatIfRequest req, HttpContext http, AnalyticsService analytics, CancellationToken ct)
    {
        var (report, invalid) = await analytics.WhatIfAsync(Caller.From(http.User).ProgrammeId, req, ct);
        return invalid is not null ? invalid.Problem() : TypedResults.Ok(report!);
    }
}
