using Microsoft.EntityFrameworkCore;
using Treue.Server.Features.Audit;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Privacy;

/// <summary>Everything Treue keeps about one member (GDPR Art. 15 access and Art. 20 portability), as one JSON document.</summary>
/// <param name="ExportedAt">When the export was made (UTC).</param>
/// <param name="ProgrammeId">The programme the member belongs to.</param>
/// <param name="Member">The profile, status and balances.</param>
/// <param name="Sign_in">What the portal keeps for signing in: whether a password is set (never the password or its hash),
/// the one-time codes asked for and the sessions.</param>
/// <param name="Cards">The member's cards.</param>
/// <param name="Purchases">Purchases with their lines and returns.</param>
/// <param name="Ledger">Every points movement with its entries and explanation.</param>
/// <param name="Lots">The points lots with what remains of them and when they expire.</param>
/// <param name="RewardOrders">Rewards ordered with points.</param>
/// <param name="Audit">The audit log's rows about the member: changes of status and cards, adjustments, with who and when.</param>
/// <param name="Promotions">Personal coupons, campaign uses, redemptions and stamp cards.</param>
/// <param name="Privacy">Consents with their history, data requests and retention warnings.</param>
/// <param name="Tier">The member's tier, what counted towards it and its history.</param>
/// <param name="Referrals">The member's referral code, the referral that brought them, and the friends they brought.</param>
/// <param name="Messages">The messages written to the member (the outbox) and the gifts triggers gave them.</param>
public sealed record MemberDataExport(
    DateTime ExportedAt, Guid ProgrammeId, MemberExportProfile Member, MemberExportSignIn Sign_in, IReadOnlyList<Card> Cards,
    IReadOnlyList<MemberExportPurchase> Purchases, IReadOnlyList<LedgerTransaction> Ledger, IReadOnlyList<PointLot> Lots,
    IReadOnlyList<RewardOrder> RewardOrders, IReadOnlyList<MemberExportAudit> Audit, MemberExportPromotions Promotions,
    MemberExportPrivacy Privacy, MemberExportTier Tier, MemberExportReferrals Referrals, MemberExportMessages Messages);

/// <summary>What Treue wrote to the member and gave them at the right moment.</summary>
/// <param name="Messages">The outbox's messages to the member with their states.</param>
/// <param name="Gifts">The triggers fired for the member: occasion, points, coupon or message.</param>
public sealed record MemberExportMessages(IReadOnlyList<OutboxMessage> Messages, IReadOnlyList<TriggerFiring> Gifts);

/// <summary>The member's referrals.</summary>
/// <param name="Code">Their own code (with the hash of the payment reference they enrolled with), or null if they never had one.</param>
/// <param name="ReferredBy">The referral that brought them, or null.</param>
/// <param name="Referred">The friends who enrolled with their code: when, where it stands and the points it gave them, without the friends' identity.</param>
public sealed record MemberExportReferrals(MemberReferralCode? Code, ReferralRecord? ReferredBy, IReadOnlyList<MemberExportReferral> Referred);

/// <summary>A friend's enrolment with the member's code, as the member's own data.</summary>
public sealed record MemberExportReferral(DateTime EnrolledAt, Domain.Referrals.ReferralStatus Status, string? Reason, long Points);

/// <summary>The member's tier.</summary>
/// <param name="Standing">The level held, since and until when, and a level set by hand; null without tiers.</param>
/// <param name="Activity">What each purchase and return counted towards the tier (status points, spend, purchases).</param>
/// <param name="History">Every change of level with its reason.</param>
public sealed record MemberExportTier(MemberTier? Standing, IReadOnlyList<TierActivity> Activity, IReadOnlyList<TierHistoryRecord> History);

/// <summary>The member's privacy records.</summary>
/// <param name="Consents">The state of each purpose and every grant, withdrawal and objection.</param>
/// <param name="DataRequests">Requests to see or erase their data, with due and completion dates.</param>
/// <param name="RetentionWarnings">Warnings that inactivity would lead to erasure.</param>
public sealed record MemberExportPrivacy(ConsentsView Consents, IReadOnlyList<DataRequest> DataRequests, IReadOnlyList<RetentionWarning> RetentionWarnings);

