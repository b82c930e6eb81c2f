using Treue.Domain.Earning;
using Treue.Domain.Programmes;
using Treue.Domain.Promotions;
using Treue.Domain.Tiers;

namespace Treue.Domain.Purchases;

/// <summary>What a purchase decision needs to know of the member, read in one snapshot before deciding.</summary>
/// <param name="Id">The member.</param>
/// <param name="PurchaseCount">Purchases recorded for the member so far.</param>
/// <param name="Available">Points the member may spend.</param>
/// <param name="Pending">Points still in their return window.</param>
public sealed record MemberSnapshot(Guid Id, int PurchaseCount, long Available, long Pending)
{
    /// <summary>
    /// A member's first purchase is the first one <em>recorded</em> for them: the one decided while their purchase count
    /// was zero. Not the earliest by purchase time: a receipt sent late must not take back a bonus already granted.
    /// The recorder, the bulk import and the what-if replay all use this definition (they replay in recording order).
    /// </summary>
    public bool IsFirstPurchase => PurchaseCount == 0;

    /// <summary>The member's tier standing and qualifying entries, or null when the programme has no tiers.</summary>
    public TierSnapshot? Tier { get; init; }

    /// <summary>The codes of the clubs the member is an active member of on the purchase's day.</summary>
    public IReadOnlyList<string> Clubs { get; init; } = [];
}

/// <summary>The programme's terms that a purchase decision applies, compiled once per configuration version.</summary>
/// <param name="Currency">The programme's currency.</param>
/// <param name="Scheme">The earning rules.</param>
/// <param name="PendingDays">Days earned points stay pending (the return window).</param>
/// <param name="Expiry">When earned points expire.</param>
/// <param name="PayWithPoints">The limits on paying with points.</param>
/// <param name="PointValue">The money value of one point when paying with it.</param>
public sealed record PurchaseTerms(
    Currency Currency, EarningScheme Scheme, int PendingDays, ExpiryPolicy Expiry, PayWithPointsPolicy PayWithPoints, decimal PointValue)
{
    /// <summary>
    /// The evaluators of this programme, stage by stage. Instruments (coupons, tiers, stamp cards...) add theirs here when
    /// the programme uses them.
    /// </summary>
    public IReadOnlyList<IBenefitEvaluator> Evaluators { get; init; } = [new EarnByRules(), new PayWithPointsAtCheckout()];

    /// <summary>The programme's campaigns and stamp cards, or null when it runs none.</summary>
    public PromotionTerms? Promotions { get; init; }

    /// <summary>
    /// These terms with the programme's promotions: pricing runs before earning (which earns on the discounted prices),
    /// campaign points are added after the rules, and stamp cards collect after the purchase.
    /// </summary>
    public PurchaseTerms WithPromotions(PromotionTerms promotions) => this with
    {
        Promotions = promotions,
        Evaluators = [new PriceWithPromotions(), new EarnByRules(), new EarnPromotionPoints(), new PayWithPointsAtCheckout(), new CollectStamps()],
    };

    /// <summary>The programme's tiers and clubs, or null when it has neither.</summary>
    public MemberTerms? Members { get; init; }

    /// <summary>
    /// These terms with the programme's tiers and clubs: after the evaluators so far, the tier multiplier and the club rules
    /// earn, and the purchase qualifies for a tier after the purchase.
    /// </summary>
    public PurchaseTerms WithMembers(MemberTerms members) => this with
    {
        Members = members,
        Evaluators = [.. Evaluators, new EarnTierMultiplier(), new Clubs.EarnClubRules(), new QualifyForTier()],
    };

    /// <summary>When points earned at <paramref name="occurredAtUtc"/> become spendable.</summary>
    public DateTime AvailableAt(DateTime occurredAtUtc) => occurredAtUtc.AddDays(PendingDays);
}

