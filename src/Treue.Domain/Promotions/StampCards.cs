using Treue.Domain.Earning;

namespace Treue.Domain.Promotions;

/// <summary>What a purchase collects stamps for.</summary>
public enum StampBasis
{
    /// <summary>One stamp per whole unit of a matching line (one per coffee).</summary>
    PerUnit,
    /// <summary>One stamp per <see cref="StampCardDefinition.AmountPerStamp"/> spent on matching lines, after discounts.</summary>
    PerAmount,
}

/// <summary>What a full card gives.</summary>
public enum StampRewardKind
{
    /// <summary>Points, written to the ledger with the purchase that filled the card.</summary>
    Points,
    /// <summary>A personal code of the campaign <see cref="StampReward.CampaignId"/>, issued to the member.</summary>
    PersonalCoupon,
    /// <summary>An article free at the next purchase: a personal code of a campaign whose offer is that free item.</summary>
    FreeItemNextPurchase,
}

/// <summary>A card's reward.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Points">For <see cref="StampRewardKind.Points"/>: the points.</param>
/// <param name="CampaignId">For a coupon or a free item: the campaign whose personal code is issued.</param>
/// <param name="Sku">For a free item: the article, for the member's eyes.</param>
public sealed record StampReward(StampRewardKind Kind, long Points = 0, string? CampaignId = null, string? Sku = null);

/// <summary>What happens to a card's reward when a purchase that stamped the card comes back.</summary>
public enum ReturnedRewardPolicy
{
    /// <summary>The reward is taken back; the card's other stamps go back onto the current card.</summary>
    ClawBack,
    /// <summary>The reward stays with the member; the card is marked so staff can see it.</summary>
    Mark,
}

/// <summary>A stamp card of the programme.</summary>
/// <param name="Id">Stable identifier, unique in the programme.</param>
/// <param name="Name">What members read ("Coffee card: the tenth is free").</param>
/// <param name="StampsPerCard">N: the stamps that fill a card.</param>
/// <param name="Basis">What stamps are collected for.</param>
/// <param name="Reward">What a full card gives.</param>
public sealed record StampCardDefinition(string Id, string Name, int StampsPerCard, StampBasis Basis, StampReward Reward)
{
    /// <summary>When a purchase collects stamps; SKUs and categories select the lines that count.</summary>
    public RuleConditions Conditions { get; init; } = new();

    /// <summary>For <see cref="StampBasis.PerAmount"/>: the amount spent per stamp, in the programme currency.</summary>
    public decimal AmountPerStamp { get; init; } = 10m;

    /// <summary>The most stamps one purchase collects, if capped.</summary>
    public int? MaxStampsPerPurchase { get; init; }

    /// <summary>Days a stamp stays on the card after the purchase, or null if stamps never expire.</summary>
    public int? StampValidDays { get; init; }

    /// <summary>What happens to a reward when a purchase that stamped its card comes back.</summary>
    public ReturnedRewardPolicy OnReturn { get; init; } = ReturnedRewardPolicy.ClawBack;
}

/// <summary>One stamp.</summary>
/// <param name="Purchase">The purchase that gave it (its reference), so a return can take it back.</param>
/// <param name="CollectedAtUtc">When the purchase happened.</param>
/// <param name="ExpiresAtUtc">When it drops off the card, or null if never.</param>
public sealed record Stamp(string Purchase, DateTime CollectedAtUtc, DateTime? ExpiresAtUtc);

/// <summary>The state of a full card's reward.</summary>
public enum RewardStatus
{
    /// <summary>Given to the member.</summary>
    Given,
    /// <summary>Taken back after a return.</summary>
    ClawedBack,
    /// <summary>Kept by the member although a purchase that stamped the card came back.</summary>
    Marked,
}

/// <summary>A card that was filled.</summary>
/// <param name="Number">The card's number for this member, from 1.</param>
/// <param name="Stamps">The stamps that filled it (fewer when a return took some back under <see cref="ReturnedRewardPolicy.Mark"/>).</param>
/// <param name="Status">Its reward's state.</param>
/// <param name="Purchase">The purchase that filled it.</param>
public sealed record CompletedCard(int Number, IReadOnlyList<Stamp> Stamps, RewardStatus Status, string Purchase);

