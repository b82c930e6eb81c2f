using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Domain.Promotions;
using Treue.Domain.Referrals;
using Treue.Storage.Entities;

namespace Treue.Storage.Purchases;

/// <summary>
/// What a purchase writes of its member's referral: the referral becomes pending under the version it was decided on, and
/// both sides' points are credited as pending lots that the ledger posts when the return window has passed.
/// </summary>
/// <param name="ProgrammeId">The programme.</param>
/// <param name="Row">The waiting referral as loaded.</param>
/// <param name="Decided">The referral as the purchase left it (pending).</param>
/// <param name="Terms">The terms it was decided under: the rewards are taken from them.</param>
/// <param name="RewardAt">The start of the reward day as UTC.</param>
/// <param name="ExpiresAt">When the reward points expire, by the programme's policy.</param>
public sealed record ReferralWrite(Guid ProgrammeId, ReferralRecord Row, Referral Decided, ReferralTerms Terms, DateTime RewardAt, DateTime? ExpiresAt);

/// <summary>Reads and writes referrals in the transactions of the acts that change them: enrolment, purchase, return and the settling job.</summary>
public static class ReferralStore
{
    /// <summary>The lot source of a referral's reward points, on either side; the new member names the referral.</summary>
    public static string LotSource(Guid newMemberId) => "referral:" + newMemberId.ToString("N");

    /// <summary>The referral as the domain sees it.</summary>
    public static Referral ToDomain(ReferralRecord r) => new(r.ReferrerId, r.MemberId, r.Code, r.EnrolledOn, r.Status)
    {
        PurchaseReference = r.PurchaseReference, PurchasedOn = r.PurchasedOn, RewardOn = r.RewardOn,
    };

