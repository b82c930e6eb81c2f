using System.Net;
using Microsoft.EntityFrameworkCore;
using Treue.Domain.Ledger;
using Treue.Storage.Entities;

namespace Treue.Server.Tests.Model;

/// <summary>
/// What must hold after a round of concurrent acts whatever their interleaving, checked against the database and the
/// answers. Each check adds a line to the failures instead of stopping at the first, so that one report shows them all.
/// </summary>
public static class ConcurrentLedgerChecks
{
    private sealed record Tx(long Id, LedgerKind Kind, Guid? MemberId, Guid? PurchaseId, Guid? ReturnId, Guid? RewardOrderId, long Available, long Pending, long Sum);

    public static async Task<List<string>> CheckAsync(ConcurrentLedgerRound round)
    {
        var f = new List<string>();
        var pid = round.Target.ProgrammeId;
        var answers = round.Answers;
        await using var db = ConcurrentLedgerRound.Db(round.Target.ConnectionString);
        var members = await db.Members.AsNoTracking().Where(m => m.ProgrammeId == pid).ToDictionaryAsync(m => m.Id);
        var purchases = await db.Purchases.AsNoTracking().Include(p => p.Lines).Where(p => p.ProgrammeId == pid).ToListAsync();
        var returns = await db.Returns.AsNoTracking().Where(r => r.ProgrammeId == pid).ToListAsync();
        var orders = await db.RewardOrders.AsNoTracking().Where(o => o.ProgrammeId == pid).ToDictionaryAsync(o => o.Id);
        var rewards = await db.Rewards.AsNoTracking().Where(r => r.ProgrammeId == pid).ToDictionaryAsync(r => r.Id);
        var lots = await db.PointLots.AsNoTracking().Where(l => l.ProgrammeId == pid).ToListAsync();
        var txs = (await db.LedgerTransactions.AsNoTracking().Where(t => t.ProgrammeId == pid).Include(t => t.Entries).ToListAsync())
            .Select(t => new Tx(t.Id, t.Kind, t.MemberId, t.PurchaseId, t.ReturnId, t.RewardOrderId,
                t.Entries.Where(e => e.MemberId != null && e.Account == LedgerAccounts.MemberAvailable).Sum(e => e.Amount),
                t.Entries.Where(e => e.MemberId != null && e.Account == LedgerAccounts.MemberPending).Sum(e => e.Amount),
                t.Entries.Sum(e => e.Amount)))
            .OrderBy(t => t.Id).ToList();

        // Only documented answers: a 500, or a refusal the act cannot have, is a failure whatever the database holds.
        foreach (var a in answers.Where(a => !Expected(a))) f.Add("unexpected answer: " + a + " " + a.Body?.ToJsonString());

        // The ledger's invariants: every transaction sums to zero; balances equal the sums of their entries and of their
        // lots; nothing is negative; a lot never holds more than it was given, and a closed lot holds nothing.
        foreach (var t in txs.Where(t => t.Sum != 0)) f.Add($"transaction {t.Id} ({t.Kind}) does not sum to zero");
        foreach (var m in members.Values)
        {
            var mine = txs.Where(t => t.MemberId == m.Id).ToList();
            if (m.Available < 0 || m.Pending < 0) f.Add($"member {m.Id} has a negative balance ({m.Available}, {m.Pending})");
            if (mine.Sum(t => t.Available) != m.Available || mine.Sum(t => t.Pending) != m.Pending)
                f.Add($"member {m.Id}: cached balance ({m.Available}, {m.Pending}), entries sum to ({mine.Sum(t => t.Available)}, {mine.Sum(t => t.Pending)})");
            var inLots = (lots.Where(l => l.MemberId == m.Id && l.Status == LotStatus.Available).Sum(l => l.Remaining),
                lots.Where(l => l.MemberId == m.Id && l.Status == LotStatus.Pending).Sum(l => l.Remaining));
            if (inLots != (m.Available, m.Pending)) f.Add($"member {m.Id}: cached balance ({m.Available}, {m.Pending}), lots hold {inLots}");
        }
        foreach (var l in lots.Where(l => l.Remaining < 0 || l.Remaining > l.Amount || (l.Status == LotStatus.Closed && l.Remaining != 0)))
            f.Add($"lot {l.Id} ({l.Status}) holds {l.Remaining} of {l.Amount}");

        CheckPurchases(f, round, answers, purchases, members, txs);
        CheckReturns(f, answers, purchases, returns);
        CheckOrders(f, round, answers, orders, rewards, txs);
        CheckAdjustmentsAndJobs(f, round, answers, txs);
        CheckCommitOrder(f, round, answers, members, txs);

        // Conservation: what members hold now is what they held after the set-up plus what every acknowledged act said it
        // moved, each counted once, whatever the order: an act lost or applied twice shows here.
        var moved = 0L;
        foreach (var a in Distinct(answers, a => a.Act is BuyAct && a.Status == HttpStatusCode.Created, a => a.Id.ToString()))
            moved += a.Long("pointsEarned") - a.Long("pointsPaid");
        foreach (var a in Distinct(answers, a => a.Act is ReturnAct && a.Status == HttpStatusCode.Created, a => a.Id.ToString()))
            moved += -a.Long("pointsReversed") + a.Long("paidPointsRefunded");
        foreach (var a in Distinct(answers, a => a.Act is AdjustAct && a.Status == HttpStatusCode.Created, a => a.Long("id").ToString(System.Globalization.CultureInfo.InvariantCulture)))
            moved += ((AdjustAct)a.Act).Points;
        foreach (var a in Distinct(answers, a => a.Act is RedeemAct && a.Status == HttpStatusCode.Created, a => a.Id.ToString()))
            moved -= a.Long("points");
        var cancelled = answers.Where(a => a.Act is SettleAct { Cancel: true } && a.Status == HttpStatusCode.OK).Select(a => a.Id).Distinct();
        moved += cancelled.Sum(o => orders.TryGetValue(o, out var order) ? order.Points : 0);
        moved -= answers.Where(a => a.Act is JobAct { Expire: true } && a.Status == HttpStatusCode.OK).Sum(a => a.Long("points"));
        var held = members.Values.Sum(m => m.Available + m.Pending);
        if (held != round.PointsAfterSetup + moved)
            f.Add($"members hold {held} points; after the set-up they held {round.PointsAfterSetup} and the acknowledged acts moved {moved}");
        return f;
    }

