using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Infrastructure;
using Treue.Storage;

namespace Treue.Server.Features.Purchases;

/// <summary>Purchases, quotes and returns from tills and web shops.</summary>
public static class PurchaseEndpoints
{
    public static RouteGroupBuilder MapPurchases(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/purchases").WithTags("Purchases").RequireAuthorization(Policies.Pos);
        g.MapPost("/", Record).WithGroupCommit().WithSummary("Record a purchase; the member earns points by the rules (the same receiptId twice is one purchase)");
        g.MapPost("/quote", Quote).WithWritesNothing().WithSummary("What a basket would earn, explained per rule and line; writes nothing");
        g.MapGet("/{purchaseId:guid}", Get).WithSummary("A purchase with its lines and points");
        g.MapPost("/{purchaseId:guid}/returns", Return).WithGroupCommit().WithSummary("Return some or all lines; reverses exactly their points");
        api.MapGet("/members/{memberId:guid}/purchases", ForMember).WithTags("Purchases").RequireAuthorization(Policies.Pos)
            .WithSummary("A member's purchases, newest first");
        return api;
    }

    private static async Task<Results<Created<PurchaseView>, Ok<PurchaseView>, ProblemHttpResult>> Record(PurchaseRequest req, HttpContext http,
        PurchaseRecorder recorder, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var r = await recorder.RecordAsync(caller.ProgrammeId, caller.PartnerCode, req, caller.Actor, ct);
        if (r.Problem is not null) return r.Problem;
        return r.Created ? TypedResults.Created($"/api/v1/purchases/{r.View!.Id}", r.View) : TypedResults.Ok(r.View!);
    }

    private static async Task<Results<Ok<QuoteView>, ProblemHttpResult>> Quote(QuoteRequest req, HttpContext http, PurchaseRecorder recorder, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var (quote, problem) = await recorder.QuoteAsync(caller.ProgrammeId, caller.PartnerCode, req.ToPurchase(), ct);
        return problem ?? (Results<Ok<QuoteView>, ProblemHttpResult>)TypedResults.Ok(quote!);
    }

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
