using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Domain.Earning;
using Treue.Domain.Promotions;
using Treue.Storage.Entities;

namespace Treue.Storage.Purchases;

/// <summary>A member's stamp card as loaded, with the version its write is guarded by (0: no row yet).</summary>
/// <param name="State">The card.</param>
/// <param name="Version">The row's version.</param>
public sealed record LoadedStampCard(StampCardState State, int Version);

/// <summary>The promotion state loaded for one purchase, with the stamp card versions its write checks.</summary>
/// <param name="Snapshot">What the decision sees.</param>
/// <param name="CardVersions">The version of each of the member's stamp cards, by card id.</param>
public sealed record PromotionLoad(PromotionSnapshot Snapshot, IReadOnlyDictionary<string, int> CardVersions);

/// <summary>A stamp card written with a purchase or a return.</summary>
/// <param name="State">The card after it.</param>
/// <param name="Version">The version it was decided on (0: no row yet).</param>
/// <param name="Added">Stamps the purchase collected on it (kept for its returns).</param>
/// <param name="Issue">Personal codes the card's rewards issue: campaign id and whether the code applies without being presented.</param>
public sealed record StampCardWrite(StampCardState State, int Version, int Added, IReadOnlyList<(string CampaignId, bool WithoutPresenting)> Issue);

/// <summary>What a decided purchase writes of its promotions, beside its own rows, in the same transaction.</summary>
/// <param name="ProgrammeId">The programme.</param>
/// <param name="PurchaseId">The purchase.</param>
/// <param name="MemberId">The member, or null.</param>
/// <param name="Currency">The programme currency.</param>
/// <param name="Original">The basket lines as the till sent them.</param>
/// <param name="Steps">The pricing steps of the decision.</param>
/// <param name="Reservations">The decision's reservations, applied under their limits.</param>
/// <param name="Cards">The member's stamp cards the purchase changed.</param>
/// <param name="At">When it was recorded.</param>
public sealed record PromotionWrite(
    Guid ProgrammeId, Guid PurchaseId, Guid? MemberId, Currency Currency, IReadOnlyList<BasketLine> Original, IReadOnlyList<PricingStep> Steps,
    IReadOnlyList<PromotionReservation> Reservations, IReadOnlyList<StampCardWrite> Cards, DateTime At)
{
    /// <summary>True when there is nothing to write.</summary>
    public bool IsEmpty => Steps.Count == 0 && Reservations.Count == 0 && Cards.Count == 0;
}

/// <summary>
/// Loads and writes the promotion state of purchases on either database. Limits hold under concurrency because every
/// counter is raised by one guarded <c>UPDATE</c> (<c>SET uses = uses + 1 WHERE … AND uses &lt; limit</c>, the budget
/// likewise) inside the purchase's transaction: on PostgreSQL a concurrent writer waits for the row and checks the guard
/// again on the committed value; SQLite has one writer. A guard that matches no row makes the write stale, and the
/// purchase is loaded and decided again, when it sees the limit reached and refuses with the code's reason.
/// </summary>
public static class PromotionStore
{
    /// <summary>The pattern of the personal codes stamp cards issue.</summary>
    public const string RewardPattern = "CARD-#####-#####";

