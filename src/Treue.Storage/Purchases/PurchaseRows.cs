using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Storage.Entities;

namespace Treue.Storage.Purchases;

/// <summary>
/// Takes the values of one row, column by column, in the form the column has in the model. Each provider's store binds
/// them as its database stores them (SQLite: ids as 16-byte blobs, times as microseconds; PostgreSQL: uuid and timestamptz).
/// </summary>
internal interface IRowValues
{
    void Id(Guid value);
    void Id(Guid? value);
    void Time(DateTime value);
    void Time(DateTime? value);
    void Long(long value);
    void Long(long? value);
    void Int(int value);
    void Int(int? value);
    /// <summary>An enum, stored as its number.</summary>
    void Small(short value);
    void Text(string? value);
    void Bytes(byte[] value);
    /// <summary>A SHA-256 in hex, stored as its 32 bytes.</summary>
    void Hex(string value);
    void Decimal(decimal value);
    /// <summary>A calendar date (SQLite: text "yyyy-MM-dd", as EF Core's SQLite model stores it).</summary>
    void Date(DateOnly? value);
}

/// <summary>A ledger transaction of a purchase, before the database gives it its id.</summary>
internal readonly record struct TransactionRow(Guid ProgrammeId, Guid? MemberId, LedgerKind Kind, DateTime OccurredAt, DateTime RecordedAt,
    Guid PurchaseId, string? Actor, string StoredExplanation);

/// <summary>A ledger entry, without its transaction's id (bound separately).</summary>
internal readonly record struct EntryRow(Guid ProgrammeId, Guid? MemberId, string Account, long Amount);

/// <summary>
/// The rows a purchase writes, column by column, in one place for both stores: the columns of each table (as the
/// migrations name them) and the values of an entity in the same order.
/// </summary>
internal static class PurchaseRows
{
    public static readonly string[] PurchaseColumns =
    [
        "id", "programme_id", "member_id", "card_number", "partner_id", "partner_code", "store_code", "channel", "member_purchase_no",
        "receipt_id", "fingerprint", "occurred_at", "recorded_at", "currency", "total_minor", "points_earned", "bonus_points", "points_paid",
        "points_discount_minor", "returned_minor", "points_reversed", "paid_points_refunded", "payment_transaction_id", "bonuses",
    ];

    public static void Purchase(IRowValues v, Purchase p)
    {
        v.Id(p.Id);
        v.Id(p.ProgrammeId);
        v.Id(p.MemberId);
        v.Text(p.CardNumber);
        v.Id(p.PartnerId);
        v.Text(p.PartnerCode);
        v.Text(p.StoreCode);
        v.Small((short)p.Channel);
        v.Int(p.MemberPurchaseNo);
        v.Text(p.ReceiptId);
        v.Hex(p.Fingerprint);
        v.Time(p.OccurredAt);
        v.Time(p.RecordedAt);
        v.Text(p.Currency);
        v.Long(p.TotalMinor);
        v.Long(p.PointsEarned);
        v.Long(p.BonusPoints);
        v.Long(p.PointsPaid);
        v.Long(p.PointsDiscountMinor);
        v.Long(p.ReturnedMinor);
        v.Long(p.PointsReversed);
        v.Long(p.PaidPointsRefunded);
        v.Long(p.PaymentTransactionId);
        v.Text(StoredContributions.Write(p.Bonuses));
    }

    /// <summary>The columns of a member a purchase enrols.</summary>
    public static readonly string[] MemberColumns =
    [
        "id", "programme_id", "external_ref", "name", "email", "email_key", "birthday", "language", "status", "enrolled_at", "available",
        "pending", "purchase_count",
    ];

    public static void Member(IRowValues v, Member m)
    {
        v.Id(m.Id);
        v.Id(m.ProgrammeId);
        v.Text(m.ExternalRef);
        v.Text(m.Name);
        v.Text(m.Email);
        v.Text(m.EmailKey);
        v.Date(m.Birthday);
        v.Text(m.Language);
        v.Small((short)m.Status);
        v.Time(m.EnrolledAt);
        v.Long(m.Available);
        v.Long(m.Pending);
        v.Int(m.PurchaseCount);
    }

    public static readonly string[] LineColumns =
    [
        "purchase_id", "line_no", "programme_id", "member_id", "sku", "category", "quantity", "unit_price_minor", "discount_minor",
        "net_minor", "points", "contributions", "returned_quantity", "returned_minor", "points_reversed",
    ];

    public static void Line(IRowValues v, PurchaseLine l)
    {
        v.Id(l.PurchaseId);
        v.Int(l.LineNo);
        v.Id(l.ProgrammeId);
        v.Id(l.MemberId);
        v.Text(l.Sku);
        v.Text(l.Category);
        v.Decimal(l.Quantity);
        v.Long(l.UnitPriceMinor);
        v.Long(l.DiscountMinor);
        v.Long(l.NetMinor);
        v.Long(l.Points);
        v.Text(StoredContributions.Write(l.Contributions));
        v.Decimal(l.ReturnedQuantity);
        v.Long(l.ReturnedMinor);
        v.Long(l.PointsReversed);
    }

    /// <summary>The columns of a transaction but its id, which the database makes.</summary>
    public static readonly string[] TransactionColumns =
    [
        "programme_id", "member_id", "kind", "occurred_at", "recorded_at", "idempotency_key", "purchase_id", "return_id", "reward_order_id",
        "lot_id", "reason", "actor", "explanation",
    ];