/// <summary>The member's part in the programme's promotions.</summary>
/// <param name="Coupons">Personal coupon codes and how often each was used.</param>
/// <param name="CampaignUses">How often the member used each campaign.</param>
/// <param name="Redemptions">Each campaign applied to one of the member's purchases, with its discount and points.</param>
/// <param name="PricedPurchases">The basket as sent and the pricing steps of each of the member's purchases that had a promotion.</param>
/// <param name="StampCards">The member's stamp cards.</param>
public sealed record MemberExportPromotions(IReadOnlyList<CouponCode> Coupons, IReadOnlyList<CampaignMemberUse> CampaignUses,
    IReadOnlyList<CouponRedemption> Redemptions, IReadOnlyList<PurchasePromotion> PricedPurchases, IReadOnlyList<MemberStampCard> StampCards);

/// <summary>The member's profile in an export.</summary>
public sealed record MemberExportProfile(Guid Id, string Name, string? Email, DateOnly? Birthday, string Language, MemberStatus Status,
    string? ExternalRef, DateTime EnrolledAt, long AvailablePoints, long PendingPoints, int PurchaseCount);

/// <summary>What the portal keeps for signing the member in.</summary>
/// <param name="PasswordSet">Whether a password is set.</param>
/// <param name="PasswordChangedAt">When it was last set.</param>
/// <param name="Codes">One-time sign-in codes asked for (their hashes are not exported).</param>
/// <param name="Sessions">Portal sessions.</param>
public sealed record MemberExportSignIn(bool PasswordSet, DateTime? PasswordChangedAt, IReadOnlyList<MemberExportCode> Codes, IReadOnlyList<MemberExportSession> Sessions);

/// <summary>A one-time sign-in code that was asked for.</summary>
public sealed record MemberExportCode(Guid Id, DateTime CreatedAt, DateTime ExpiresAt, DateTime? UsedAt, int Attempts);

/// <summary>A portal session.</summary>
public sealed record MemberExportSession(Guid Id, DateTime CreatedAt, DateTime? EndedAt);

/// <summary>A purchase with its lines and returns.</summary>
public sealed record MemberExportPurchase(Purchase Purchase, IReadOnlyList<PurchaseReturn> Returns);

/// <summary>An audit row about the member.</summary>
public sealed record MemberExportAudit(long Id, DateTime At, AuditActorKind ActorKind, string Actor, string Action, string? Target, string? Details);

/// <summary>What an erasure did.</summary>
/// <param name="MemberId">The member, who stays as a pseudonym in the ledger.</param>
/// <param name="ErasedAt">When (UTC).</param>
/// <param name="AlreadyErased">True when the member had been erased before: nothing was changed.</param>
/// <param name="CardsPseudonymised">Cards whose numbers were replaced.</param>
/// <param name="RowsDeleted">Sign-in data and stored responses deleted.</param>
/// <param name="FileScrubbed">On SQLite: whether the write-ahead log was emptied into the database file after the erasure,
/// so no earlier copy of the data remains in it. Always true on PostgreSQL, whose own clean-up is described in docs/privacy.md.</param>
public sealed record ErasureResult(Guid MemberId, DateTime ErasedAt, bool AlreadyErased, int CardsPseudonymised, int RowsDeleted, bool FileScrubbed);

/// <summary>
/// A member's data: the export of everything kept about them, and its erasure. The API, the console and the portal call
/// these and nothing else, so all three give the same export and erase the same way.
/// </summary>
public static class MemberData
{
    /// <summary>The name an erased member keeps: the ledger's pseudonym.</summary>
    public const string ErasedName = "Erased member";

    /// <summary>Whether a member was erased: the name is the pseudonym and the audit log has the erasure.</summary>
    public static async Task<bool> IsErasedAsync(TreueDb db, Guid programmeId, Guid memberId, CancellationToken ct) =>
        await db.AuditEntries.AnyAsync(e => e.ProgrammeId == programmeId && e.MemberId == memberId && e.Action == AuditActions.MemberErased, ct);