    /// <summary>
    /// Loads what a purchase is decided on: the presented codes of this programme (a code of another programme is never
    /// read), the member's personal codes that apply without being presented, every campaign's use, the member's uses and
    /// stamp cards. Each code is found by the primary key whether or not it exists, and the queries are the same whether the
    /// codes exist here, in another programme or nowhere: no query is skipped or added for what an earlier one found.
    /// </summary>
    public static async Task<PromotionLoad> LoadAsync(TreueDb db, Guid programmeId, Guid? memberId, IReadOnlyList<string> codes, Currency currency, CancellationToken ct)
    {
        var presented = codes.Select(CouponCodes.Normalise).Where(c => c.Length is > 0 and <= 64).Distinct(StringComparer.Ordinal).ToList();
        var found = codes.Count == 0 ? [] : await db.CouponCodes.AsNoTracking()
            .Where(c => c.ProgrammeId == programmeId && presented.Contains(c.Code)).ToListAsync(ct);
        if (memberId is { } mid)
        {
            var unasked = await db.CouponCodes.AsNoTracking()
                .Where(c => c.ProgrammeId == programmeId && c.MemberId == mid && c.ApplyWithoutPresenting && c.Uses == 0).ToListAsync(ct);
            found.AddRange(unasked.Where(u => !found.Any(f => f.Code == u.Code)));
        }
        var usage = await db.CampaignUsage.AsNoTracking().Where(u => u.ProgrammeId == programmeId).ToListAsync(ct);
        var memberUses = memberId is { } m1
            ? await db.CampaignMemberUses.AsNoTracking().Where(u => u.ProgrammeId == programmeId && u.MemberId == m1).ToDictionaryAsync(u => u.CampaignId, u => u.Uses, ct)
            : [];
        var cards = memberId is { } m2
            ? await db.MemberStampCards.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.MemberId == m2).ToListAsync(ct)
            : [];
        var campaignIds = usage.Select(u => u.CampaignId).Union(memberUses.Keys).Distinct();
        var byId = usage.ToDictionary(u => u.CampaignId);
        return new PromotionLoad(new PromotionSnapshot
        {
            Codes = found.Select(c => new CodeRecord(c.Code, c.CampaignId, c.MemberId, c.Uses) { ApplyWithoutPresenting = c.ApplyWithoutPresenting }).ToList(),
            Usage = campaignIds.Select(id => new CampaignUsage(id,
                byId.TryGetValue(id, out var u) ? currency.FromMinor(u.MoneySpentMinor) : 0m, u?.PointsSpent ?? 0, memberUses.GetValueOrDefault(id))).ToList(),
            StampCards = cards.Select(c => c.State).ToList(),
        }, cards.ToDictionary(c => c.CardId, c => c.Version));
    }

    /// <summary>
    /// Writes a purchase's promotions inside the caller's transaction, after the purchase's own rows: the reservations
    /// under their guards, a redemption per step, the purchase's pricing for its returns, and the stamp cards under their
    /// versions. False when a guard failed: the caller rolls back and decides again.
    /// </summary>
    public static async Task<bool> WriteAsync(TreueDb db, PromotionWrite w, CancellationToken ct)
    {
        foreach (var r in w.Reservations)
        {
            if (!await ReserveAsync(db, w, r, ct)) return false;
        }
        foreach (var step in w.Steps)
        {
            var reservation = w.Reservations.FirstOrDefault(r => r.CampaignId == step.CampaignId);
            db.CouponRedemptions.Add(new CouponRedemption
            {
                ProgrammeId = w.ProgrammeId, PurchaseId = w.PurchaseId, MemberId = w.MemberId, CampaignId = step.CampaignId, Code = step.Code,
                Step = step.Step, DiscountMinor = w.Currency.ToMinor(step.Discount), Points = reservation?.Points ?? 0, RedeemedAt = w.At,
            });
        }
        if (w.Steps.Count > 0 || w.Cards.Any(c => c.Added > 0))
        {
            db.PurchasePromotions.Add(new PurchasePromotion
            {
                PurchaseId = w.PurchaseId, ProgrammeId = w.ProgrammeId, MemberId = w.MemberId, Original = [.. w.Original], Steps = [.. w.Steps],
                Stamps = w.Cards.Where(c => c.Added > 0).ToDictionary(c => c.State.CardId, c => c.Added),
            });
        }
        if (w.MemberId is { } memberId && !await WriteCardsAsync(db, w.ProgrammeId, memberId, w.Cards, w.At, ct)) return false;
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Writes stamp cards under their versions and issues their rewards' codes. False when a card changed meanwhile.</summary>
    public static async Task<bool> WriteCardsAsync(TreueDb db, Guid programmeId, Guid memberId, IReadOnlyList<StampCardWrite> cards, DateTime at, CancellationToken ct)
    {
        foreach (var card in cards)
        {
            if (card.Version == 0)
            {
                // A member's purchases are serialised by the guarded update of the member row, so no other write inserts this row.
                if (await db.MemberStampCards.AnyAsync(c => c.ProgrammeId == programmeId && c.MemberId == memberId && c.CardId == card.State.CardId, ct))
                    return false;
                db.MemberStampCards.Add(new MemberStampCard
                {
                    ProgrammeId = programmeId, MemberId = memberId, CardId = card.State.CardId, State = card.State, Version = 1, UpdatedAt = at,
                });
            }
            else
            {
                var state = card.State;
                var changed = await db.MemberStampCards
                    .Where(c => c.ProgrammeId == programmeId && c.MemberId == memberId && c.CardId == state.CardId && c.Version == card.Version)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.State, state).SetProperty(c => c.Version, c => c.Version + 1).SetProperty(c => c.UpdatedAt, at), ct);
                if (changed == 0) return false;
            }
            foreach (var (campaignId, withoutPresenting) in card.Issue)
            {
                db.CouponCodes.Add(new CouponCode
                {
                    ProgrammeId = programmeId, Code = CouponCodes.Generate(RewardPattern, RandomNumberGenerator.Create()), CampaignId = campaignId,
                    MemberId = memberId, ApplyWithoutPresenting = withoutPresenting, CreatedAt = at,
                });
            }
        }
        return true;
    }

    private static async Task<bool> ReserveAsync(TreueDb db, PromotionWrite w, PromotionReservation r, CancellationToken ct)
    {
        var programmeId = w.ProgrammeId;
        if (r.Code is { } code)
        {
            var limit = r.CodeLimit ?? int.MaxValue;
            var used = await db.CouponCodes.Where(c => c.ProgrammeId == programmeId && c.Code == code && c.Uses < limit)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Uses, c => c.Uses + 1), ct);
            if (used == 0) return false;
        }
        var money = w.Currency.ToMinor(r.Money);
        var points = r.Points;
        var moneyLimit = r.Budget is { Unit: BudgetUnit.Money } mb ? w.Currency.ToMinor(mb.Amount) : long.MaxValue;
        var pointsLimit = r.Budget is { Unit: BudgetUnit.Points } pb ? (long)decimal.Floor(pb.Amount) : long.MaxValue;
        var counted = await db.CampaignUsage
            .Where(u => u.ProgrammeId == programmeId && u.CampaignId == r.CampaignId
                && u.MoneySpentMinor <= moneyLimit - money && u.PointsSpent <= pointsLimit - points)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.Uses, u => u.Uses + 1)
                .SetProperty(u => u.MoneySpentMinor, u => u.MoneySpentMinor + money)
                .SetProperty(u => u.PointsSpent, u => u.PointsSpent + points), ct);
        if (counted == 0) return false;
        if (r.MemberId is { } memberId)
        {
            var memberLimit = r.MemberLimit ?? int.MaxValue;
            var raised = await db.CampaignMemberUses
                .Where(u => u.ProgrammeId == programmeId && u.MemberId == memberId && u.CampaignId == r.CampaignId && u.Uses < memberLimit)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.Uses, u => u.Uses + 1), ct);
            if (raised == 0)
            {
                if (memberLimit < 1 || await db.CampaignMemberUses.AnyAsync(u => u.ProgrammeId == programmeId && u.MemberId == memberId && u.CampaignId == r.CampaignId, ct))
                    return false;
                // A member's purchases are serialised by the guarded update of the member row, so no other write inserts this row.
                db.CampaignMemberUses.Add(new CampaignMemberUse { ProgrammeId = programmeId, MemberId = memberId, CampaignId = r.CampaignId, Uses = 1 });
            }
        }
        return true;
    }
}
