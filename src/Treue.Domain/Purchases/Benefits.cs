using System.Text.Json.Serialization;
using Treue.Domain.Earning;
using Treue.Domain.Promotions;
using Treue.Domain.Clubs;
using Treue.Domain.Tiers;

namespace Treue.Domain.Purchases;

/// <summary>
/// The stages of a purchase decision, in the order they run. A stage sees what the stages before it decided: earning
/// sees the prices after pricing, payment sees the total after pricing, and the after-purchase stage sees everything.
/// </summary>
public enum DecisionStage
{
    /// <summary>Discounts and free items: coupons, promotions, bundle prices, club discounts.</summary>
    Pricing,
    /// <summary>Points earned by the programme's rules (and later tier multipliers).</summary>
    Earning,
    /// <summary>Paying part of the basket with points.</summary>
    Payment,
    /// <summary>What follows the purchase: stamps, gifts, messages.</summary>
    AfterPurchase,
}

/// <summary>
/// One thing a purchase decision grants or takes: points earned, points paid with, and every kind an instrument adds.
/// Each kind is a record with its own evaluator (<see cref="IBenefitEvaluator"/>); it is stored and sent as JSON with a
/// <c>kind</c> discriminator, so a new instrument adds a record and a line here, not a branch in many files.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(EarnedPoints), "earned_points")]
[JsonDerivedType(typeof(PaidWithPoints), "paid_with_points")]
[JsonDerivedType(typeof(PromotionApplied), "promotion")]
[JsonDerivedType(typeof(PromotionPoints), "promotion_points")]
[JsonDerivedType(typeof(StampsCollected), "stamps")]
[JsonDerivedType(typeof(TierPoints), "tier_points")]
[JsonDerivedType(typeof(StatusEarned), "status")]
[JsonDerivedType(typeof(TierChanged), "tier_changed")]
[JsonDerivedType(typeof(ClubPoints), "club_points")]
public abstract record Benefit
{
    /// <summary>The stage that decides this kind of benefit.</summary>
    [JsonIgnore]
    public abstract DecisionStage Stage { get; }
}

/// <summary>Points a purchase earns, with their explanation and the lot they go into.</summary>
/// <param name="Points">Points earned in all.</param>
/// <param name="Lines">Points per basket line, rule by rule.</param>
/// <param name="Bonuses">Purchase-level contributions (fixed bonuses, first-purchase bonuses).</param>
/// <param name="RulesApplied">The codes of the rules that contributed.</param>
/// <param name="FirstPurchase">Whether the purchase was decided as the member's first (see <see cref="MemberSnapshot.IsFirstPurchase"/>).</param>
/// <param name="AvailableAt">When the points become spendable (UTC): the purchase time plus the programme's return window.</param>
/// <param name="ExpiresAt">When they expire (UTC), or null if never.</param>
/// <param name="Pending">Whether they are still pending at the time of the decision.</param>
public sealed record EarnedPoints(
    long Points,
    IReadOnlyList<LineEarning> Lines,
    IReadOnlyList<Contribution> Bonuses,
    IReadOnlyList<string> RulesApplied,
    bool FirstPurchase,
    DateTime AvailableAt,
    DateTime? ExpiresAt,
    bool Pending) : Benefit
{
    /// <inheritdoc />
    public override DecisionStage Stage => DecisionStage.Earning;

    /// <summary>Fixed bonuses in all.</summary>
    public long BonusPoints => Bonuses.Sum(b => b.Points);

    /// <summary>
    /// The explanation of the ledger movement: each line's contributions named with their line, then the bonuses.
    /// </summary>
    public IReadOnlyList<Contribution> Explanation() =>
        Lines.SelectMany(l => l.Contributions.Select(c => c.OnLine(l.LineNo))).Concat(Bonuses).ToList();
}

/// <summary>Points paid with at checkout, and the money they are worth.</summary>
/// <param name="Points">Points taken from the member's available balance.</param>
/// <param name="Discount">What they pay of the basket, in the programme's currency.</param>
public sealed record PaidWithPoints(long Points, decimal Discount) : Benefit
{
    /// <inheritdoc />
    public override DecisionStage Stage => DecisionStage.Payment;
}