    /// <summary>Everything kept about the member, or null when the programme has no such member.</summary>
    public static async Task<MemberDataExport?> ExportAsync(TreueDb db, Guid programmeId, Guid memberId, DateTime now, CancellationToken ct)
    {
        var m = await db.Members.AsNoTracking().SingleOrDefaultAsync(x => x.Id == memberId && x.ProgrammeId == programmeId, ct);
        if (m is null) return null;
        var credential = await db.MemberCredentials.AsNoTracking().Where(c => c.MemberId == memberId && c.ProgrammeId == programmeId)
            .Select(c => (DateTime?)c.UpdatedAt).SingleOrDefaultAsync(ct);
        var codes = await db.SignInCodes.AsNoTracking().Where(c => c.MemberId == memberId && c.ProgrammeId == programmeId)
            .OrderBy(c => c.CreatedAt).Select(c => new MemberExportCode(c.Id, c.CreatedAt, c.ExpiresAt, c.UsedAt, c.Attempts)).ToListAsync(ct);
        var sessions = await db.WebSessions.AsNoTracking()
            .Where(s => s.SubjectId == memberId && s.ProgrammeId == programmeId && s.Kind == SessionKind.Member)
            .OrderBy(s => s.CreatedAt).Select(s => new MemberExportSession(s.Id, s.CreatedAt, s.EndedAt)).ToListAsync(ct);
        var cards = await db.Cards.AsNoTracking().Where(c => c.MemberId == memberId && c.ProgrammeId == programmeId).OrderBy(c => c.IssuedAt).ToListAsync(ct);
        var purchases = await db.Purchases.AsNoTracking().Include(p => p.Lines)
            .Where(p => p.MemberId == memberId && p.ProgrammeId == programmeId).OrderBy(p => p.OccurredAt).ToListAsync(ct);
        var returns = (await db.Returns.AsNoTracking().Where(r => r.MemberId == memberId && r.ProgrammeId == programmeId).ToListAsync(ct))
            .ToLookup(r => r.PurchaseId);
        var ledger = await db.LedgerTransactions.AsNoTracking().Include(t => t.Entries).Include(t => t.Draws)
            .Where(t => t.MemberId == memberId && t.ProgrammeId == programmeId).OrderBy(t => t.Id).ToListAsync(ct);
        var lots = await db.PointLots.AsNoTracking().Where(l => l.MemberId == memberId && l.ProgrammeId == programmeId).OrderBy(l => l.Id).ToListAsync(ct);
        var orders = await db.RewardOrders.AsNoTracking().Where(o => o.MemberId == memberId && o.ProgrammeId == programmeId).OrderBy(o => o.PlacedAt).ToListAsync(ct);
        var audit = await db.AuditEntries.AsNoTracking().Where(e => e.MemberId == memberId && e.ProgrammeId == programmeId).OrderBy(e => e.Id)
            .Select(e => new MemberExportAudit(e.Id, e.At, e.ActorKind, e.Actor, e.Action, e.Target, e.Details)).ToListAsync(ct);
        var promotions = new MemberExportPromotions(
            await db.CouponCodes.AsNoTracking().Where(c => c.MemberId == memberId && c.ProgrammeId == programmeId).OrderBy(c => c.CreatedAt).ToListAsync(ct),
            await db.CampaignMemberUses.AsNoTracking().Where(u => u.MemberId == memberId && u.ProgrammeId == programmeId).ToListAsync(ct),
            await db.CouponRedemptions.AsNoTracking().Where(r => r.MemberId == memberId && r.ProgrammeId == programmeId).OrderBy(r => r.Id).ToListAsync(ct),
            await db.PurchasePromotions.AsNoTracking().Where(p => p.MemberId == memberId && p.ProgrammeId == programmeId).ToListAsync(ct),
            await db.MemberStampCards.AsNoTracking().Where(c => c.MemberId == memberId && c.ProgrammeId == programmeId).ToListAsync(ct));
        var privacy = new MemberExportPrivacy((await Consents.LoadAsync(db, programmeId, memberId, ct))!,
            await db.DataRequests.AsNoTracking().Where(r => r.MemberId == memberId && r.ProgrammeId == programmeId).OrderBy(r => r.ReceivedAt).ToListAsync(ct),
            await db.RetentionWarnings.AsNoTracking().Where(w => w.MemberId == memberId && w.ProgrammeId == programmeId).OrderBy(w => w.Id).ToListAsync(ct));
        var tier = new MemberExportTier(
            await db.MemberTiers.AsNoTracking().SingleOrDefaultAsync(t => t.MemberId == memberId && t.ProgrammeId == programmeId, ct),
            await db.TierActivity.AsNoTracking().Where(a => a.MemberId == memberId && a.ProgrammeId == programmeId).OrderBy(a => a.Id).ToListAsync(ct),
            await db.TierHistory.AsNoTracking().Where(h => h.MemberId == memberId && h.ProgrammeId == programmeId).OrderBy(h => h.Id).ToListAsync(ct));
        var referrals = new MemberExportReferrals(
            await db.ReferralCodes.AsNoTracking().SingleOrDefaultAsync(c => c.MemberId == memberId && c.ProgrammeId == programmeId, ct),
            await db.Referrals.AsNoTracking().SingleOrDefaultAsync(r => r.MemberId == memberId && r.ProgrammeId == programmeId, ct),
            await db.Referrals.AsNoTracking().Where(r => r.ReferrerId == memberId && r.ProgrammeId == programmeId).OrderBy(r => r.EnrolledAt)
                .Select(r => new MemberExportReferral(r.EnrolledAt, r.Status, r.Reason, r.ReferrerPoints)).ToListAsync(ct));
        var messages = new MemberExportMessages(
            await db.Outbox.AsNoTracking().Where(m => m.MemberId == memberId && m.ProgrammeId == programmeId).OrderBy(m => m.Id).ToListAsync(ct),
            await db.TriggerFirings.AsNoTracking().Where(f => f.MemberId == memberId && f.ProgrammeId == programmeId).OrderBy(f => f.Id).ToListAsync(ct));
        foreach (var p in purchases) p.Lines.Sort((a, b) => a.LineNo.CompareTo(b.LineNo));
        return new MemberDataExport(now, programmeId,
            new MemberExportProfile(m.Id, m.Name, m.Email, m.Birthday, m.Language, m.Status, m.ExternalRef, m.EnrolledAt, m.Available, m.Pending, m.PurchaseCount),
            new MemberExportSignIn(credential is not null, credential, codes, sessions),
            cards, purchases.Select(p => new MemberExportPurchase(p, returns[p.Id].OrderBy(r => r.OccurredAt).ToList())).ToList(),
            ledger, lots, orders, audit, promotions, privacy, tier, referrals, messages);
    }

