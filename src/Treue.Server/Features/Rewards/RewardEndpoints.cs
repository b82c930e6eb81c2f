using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Programmes;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Rewards;

public sealed record RewardView(string Code, string Name, string? Description, string? ImageUrl, long Points, decimal CoPayment, string Currency,
    long? StockLeft, DateTime? ValidFrom, DateTime? ValidTo, bool Available);

public sealed record RedeemRequest(string Reward);

public sealed record RewardOrderView(Guid Id, Guid MemberId, string Reward, string RewardName, long Points, decimal CoPayment, string Currency,
    RewardOrderStatus Status, DateTime PlacedAt, DateTime? FulfilledAt, DateTime? CancelledAt, long? AvailablePointsAfter);

/// <summary>The reward catalogue and reward orders.</summary>
public static class RewardEndpoints
{
    public static RouteGroupBuilder MapRewards(this RouteGroupBuilder api)
    {
        api.MapGet("/rewards", Catalogue).WithName("listRewards").WithTags("Rewards").RequireAuthorization(Policies.Pos).WithSummary("The active reward catalogue");
        api.MapPost("/members/{memberId:guid}/reward-orders", Redeem).WithName("redeemReward")
            .Refuses(404, "member_not_found", "reward_not_found").Refuses(409, "out_of_stock")
            .Refuses(422, "member_not_active", "reward_not_available", "insufficient_points").WithTags("Rewards").RequireAuthorization(Policies.Pos)
            .WithSummary("Redeem points for a reward");
        api.MapGet("/members/{memberId:guid}/reward-orders", ForMember).WithName("listMemberRewardOrders").WithTags("Rewards").RequireAuthorization(Policies.Pos)
            .WithSummary("A member's reward orders");
        var g = api.MapGroup("/reward-orders").WithTags("Rewards");
        g.MapGet("/", Queue).WithName("listRewardOrders").RequireAuthorization(Policies.Admin).WithSummary("Reward orders by status (the fulfilment queue)");
        g.MapPost("/{orderId:guid}/fulfil", Fulfil).WithName("fulfilRewardOrder").Refuses(404, "order_not_found").Refuses(409, "order_cancelled").RequireAuthorization(Policies.Admin).WithSummary("Mark an order fulfilled");
        g.MapPost("/{orderId:guid}/cancel", Cancel).WithName("cancelRewardOrder")
            .Refuses(404, "order_not_found").Refuses(409, "order_fulfilled").RequireAuthorization(Policies.Pos).WithSummary("Cancel a placed order; the points are refunded");
        return api;
    }

    internal static RewardView View(Reward r, Currency c, DateTime now) => new(r.Code, r.Name, r.Description, r.ImageUrl, r.PointsPrice,
        c.FromMinor(r.CoPaymentMinor), c.Code, r.StockLimit is { } limit ? Math.Max(0, limit - r.StockIssued) : null, r.ValidFrom, r.ValidTo,
        r.Active && (r.ValidFrom is null || r.ValidFrom <= now) && (r.ValidTo is null || r.ValidTo >= now) && (r.StockLimit is null || r.StockIssued < r.StockLimit));

    internal static RewardOrderView View(RewardOrder o, Currency c, long? availableAfter = null) => new(o.Id, o.MemberId, o.RewardCode, o.RewardName,
        o.Points, c.FromMinor(o.CoPaymentMinor), c.Code, o.Status, o.PlacedAt, o.FulfilledAt, o.CancelledAt, availableAfter);