/// <summary>A purchase to decide: the basket, when it happened, and what the customer asks to pay with points.</summary>
/// <param name="Basket">The lines, partner, store, channel and local time (in which rule conditions are stated).</param>
/// <param name="OccurredAtUtc">When the purchase happened.</param>
/// <param name="PointsToPay">Points the customer wants to pay with, if any.</param>
/// <param name="Anonymous">A purchase without a card: recorded for the analyses, earning nothing. A quote without a
/// member is not anonymous: it says what a member with earlier purchases would earn.</param>
public sealed record PurchaseInput(Basket Basket, DateTime OccurredAtUtc, long? PointsToPay = null, bool Anonymous = false)
{
    /// <summary>The coupon codes the customer presents.</summary>
    public IReadOnlyList<string> Codes { get; init; } = [];

    /// <summary>The purchase's reference (its receipt id), kept on the stamps it collects so a return can take them back.</summary>
    public string? Reference { get; init; }
}

/// <summary>
/// What the store must still find true when it writes a decision. If it does not, the decision is stale: nothing is
/// written, and the purchase is loaded and decided again.
/// </summary>
/// <param name="PurchaseCount">The member's purchase count the decision was made on (null for an anonymous purchase).</param>
/// <param name="SpendsPoints">Points the decision takes from the available balance, which must still hold them.</param>
public sealed record DecisionGuards(int? PurchaseCount, long SpendsPoints)
{
    /// <summary>Code uses, member uses and budget the decision takes from its campaigns, each under its limit.</summary>
    public IReadOnlyList<PromotionReservation> Reservations { get; init; } = [];

    /// <summary>Guards are equal when they hold the same counts and the same reservations in the same order.</summary>
    public bool Equals(DecisionGuards? other) =>
        other is not null && PurchaseCount == other.PurchaseCount && SpendsPoints == other.SpendsPoints && Reservations.SequenceEqual(other.Reservations);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(PurchaseCount, SpendsPoints, Reservations.Count);
}

/// <summary>The decision on a purchase: every benefit, stage by stage, and the guards under which it holds.</summary>
/// <param name="Basket">The basket after pricing.</param>
/// <param name="Benefits">What each stage decided, in stage order.</param>
/// <param name="Guards">What must still hold when it is written.</param>
public sealed record PurchaseDecision(Basket Basket, IReadOnlyList<Benefit> Benefits, DecisionGuards Guards)
{
    /// <summary>The points earned (none for an anonymous purchase).</summary>
    public EarnedPoints? Earned => Benefits.OfType<EarnedPoints>().SingleOrDefault();

    /// <summary>The payment with points, if the customer paid with points.</summary>
    public PaidWithPoints? Payment => Benefits.OfType<PaidWithPoints>().SingleOrDefault();

    /// <summary>The campaigns applied to the prices, step by step.</summary>
    public IReadOnlyList<PricingStep> Promotions => Benefits.OfType<PromotionApplied>().Select(p => p.Step).ToList();

    /// <summary>What the customer pays in money.</summary>
    public decimal AmountDue => Basket.Total - (Payment?.Discount ?? 0);
}

/// <summary>
/// The state a decision is built up in, handed to each evaluator in turn. Pricing evaluators may replace the basket;
/// later stages see the basket as priced.
/// </summary>
public sealed class PurchaseContext
{
    private readonly List<Benefit> _benefits = [];
    private readonly List<PromotionReservation> _reservations = [];

    internal PurchaseContext(PurchaseInput input, MemberSnapshot? member, PurchaseTerms terms, DateTime nowUtc, PromotionSnapshot? promotions = null)
    {
        Promotions = promotions ?? PromotionSnapshot.Empty;
        Input = input;
        Member = member;
        Terms = terms;
        NowUtc = nowUtc;
        Basket = input.Basket;
    }

    /// <summary>The purchase as asked.</summary>
    public PurchaseInput Input { get; }

    /// <summary>The member, or null for an anonymous purchase and a quote without a member.</summary>
    public MemberSnapshot? Member { get; }

    /// <summary>The programme's terms.</summary>
    public PurchaseTerms Terms { get; }