    public static void Transaction(IRowValues v, in TransactionRow t)
    {
        v.Id(t.ProgrammeId);
        v.Id(t.MemberId);
        v.Small((short)t.Kind);
        v.Time(t.OccurredAt);
        v.Time(t.RecordedAt);
        v.Text(null); // idempotency_key: a purchase's movements have none of their own (the receipt is the purchase's key)
        v.Id(t.PurchaseId);
        v.Id((Guid?)null); // return_id
        v.Id((Guid?)null); // reward_order_id
        v.Long((long?)null); // lot_id
        v.Text(null); // reason
        v.Text(t.Actor);
        v.Text(t.StoredExplanation);
    }

    /// <summary>The columns of an entry but its id and its transaction's id.</summary>
    public static readonly string[] EntryColumns = ["programme_id", "member_id", "account", "amount"];

    public static void Entry(IRowValues v, in EntryRow e)
    {
        v.Id(e.ProgrammeId);
        v.Id(e.MemberId);
        v.Text(e.Account);
        v.Long(e.Amount);
    }

    /// <summary>The columns of a lot but its id.</summary>
    public static readonly string[] LotColumns =
        ["programme_id", "member_id", "purchase_id", "source", "earned_at", "available_at", "expires_at", "amount", "remaining", "status"];

    public static void Lot(IRowValues v, PointLot l)
    {
        v.Id(l.ProgrammeId);
        v.Id(l.MemberId);
        v.Id(l.PurchaseId);
        v.Text(l.Source);
        v.Time(l.EarnedAt);
        v.Time(l.AvailableAt);
        v.Time(l.ExpiresAt);
        v.Long(l.Amount);
        v.Long(l.Remaining);
        v.Small((short)l.Status);
    }

    /// <summary>The columns of a draw but its id and its transaction's id.</summary>
    public static readonly string[] DrawColumns = ["lot_id", "programme_id", "member_id", "points"];

    public static void Draw(IRowValues v, Guid programmeId, Guid memberId, LotDraw d)
    {
        v.Long(d.LotId);
        v.Id(programmeId);
        v.Id(memberId);
        v.Long(d.Points);
    }

    public static readonly string[] ClaimColumns =
        ["scope", "key", "programme_id", "request_hash", "status_code", "content_type", "location", "body", "created_at"];

    public static void Claim(IRowValues v, IdempotencyRecord r)
    {
        v.Id(r.Scope);
        v.Text(r.Key);
        v.Id(r.ProgrammeId);
        v.Text(r.RequestHash);
        v.Int(r.StatusCode);
        v.Text(r.ContentType);
        v.Text(r.Location);
        v.Bytes(r.Body);
        v.Time(r.CreatedAt);
    }

    /// <summary>The lot a purchase's points go into.</summary>
    public static PointLot EarnLot(PurchaseWrite w, PurchaseCredit credit) => new()
    {
        ProgrammeId = w.ProgrammeId, MemberId = w.MemberId!.Value, PurchaseId = w.Purchase.Id, Source = "earn", EarnedAt = w.Purchase.OccurredAt,
        AvailableAt = credit.AvailableAt, ExpiresAt = credit.ExpiresAt, Amount = credit.Points, Remaining = credit.Points,
        Status = credit.Pending ? LotStatus.Pending : LotStatus.Available,
    };

    /// <summary>The earn transaction's entries: from the issuing account to the member's available or pending account.</summary>
    public static (EntryRow From, EntryRow To) EarnEntries(PurchaseWrite w, PurchaseCredit credit) =>
        (new EntryRow(w.ProgrammeId, null, credit.FromAccount, -credit.Points),
         new EntryRow(w.ProgrammeId, w.MemberId, credit.Pending ? LedgerAccounts.MemberPending : LedgerAccounts.MemberAvailable, credit.Points));

    /// <summary>The payment's entries: from the member's available account to where the points go.</summary>
    public static (EntryRow From, EntryRow To) DebitEntries(PurchaseWrite w, PurchaseDebit debit) =>
        (new EntryRow(w.ProgrammeId, w.MemberId, LedgerAccounts.MemberAvailable, -debit.Points),
         new EntryRow(w.ProgrammeId, null, debit.ToAccount, debit.Points));

    public static TransactionRow EarnTransaction(PurchaseWrite w, PurchaseCredit credit, DateTime recordedAt) =>
        new(w.ProgrammeId, w.MemberId, LedgerKind.Earn, w.Purchase.OccurredAt, recordedAt, w.Purchase.Id, w.Actor,
            EarnExplanations.Stored(w.Purchase, credit.Explanation));

    public static TransactionRow DebitTransaction(PurchaseWrite w, PurchaseDebit debit, DateTime recordedAt) =>
        new(w.ProgrammeId, w.MemberId, LedgerKind.Redeem, w.Purchase.OccurredAt, recordedAt, w.Purchase.Id, w.Actor,
            StoredContributions.Write(debit.Explanation));

    /// <summary>What the member's balance changes by: earned points into available or pending, paid points out of available.</summary>
    public static (long Available, long Pending, long Paid) BalanceChange(PurchaseWrite w)
    {
        long available = 0, pending = 0;
        if (w.Credit is { Points: > 0 } c) (available, pending) = c.Pending ? (0L, c.Points) : (c.Points, 0L);
        return (available, pending, w.Debit?.Points ?? 0);
    }
}
