using System.Text.Json.Serialization;

namespace Treue.Domain.Promotions;

/// <summary>
/// The kinds of offer by the place they take in the programme's pricing order (see <see cref="PromotionTerms.Order"/>).
/// </summary>
public enum OfferCategory
{
    /// <summary>Fixed prices for sets of articles.</summary>
    Bundles,
    /// <summary>Buy X get Y.</summary>
    MultiBuy,
    /// <summary>Free items.</summary>
    FreeItems,
    /// <summary>Discounts on matching lines.</summary>
    LineDiscounts,
    /// <summary>Discounts on the whole basket.</summary>
    BasketDiscounts,
    /// <summary>Bonus points and points multipliers, which change what the earning stage gives, not the price.</summary>
    Points,
}

/// <summary>
/// What a campaign gives. Each kind is a record with its own evaluator (<see cref="IOfferEvaluator"/>), stored as JSON with
/// a <c>kind</c> discriminator: a new kind of offer adds a record, an evaluator and a line in
/// <see cref="OfferEvaluators.Default"/>.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(PercentOffBasket), "percent_off_basket")]
[JsonDerivedType(typeof(AmountOffBasket), "amount_off_basket")]
[JsonDerivedType(typeof(PercentOffLines), "percent_off_lines")]
[JsonDerivedType(typeof(AmountOffLines), "amount_off_lines")]
[JsonDerivedType(typeof(FreeItem), "free_item")]
[JsonDerivedType(typeof(BuyXGetY), "buy_x_get_y")]
[JsonDerivedType(typeof(BundlePrice), "bundle_price")]
[JsonDerivedType(typeof(BonusPoints), "bonus_points")]
[JsonDerivedType(typeof(PointsMultiplier), "points_multiplier")]
public abstract record Offer
{
    /// <summary>Where the offer takes its place in the pricing order.</summary>
    [JsonIgnore]
    public abstract OfferCategory Category { get; }
}

/// <summary>A percentage off the whole basket, rounded to the minor unit (halves away from zero) and split over the lines.</summary>
/// <param name="Percent">The percentage, 0 to 100.</param>
/// <param name="MaxDiscount">The most the discount may be, in the programme currency, if capped.</param>
public sealed record PercentOffBasket(decimal Percent, decimal? MaxDiscount = null) : Offer
{
    /// <inheritdoc />
    public override OfferCategory Category => OfferCategory.BasketDiscounts;
}

/// <summary>An amount off the whole basket, split over the lines; never more than the basket.</summary>
/// <param name="Amount">The amount, in the programme currency.</param>
public sealed record AmountOffBasket(decimal Amount) : Offer
{
    /// <inheritdoc />
    public override OfferCategory Category => OfferCategory.BasketDiscounts;
}

/// <summary>A percentage off the matching lines, rounded once on their sum and split over them.</summary>
/// <param name="Lines">The lines it applies to.</param>
/// <param name="Percent">The percentage, 0 to 100.</param>
public sealed record PercentOffLines(LineSelector Lines, decimal Percent) : Offer
{
    /// <inheritdoc />
    public override OfferCategory Category => OfferCategory.LineDiscounts;
}

/// <summary>An amount off the matching lines: off each whole unit, or off the matching lines together.</summary>
/// <param name="Lines">The lines it applies to.</param>
/// <param name="Amount">The amount, in the programme currency.</param>
/// <param name="PerUnit">True: the amount comes off every whole unit of a matching line (1 EUR off each coffee);
/// false: once, split over the matching lines.</param>
public sealed record AmountOffLines(LineSelector Lines, decimal Amount, bool PerUnit = false) : Offer
{
    /// <inheritdoc />
    public override OfferCategory Category => OfferCategory.LineDiscounts;
}

/// <summary>
/// An article given free: if the basket holds it, that many units cost nothing; otherwise the decision names it as a gift
/// the till hands over.
/// </summary>
/// <param name="Sku">The article.</param>
/// <param name="Quantity">How many units are free.</param>
public sealed record FreeItem(string Sku, int Quantity = 1) : Offer
{
    /// <inheritdoc />
    public override OfferCategory Category => OfferCategory.FreeItems;
}

/// <summary>
/// Buy X get Y. Without <paramref name="Get"/>, the units of the group are sorted by price, most expensive first, and in
/// every run of X + Y units the Y cheapest get <paramref name="PercentOff"/> ("buy 2, get the cheapest third free").
/// With <paramref name="Get"/>, every X units bought of <paramref name="Buy"/> give Y units of <paramref name="Get"/>
/// (the cheapest) <paramref name="PercentOff"/> ("buy a coffee machine, get 50 % off a pack of beans").
/// Applied as often as the basket allows; only lines with whole quantities count.
/// </summary>
/// <param name="Buy">The units that must be bought.</param>
/// <param name="BuyQuantity">X: units bought per application.</param>
/// <param name="GetQuantity">Y: units discounted per application.</param>
/// <param name="PercentOff">The discount on the Y units: 100 makes them free.</param>
/// <param name="Get">The units discounted, when not from the same group.</param>
public sealed record BuyXGetY(LineSelector Buy, int BuyQuantity, int GetQuantity, decimal PercentOff = 100m, LineSelector? Get = null) : Offer
{
    /// <inheritdoc />
    public override OfferCategory Category => OfferCategory.MultiBuy;
}

/// <summary>One part of a bundle: a number of units of any of the given SKUs.</summary>
/// <param name="Skus">The SKUs that can fill this part.</param>
/// <param name="Quantity">Units of them the bundle needs.</param>
public sealed record BundleItem(IReadOnlyList<string> Skus, int Quantity = 1);

/// <summary>
/// A fixed price for a set of articles, applied as often as the basket allows ("burger, fries and a drink for 9.90").
/// Each application takes the most expensive units that fit; it applies only where the bundle price is lower than the
/// units' price.
/// </summary>
/// <param name="Items">The parts of the bundle.</param>
/// <param name="Price">The price of one bundle, in the programme currency.</param>
public sealed record BundlePrice(IReadOnlyList<BundleItem> Items, decimal Price) : Offer
{
    /// <inheritdoc />
    public override OfferCategory Category => OfferCategory.Bundles;
}

/// <summary>Points added to the purchase, through the earning stage.</summary>
/// <param name="Points">The bonus.</param>
public sealed record BonusPoints(long Points) : Offer
{
    /// <inheritdoc />
    public override OfferCategory Category => OfferCategory.Points;
}

/// <summary>
/// Multiplies the points the matching lines earn by the programme's rules (double points on coffee); adds the
/// difference, rounded down. The lines earn on their prices after discounts.
/// </summary>
/// <param name="Factor">The multiplier (2 for double points).</param>
/// <param name="Lines">The lines it applies to.</param>
public sealed record PointsMultiplier(decimal Factor, LineSelector Lines) : Offer
{
    /// <inheritdoc />
    public override OfferCategory Category => OfferCategory.Points;
}
