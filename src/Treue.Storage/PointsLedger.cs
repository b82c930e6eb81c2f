using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Storage.Entities;

namespace Treue.Storage;

/// <summary>What a movement of points is about: its kind, its cause and its explanation.</summary>
/// <param name="Kind">The ledger kind.</param>
/// <param name="OccurredAt">When the business event happened (UTC).</param>
/// <param name="Explanation">Why, rule by rule or in words.</param>
public sealed record Movement(LedgerKind Kind, DateTime OccurredAt, List<Contribution> Explanation)
{
    public Guid? PurchaseId { get; init; }
    public Guid? ReturnId { get; init; }
    public Guid? RewardOrderId { get; init; }
    public string? Reason { get; init; }
    public string? Actor { get; init; }
    public string? IdempotencyKey { get; init; }
}

/// <summary>A member's cached balance: points available to spend and points still pending.</summary>
public sealed class MemberBalance
{
    public long Available { get; init; }
    public long Pending { get; init; }
}

/// <summary>The result of taking points back after a return.</summary>
/// <param name="Reversed">Points taken from the member.</param>
/// <param name="Unrecovered">Points the member had already spent, written off to <see cref="LedgerAccounts.Unrecovered"/>.</param>
public readonly record struct Reversal(long Reversed, long Unrecovered);

/// <summary>
/// Writes the double-entry points ledger. Every method runs inside the caller's transaction and keeps three
/// things in step: the immutable entries, the member's cached balances and the member's point lots.
/// The member row is locked (by an update) before any lot is read, so concurrent requests for one member
/// serialise on every database, and balances only ever change through guarded updates that cannot go below zero.
/// </summary>
public sealed class PointsLedger(TreueDb db, TimeProvider clock)
{
    /// <summary>
    /// Credits <paramref name="points"/> to a member as a new lot, pending until <paramref name="availableAt"/>. Whether it
    /// is pending is the caller's decision (<paramref name="pending"/>), made at the caller's one <c>now</c>.
    /// </summary>
    public async Task<LedgerTransaction> CreditAsync(Guid programmeId, Guid memberId, string fromAccount, long points,
        DateTime availableAt, DateTime? expiresAt, bool pending, string source, Movement movement, CancellationToken ct)
    {
        var (tx, _) = Credit(programmeId, memberId, fromAccount, points, availableAt, expiresAt, pending, source, movement);
        await ChangeBalanceAsync(memberId, pending ? 0 : points, pending ? points : 0, ct);
        return tx;
    }

    /// <summary>
    /// Credits a purchase's points like <see cref="CreditAsync"/> (none when <paramref name="points"/> is zero) and counts
    /// the purchase on the member, in one guarded update that also returns the member's balance after it. The update
    /// only applies while the member's purchase count is still <paramref name="seenPurchaseCount"/>, the count the
    /// purchase was decided on; otherwise the balance returned is null and the caller must roll back and decide again.
    /// </summary>
    public async Task<(MemberBalance? Balance, PointLot? Lot)> CreditPurchaseAsync(Guid programmeId, Guid memberId, int seenPurchaseCount,
        string fromAccount, long points, DateTime availableAt, DateTime? expiresAt, bool pendingLot, Movement movement, CancellationToken ct)
    {
        long available = 0, pending = 0;
        PointLot? lot = null;
        if (points > 0)
        {
            (_, lot) = Credit(programmeId, memberId, fromAccount, points, availableAt, expiresAt, pendingLot, "earn", movement);
            (available, pending) = pendingLot ? (0L, points) : (points, 0L);
        }
        // One statement instead of an update and a read: RETURNING is understood by SQLite (3.35 and later) and PostgreSQL.
        // The count guard makes a concurrent purchase of the member that committed first (another writer or node) fail
        // this update: PostgreSQL re-checks the condition on the row as that purchase left it. Credits never lower a
        // balance, so a row that does not match has a changed count.
        var rows = await db.Database.SqlQuery<MemberBalance>($"""
            UPDATE "members" SET "available" = "available" + {available}, "pending" = "pending" + {pending}, "purchase_count" = "purchase_count" + 1
            WHERE "id" = {memberId} AND "purchase_count" = {seenPurchaseCount} AND "available" + {available} >= 0 AND "pending" + {pending} >= 0
            RETURNING "available" AS "Available", "pending" AS "Pending"
            """).ToListAsync(ct);
        return (rows.Count == 1 ? rows[0] : null, lot);
    }