    private static bool Expected(ConcurrentAnswer a) => (a.Act, (int)a.Status, a.Code) switch
    {
        (BuyAct, 201 or 200, null) => true,
        (BuyAct, 422, "insufficient_points") => true,
        // After ten decisions lost to concurrent purchases of the member, the till is told to retry.
        (BuyAct, 409, "conflict") => true,
        (ReturnAct, 201 or 200, null) => true,
        (ReturnAct, 422, "return_exceeds_purchase") => true,
        (RedeemAct, 201, null) => true,
        (RedeemAct, 409, "out_of_stock") => true,
        (RedeemAct, 422, "insufficient_points") => true,
        (SettleAct { Cancel: true }, 200, null) => true,
        (SettleAct { Cancel: true }, 409, "order_fulfilled") => true,
        (SettleAct { Cancel: false }, 200, null) => true,
        (SettleAct { Cancel: false }, 409, "order_cancelled") => true,
        (AdjustAct, 201, null) => true,
        (AdjustAct, 422, "insufficient_points") => true,
        (JobAct, 200, null) => true,
        // A keyed request whose twin with the same Idempotency-Key is still running.
        (RedeemAct { Shared: not null } or AdjustAct { Shared: not null }, 409, "idempotency_key_in_use") => true,
        _ => false,
    };

    private static IEnumerable<ConcurrentAnswer> Distinct(IEnumerable<ConcurrentAnswer> answers, Func<ConcurrentAnswer, bool> which, Func<ConcurrentAnswer, string> id) =>
        answers.Where(which).GroupBy(id).Select(g => g.First());