/// <summary>A member's stamp card: the card being filled and the cards filled before.</summary>
/// <param name="CardId">The card's definition.</param>
/// <param name="Number">The number of the card being filled, from 1.</param>
/// <param name="Stamps">The stamps on it, oldest first.</param>
/// <param name="Completed">The cards filled before, oldest first.</param>
public sealed record StampCardState(string CardId, int Number, IReadOnlyList<Stamp> Stamps, IReadOnlyList<CompletedCard> Completed)
{
    /// <summary>A member's first, empty card.</summary>
    public static StampCardState Start(string cardId) => new(cardId, 1, [], []);

    /// <summary>The rewards the member holds: filled cards whose reward was not taken back.</summary>
    public int RewardsHeld => Completed.Count(c => c.Status != RewardStatus.ClawedBack);
}

/// <summary>A reward given, taken back or marked by a transition.</summary>
/// <param name="CardNumber">The card it belongs to.</param>
/// <param name="Reward">The reward.</param>
/// <param name="Status"><see cref="RewardStatus.Given"/>: give it now; <see cref="RewardStatus.ClawedBack"/>: take it back;
/// <see cref="RewardStatus.Marked"/>: note that it stays although its card lost stamps.</param>
public sealed record RewardChange(int CardNumber, StampReward Reward, RewardStatus Status);

/// <summary>What one transition did to a card.</summary>
/// <param name="CardId">The card's definition.</param>
/// <param name="Added">Stamps added.</param>
/// <param name="Removed">Stamps a return took back.</param>
/// <param name="Expired">Stamps that dropped off because they expired.</param>
/// <param name="Rewards">Rewards given, taken back or marked.</param>
public sealed record StampCardChange(string CardId, int Added, int Removed, int Expired, IReadOnlyList<RewardChange> Rewards);

/// <summary>
/// Stamp cards as pure state transitions: (card, purchase) → (card, rewards) and (card, return) → (card, rewards).
/// A card never holds N stamps: the N-th fills it, gives its reward once and starts the next card with any stamps left over.
/// </summary>
public static class StampCards
{
    /// <summary>The stamps a purchase collects on a card (0 when its conditions do not hold).</summary>
    public static int StampsFor(StampCardDefinition card, Basket basket, PurchaserFacts facts)
    {
        var c = card.Conditions;
        var purchaseConditions = c with { Skus = [], Categories = [] };
        if (ConditionCheck.Unmet(purchaseConditions, basket, facts).Count > 0) return 0;
        var selector = new LineSelector { Skus = c.Skus, Categories = c.Categories };
        var lines = basket.Lines.Where(selector.Matches).ToList();
        long stamps = card.Basis switch
        {
            StampBasis.PerUnit => lines.Sum(l => l.Quantity > 0 ? (long)decimal.Floor(l.Quantity) : 0),
            _ when card.AmountPerStamp > 0 => (long)decimal.Floor(Math.Max(lines.Sum(l => l.Net), 0) / card.AmountPerStamp),
            _ => 0,
        };
        if (card.MaxStampsPerPurchase is { } max) stamps = Math.Min(stamps, max);
        return (int)Math.Clamp(stamps, 0, 10_000);
    }

    /// <summary>
    /// The stamps a return takes back: those the purchase collected minus those its kept lines still earn (never negative).
    /// </summary>
    /// <param name="card">The card's definition.</param>
    /// <param name="purchased">The basket as priced when it was bought.</param>
    /// <param name="kept">The same basket with the returned units taken off.</param>
    /// <param name="facts">What the conditions knew of the member at the purchase.</param>
    public static int StampsToTakeBack(StampCardDefinition card, Basket purchased, Basket kept, PurchaserFacts facts) =>
        Math.Max(0, StampsFor(card, purchased, facts) - StampsFor(card, kept, facts));

    /// <summary>
    /// A purchase stamps the card. Expired stamps drop off first; every N stamps fill a card, which gives its reward once and
    /// starts the next.
    /// </summary>
    /// <param name="card">The card's definition.</param>
    /// <param name="state">The member's card as loaded.</param>
    /// <param name="purchase">The purchase's reference, kept on its stamps.</param>
    /// <param name="basket">The basket as priced.</param>
    /// <param name="facts">What the conditions know of the member.</param>
    /// <param name="occurredAtUtc">When the purchase happened (stamps expire counted from it).</param>
    /// <param name="nowUtc">The decision's instant (stamps expired by then drop off).</param>
    public static (StampCardState State, StampCardChange Change) Collect(
        StampCardDefinition card, StampCardState state, string purchase, Basket basket, PurchaserFacts facts, DateTime occurredAtUtc, DateTime nowUtc)
    {
        var (stamps, expired) = Unexpired(state.Stamps, nowUtc);
        var added = StampsFor(card, basket, facts);
        var expires = card.StampValidDays is { } days ? occurredAtUtc.AddDays(days) : (DateTime?)null;
        if (expires is { } e && e <= nowUtc) added = 0;
        for (var i = 0; i < added; i++) stamps.Add(new Stamp(purchase, occurredAtUtc, expires));
        var completed = state.Completed.ToList();
        var rewards = new List<RewardChange>();
        var number = Fill(card, state.Number, stamps, completed, rewards, purchase);
        return (new StampCardState(state.CardId, number, stamps, completed), new StampCardChange(state.CardId, added, 0, expired, rewards));
    }