    private (LedgerTransaction Transaction, PointLot Lot) Credit(Guid programmeId, Guid memberId, string fromAccount, long points,
        DateTime availableAt, DateTime? expiresAt, bool pending, string source, Movement movement)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(points);
        var now = clock.GetUtcNow().UtcDateTime;
        var lot = new PointLot
        {
            ProgrammeId = programmeId, MemberId = memberId, PurchaseId = movement.PurchaseId, Source = source,
            EarnedAt = movement.OccurredAt, AvailableAt = availableAt, ExpiresAt = expiresAt,
            Amount = points, Remaining = points, Status = pending ? LotStatus.Pending : LotStatus.Available,
        };
        db.PointLots.Add(lot);
        var memberAccount = pending ? LedgerAccounts.MemberPending : LedgerAccounts.MemberAvailable;
        var tx = NewTransaction(programmeId, memberId, movement, now,
            Entry(programmeId, null, fromAccount, -points),
            Entry(programmeId, memberId, memberAccount, points));
        return (tx, lot);
    }

    /// <summary>
    /// Spends available points oldest-first. Refuses with <c>insufficient_points</c> when the balance is too low;
    /// the check and the debit are one guarded update, so two concurrent spends can never overdraw.
    /// </summary>
    public async Task<(LedgerTransaction? Transaction, Refusal? Refusal)> SpendAsync(Guid programmeId, Guid memberId,
        string toAccount, long points, Movement movement, string field, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(points);
        var debited = await db.Members
            .Where(m => m.Id == memberId && m.ProgrammeId == programmeId && m.Available >= points)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Available, m => m.Available - points), ct);
        if (debited == 0)
            return (null, new Refusal("insufficient_points", $"The member does not have {points} available points.", field));

        var draws = await DrawAsync(memberId, points, ct)
            ?? throw new InvalidOperationException($"Lots of member {memberId} do not cover the cached balance.");
        var now = clock.GetUtcNow().UtcDateTime;
        var tx = NewTransaction(programmeId, memberId, movement, now,
            Entry(programmeId, memberId, LedgerAccounts.MemberAvailable, -points),
            Entry(programmeId, null, toAccount, points));
        foreach (var d in draws)
            tx.Draws.Add(new LotDrawRecord { LotId = d.LotId, Points = d.Points, ProgrammeId = programmeId, MemberId = memberId });
        return (tx, null);
    }

    /// <summary>
    /// Gives back points that an earlier spend took, into the lots they came from. <paramref name="alreadyRefunded"/>
    /// is what earlier refunds of the same spend gave back, so several partial refunds never overfill a lot.
    /// </summary>
    public async Task<LedgerTransaction> RefundAsync(Guid programmeId, Guid memberId, long spendTransactionId, long alreadyRefunded, long points,
        string fromAccount, Movement movement, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(points);
        await LockMemberAsync(memberId, ct);
        var draws = await db.LotDraws.AsNoTracking()
            .Where(d => d.TransactionId == spendTransactionId)
            .OrderBy(d => d.Id)
            .Select(d => new LotDraw(d.LotId, d.Points))
            .ToListAsync(ct);
        var back = PointLots.Refund(draws, alreadyRefunded, points)
            ?? throw new InvalidOperationException($"Refund of {points} after {alreadyRefunded} exceeds what transaction {spendTransactionId} spent.");
        foreach (var d in back)
        {
            var p = d.Points;
            await db.PointLots.Where(l => l.Id == d.LotId).ExecuteUpdateAsync(s => s
                .SetProperty(l => l.Remaining, l => l.Remaining + p)
                .SetProperty(l => l.Status, LotStatus.Available), ct);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var tx = NewTransaction(programmeId, memberId, movement, now,
            Entry(programmeId, null, fromAccount, -points),
            Entry(programmeId, memberId, LedgerAccounts.MemberAvailable, points));
        await ChangeBalanceAsync(memberId, points, 0, ct);
        return tx;
    }

    /// <summary>
    /// Takes back points a purchase earned, after a return. Pending points are voided; available points are taken
    /// from the purchase's lot first, then oldest-first. Points the member has already spent are not taken
    /// (a balance never goes negative) but written off as unrecovered.
    /// </summary>
    public async Task<(Reversal Reversal, LedgerTransaction? Transaction)> ReverseEarnAsync(Guid programmeId, Guid memberId,
        Guid purchaseId, string partnerAccount, long points, Movement movement, CancellationToken ct)
    {
        if (points <= 0) return (new Reversal(0, 0), null);
        await LockMemberAsync(memberId, ct);
        var lot = await db.PointLots.AsNoTracking()
            .Where(l => l.PurchaseId == purchaseId && l.MemberId == memberId && l.Source == "earn")
            .SingleAsync(ct);
        return await ReverseFromLotAsync(programmeId, memberId, lot, partnerAccount, points, movement, ct);
    }

    /// <summary>
    /// Takes back points credited as the lot of <paramref name="source"/> (a stamp card's reward, say), like
    /// <see cref="ReverseEarnAsync"/>: from that lot first, then oldest-first, never below zero, the rest written off as
    /// unrecovered. Nothing happens when the member has no such lot.
    /// </summary>
    public async Task<(Reversal Reversal, LedgerTransaction? Transaction)> ReverseSourceAsync(Guid programmeId, Guid memberId,
        string source, string account, long points, Movement movement, CancellationToken ct)
    {
        if (points <= 0) return (new Reversal(0, 0), null);
        await LockMemberAsync(memberId, ct);
        var lot = await db.PointLots.AsNoTracking()
            .Where(l => l.ProgrammeId == programmeId && l.MemberId == memberId && l.Source == source)
            .OrderBy(l => l.Id).FirstOrDefaultAsync(ct);
        if (lot is null) return (new Reversal(0, 0), null);
        return await ReverseFromLotAsync(programmeId, memberId, lot, account, Math.Min(points, lot.Amount), movement, ct);
    }

    private async Task<(Reversal Reversal, LedgerTransaction? Transaction)> ReverseFromLotAsync(Guid programmeId, Guid memberId,
        PointLot lot, string partnerAccount, long points, Movement movement, CancellationToken ct)
    {
        var member = await db.Members.AsNoTracking().Where(m => m.Id == memberId).Select(m => new { m.Available }).SingleAsync(ct);
        var pending = lot.Status == LotStatus.Pending;
        // The member's other lots are read only when the purchase's own lot cannot cover what is taken.
        var others = !pending && Math.Min(points, member.Available) > lot.Remaining
            ? await db.PointLots.AsNoTracking()
                .Where(l => l.MemberId == memberId && l.Status == LotStatus.Available && l.Remaining > 0 && l.Id != lot.Id)
                .Select(l => new LotState(l.Id, l.EarnedAt, l.ExpiresAt, l.Remaining)).ToListAsync(ct)
            : [];
        var plan = Returns.PlanReversal(points, new LotState(lot.Id, lot.EarnedAt, lot.ExpiresAt, lot.Remaining), pending, member.Available, others);
        foreach (var d in plan.Draws)
        {
            var p = d.Points;
            await db.PointLots.Where(l => l.Id == d.LotId).ExecuteUpdateAsync(s => s.SetProperty(l => l.Remaining, l => l.Remaining - p), ct);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        if (plan.FromPending)
        {
            await ChangeBalanceAsync(memberId, 0, -plan.Taken, ct);
            return (new Reversal(plan.Taken, 0), NewTransaction(programmeId, memberId, movement, now,
                Entry(programmeId, memberId, LedgerAccounts.MemberPending, -plan.Taken),
                Entry(programmeId, null, partnerAccount, plan.Taken)));
        }
        await ChangeBalanceAsync(memberId, -plan.Taken, 0, ct);
        var entries = new List<LedgerEntry> { Entry(programmeId, null, partnerAccount, points) };
        if (plan.Taken > 0) entries.Add(Entry(programmeId, memberId, LedgerAccounts.MemberAvailable, -plan.Taken));
        if (plan.Unrecovered > 0) entries.Add(Entry(programmeId, null, LedgerAccounts.Unrecovered, -plan.Unrecovered));
        return (new Reversal(plan.Taken, plan.Unrecovered), NewTransaction(programmeId, memberId, movement, now, [.. entries]));
    }

    /// <summary>Makes pending lots whose return window has passed available. Safe to run on many nodes at once, and twice.</summary>
    public async Task<(int Lots, long Points)> PostDueAsync(DateTime nowUtc, int batch, CancellationToken ct, Guid? programmeId = null)
    {
        var due = await db.PointLots.AsNoTracking()
            .Where(l => l.Status == LotStatus.Pending && l.AvailableAt <= nowUtc && (programmeId == null || l.ProgrammeId == programmeId))
            .OrderBy(l => l.AvailableAt).Take(batch)
            .Select(l => new { l.Id, l.MemberId, l.ProgrammeId })
            .ToListAsync(ct);
        var posted = 0;
        long points = 0;
        foreach (var d in due)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await LockMemberAsync(d.MemberId, ct);
            var lot = await db.PointLots.AsNoTracking().SingleAsync(l => l.Id == d.Id, ct);
            if (lot.Status != LotStatus.Pending) continue;
            await db.PointLots.Where(l => l.Id == lot.Id).ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, LotStatus.Available), ct);
            if (lot.Remaining > 0)
            {
                await ChangeBalanceAsync(lot.MemberId, lot.Remaining, -lot.Remaining, ct);
                NewTransaction(lot.ProgrammeId, lot.MemberId,
                    new Movement(LedgerKind.Post, nowUtc, [Contribution.Of("pending", new Reason(ReasonKeys.ReturnWindowPassed), lot.Remaining)]) { PurchaseId = lot.PurchaseId },
                    nowUtc,
                    Entry(lot.ProgrammeId, lot.MemberId, LedgerAccounts.MemberPending, -lot.Remaining),
                    Entry(lot.ProgrammeId, lot.MemberId, LedgerAccounts.MemberAvailable, lot.Remaining)).LotId = lot.Id;
                await db.SaveChangesAsync(ct);
            }
            await tx.CommitAsync(ct);
            posted++;
            points += lot.Remaining;
        }
        return (posted, points);
    }

    /// <summary>Expires the remaining points of lots past their expiry. Idempotent: an expired lot holds nothing more to expire.</summary>
    public async Task<(int Lots, long Points)> ExpireDueAsync(DateTime nowUtc, int batch, CancellationToken ct, Guid? programmeId = null)
    {
        var due = await db.PointLots.AsNoTracking()
            .Where(l => l.Status == LotStatus.Available && l.Remaining > 0 && l.ExpiresAt != null && l.ExpiresAt <= nowUtc && (programmeId == null || l.ProgrammeId == programmeId))
            .OrderBy(l => l.ExpiresAt).Take(batch)
            .Select(l => new { l.Id, l.MemberId })
            .ToListAsync(ct);
        var lots = 0;
        long points = 0;
        foreach (var d in due)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await LockMemberAsync(d.MemberId, ct);
            var lot = await db.PointLots.AsNoTracking().SingleAsync(l => l.Id == d.Id, ct);
            if (lot.Status != LotStatus.Available || lot.Remaining <= 0) continue;
            await db.PointLots.Where(l => l.Id == lot.Id).ExecuteUpdateAsync(s => s
                .SetProperty(l => l.Remaining, 0L)
                .SetProperty(l => l.Status, LotStatus.Closed), ct);
            await ChangeBalanceAsync(lot.MemberId, -lot.Remaining, 0, ct);
            NewTransaction(lot.ProgrammeId, lot.MemberId,
                new Movement(LedgerKind.Expire, nowUtc, [Contribution.Of("expiry", new Reason(ReasonKeys.Expired) { Date = DateOnly.FromDateTime(lot.EarnedAt) }, -lot.Remaining)]),
                nowUtc,
                Entry(lot.ProgrammeId, lot.MemberId, LedgerAccounts.MemberAvailable, -lot.Remaining),
                Entry(lot.ProgrammeId, null, LedgerAccounts.Expired, lot.Remaining)).LotId = lot.Id;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            lots++;
            points += lot.Remaining;
        }
        return (lots, points);
    }

    /// <summary>Locks the member's row until the transaction ends (a no-op update takes the row lock on PostgreSQL).</summary>
    public Task LockMemberAsync(Guid memberId, CancellationToken ct) =>
        db.Members.Where(m => m.Id == memberId).ExecuteUpdateAsync(s => s.SetProperty(m => m.PurchaseCount, m => m.PurchaseCount), ct);

    private async Task<IReadOnlyList<LotDraw>?> DrawAsync(Guid memberId, long points, CancellationToken ct)
    {
        var lots = await db.PointLots.AsNoTracking()
            .Where(l => l.MemberId == memberId && l.Status == LotStatus.Available && l.Remaining > 0)
            .Select(l => new LotState(l.Id, l.EarnedAt, l.ExpiresAt, l.Remaining))
            .ToListAsync(ct);
        var draws = PointLots.DrawOldestFirst(lots, points);
        if (draws is null) return null;
        foreach (var d in draws)
        {
            var p = d.Points;
            var n = await db.PointLots.Where(l => l.Id == d.LotId && l.Remaining >= p)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.Remaining, l => l.Remaining - p), ct);
            if (n != 1) throw new InvalidOperationException($"Lot {d.LotId} changed under a member lock.");
        }
        return draws;
    }

    private async Task ChangeBalanceAsync(Guid memberId, long available, long pending, CancellationToken ct)
    {
        if (available == 0 && pending == 0) return;
        var n = await db.Members
            .Where(m => m.Id == memberId && m.Available + available >= 0 && m.Pending + pending >= 0)
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Available, m => m.Available + available)
                .SetProperty(m => m.Pending, m => m.Pending + pending), ct);
        if (n != 1) throw new InvalidOperationException($"Balance of member {memberId} would go negative.");
    }

    private LedgerTransaction NewTransaction(Guid programmeId, Guid? memberId, Movement m, DateTime now, params LedgerEntry[] entries)
    {
        if (entries.Sum(e => e.Amount) != 0)
            throw new InvalidOperationException("Ledger entries of a transaction must sum to zero.");
        var tx = new LedgerTransaction
        {
            ProgrammeId = programmeId, MemberId = memberId, Kind = m.Kind, OccurredAt = m.OccurredAt, RecordedAt = now,
            IdempotencyKey = m.IdempotencyKey, PurchaseId = m.PurchaseId, ReturnId = m.ReturnId, RewardOrderId = m.RewardOrderId,
            Reason = m.Reason, Actor = m.Actor, Explanation = m.Explanation, Entries = [.. entries],
        };
        db.LedgerTransactions.Add(tx);
        return tx;
    }

    private static LedgerEntry Entry(Guid programmeId, Guid? memberId, string account, long amount) =>
        new() { ProgrammeId = programmeId, MemberId = memberId, Account = account, Amount = amount };
}
