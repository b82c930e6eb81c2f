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
/// <param name="Explanation">
/// Why, rule by rule; null when it is the purchase's own (its lines' contributions, named with their line, then its
/// bonuses), which the earn transaction then does not store a second time (see <see cref="EarnExplanations"/>).
/// </param>
public sealed record PurchaseCredit(string FromAccount, long Points, DateTime AvailableAt, DateTime? ExpiresAt, bool Pending, List<Contribution>? Explanation);

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
/// <param name="Purchase">
/// The purchase row with its lines, as the decision priced and earned it, points paid included. The store fills in
/// <see cref="Entities.Purchase.PaymentTransactionId"/> (the database makes that id); everything else it writes as given.
/// </param>
/// <param name="MemberId">The member, or null for an anonymous purchase.</param>
/// <param name="SeenPurchaseCount">The member's purchase count the decision was made on.</param>
/// <param name="Credit">The points earned, if a member earns.</param>
/// <param name="Debit">The payment with points, if any.</param>
/// <param name="Actor">Who recorded it.</param>
/// <param name="Claim">The request's idempotency key, recorded with the purchase as its outcome, if the request had one.</param>
/// <param name="Enrol">
/// A member who joins with this purchase (an import names members by their reference and enrols those it does not
/// know): inserted, with a purchase count and balance of 0, before the guarded update of <paramref name="MemberId"/>.
/// </param>
public sealed record PurchaseWrite(
    Guid ProgrammeId,
    Purchase Purchase,
    Guid? MemberId,
    int SeenPurchaseCount,
    PurchaseCredit? Credit,
    PurchaseDebit? Debit,
    string? Actor,
    IdempotencyRecord? Claim,
    Member? Enrol = null);

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
/// all write through it, so a purchase is stored the same way whoever records it. Each database provider has its own
/// (<see cref="SqlitePurchaseStore"/>, <see cref="PostgresPurchaseStore"/>; <see cref="PurchaseStores.For"/> picks one),
/// with its own SQL and the same rows. Every method runs inside the caller's transaction or savepoint and checks the
/// guards before it writes anything; when a write is not <see cref="WriteStatus.Written"/>, the caller rolls back to
/// before it (a unique index fails only after the rows before it were written).
/// </summary>
public interface IPurchaseStore
{
    /// <summary>Writes a purchase, checking the decision's guards as it goes.</summary>
    Task<PurchaseWritten> WriteAsync(TreueDb db, PurchaseWrite write, CancellationToken ct);
}

/// <summary>The purchase store of each database provider.</summary>
public static class PurchaseStores
{
    /// <summary>The store for the database behind <paramref name="db"/>.</summary>
    public static IPurchaseStore For(TreueDb db, TimeProvider clock) =>
        db.IsSqlite ? new SqlitePurchaseStore(clock) : new PostgresPurchaseStore(clock);
}

/// <summary>Errors of the database that writers answer rather than fail on.</summary>
public static class StoreErrors
{
    /// <summary>
    /// The table whose unique index <paramref name="e"/> violated (empty when the database did not say), or null when it
    /// is another error. Understands the errors of both providers, raw or wrapped by EF Core's <c>SaveChanges</c>.
    /// </summary>
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

    /// <summary>
    /// How a write that violated a unique index of <paramref name="table"/> ended: the key was taken, or the receipt was
    /// recorded (also when the database did not name the table). Null for another table, such as a member that a write
    /// enrols and that exists already: that is an error of the caller, not an answer.
    /// </summary>
    internal static WriteStatus? Duplicate(string table) => table switch
    {
        "idempotency_records" => WriteStatus.KeyTaken,
        "purchases" or "" => WriteStatus.DuplicateReceipt,
        _ => null,
    };
}
