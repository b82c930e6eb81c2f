using Treue.Domain.Purchases;

namespace Treue.Domain.Promotions;

/// <summary>A campaign applied to a purchase's prices, one per pricing step.</summary>
/// <param name="Step">What it did, line by line.</param>
public sealed record PromotionApplied(PricingStep Step) : Benefit
{
    /// <inheritdoc />
    public override DecisionStage Stage => DecisionStage.Pricing;
}

/// <summary>Points a campaign adds to a purchase (a bonus or a multiplier), on top of what the rules earned.</summary>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Name">Its name, for the explanation.</param>
/// <param name="Code">The code that brought it, if any.</param>
/// <param name="Points">The points added.</param>
public sealed record PromotionPoints(string CampaignId, string Name, string? Code, long Points) : Benefit
{
    /// <inheritdoc />
    public override DecisionStage Stage => DecisionStage.Earning;
}

/// <summary>What a purchase did to one of the member's stamp cards.</summary>
/// <param name="Change">Stamps added and expired, rewards given.</param>
/// <param name="State">The card after the purchase, for the store to write.</param>
public sealed record StampsCollected(StampCardChange Change, StampCardState State) : Benefit
{
    /// <inheritdoc />
    public override DecisionStage Stage => DecisionStage.AfterPurchase;
}

/// <summary>
/// The pricing stage of a purchase: applies the programme's campaigns and the presented codes to the basket, so every later
/// stage (earning, payment) sees the discounted prices. A presented code that does not apply refuses the purchase, naming the
/// code's field: a till never charges a price its customer did not expect.
/// </summary>
public sealed class PriceWithPromotions : IBenefitEvaluator
{
    /// <inheritdoc />
    public DecisionStage Stage => DecisionStage.Pricing;

    /// <inheritdoc />
    public Refusal? Evaluate(PurchaseContext context)
    {
        var terms = context.Terms.Promotions;
        if (terms is null)
        {
            return context.Input.Codes.Count == 0 ? null
                : new CodeRefusal(CouponCodes.Normalise(context.Input.Codes[0]), CodeRefusalReason.Unknown, []).ToRefusal("codes[0]");
        }
        var request = new PricingRequest(context.Basket, context.Input.OccurredAtUtc, context.Input.Codes, context.Member?.Id,
            context.Member?.IsFirstPurchase ?? false);
        var result = Pricing.Price(request, terms, context.Promotions, context.Terms.Currency);
        if (result.Refused.Count > 0)
        {
            var refused = result.Refused[0];
            var at = context.Input.Codes.ToList().FindIndex(c => CouponCodes.Normalise(c) == refused.Code);
            return refused.ToRefusal($"codes[{Math.Max(at, 0)}]");
        }
        context.Basket = result.Basket;
        foreach (var step in result.Steps) context.Grant(new PromotionApplied(step));
        foreach (var reservation in result.Reservations) context.Reserve(reservation);
        return null;
    }
}

/// <summary>
/// Bonus points and points multipliers of the campaigns applied in pricing, after the rules have earned on the discounted
/// prices. Must run after <see cref="EarnByRules"/>. A points budget is checked here, where the points are known.
/// </summary>
public sealed class EarnPromotionPoints : IBenefitEvaluator
{
    /// <inheritdoc />
    public DecisionStage Stage => DecisionStage.Earning;

    /// <inheritdoc />
    public Refusal? Evaluate(PurchaseContext context)
    {
        if (context.Terms.Promotions is not { } terms) return null;
        var earned = context.Benefits.OfType<EarnedPoints>().SingleOrDefault();
        var campaigns = terms.Campaigns.ToDictionary(c => c.Id, StringComparer.Ordinal);
        foreach (var applied in context.Benefits.OfType<PromotionApplied>().ToList())
        {
            var step = applied.Step;
            if (step.Offer.Category != OfferCategory.Points) continue;
            var points = terms.Evaluators.For(step.Offer).Points(step.Offer, context.Basket, earned);
            if (points <= 0) continue;
            if (campaigns.TryGetValue(step.CampaignId, out var campaign) && campaign.Limits.Budget is { Unit: BudgetUnit.Points } budget)
            {
                var spent = context.Promotions.Usage.FirstOrDefault(u => u.CampaignId == step.CampaignId)?.PointsSpent ?? 0;
                if (spent + points > budget.Amount)
                {
                    if (step.Code is null) continue;
                    var at = context.Input.Codes.ToList().FindIndex(c => CouponCodes.Normalise(c) == step.Code);
                    return new CodeRefusal(step.Code, CodeRefusalReason.BudgetExhausted, []).ToRefusal($"codes[{Math.Max(at, 0)}]");
                }
            }
            context.Grant(new PromotionPoints(step.CampaignId, step.Name, step.Code, points));
            context.AddReservedPoints(step.CampaignId, points);
        }
        return null;
    }
}

/// <summary>
/// The after-purchase stage for stamp cards: every card of the programme collects the stamps the priced basket earns. An
/// anonymous purchase collects none.
/// </summary>
public sealed class CollectStamps : IBenefitEvaluator
{
    /// <inheritdoc />
    public DecisionStage Stage => DecisionStage.AfterPurchase;

    /// <inheritdoc />
    public Refusal? Evaluate(PurchaseContext context)
    {
        if (context.Terms.Promotions is not { } terms || context.Input.Anonymous || context.Member is not { } member) return null;
        var facts = new PurchaserFacts(member.IsFirstPurchase, context.Promotions.Memberships);
        var reference = context.Input.Reference ?? context.Input.OccurredAtUtc.ToString("O");
        foreach (var card in terms.StampCards)
        {
            var state = context.Promotions.StampCards.FirstOrDefault(s => s.CardId == card.Id) ?? StampCardState.Start(card.Id);
            var (next, change) = StampCards.Collect(card, state, reference, context.Basket, facts, context.Input.OccurredAtUtc, context.NowUtc);
            if (change.Added > 0 || change.Expired > 0) context.Grant(new StampsCollected(change, next));
        }
        return null;
    }
}
