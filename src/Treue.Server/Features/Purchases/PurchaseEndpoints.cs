using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Infrastructure;
using Treue.Storage;

namespace Treue.Server.Features.Purchases;

/// <summary>Purchases, quotes and returns from tills and web shops.</summary>
public static class PurchaseEndpoints
{
    // What a basket can be refused for, by the programme or by its points payment.
    private static readonly string[] PurchaseRefusals = ["currency_mismatch", "partner_not_found", "store_not_found", "card_blocked", "member_not_active",
        "member_required", "insufficient_points", "invalid_points", "below_minimum_points", "points_worth_nothing", "above_maximum_points", "above_maximum_share",
        "coupon_unknown", "coupon_not_yet_valid", "coupon_expired", "coupon_limit_reached", "coupon_member_limit_reached", "coupon_budget_exhausted",
        "coupon_conditions_not_met", "coupon_not_for_member", "coupon_not_combinable"];

    public static RouteGroupBuilder MapPurchases(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/purchases").WithTags("Purchases").RequireAuthorization(Policies.Pos);
        g.MapPost("/", Record).WithName("createPurchase").WithGroupCommit().Refuses(403, "forbidden").Refuses(404, "card_not_found", "member_not_found")
            .Refuses(409, "duplicate_receipt", "conflict", "total_mismatch").Refuses(422, PurchaseRefusals).Refuses(429, "rate_limited")
            .WithSummary("Record a purchase; the member earns points by the rules (the same receiptId twice is one purchase)");
        g.MapPost("/quote", Quote).WithName("quotePurchase").WithWritesNothing().Refuses(403, "forbidden").Refuses(404, "card_not_found", "member_not_found")
            .Refuses(409, "total_mismatch").Refuses(422, PurchaseRefusals).Refuses(429, "rate_limited")
            .WithSummary("What a basket would earn, explained per rule and line; writes nothing");
        g.MapGet("/{purchaseId:guid}", Get).WithName("getPurchase").Refuses(404, "purchase_not_found").WithSummary("A purchase with its lines and points");
        g.MapPost("/{purchaseId:guid}/returns", Return).WithName("createReturn").Refuses(404, "purchase_not_found")
            .Refuses(409, "duplicate_return").Refuses(422, "return_exceeds_purchase")
            .WithSummary("Return some or all lines; reverses exactly their points");
        api.MapGet("/members/{memberId:guid}/purchases", ForMember).WithName("listMemberPurchases").Refuses(404, "member_not_found").WithTags("Purchases").RequireAuthorization(Policies.Pos)
            .WithSummary("A member's purchases, newest first");
        return api;
    }

    /// <summary>How a replay of an idempotent purchase request shows the purchase it made: as <c>GET</c> shows it.</summary>
    public static IdempotentResources AddPurchases(this IdempotentResources resources) =>
        resources.Add("/api/v1/purchases/", async (http, id) =>
        {
            var caller = Caller.From(http.User);
            return await http.RequestServices.GetRequiredService<PurchaseRecorder>().ViewAsync(id, http.RequestAborted, caller.ProgrammeId, caller.PartnerCode);
        });

    private static async Task<Results<Created<PurchaseView>, Ok<PurchaseView>, ProblemHttpResult>> Record(PurchaseRequest req, HttpContext http,
        PurchaseRecorder recorder, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var attempts = http.RequestServices.GetRequiredService<CodeAttempts>();
        var db = http.RequestServices.GetRequiredService<TreueDb>();
        if (req.Codes is { Count: > 0 } && (await attempts.CheckAsync(http, db, req.MemberId, req.CardNumber, ct)).Problem is { } throttled) return throttled;
        var r = await recorder.RecordAsync(caller.ProgrammeId, caller.PartnerCode, req, caller.Actor, ct, http.Features.Get<PendingIdempotency>());
        if (IsCodeRefusal(r.Problem)) await attempts.FailedAsync(http, db, req.MemberId, req.CardNumber, ct);
        if (r.Problem is not null) return r.Problem;
        return r.Created ? TypedResults.Created($"/api/v1/purchases/{r.View!.Id}", r.View) : TypedResults.Ok(r.View!);
    }