    /// <summary>
    /// A return takes back stamps a purchase gave: first from the card being filled, then from filled cards, newest first.
    /// A filled card that loses stamps has its reward taken back (its other stamps return to the current card) or marked, by the
    /// card's <see cref="StampCardDefinition.OnReturn"/>.
    /// </summary>
    /// <param name="card">The card's definition.</param>
    /// <param name="state">The member's card as loaded.</param>
    /// <param name="purchase">The returned purchase's reference.</param>
    /// <param name="stamps">Stamps to take back: those the purchase gave minus those its kept lines still earn
    /// (<see cref="StampsFor"/> on the kept lines).</param>
    /// <param name="nowUtc">The decision's instant.</param>
    public static (StampCardState State, StampCardChange Change) Return(
        StampCardDefinition card, StampCardState state, string purchase, int stamps, DateTime nowUtc)
    {
        var (current, expired) = Unexpired(state.Stamps, nowUtc);
        var completed = state.Completed.ToList();
        var rewards = new List<RewardChange>();
        var toTake = Math.Max(stamps, 0);
        var removed = 0;

        for (var i = current.Count - 1; i >= 0 && toTake > 0; i--)
        {
            if (current[i].Purchase != purchase) continue;
            current.RemoveAt(i);
            toTake--;
            removed++;
        }
        for (var c = completed.Count - 1; c >= 0 && toTake > 0; c--)
        {
            var filled = completed[c];
            if (filled.Status == RewardStatus.ClawedBack) continue;
            var own = filled.Stamps.Count(s => s.Purchase == purchase);
            if (own == 0) continue;
            var take = Math.Min(own, toTake);
            var left = WithoutLast(filled.Stamps, purchase, take);
            toTake -= take;
            removed += take;
            if (card.OnReturn == ReturnedRewardPolicy.ClawBack)
            {
                completed[c] = filled with { Stamps = left, Status = RewardStatus.ClawedBack };
                rewards.Add(new RewardChange(filled.Number, card.Reward, RewardStatus.ClawedBack));
                current.AddRange(left.Where(s => s.ExpiresAtUtc is null || s.ExpiresAtUtc > nowUtc));
            }
            else
            {
                if (filled.Status == RewardStatus.Given) rewards.Add(new RewardChange(filled.Number, card.Reward, RewardStatus.Marked));
                completed[c] = filled with { Stamps = left, Status = RewardStatus.Marked };
            }
        }
        current.Sort((a, b) => a.CollectedAtUtc.CompareTo(b.CollectedAtUtc));
        var number = Fill(card, state.Number, current, completed, rewards, purchase);
        return (new StampCardState(state.CardId, number, current, completed), new StampCardChange(state.CardId, 0, removed, expired, rewards));
    }

    private static int Fill(StampCardDefinition card, int number, List<Stamp> stamps, List<CompletedCard> completed, List<RewardChange> rewards, string purchase)
    {
        var size = Math.Max(card.StampsPerCard, 1);
        while (stamps.Count >= size)
        {
            completed.Add(new CompletedCard(number, stamps.Take(size).ToList(), RewardStatus.Given, purchase));
            rewards.Add(new RewardChange(number, card.Reward, RewardStatus.Given));
            stamps.RemoveRange(0, size);
            number++;
        }
        return number;
    }

    private static (List<Stamp> Stamps, int Expired) Unexpired(IReadOnlyList<Stamp> stamps, DateTime nowUtc)
    {
        var kept = stamps.Where(s => s.ExpiresAtUtc is null || s.ExpiresAtUtc > nowUtc).ToList();
        return (kept, stamps.Count - kept.Count);
    }

    private static List<Stamp> WithoutLast(IReadOnlyList<Stamp> stamps, string purchase, int count)
    {
        var list = stamps.ToList();
        for (var i = list.Count - 1; i >= 0 && count > 0; i--)
        {
            if (list[i].Purchase != purchase) continue;
            list.RemoveAt(i);
            count--;
        }
        return list;
    }
}