    /// <summary>
    /// Erases a member's personal data (GDPR Art. 17): name, e-mail, birthday and external reference, card numbers and
    /// tokens, the card numbers on receipts, the portal password, sign-in codes and sessions, the free text of audit rows
    /// and data requests about them, and stored API responses that name them. Consent records, data requests and retention
    /// warnings stay under the pseudonym as proof of what the member agreed to and how their requests were answered. The ledger, purchases and orders stay under the member's id,
    /// now a pseudonym, so the programme's totals and partners' settlements do not change (Art. 17(3)(b)). On SQLite the
    /// erased bytes are overwritten (<c>secure_delete</c>) and the write-ahead log is emptied into the file afterwards.
    /// </summary>
    /// <returns>What was done, or null when the programme has no such member.</returns>
    public static async Task<ErasureResult?> EraseAsync(TreueDb db, Guid programmeId, Guid memberId, AuditActor actor, string reason, DateTime now,
        CancellationToken ct)
    {
        var sqlite = db.Database.IsSqlite();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            if (sqlite) await db.Database.ExecuteSqlRawAsync("PRAGMA secure_delete=ON", ct);
            var (result, done) = await EraseRowsAsync(db, programmeId, memberId, actor, reason, now, ct);
            if (!done) return result;
            var scrubbed = !sqlite || await CheckpointAsync(db, ct);
            return result! with { FileScrubbed = scrubbed };
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<(ErasureResult? Result, bool Done)> EraseRowsAsync(TreueDb db, Guid programmeId, Guid memberId, AuditActor actor,
        string reason, DateTime now, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var exists = await db.Members.AnyAsync(m => m.Id == memberId && m.ProgrammeId == programmeId, ct);
        if (!exists) return (null, false);
        if (await IsErasedAsync(db, programmeId, memberId, ct))
            return (new ErasureResult(memberId, now, AlreadyErased: true, 0, 0, FileScrubbed: true), false);

        await db.Members.Where(m => m.Id == memberId && m.ProgrammeId == programmeId).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.Name, ErasedName).SetProperty(m => m.Email, (string?)null).SetProperty(m => m.EmailKey, (string?)null)
            .SetProperty(m => m.Birthday, (DateOnly?)null).SetProperty(m => m.ExternalRef, (string?)null)
            .SetProperty(m => m.Status, MemberStatus.Closed), ct);

