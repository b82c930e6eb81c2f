using Microsoft.AspNetCore.Http.HttpResults;
using Treue.Analytics.Economics;
using Treue.Analytics.Loyalty;
using Treue.Analytics.Segments;
using Treue.Server.Infrastructure;

namespace Treue.Server.Features.Analytics;

/// <summary>Reports on customers and on the programme itself. Read-only; administrators only.</summary>
public static class AnalyticsEndpoints
{
    public static RouteGroupBuilder MapAnalytics(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/analytics").WithTags("Analytics").RequireAuthorization(Policies.Admin).RequireRateLimiting(RateLimits.Expensive);
        g.MapGet("/economics", Economics).WithName("getEconomics").WithSummary("Points liability, expected breakage, redemption rate and reward cost per month");
        g.MapGet("/loyalty", Loyalty).WithName("getLoyalty").WithSummary("Cross-buying, members against anonymous buyers, and revenue around enrolment");
        g.MapPost("/what-if", WhatIfReplay).WithName("replayWhatIf").WithWritesNothing().WithSummary("Replay a period of real purchases under proposed earning rules, or with a campaign, and compare; writes nothing");
        g.MapGet("/abc", Abc).WithName("getAbc").WithSummary("ABC classes of members by revenue, the Pareto curve and the Gini coefficient");
        g.MapGet("/rfm", RfmSegments).WithName("getRfm").WithSummary("RFM segments as of a day, their revenue, and members' moves since an earlier day");
        g.MapGet("/rfm/members", RfmSegmentMembers).WithName("listRfmMembers").WithSummary("The members of one RFM segment, best first (paginated)");
        g.MapGet("/clv", Clv).WithName("getClv").WithSummary("Lifetime values: BG/NBD or Pareto/NBD with Gamma-Gamma fitted to the history, and the most valuable members");
        g.MapGet("/clv/holdout", Holdout).WithName("getClvHoldout").WithSummary("Calibration/holdout check: predicted against actual purchases by calibration repeat purchases");
        g.MapGet("/churn-risk", ChurnRisk).WithName("getChurnRisk").WithSummary("High-value members with a low probability of being alive: a win-back segment");
        g.MapGet("/retention", Retention).WithName("getRetention").WithSummary("Cohort retention matrix, repurchase rate, churn and time between purchases");
        g.MapGet("/baskets/rules", BasketRules).WithName("getBasketRules").WithSummary("Association rules over baskets by SKU or category, strongest lift first");
        api.MapGet("/members/{memberId:guid}/recommendations", Recommendations).WithName("getRecommendations")
            .Refuses(404, "member_not_found").Refuses(403, "forbidden").WithTags("Analytics").RequireAuthorization(Policies.Pos).RequireRateLimiting(RateLimits.Expensive)
            .WithSummary("What this member may like: items bought together with theirs that they do not buy yet");
        return api;
    }