    /// <summary>The one instant the whole decision is made at (UTC).</summary>
    public DateTime NowUtc { get; }

    /// <summary>The basket as priced so far.</summary>
    public Basket Basket { get; set; }

    /// <summary>What has been decided so far.</summary>
    public IReadOnlyList<Benefit> Benefits => _benefits;

    /// <summary>The member's promotion state and the campaigns' use, as loaded.</summary>
    public PromotionSnapshot Promotions { get; }

    /// <summary>What the decision reserves of its campaigns so far.</summary>
    public IReadOnlyList<PromotionReservation> Reservations => _reservations;

    /// <summary>Reserves a campaign's use for the store to apply under its limits.</summary>
    public void Reserve(PromotionReservation reservation) => _reservations.Add(reservation);

    /// <summary>Adds points a campaign gives to its reservation, for a points budget.</summary>
    public void AddReservedPoints(string campaignId, long points)
    {
        var at = _reservations.FindIndex(r => r.CampaignId == campaignId);
        if (at >= 0) _reservations[at] = _reservations[at] with { Points = _reservations[at].Points + points };
    }

    /// <summary>Points the decision takes from the member's available balance so far.</summary>
    public long PointsSpent { get; private set; }

    /// <summary>Adds a benefit; a benefit that takes points from the member says how many.</summary>
    public void Grant(Benefit benefit, long pointsSpent = 0)
    {
        _benefits.Add(benefit);
        PointsSpent += pointsSpent;
    }
}

/// <summary>Decides one kind of benefit, in its stage. Evaluators are pure: no clock, no database.</summary>
public interface IBenefitEvaluator
{
    /// <summary>The stage this evaluator belongs to.</summary>
    DecisionStage Stage { get; }

    /// <summary>Adds what it decides to <paramref name="context"/>, or refuses the purchase.</summary>
    Refusal? Evaluate(PurchaseContext context);
}

/// <summary>Load, decide, write: the decide step of every act that records a purchase, quotes it or replays it.</summary>
public static class PurchaseDecider
{
    /// <summary>
    /// Decides a purchase: runs the programme's evaluators stage by stage (pricing, earning, payment, after the purchase)
    /// at the one instant <paramref name="nowUtc"/>.
    /// </summary>
    /// <param name="input">The purchase.</param>
    /// <param name="member">The member's snapshot; null for an anonymous purchase or a quote without a member.</param>
    /// <param name="terms">The programme's terms.</param>
    /// <param name="nowUtc">The time of the decision, from the caller's clock.</param>
    /// <param name="promotions">The promotion state loaded with the member (codes presented, campaigns' use, stamp cards).</param>
    /// <returns>The decision, or the refusal of the first evaluator that refused.</returns>
    public static (PurchaseDecision? Decision, Refusal? Refusal) Decide(
        PurchaseInput input, MemberSnapshot? member, PurchaseTerms terms, DateTime nowUtc, PromotionSnapshot? promotions = null)
    {
        var context = new PurchaseContext(input, member, terms, nowUtc, promotions);
        foreach (var stage in Enum.GetValues<DecisionStage>())
        {
            foreach (var evaluator in terms.Evaluators)
            {
                if (evaluator.Stage != stage) continue;
                if (evaluator.Evaluate(context) is { } refusal) return (null, refusal);
            }
        }
        var benefits = context.Benefits.ToList();
        // A tier multiplier's points are earned points: they go into the earning's lines, so the ledger credits and a
        // return reverses them with the rest. Status points were counted before, from the rules' points alone.
        if (benefits.OfType<TierPoints>().SingleOrDefault() is { } tier && benefits.FindIndex(b => b is EarnedPoints) is var at and >= 0)
            benefits[at] = tier.AddTo((EarnedPoints)benefits[at]);
        return (new PurchaseDecision(context.Basket, benefits, new DecisionGuards(member?.PurchaseCount, context.PointsSpent)
        {
            Reservations = context.Reservations.ToList(),
        }), null);
    }
}