        // A card number is personal data: it is replaced by a pseudonym that cannot be typed at a till.
        var cards = await db.Cards.Where(c => c.MemberId == memberId && c.ProgrammeId == programmeId).ToListAsync(ct);
        foreach (var card in cards)
        {
            card.Number = "erased-" + card.Id.ToString("N")[..16];
            card.Token = null;
            card.BlockReason = null;
            card.ReplacedBy = null;
            card.Status = CardStatus.Blocked;
            card.BlockedAt ??= now;
        }
        await db.SaveChangesAsync(ct);
        await db.Purchases.Where(p => p.MemberId == memberId && p.ProgrammeId == programmeId)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.CardNumber, (string?)null), ct);

        var deleted = await db.MemberCredentials.Where(c => c.MemberId == memberId && c.ProgrammeId == programmeId).ExecuteDeleteAsync(ct);
        deleted += await db.SignInCodes.Where(c => c.MemberId == memberId && c.ProgrammeId == programmeId).ExecuteDeleteAsync(ct);
        deleted += await db.WebSessions.Where(s => s.SubjectId == memberId && s.ProgrammeId == programmeId && s.Kind == SessionKind.Member).ExecuteDeleteAsync(ct);
        // Audit rows keep who did what and when; their free text may name the member (an e-mail, a card's digits).
        await db.AuditEntries.Where(e => e.MemberId == memberId && e.ProgrammeId == programmeId)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Target, (string?)null).SetProperty(e => e.Details, (string?)null), ct);
        await db.AuditEntries.Where(e => e.MemberId == memberId && e.ProgrammeId == programmeId && e.ActorKind == AuditActorKind.Member)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Actor, "member").SetProperty(e => e.Address, (string?)null), ct);
        // A data request's note says how it came in, which may name the member; the request itself stays as proof it was answered.
        await db.DataRequests.Where(r => r.MemberId == memberId && r.ProgrammeId == programmeId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Note, (string?)null), ct);
        // Staff's reasons for a tier set by hand are free text too; the levels and dates stay, as the points do.
        await db.TierHistory.Where(h => h.MemberId == memberId && h.ProgrammeId == programmeId)
            .ExecuteUpdateAsync(s => s.SetProperty(h => h.Note, (string?)null), ct);
        await db.MemberTiers.Where(t => t.MemberId == memberId && t.ProgrammeId == programmeId)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.ManualReason, (string?)null), ct);
        // The hash of the payment reference the member enrolled with identifies their card or account at the bank.
        await db.ReferralCodes.Where(c => c.MemberId == memberId && c.ProgrammeId == programmeId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.PaymentReferenceHash, (byte[]?)null), ct);
        // Messages to the member: their data may name the member (a sign-in link, a greeting); one not sent yet is not sent.
        await db.Outbox.Where(m => m.MemberId == memberId && m.ProgrammeId == programmeId && m.State == OutboxState.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.State, OutboxState.Failed).SetProperty(m => m.NextAttemptAt, (DateTime?)null)
                .SetProperty(m => m.Reason, "The member was erased."), ct);
        await db.Outbox.Where(m => m.MemberId == memberId && m.ProgrammeId == programmeId)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Data, "{}"), ct);
        deleted += await DeleteStoredResponsesAsync(db, programmeId, memberId, cards, ct);

        AuditLog.Add(db, programmeId, actor, AuditActions.MemberErased, now, memberId.ToString(), reason, memberId);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (new ErasureResult(memberId, now, AlreadyErased: false, cards.Count, deleted, FileScrubbed: false), true);
    }

    /// <summary>Stored responses of idempotent requests that carry the member's id or a card number of theirs.</summary>
    private static async Task<int> DeleteStoredResponsesAsync(TreueDb db, Guid programmeId, Guid memberId, IReadOnlyList<Card> cards, CancellationToken ct)
    {
        var id = memberId.ToString();
        var records = await db.IdempotencyRecords.Where(r => r.ProgrammeId == programmeId).ToListAsync(ct);
        var needles = new List<string> { id };
        needles.AddRange(cards.Select(c => c.Id.ToString()));
        var doomed = records.Where(r =>
        {
            var body = System.Text.Encoding.UTF8.GetString(r.Body);
            return needles.Any(n => body.Contains(n, StringComparison.OrdinalIgnoreCase) || (r.Location?.Contains(n, StringComparison.OrdinalIgnoreCase) ?? false));
        }).ToList();
        db.IdempotencyRecords.RemoveRange(doomed);
        await db.SaveChangesAsync(ct);
        return doomed.Count;
    }

    /// <summary>Empties the write-ahead log into the database file, so the pages written before the erasure are gone.</summary>
    private static async Task<bool> CheckpointAsync(TreueDb db, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var connection = db.Database.GetDbConnection();
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            await using var r = await cmd.ExecuteReaderAsync(ct);
            // (busy, log frames, checkpointed frames): busy = 0 means the log was emptied.
            if (await r.ReadAsync(ct) && r.GetInt32(0) == 0) return true;
            await Task.Delay(50, ct);
        }
        return false;
    }
}