    /// <summary>The SHA-256 of a payment reference as it is kept (trimmed, upper case), or null for none.</summary>
    public static byte[]? PaymentHash(string? reference) =>
        string.IsNullOrWhiteSpace(reference) ? null : SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(reference.Trim().ToUpperInvariant()));

    /// <summary>
    /// The member's waiting referral, read only while a purchase on <paramref name="occurredAtUtc"/> can still qualify
    /// (within the terms' days of enrolment, with a day's margin for time zones): most purchases read nothing.
    /// </summary>
    public static async Task<ReferralRecord?> WaitingAsync(TreueDb db, ReferralTerms terms, Guid programmeId, Guid memberId, DateTime enrolledAtUtc,
        DateTime occurredAtUtc, CancellationToken ct)
    {
        if (occurredAtUtc > enrolledAtUtc.AddDays(terms.QualifyWithinDays + 2)) return null;
        return await db.Referrals.AsNoTracking()
            .SingleOrDefaultAsync(r => r.ProgrammeId == programmeId && r.MemberId == memberId && r.Status == ReferralStatus.Waiting, ct);
    }

    /// <summary>
    /// Writes a qualifying purchase's referral in the purchase's transaction. False when the referral changed since it was
    /// loaded (another purchase of the new member, on any node, qualified first): the purchase's decision is stale. Returns
    /// the points credited to the new member, so the purchase's answer can show the balance after them.
    /// </summary>
    public static async Task<(bool Written, long NewMemberPoints, bool Pending)> QualifyAsync(TreueDb db, TimeProvider clock, ReferralWrite w, Guid purchaseId,
        DateTime occurredAt, DateTime now, string? actor, CancellationToken ct)
    {
        var (row, d, terms) = (w.Row, w.Decided, w.Terms);
        var (referrerPoints, newPoints) = (terms.Referrer.Points, terms.NewMember.Points);
        var (referrerCampaign, newCampaign) = (terms.Referrer.CampaignId, terms.NewMember.CampaignId);
        var changed = await db.Referrals
            .Where(r => r.ProgrammeId == w.ProgrammeId && r.MemberId == row.MemberId && r.Status == ReferralStatus.Waiting && r.Version == row.Version)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, ReferralStatus.Pending)
                .SetProperty(r => r.PurchaseId, purchaseId)
                .SetProperty(r => r.PurchaseReference, d.PurchaseReference)
                .SetProperty(r => r.PurchasedOn, d.PurchasedOn)
                .SetProperty(r => r.RewardOn, d.RewardOn)
                .SetProperty(r => r.RewardAt, w.RewardAt)
                .SetProperty(r => r.ReferrerPoints, referrerPoints)
                .SetProperty(r => r.ReferrerCampaignId, referrerCampaign)
                .SetProperty(r => r.NewMemberPoints, newPoints)
                .SetProperty(r => r.NewMemberCampaignId, newCampaign)
                .SetProperty(r => r.Version, r => r.Version + 1)
                .SetProperty(r => r.UpdatedAt, now), ct);
        if (changed == 0) return (false, 0, false);
        // Held back like a purchase's points: pending until the return window has passed, then posted by the ledger's job.
        var pending = w.RewardAt > now;
        var ledger = new PointsLedger(db, clock);
        var source = LotSource(row.MemberId);
        if (referrerPoints > 0)
        {
            // The referrer's lot names no purchase: the purchase is another member's.
            await ledger.CreditAsync(w.ProgrammeId, row.ReferrerId, LedgerAccounts.Referrals, referrerPoints, w.RewardAt, w.ExpiresAt, pending, source,
                new Movement(LedgerKind.Earn, occurredAt, [Contribution.Of("referral", new Reason(ReasonKeys.ReferralReward), referrerPoints)]) { Actor = actor }, ct);
        }
        if (newPoints > 0)
        {
            await ledger.CreditAsync(w.ProgrammeId, row.MemberId, LedgerAccounts.Referrals, newPoints, w.RewardAt, w.ExpiresAt, pending, source,
                new Movement(LedgerKind.Earn, occurredAt, [Contribution.Of("referral", new Reason(ReasonKeys.ReferralReward), newPoints)])
                { PurchaseId = purchaseId, Actor = actor }, ct);
        }
        await db.SaveChangesAsync(ct);
        return (true, newPoints, pending);
    }

    /// <summary>
    /// A full return of a purchase, in the return's transaction: when it was the qualifying purchase of a pending referral
    /// whose return window has not yet passed, the referral is cancelled and both sides' reward points go (pending points
    /// are voided). False when the referral changed concurrently.
    /// </summary>
    public static async Task<bool> FullReturnAsync(TreueDb db, TimeProvider clock, Guid programmeId, Guid memberId, Guid purchaseId, string reference,
        Guid returnId, DateTime occurredAt, DateTime now, string? actor, CancellationToken ct)
    {
        var row = await db.Referrals.AsNoTracking()
            .SingleOrDefaultAsync(r => r.ProgrammeId == programmeId && r.MemberId == memberId && r.PurchaseId == purchaseId && r.Status == ReferralStatus.Pending, ct);
        // After the return window the rewards were given, and a late return does not take them back.
        if (row is null || row.RewardAt is not { } rewardAt || occurredAt >= rewardAt) return true;
        if (ReferralRules.OnReturn(ToDomain(row), reference, fullReturn: true).Status != ReferralStatus.Cancelled) return true;
        var changed = await db.Referrals
            .Where(r => r.ProgrammeId == programmeId && r.MemberId == memberId && r.Version == row.Version)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, ReferralStatus.Cancelled).SetProperty(r => r.Reason, "returned")
                .SetProperty(r => r.Version, r => r.Version + 1).SetProperty(r => r.UpdatedAt, now), ct);
        if (changed == 0) return false;
        var ledger = new PointsLedger(db, clock);
        var source = LotSource(memberId);
        Movement Taken(long points, Guid? purchase) =>
            new(LedgerKind.Reverse, occurredAt, [Contribution.Of("referral", new Reason(ReasonKeys.ReferralCancelled), -points)])
            { PurchaseId = purchase, ReturnId = returnId, Actor = actor };
        if (row.ReferrerPoints > 0)
            await ledger.ReverseSourceAsync(programmeId, row.ReferrerId, source, LedgerAccounts.Referrals, row.ReferrerPoints, Taken(row.ReferrerPoints, null), ct);
        if (row.NewMemberPoints > 0)
            await ledger.ReverseSourceAsync(programmeId, memberId, source, LedgerAccounts.Referrals, row.NewMemberPoints, Taken(row.NewMemberPoints, purchaseId), ct);
        return true;
    }

    /// <summary>
    /// Brings a programme's referrals up to <paramref name="nowUtc"/>: a pending referral whose reward day has come is
    /// rewarded (its points were posted by the ledger; a coupon reward issues its personal code now, exactly once: the
    /// state change is guarded), and a waiting one whose days have passed lapses. Safe on many nodes at once. Returns
    /// how many referrals changed.
    /// </summary>
    public static async Task<int> SettleAsync(TreueDb db, Guid programmeId, ReferralTerms terms, TimeZoneInfo zone, DateTime nowUtc, int batch,
        CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(nowUtc, zone));
        var changes = 0;
        var due = await db.Referrals.AsNoTracking()
            .Where(r => r.ProgrammeId == programmeId && r.Status == ReferralStatus.Pending && r.RewardOn <= today)
            .OrderBy(r => r.RewardOn).Take(batch).ToListAsync(ct);
        foreach (var r in due)
        {
            var (settled, payout) = ReferralRules.Settle(terms, ToDomain(r), today);
            if (settled.Status != ReferralStatus.Rewarded || payout is null) continue;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var changed = await db.Referrals.Where(x => x.ProgrammeId == programmeId && x.MemberId == r.MemberId && x.Version == r.Version)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, ReferralStatus.Rewarded).SetProperty(x => x.Version, x => x.Version + 1)
                    .SetProperty(x => x.UpdatedAt, nowUtc), ct);
            if (changed == 0) continue;
            // The campaigns as they were when the purchase qualified, not as the terms say today.
            foreach (var (member, campaign) in new[] { (r.ReferrerId, r.ReferrerCampaignId), (r.MemberId, r.NewMemberCampaignId) })
            {
                if (campaign is null) continue;
                db.CouponCodes.Add(new CouponCode
                {
                    ProgrammeId = programmeId, Code = CouponCodes.Generate(PromotionStore.RewardPattern, RandomNumberGenerator.Create()), CampaignId = campaign,
                    MemberId = member, CreatedAt = nowUtc,
                });
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
            changes++;
        }
        var lapseBefore = today.AddDays(-terms.QualifyWithinDays);
        changes += await db.Referrals
            .Where(r => r.ProgrammeId == programmeId && r.Status == ReferralStatus.Waiting && r.EnrolledOn < lapseBefore)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, ReferralStatus.Lapsed).SetProperty(r => r.Version, r => r.Version + 1)
                .SetProperty(r => r.UpdatedAt, nowUtc), ct);
        return changes;
    }
}