    /// <summary>
    /// Every purchase answered as recorded is there once, under the id it was answered with; one receipt is one purchase;
    /// a refused receipt left nothing. Each member has all their purchases counted and exactly one welcome bonus.
    /// </summary>
    private static void CheckPurchases(List<string> f, ConcurrentLedgerRound round, IReadOnlyList<ConcurrentAnswer> answers, List<Purchase> purchases,
        Dictionary<Guid, Member> members, List<Tx> txs)
    {
        var byReceipt = purchases.GroupBy(p => p.ReceiptId).ToDictionary(g => g.Key!, g => g.ToList());
        foreach (var (receipt, rows) in byReceipt.Where(r => r.Value.Count > 1)) f.Add($"receipt {receipt} was recorded {rows.Count} times");
        foreach (var g in answers.Where(a => a.Act is BuyAct).GroupBy(a => a.Subject))
        {
            var created = g.Where(a => a.Status == HttpStatusCode.Created).ToList();
            var ok = g.Where(a => a.Status is HttpStatusCode.Created or HttpStatusCode.OK).ToList();
            byReceipt.TryGetValue(g.Key, out var rows);
            if (created.Count > 1) f.Add($"receipt {g.Key} was answered as new {created.Count} times");
            if (rows is null)
            {
                if (ok.Count > 0) f.Add($"receipt {g.Key} was acknowledged ({ok[0]}) but is not in the database");
                continue;
            }
            if (created.Count == 0) f.Add($"receipt {g.Key} is in the database but no request was answered 201 for it");
            foreach (var a in ok.Where(a => a.Id != rows[0].Id)) f.Add($"{a} answered purchase {a.Id}, the database holds {rows[0].Id}");
            foreach (var a in created.Where(a => a.Long("pointsEarned") != rows[0].PointsEarned || a.Long("pointsPaid") != rows[0].PointsPaid))
                f.Add($"{a} answered {a.Long("pointsEarned")} earned and {a.Long("pointsPaid")} paid, the database holds {rows[0].PointsEarned} and {rows[0].PointsPaid}");
        }
        var answered = answers.Where(a => a.Act is BuyAct).Select(a => a.Subject).ToHashSet();
        foreach (var p in purchases.Where(p => !answered.Contains(p.ReceiptId!) && !p.ReceiptId!.StartsWith("setup-", StringComparison.Ordinal)))
            f.Add($"purchase {p.Id} ({p.ReceiptId}) is in the database but was never sent");

        var earnTx = txs.Where(t => t.Kind == LedgerKind.Earn && t.PurchaseId is not null).GroupBy(t => t.PurchaseId!.Value).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var m in members.Values)
        {
            var mine = purchases.Where(p => p.MemberId == m.Id).ToList();
            if (mine.Count != m.PurchaseCount) f.Add($"member {m.Name} has {mine.Count} purchases, its purchase count says {m.PurchaseCount}");
            if (mine.Count == 0) continue;
            var welcomed = mine.Where(p => p.BonusPoints == ConcurrentLedgerRound.Welcome).ToList();
            if (welcomed.Count != 1)
            {
                f.Add($"member {m.Name}: {welcomed.Count} welcome bonuses in {mine.Count} purchases");
                continue;
            }
            // The bonus belongs to the member's first purchase in commit order (the order of its ledger transactions).
            var first = mine.Where(p => earnTx.ContainsKey(p.Id)).MinBy(p => earnTx[p.Id].Min(t => t.Id));
            if (first is not null && first.Id != welcomed[0].Id)
                f.Add($"member {m.Name}: the welcome bonus went to purchase {welcomed[0].ReceiptId}, but {first.ReceiptId} was committed first");
        }
        foreach (var p in purchases.Where(p => p.PointsEarned > 0 && (!earnTx.TryGetValue(p.Id, out var t) || t.Count != 1 || t[0].Available + t[0].Pending != p.PointsEarned)))
            f.Add($"purchase {p.ReceiptId} earned {p.PointsEarned} points, its earn transactions say otherwise");
        _ = round;
    }

    /// <summary>One return id is one return; returns never take back more than was bought.</summary>
    private static void CheckReturns(List<string> f, IReadOnlyList<ConcurrentAnswer> answers, List<Purchase> purchases, List<PurchaseReturn> returns)
    {
        var rows = returns.GroupBy(r => r.PurchaseId + "/" + r.ReturnId).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (key, list) in rows.Where(r => r.Value.Count > 1)) f.Add($"return {key} was recorded {list.Count} times");
        foreach (var g in answers.Where(a => a.Act is ReturnAct).GroupBy(a => a.Subject))
        {
            var created = g.Where(a => a.Status == HttpStatusCode.Created).ToList();
            var ok = g.Where(a => a.Status is HttpStatusCode.Created or HttpStatusCode.OK).ToList();
            rows.TryGetValue(g.Key, out var list);
            if (created.Count > 1) f.Add($"return {g.Key} was answered as new {created.Count} times");
            if (list is null)
            {
                if (ok.Count > 0) f.Add($"return {g.Key} was acknowledged ({ok[0]}) but is not in the database");
                continue;
            }
            if (created.Count == 0) f.Add($"return {g.Key} is in the database but no request was answered 201 for it");
            foreach (var a in ok.Where(a => a.Id != list[0].Id)) f.Add($"{a} answered return {a.Id}, the database holds {list[0].Id}");
        }
        var sent = answers.Where(a => a.Act is ReturnAct).Select(a => a.Subject).ToHashSet();
        foreach (var key in rows.Keys.Where(k => !sent.Contains(k))) f.Add($"return {key} is in the database but was never sent");
        foreach (var p in purchases)
        {
            foreach (var line in p.Lines)
            {
                var units = returns.Where(r => r.PurchaseId == p.Id).SelectMany(r => r.Lines).Where(l => l.LineNo == line.LineNo).Sum(l => l.Quantity);
                if (units != line.ReturnedQuantity || units > line.Quantity)
                    f.Add($"purchase {p.ReceiptId} line {line.LineNo}: {units} units returned by its returns, {line.ReturnedQuantity} by the line, of {line.Quantity}");
            }
            if (p.PointsReversed > p.PointsEarned || p.PaidPointsRefunded > p.PointsPaid)
                f.Add($"purchase {p.ReceiptId} reversed {p.PointsReversed} of {p.PointsEarned} and refunded {p.PaidPointsRefunded} of {p.PointsPaid}");
        }
    }

    /// <summary>
    /// Every order answered as placed is there; each order ends in exactly one state that its answers agree with, with
    /// one redemption, a refund only when cancelled, and the stock to match; stock is never oversold.
    /// </summary>
    private static void CheckOrders(List<string> f, ConcurrentLedgerRound round, IReadOnlyList<ConcurrentAnswer> answers,
        Dictionary<Guid, RewardOrder> orders, Dictionary<Guid, Reward> rewards, List<Tx> txs)
    {
        var placed = answers.Where(a => a.Act is RedeemAct && a.Status == HttpStatusCode.Created).Select(a => a.Id).Concat(round.SetupOrders).ToHashSet();
        foreach (var id in placed.Where(id => !orders.ContainsKey(id))) f.Add($"order {id} was acknowledged but is not in the database");
        foreach (var id in orders.Keys.Where(id => !placed.Contains(id))) f.Add($"order {id} is in the database but no request was answered 201 for it");
        foreach (var g in answers.Where(a => a.Act is RedeemAct { Shared: not null } && a.Status == HttpStatusCode.Created).GroupBy(a => a.Request.Key))
            if (g.Select(a => a.Id).Distinct().Count() > 1) f.Add($"Idempotency-Key {g.Key} placed {g.Select(a => a.Id).Distinct().Count()} orders");

        var settle = answers.Where(a => a.Act is SettleAct).GroupBy(a => Guid.Parse(a.Subject)).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var o in orders.Values)
        {
            var mine = settle.GetValueOrDefault(o.Id) ?? [];
            var fulfilledOk = mine.Count(a => a.Act is SettleAct { Cancel: false } && a.Status == HttpStatusCode.OK);
            var cancelledOk = mine.Count(a => a.Act is SettleAct { Cancel: true } && a.Status == HttpStatusCode.OK);
            var consistent = o.Status switch
            {
                RewardOrderStatus.Fulfilled => fulfilledOk > 0 && cancelledOk == 0 && o.FulfilledAt is not null && o.CancelledAt is null,
                RewardOrderStatus.Cancelled => cancelledOk > 0 && fulfilledOk == 0 && o.CancelledAt is not null && o.FulfilledAt is null,
                RewardOrderStatus.Placed => fulfilledOk == 0 && cancelledOk == 0,
                _ => false,
            };
            if (!consistent)
                f.Add($"order {o.Id} ended {o.Status} (fulfilled at {o.FulfilledAt}, cancelled at {o.CancelledAt}) after {fulfilledOk} fulfilments and {cancelledOk} cancellations answered 200");
            var redeems = txs.Where(t => t.RewardOrderId == o.Id && t.Kind == LedgerKind.Redeem).ToList();
            var refunds = txs.Where(t => t.RewardOrderId == o.Id && t.Kind == LedgerKind.Refund).ToList();
            if (redeems.Count != 1 || redeems[0].Available != -o.Points) f.Add($"order {o.Id}: {redeems.Count} redemptions for {o.Points} points");
            var expectedRefunds = o.Status == RewardOrderStatus.Cancelled ? 1 : 0;
            if (refunds.Count != expectedRefunds || refunds.Any(t => t.Available != o.Points))
                f.Add($"order {o.Id} ({o.Status}): {refunds.Count} refunds of [{string.Join(", ", refunds.Select(t => t.Available))}] points");
        }
        foreach (var r in rewards.Values)
        {
            var held = orders.Values.Count(o => o.RewardId == r.Id && o.Status != RewardOrderStatus.Cancelled);
            if (r.StockIssued != held) f.Add($"reward {r.Code}: stock issued {r.StockIssued}, orders not cancelled {held}");
            if (r.StockLimit is { } limit && r.StockIssued > limit) f.Add($"reward {r.Code}: {r.StockIssued} issued of {limit}");
            var refusedForStock = answers.Any(a => a.Act is RedeemAct rd && ConcurrentScenario.Rewards[rd.Reward].Code == r.Code && a.Code == "out_of_stock");
            if (refusedForStock && (r.StockLimit is not { } l || orders.Values.Count(o => o.RewardId == r.Id) < l))
                f.Add($"reward {r.Code} was refused as out of stock, but only {orders.Values.Count(o => o.RewardId == r.Id)} of {r.StockLimit} were ever placed");
        }
    }

    /// <summary>Every adjustment answered is there once with its points (one per Idempotency-Key); the jobs moved what they said.</summary>
    private static void CheckAdjustmentsAndJobs(List<string> f, ConcurrentLedgerRound round, IReadOnlyList<ConcurrentAnswer> answers, List<Tx> txs)
    {
        var adjustments = txs.Where(t => t.Kind == LedgerKind.Adjust && t.Id > round.SetupBoundary).ToDictionary(t => t.Id);
        var answered = answers.Where(a => a.Act is AdjustAct && a.Status == HttpStatusCode.Created).GroupBy(a => a.Long("id")).ToList();
        foreach (var g in answered)
        {
            var points = ((AdjustAct)g.First().Act).Points;
            if (!adjustments.TryGetValue(g.Key, out var t)) f.Add($"adjustment {g.Key} ({g.First()}) was acknowledged but is not in the database");
            else if (t.Available != points) f.Add($"adjustment {g.Key} moved {t.Available} points, {points} were asked for");
        }
        if (adjustments.Count != answered.Count) f.Add($"{adjustments.Count} adjustments in the database, {answered.Count} acknowledged");
        foreach (var g in answers.Where(a => a.Act is AdjustAct { Shared: not null } && a.Status == HttpStatusCode.Created).GroupBy(a => a.Request.Key))
            if (g.Select(a => a.Long("id")).Distinct().Count() > 1) f.Add($"Idempotency-Key {g.Key} made {g.Select(a => a.Long("id")).Distinct().Count()} adjustments");

        foreach (var (kind, expire) in new[] { (LedgerKind.Expire, true), (LedgerKind.Post, false) })
        {
            var jobs = answers.Where(a => a.Act is JobAct j && j.Expire == expire && a.Status == HttpStatusCode.OK).ToList();
            var written = txs.Where(t => t.Kind == kind).ToList();
            var points = expire ? -written.Sum(t => t.Available) : written.Sum(t => t.Available);
            // Posting counts a pending lot that a return emptied, but writes no transaction for its nothing.
            var lotsMatch = expire ? written.Count == jobs.Sum(a => a.Long("lots")) : written.Count <= jobs.Sum(a => a.Long("lots"));
            if (!lotsMatch || points != jobs.Sum(a => a.Long("points")))
                f.Add($"{kind} jobs answered {jobs.Sum(a => a.Long("lots"))} lots and {jobs.Sum(a => a.Long("points"))} points; the ledger has {written.Count} transactions of {points} points");
        }
    }

    /// <summary>
    /// A serial order that explains the answers: each member's acts in commit order (their ledger transactions' order; every
    /// act locks the member's row before it writes, so that order is the order in which they took the lock). Replaying the
    /// member's entries in that order, no balance is ever negative, and every balance an answer reported is the balance at
    /// that answer's place; a refusal for want of points was right at some state between the set-up and the end.
    /// </summary>
    private static void CheckCommitOrder(List<string> f, ConcurrentLedgerRound round, IReadOnlyList<ConcurrentAnswer> answers, Dictionary<Guid, Member> members, List<Tx> txs)
    {
        foreach (var m in members.Values)
        {
            var after = new Dictionary<long, (long Available, long Pending)>();
            var states = new List<long>(); // the available points at the start of the streams and after each of their transactions
            long available = 0, pending = 0;
            foreach (var t in txs.Where(t => t.MemberId == m.Id))
            {
                if (t.Id > round.SetupBoundary && states.Count == 0) states.Add(available);
                available += t.Available;
                pending += t.Pending;
                if (available < 0 || pending < 0) f.Add($"member {m.Name}: balance ({available}, {pending}) after transaction {t.Id} in commit order");
                after[t.Id] = (available, pending);
                if (t.Id > round.SetupBoundary) states.Add(available);
            }
            if (states.Count == 0) states.Add(available);
            var id = m.Id.ToString();
            foreach (var a in answers.Where(a => a.Status == HttpStatusCode.Created))
            {
                (long Available, long Pending)? reported = null;
                IEnumerable<Tx> own;
                switch (a.Act)
                {
                    case BuyAct b when round.MemberIds[b.Member] == m.Id:
                        reported = (a.Body!["balance"]!["available"]!.GetValue<long>(), a.Body["balance"]!["pending"]!.GetValue<long>());
                        own = txs.Where(t => t.PurchaseId == a.Id && t.ReturnId is null && t.Kind is LedgerKind.Earn or LedgerKind.Redeem);
                        break;
                    case RedeemAct r when a.Subject == id:
                        own = txs.Where(t => t.RewardOrderId == a.Id && t.Kind == LedgerKind.Redeem);
                        if (a.Body!["availablePointsAfter"] is { } n && own.Any() && after[own.Max(t => t.Id)].Available != (long)n)
                            f.Add($"{a}: {(long)n} points available after it, {after[own.Max(t => t.Id)].Available} at its place in commit order");
                        continue;
                    default:
                        continue;
                }
                var last = own.Select(t => t.Id).DefaultIfEmpty(-1).Max();
                if (last >= 0 && reported is { } rep && after[last] != rep)
                    f.Add($"{a}: balance {rep} after it, {after[last]} at its place in commit order");
            }
            foreach (var a in answers.Where(a => a.Code == "insufficient_points"))
            {
                var (member, points) = a.Act switch
                {
                    BuyAct b => (b.Member, b.PayPoints),
                    RedeemAct r => (r.Member, ConcurrentScenario.Rewards[r.Reward].Points),
                    AdjustAct j => (j.Member, -j.Points),
                    _ => (-1, 0L),
                };
                if (member >= 0 && round.MemberIds[member] == m.Id && states.Min() >= points)
                    f.Add($"{a}: refused for want of points, but member {m.Name} never had fewer than {states.Min()} available after the set-up");
            }
        }
    }
}