    private static bool Parse<T>(string? text, T fallback, string field, Validation v, out T value) where T : struct, Enum
    {
        value = fallback;
        if (string.IsNullOrEmpty(text)) return true;
        if (Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value) && !int.TryParse(text, out _)) return true;
        v.Add(field, $"must be one of {string.Join(", ", Enum.GetNames<T>().Select(n => char.ToLowerInvariant(n[0]) + n[1..]))}");
        return false;
    }

    private static Validation? Top(int? top, out int value, string field = "top")
    {
        value = top ?? 20;
        var v = new Validation();
        v.Check(value is >= 0 and <= Pagination.MaxLimit, field, $"must be between 0 and {Pagination.MaxLimit}");
        return v.Failed ? v : null;
    }

    private static async Task<Results<Ok<AbcReport>, ProblemHttpResult>> Abc(double? a, double? b, DateOnly? asOf, HttpContext http, AnalyticsService analytics, CancellationToken ct)
    {
        var (report, invalid) = await analytics.AbcAsync(Caller.From(http.User).ProgrammeId, a ?? 0.80, b ?? 0.15, asOf, ct);
        return invalid is not null ? invalid.Problem() : TypedResults.Ok(report!);
    }

    private static async Task<Results<Ok<RfmReport>, ProblemHttpResult>> RfmSegments(DateOnly? asOf, DateOnly? previous, HttpContext http, AnalyticsService analytics, CancellationToken ct)
    {
        var (report, invalid) = await analytics.RfmAsync(Caller.From(http.User).ProgrammeId, asOf, previous, ct);
        return invalid is not null ? invalid.Problem() : TypedResults.Ok(report!);
    }

    private static async Task<Results<Ok<Page<RfmMember>>, ProblemHttpResult>> RfmSegmentMembers(string? segment, DateOnly? asOf, int? limit, string? cursor,
        HttpContext http, AnalyticsService analytics, CancellationToken ct)
    {
        if (Pagination.Read(limit, cursor, out var take, out var after) is { } bad) return bad;
        var v = new Validation();
        if (string.IsNullOrEmpty(segment)) v.Add("segment", "is required");
        Parse(segment, RfmSegment.None, "segment", v, out var chosen);
        var offset = 0;
        if (after is not null && (!int.TryParse(after, System.Globalization.CultureInfo.InvariantCulture, out offset) || offset < 0))
            return Problems.Problem("invalid_cursor", "is not a cursor this API returned", "cursor", 400);
        if (v.Failed) return v.Problem();
        return TypedResults.Ok(await analytics.RfmMembersAsync(Caller.From(http.User).ProgrammeId, asOf, chosen, offset, take, ct));
    }

    private static AnalyticsService.ClvOptions? ClvOptions(string? model, int? horizonMonths, double? discountRate, DateOnly? calibrationEnd, Validation v)
    {
        Parse(model, ClvModel.BgNbd, "model", v, out var m);
        return new AnalyticsService.ClvOptions(m, horizonMonths ?? 12, discountRate ?? 0.10, calibrationEnd);
    }

    private static async Task<Results<Ok<ClvReport>, ProblemHttpResult>> Clv(string? model, int? horizonMonths, double? discountRate, DateOnly? calibrationEnd, int? top,
        HttpContext http, AnalyticsService analytics, CancellationToken ct)
    {
        var v = Top(top, out var n) ?? new Validation();
        var options = ClvOptions(model, horizonMonths, discountRate, calibrationEnd, v);
        if (v.Failed) return v.Problem();
        var (report, _, _, invalid) = await analytics.ClvAsync(Caller.From(http.User).ProgrammeId, options!, n, ct);
        return invalid is not null ? invalid.Problem() : TypedResults.Ok(report!);
    }

    private static async Task<Results<Ok<HoldoutView>, ProblemHttpResult>> Holdout(string? model, DateOnly? calibrationEnd, DateOnly? holdoutEnd,
        HttpContext http, AnalyticsService analytics, CancellationToken ct)
    {
        var v = new Validation();
        if (!Parse(model, ClvModel.BgNbd, "model", v, out var m)) return v.Problem();
        var (report, invalid) = await analytics.HoldoutAsync(Caller.From(http.User).ProgrammeId, m, calibrationEnd, holdoutEnd, ct);
        return invalid is not null ? invalid.Problem() : TypedResults.Ok(report!);
    }

    private static async Task<Results<Ok<IReadOnlyList<ClvMember>>, ProblemHttpResult>> ChurnRisk(string? model, double? valueShare, double? maxAlive, int? limit,
        DateOnly? asOf, HttpContext http, AnalyticsService analytics, CancellationToken ct)
    {
        var v = Top(limit ?? 100, out var n, "limit") ?? new Validation();
        // The as-of day is the day the models are fitted up to.
        v.Date(asOf, "asOf");
        var options = ClvOptions(model, null, null, v.Failed ? null : asOf, v);
        if (v.Failed) return v.Problem();
        var (members, invalid) = await analytics.ChurnRiskAsync(Caller.From(http.User).ProgrammeId, options!,
            new AnalyticsService.ChurnRiskOptions(valueShare ?? 0.20, maxAlive ?? 0.5, n), ct);
        return invalid is not null ? invalid.Problem() : TypedResults.Ok(members!);
    }

    private static async Task<Results<Ok<RetentionReport>, ProblemHttpResult>> Retention(string? by, int? withinDays, DateOnly? asOf, HttpContext http, AnalyticsService analytics, CancellationToken ct)
    {
        var v = new Validation();
        v.Check(by is null or "firstPurchase" or "enrolment", "by", "must be firstPurchase or enrolment");
        v.Check(withinDays is null or >= 1 and <= 3660, "withinDays", "must be between 1 and 3660");
        if (v.Failed) return v.Problem();
        var (report, invalid) = await analytics.RetentionAsync(Caller.From(http.User).ProgrammeId, by == "enrolment", withinDays ?? 90, asOf, ct);
        return invalid is not null ? invalid.Problem() : TypedResults.Ok(report!);
    }

    private static async Task<Results<Ok<BasketReport>, ProblemHttpResult>> BasketRules(string? by, double? minSupport, double? minConfidence, DateOnly? since, int? top,
        int? maxLength, HttpContext http, AnalyticsService analytics, CancellationToken ct)
    {
        var v = Top(top ?? 50, out var n) ?? new Validation();
        Parse(by, AnalyticsService.BasketItems.Category, "by", v, out var items);
        if (v.Failed) return v.Problem();
        var (report, invalid) = await analytics.BasketRulesAsync(Caller.From(http.User).ProgrammeId, items, minSupport ?? 0.01, minConfidence ?? 0.5, since, n,
            maxLength ?? AnalyticsService.DefaultMaxLength, ct);
        return invalid is not null ? invalid.Problem() : TypedResults.Ok(report!);
    }

    private static async Task<Results<Ok<IReadOnlyList<RecommendationView>>, ProblemHttpResult>> Recommendations(Guid memberId, string? by, int? top,
        HttpContext http, AnalyticsService analytics, CancellationToken ct)
    {
        var v = Top(top ?? 5, out var n) ?? new Validation();
        Parse(by, AnalyticsService.BasketItems.Category, "by", v, out var items);
        if (v.Failed) return v.Problem();
        // Recommendations are drawn from everything the member bought, at every partner: not for one partner's key.
        if (Caller.From(http.User).PartnerCode is { } partner)
            return Problems.Problem("forbidden", $"This API key is bound to partner '{partner}'; recommendations draw on the member's purchases at every partner.", null, 403);
        var list = await analytics.RecommendAsync(Caller.From(http.User).ProgrammeId, memberId, items, n, ct);
        return list is null ? Problems.NotFound("member_not_found", "The member", "memberId") : TypedResults.Ok(list);
    }

    private static async Task<Ok<EconomicsReport>> Economics(HttpContext http, AnalyticsService analytics, CancellationToken ct) =>
        TypedResults.Ok(await analytics.EconomicsAsync(Caller.From(http.User).ProgrammeId, ct));

    private static async Task<Results<Ok<LoyaltyReport>, ProblemHttpResult>> Loyalty(DateOnly? asOf, HttpContext http, AnalyticsService analytics, CancellationToken ct)
    {
        var (report, invalid) = await analytics.LoyaltyAsync(Caller.From(http.User).ProgrammeId, asOf, ct);
        return invalid is not null ? invalid.Problem() : TypedResults.Ok(report!);
    }

    private static async Task<Results<Ok<WhatIfReport>, ProblemHttpResult>> WhatIfReplay(WhatIfRequest req, HttpContext http, AnalyticsService analytics, CancellationToken ct)
    {
        var (report, invalid) = await analytics.WhatIfAsync(Caller.From(http.User).ProgrammeId, req, ct);
        return invalid is not null ? invalid.Problem() : TypedResults.Ok(report!);
    }
}