    private static async Task<Ok<IReadOnlyList<RewardView>>> Catalogue(HttpContext http, TreueDb db, ProgrammeCache programmes, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var p = await programmes.GetAsync(db, caller.ProgrammeId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var rewards = await db.Rewards.AsNoTracking().Where(r => r.ProgrammeId == caller.ProgrammeId && r.Active).OrderBy(r => r.PointsPrice).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<RewardView>>(rewards.Select(r => View(r, p.Currency, now)).ToList());
    }

    /// <summary>
    /// Places a reward order. The stock and the points are each taken by one guarded update, so concurrent
    /// redemptions can neither oversell the stock nor overdraw the balance; a refusal leaves both untouched.
    /// </summary>
    internal static async Task<(RewardOrder? Order, ProblemHttpResult? Problem)> PlaceAsync(TreueDb db, PointsLedger ledger, Guid programmeId,
        Guid memberId, string rewardCode, string? actor, DateTime now, CancellationToken ct)
    {
        await using var work = await Work.BeginAsync(db, ct);
        var member = await db.Members.AsNoTracking().SingleOrDefaultAsync(m => m.Id == memberId && m.ProgrammeId == programmeId, ct);
        if (member is null) return (null, Problems.NotFound("member_not_found", "The member", "memberId"));
        if (member.Status != MemberStatus.Active) return (null, Problems.Problem("member_not_active", "The member's account is not active.", "memberId"));
        var reward = await db.Rewards.AsNoTracking().SingleOrDefaultAsync(r => r.ProgrammeId == programmeId && r.Code == rewardCode && r.Active, ct);
        if (reward is null) return (null, Problems.NotFound("reward_not_found", "The reward", "reward"));
        if ((reward.ValidFrom is { } from && from > now) || (reward.ValidTo is { } to && to < now))
            return (null, Problems.Problem("reward_not_available", "The reward cannot be redeemed at this time.", "reward"));
        var taken = await db.Rewards.Where(r => r.Id == reward.Id && (r.StockLimit == null || r.StockIssued < r.StockLimit))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.StockIssued, r => r.StockIssued + 1), ct);
        if (taken == 0) return (null, Problems.Problem("out_of_stock", "The reward is out of stock.", "reward", 409));
        var order = new RewardOrder
        {
            Id = Guid.CreateVersion7(), ProgrammeId = programmeId, MemberId = memberId, RewardId = reward.Id, RewardCode = reward.Code,
            RewardName = reward.Name, Points = reward.PointsPrice, CoPaymentMinor = reward.CoPaymentMinor, Status = RewardOrderStatus.Placed, PlacedAt = now,
        };
        var (tx, refusal) = await ledger.SpendAsync(programmeId, memberId, LedgerAccounts.Redeemed, reward.PointsPrice,
            new Movement(LedgerKind.Redeem, now, [Contribution.Of("reward:" + reward.Code, new Reason(ReasonKeys.Redeemed) { Subject = reward.Name }, -reward.PointsPrice)])
            { RewardOrderId = order.Id, Actor = actor }, "reward", ct);
        if (refusal is not null) return (null, Problems.From(refusal));
        await db.SaveChangesAsync(ct);
        order.RedeemTransactionId = tx!.Id;
        db.RewardOrders.Add(order);
        await work.CommitAsync(ct);
        return (order, null);
    }

    private static async Task<Results<Created<RewardOrderView>, ProblemHttpResult>> Redeem(Guid memberId, RedeemRequest req, HttpContext http,
        TreueDb db, PointsLedger ledger, ProgrammeCache programmes, TimeProvider clock, CancellationToken ct)
    {
        var v = new Validation();
        if (!v.Text(req.Reward, "reward", 64)) return v.Problem();
        var caller = Caller.From(http.User);
        var p = await programmes.GetAsync(db, caller.ProgrammeId, ct);
        // The balance after it is read in the redemption's own transaction, while the member's row is still locked, so
        // that the answer is the balance this redemption left, not one a later purchase has changed.
        await using var work = await Work.BeginAsync(db, ct);
        var (order, problem) = await PlaceAsync(db, ledger, caller.ProgrammeId, memberId, req.Reward, caller.Actor, clock.GetUtcNow().UtcDateTime, ct);
        if (problem is not null) return problem;
        var after = await db.Members.AsNoTracking().Where(m => m.Id == memberId).Select(m => m.Available).SingleAsync(ct);
        await work.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/reward-orders/{order!.Id}", View(order, p.Currency, after));
    }

    private static async Task<Results<Ok<Page<RewardOrderView>>, ProblemHttpResult>> ForMember(Guid memberId, int? limit, string? cursor, HttpContext http,
        TreueDb db, ProgrammeCache programmes, CancellationToken ct) =>
        await ListAsync(http, db, programmes, memberId, null, limit, cursor, ct);

    private static async Task<Results<Ok<Page<RewardOrderView>>, ProblemHttpResult>> Queue(string? status, int? limit, string? cursor, HttpContext http,
        TreueDb db, ProgrammeCache programmes, CancellationToken ct)
    {
        RewardOrderStatus? filter = null;
        if (status is not null)
        {
            if (!Enum.TryParse<RewardOrderStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
                return Problems.Problem("validation_failed", "must be placed, fulfilled or cancelled", "status", 400);
            filter = parsed;
        }
        return await ListAsync(http, db, programmes, null, filter, limit, cursor, ct);
    }

    private static async Task<Results<Ok<Page<RewardOrderView>>, ProblemHttpResult>> ListAsync(HttpContext http, TreueDb db, ProgrammeCache programmes,
        Guid? memberId, RewardOrderStatus? status, int? limit, string? cursor, CancellationToken ct)
    {
        if (Pagination.Read(limit, cursor, out var take, out var after) is { } bad) return bad;
        var caller = Caller.From(http.User);
        var q = db.RewardOrders.AsNoTracking().Where(o => o.ProgrammeId == caller.ProgrammeId);
        if (memberId is not null) q = q.Where(o => o.MemberId == memberId);
        if (status is not null) q = q.Where(o => o.Status == status);
        if (after is not null)
        {
            if (!Guid.TryParse(after, out var afterId)) return Problems.Problem("invalid_cursor", "is not a cursor this API returned", "cursor", 400);
            q = q.Where(o => o.Id.CompareTo(afterId) > 0);
        }
        var p = await programmes.GetAsync(db, caller.ProgrammeId, ct);
        var rows = await q.OrderBy(o => o.Id).Take(take + 1).ToListAsync(ct);
        return TypedResults.Ok(Pagination.Build(rows.Select(o => View(o, p.Currency)).ToList(), take, o => o.Id.ToString()));
    }

    /// <summary>
    /// Marks a placed order fulfilled; fulfilling it again answers with the order as it is. The API and the console both
    /// come here, so that a fulfilment and a cancellation of the same order cannot both win.
    /// </summary>
    internal static async Task<(RewardOrder? Order, ProblemHttpResult? Problem)> FulfilAsync(TreueDb db, Guid programmeId, Guid orderId,
        DateTime now, CancellationToken ct, AuditActor? staff = null)
    {
        await using var work = await Work.BeginAsync(db, ct);
        if (staff is not null && !await AuditLog.MayActAsync(db, programmeId, staff, ct))
            return (null, AuditLog.ActorDisabled());
        // Taking the order from Placed to Fulfilled is the guarded step, as in CancelAsync: whichever of a fulfilment and a
        // cancellation updates the row first wins, and the other finds the order no longer placed.
        var changed = await db.RewardOrders
            .Where(o => o.Id == orderId && o.ProgrammeId == programmeId && o.Status == RewardOrderStatus.Placed)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.Status, RewardOrderStatus.Fulfilled).SetProperty(o => o.FulfilledAt, now), ct);
        var order = await db.RewardOrders.AsNoTracking().SingleOrDefaultAsync(o => o.Id == orderId && o.ProgrammeId == programmeId, ct);
        if (order is null) return (null, Problems.NotFound("order_not_found", "The reward order", "orderId"));
        if (changed == 0 && order.Status == RewardOrderStatus.Cancelled)
            return (null, Problems.Problem("order_cancelled", "A cancelled order cannot be fulfilled.", "orderId", 409));
        await work.CommitAsync(ct);
        return (order, null);
    }

    private static async Task<Results<Ok<RewardOrderView>, ProblemHttpResult>> Fulfil(Guid orderId, HttpContext http, TreueDb db,
        ProgrammeCache programmes, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var (order, problem) = await FulfilAsync(db, caller.ProgrammeId, orderId, clock.GetUtcNow().UtcDateTime, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(View(order!, (await programmes.GetAsync(db, caller.ProgrammeId, ct)).Currency));
    }

    /// <summary>Cancels a placed order: the points go back into the lots they came from and the stock is released.</summary>
    internal static async Task<(RewardOrder? Order, ProblemHttpResult? Problem)> CancelAsync(TreueDb db, PointsLedger ledger, Guid programmeId,
        Guid orderId, Guid? onlyMember, string? actor, DateTime now, CancellationToken ct, AuditActor? staff = null)
    {
        await using var work = await Work.BeginAsync(db, ct);
        // A refund from the console names the staff account in the ledger: a disabled account may not be that actor.
        if (staff is not null && !await AuditLog.MayActAsync(db, programmeId, staff, ct))
            return (null, AuditLog.ActorDisabled());
        // Taking the order from Placed to Cancelled is the guarded step: two cancellations cannot both refund.
        var changed = await db.RewardOrders
            .Where(o => o.Id == orderId && o.ProgrammeId == programmeId && o.Status == RewardOrderStatus.Placed && (onlyMember == null || o.MemberId == onlyMember))
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.Status, RewardOrderStatus.Cancelled).SetProperty(o => o.CancelledAt, now), ct);
        var order = await db.RewardOrders.AsNoTracking().SingleOrDefaultAsync(o => o.Id == orderId && o.ProgrammeId == programmeId && (onlyMember == null || o.MemberId == onlyMember), ct);
        if (order is null) return (null, Problems.NotFound("order_not_found", "The reward order", "orderId"));
        if (changed == 0)
        {
            return order.Status == RewardOrderStatus.Cancelled
                ? (order, null)
                : (null, Problems.Problem("order_fulfilled", "A fulfilled order cannot be cancelled.", "orderId", 409));
        }
        await ledger.RefundAsync(programmeId, order.MemberId, order.RedeemTransactionId, 0, order.Points, LedgerAccounts.Redeemed,
            new Movement(LedgerKind.Refund, now, [Contribution.Of("reward:" + order.RewardCode, new Reason(ReasonKeys.OrderCancelled) { Subject = order.RewardName }, order.Points)])
            { RewardOrderId = order.Id, Actor = actor }, ct);
        await db.Rewards.Where(r => r.Id == order.RewardId).ExecuteUpdateAsync(s => s.SetProperty(r => r.StockIssued, r => r.StockIssued - 1), ct);
        await work.CommitAsync(ct);
        return (order, null);
    }

    private static async Task<Results<Ok<RewardOrderView>, ProblemHttpResult>> Cancel(Guid orderId, HttpContext http, TreueDb db, PointsLedger ledger,
        ProgrammeCache programmes, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var (order, problem) = await CancelAsync(db, ledger, caller.ProgrammeId, orderId, null, caller.Actor, clock.GetUtcNow().UtcDateTime, ct);
        if (problem is not null) return problem;
        var after = await db.Members.AsNoTracking().Where(m => m.Id == order!.MemberId).Select(m => m.Available).SingleAsync(ct);
        return TypedResults.Ok(View(order!, (await programmes.GetAsync(db, caller.ProgrammeId, ct)).Currency, after));
    }
}
