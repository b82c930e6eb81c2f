using Microsoft.EntityFrameworkCore;
using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Storage.Entities;

namespace Treue.Storage.Purchases;

/// <summary>Points a decided purchase credits to its member.</summary>
/// <param name="FromAccount">The issuing account (the partner's).</param>
/// <param name="Points">Points earned; zero writes no lot and no movement.</param>
/// <param name="AvailableAt">When they become spendable (UTC).</param>
/// <param name="ExpiresAt">When they expire (UTC), or null if never.</param>
/// <param name="Pending">Whether the lot starts pending, as decided.</param>
/// <param name="Explanation">Why, rule by rule.</param>
public sealed record PurchaseCredit(string FromAccount, long Points, DateTime AvailableAt, DateTime? ExpiresAt, bool Pending, List<Contribution> Explanation);

/// <summary>Points a decided purchase takes from the member's available balance as payment.</summary>
/// <param name="ToAccount">Where the points go.</param>
/// <param name="Points">Points paid with.</param>
/// <param name="DiscountMinor">What they paid, in minor units.</param>
/// <param name="Explanation">The movement's explanation.</param>
public sealed record PurchaseDebit(string ToAccount, long Points, long DiscountMinor, List<Contribution> Explanation);

/// <summary>
/// A decided purchase as the rows and guarded changes that record it. It carries no rule and no request: every choice
/// was made by the decision, and the store only checks that the decision's guards still hold.
/// </summary>
/// <param name="ProgrammeId">The programme.</param>
/// <param name="NewPurchase">Makes the purchase row with its lines (called again if the write is run again).</param>
/// <param name="MemberId">The member, or null for an anonymous purchase.</param>
/// <param name="SeenPurchaseCount">The member's purchase count the decision was made on.</param>
/// <param name="Credit">The points earned, if a member earns.</param>
/// <param name="Debit">The payment with points, if any.</param>
/// <param name="Actor">Who recorded it.</param>
/// <param name="Claim">The request's idempotency key, recorded with the purchase as its outcome, if the request had one.</param>
public sealed record PurchaseWrite(
    Guid ProgrammeId,
    Func<Purchase> NewPurchase,
    Guid? MemberId,
    int SeenPurchaseCount,
    PurchaseCredit? Credit,
    PurchaseDebit? Debit,
    string? Actor,
    IdempotencyRecord? Claim);

/// <summary>How a write ended.</summary>
public enum WriteStatus
{
    /// <summary>Written; the caller keeps it.</summary>
    Written,
    /// <summary>A guard failed (the member's purchase count or balance changed since the load): nothing is kept, decide again.</summary>
    Stale,
    /// <summary>The partner's receipt id was recorded concurrently: nothing is kept, answer with the purchase recorded first.</summary>
    DuplicateReceipt,
    /// <summary>The request's idempotency key was claimed concurrently: nothing is kept, answer with the other request's outcome.</summary>
    KeyTaken,
}

/// <summary>The outcome of writing a purchase.</summary>
/// <param name="Status">Whether it was written.</param>
/// <param name="Purchase">The purchase row as written.</param>
/// <param name="Balance">The member's balance after it, from the statement that changed it.</param>
/// <param name="Lot">The lot it earned into.</param>
public sealed record PurchaseWritten(WriteStatus Status, Purchase? Purchase = null, MemberBalance? Balance = null, PointLot? Lot = null);

/// <summary>
/// Writes decided purchases. The HTTP path (inside a group-commit transaction or its own), the importer and the demo
/// all write through it, so a purchase is stored the same way whoever records it. Every method runs inside the caller's
/// transaction or savepoint; when a write is not <see cref="WriteStatus.Written"/>, the caller rolls that back.
/// </summary>
public interface IPurchaseStore
{
    /// <summary>Writes a purchase, checking the decision's guards as it goes.</summary>
    Task<PurchaseWritten> WriteAsync(TreueDb db, PurchaseWrite write, CancellationToken ct);
}

/// <summary>
/// The store of purchases on SQLite and PostgreSQL. The guards are single statements that both databases evaluate on the
/// row as it is at that moment (PostgreSQL re-checks them after waiting for a concurrent writer's lock), so a stale
/// decision is never written: the count guard catches a concurrent purchase of the member, the balance guard a
/// concurrent spend, the unique receipt index a concurrent copy of the receipt.
/// </summary>
public sealed class PurchaseStore(TimeProvider clock) : IPurchaseStore
{
    /// <inheritdoc />
    public async Task<PurchaseWritten> WriteAsync(TreueDb db, PurchaseWrite write, CancellationToken ct)
    {
        var ledger = new PointsLedger(db, clock);
        var purchase = write.NewPurchase();
        db.Purchases.Add(purchase);
        try
        {
            if (write.Debit is { } debit)
            {
                var (tx, insufficient) = await ledger.SpendAsync(write.ProgrammeId, write.MemberId!.Value, debit.ToAccount, debit.Points,
                    new Movement(LedgerKind.Redeem, purchase.OccurredAt, debit.Explanation) { PurchaseId = purchase.Id, Actor = write.Actor },
                    "pointsPayment.points", ct);
                if (insufficient is not null) return new PurchaseWritten(WriteStatus.Stale);
                // The transaction's id is the database's, and the purchase row keeps it for refunds.
                await SqliteInserts.SaveAsync(db, ct);
                purchase.PointsPaid = debit.Points;
                purchase.PointsDiscountMinor = debit.DiscountMinor;
                purchase.PaymentTransactionId = tx!.Id;
            }
            MemberBalance? balance = null;
            PointLot? lot = null;
            if (write.MemberId is { } memberId)
            {
                var credit = write.Credit;
                (balance, lot) = await ledger.CreditPurchaseAsync(write.ProgrammeId, memberId, write.SeenPurchaseCount, credit?.FromAccount ?? "",
                    credit?.Points ?? 0, credit?.AvailableAt ?? purchase.OccurredAt, credit?.ExpiresAt, credit?.Pending ?? false,
                    new Movement(LedgerKind.Earn, purchase.OccurredAt, credit?.Explanation ?? []) { PurchaseId = purchase.Id, Actor = write.Actor }, ct);
                if (balance is null) return new PurchaseWritten(WriteStatus.Stale);
            }
            if (write.Claim is { } claim) db.IdempotencyRecords.Add(claim);
            await SqliteInserts.SaveAsync(db, ct);
            return new PurchaseWritten(WriteStatus.Written, purchase, balance, lot);
        }
        catch (DbUpdateException e) when (UniqueViolation(e) is { } table)
        {
            db.ChangeTracker.Clear();
            return new PurchaseWritten(table == "idempotency_records" ? WriteStatus.KeyTaken : WriteStatus.DuplicateReceipt);
        }
    }

    /// <summary>The table whose unique index <paramref name="e"/> violated, or null when it is another error.</summary>
    public static string? UniqueViolation(Exception e)
    {
        switch (e is DbUpdateException ? e.InnerException : e)
        {
            case Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation } pg:
                return pg.TableName ?? "";
            case Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 19 } sq when sq.Message.Contains("UNIQUE", StringComparison.Ordinal):
                // "UNIQUE constraint failed: idempotency_records.scope, idempotency_records.key"
                var at = sq.Message.IndexOf("failed: ", StringComparison.Ordinal);
                if (at < 0) return "";
                var rest = sq.Message[(at + 8)..];
                var dot = rest.IndexOf('.', StringComparison.Ordinal);
                return dot < 0 ? "" : rest[..dot];
            default:
                return null;
        }
    }
}