    private static async Task<Results<Ok<QuoteView>, ProblemHttpResult>> Quote(QuoteRequest req, HttpContext http, PurchaseRecorder recorder, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var attempts = http.RequestServices.GetRequiredService<CodeAttempts>();
        var db = http.RequestServices.GetRequiredService<TreueDb>();
        if (req.Codes is { Count: > 0 } && (await attempts.CheckAsync(http, db, req.MemberId, req.CardNumber, ct)).Problem is { } throttled) return throttled;
        var (quote, problem) = await recorder.QuoteAsync(caller.ProgrammeId, caller.PartnerCode, req.ToPurchase(), ct);
        if (IsCodeRefusal(problem)) await attempts.FailedAsync(http, db, req.MemberId, req.CardNumber, ct);
        return problem ?? (Results<Ok<QuoteView>, ProblemHttpResult>)TypedResults.Ok(quote!);
    }

    /// <summary>Whether a problem refuses a presented code (unknown, expired, limit reached...).</summary>
    private static bool IsCodeRefusal(ProblemHttpResult? problem) =>
        problem?.ProblemDetails.Extensions.TryGetValue("code", out var code) == true && code is string c && c.StartsWith("coupon_", StringComparison.Ordinal);

    private static async Task<Results<Ok<PurchaseView>, ProblemHttpResult>> Get(Guid purchaseId, HttpContext http, PurchaseRecorder recorder, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var view = await recorder.ViewAsync(purchaseId, ct, caller.ProgrammeId, caller.PartnerCode);
        return view is null ? Problems.NotFound("purchase_not_found", "The purchase", "purchaseId") : TypedResults.Ok(view);
    }

    private static async Task<Results<Created<ReturnView>, Ok<ReturnView>, ProblemHttpResult>> Return(Guid purchaseId, ReturnRequest req, HttpContext http,
        PurchaseRecorder recorder, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var r = await recorder.ReturnAsync(caller.ProgrammeId, caller.PartnerCode, purchaseId, req, caller.Actor, ct);
        if (r.Problem is not null) return r.Problem;
        return r.Created ? TypedResults.Created($"/api/v1/purchases/{purchaseId}", r.View) : TypedResults.Ok(r.View!);
    }

    private static async Task<Results<Ok<Page<PurchaseView>>, ProblemHttpResult>> ForMember(Guid memberId, int? limit, string? cursor, HttpContext http,
        TreueDb db, PurchaseRecorder recorder, CancellationToken ct)
    {
        if (Pagination.Read(limit, cursor, out var take, out var after) is { } bad) return bad;
        var caller = Caller.From(http.User);
        if (!await db.Members.AnyAsync(m => m.Id == memberId && m.ProgrammeId == caller.ProgrammeId, ct))
            return Problems.NotFound("member_not_found", "The member", "memberId");
        var q = db.Purchases.AsNoTracking().Where(x => x.ProgrammeId == caller.ProgrammeId && x.MemberId == memberId);
        if (caller.PartnerCode is not null) q = q.Where(x => x.PartnerCode == caller.PartnerCode);
        if (after is not null)
        {
            if (!Guid.TryParse(after, out var afterId)) return Problems.Problem("invalid_cursor", "is not a cursor this API returned", "cursor", 400);
            q = q.Where(x => x.Id.CompareTo(afterId) < 0);
        }
        var ids = await q.OrderByDescending(x => x.Id).Take(take + 1).Select(x => x.Id).ToListAsync(ct);
        var views = new List<PurchaseView>();
        foreach (var id in ids) views.Add((await recorder.ViewAsync(id, ct))!);
        return TypedResults.Ok(Pagination.Build(views, take, v => v.Id.ToString()));
    }
}
