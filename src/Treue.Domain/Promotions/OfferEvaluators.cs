using Treue.Domain.Earning;
using Treue.Domain.Purchases;

namespace Treue.Domain.Promotions;

/// <summary>Decides what one kind of offer gives. Evaluators are pure.</summary>
public interface IOfferEvaluator
{
    /// <summary>The offer record this evaluator decides.</summary>
    Type OfferType { get; }

    /// <summary>
    /// True when the benefit depends on which units are bought together (bundles, buy X get Y): a return recomputes it on
    /// the kept units and claws back what they no longer earn.
    /// </summary>
    bool Structural { get; }

    /// <summary>The discounts the offer gives on the lines as priced so far.</summary>
    OfferOutcome Price(Offer offer, PricingLines lines);

    /// <summary>The points the offer adds to what the basket earned by the rules (0 for offers on the price).</summary>
    long Points(Offer offer, Basket basket, EarnedPoints? earned);
}

/// <summary>The typed base of an offer evaluator.</summary>
/// <typeparam name="TOffer">The offer record.</typeparam>
public abstract class OfferEvaluator<TOffer> : IOfferEvaluator where TOffer : Offer
{
    /// <inheritdoc />
    public Type OfferType => typeof(TOffer);

    /// <inheritdoc />
    public virtual bool Structural => false;

    /// <inheritdoc />
    public OfferOutcome Price(Offer offer, PricingLines lines) => Price((TOffer)offer, lines);

    /// <inheritdoc />
    public long Points(Offer offer, Basket basket, EarnedPoints? earned) => Points((TOffer)offer, basket, earned);

    /// <summary>The discounts the offer gives.</summary>
    protected abstract OfferOutcome Price(TOffer offer, PricingLines lines);

    /// <summary>The points the offer adds; none unless overridden.</summary>
    protected virtual long Points(TOffer offer, Basket basket, EarnedPoints? earned) => 0;

    /// <summary>Rounds a percentage of an amount in minor units to the minor unit, halves away from zero.</summary>
    protected static long PercentOf(decimal percent, long minor) =>
        (long)decimal.Round(minor * Math.Clamp(percent, 0m, 100m) / 100m, 0, MidpointRounding.AwayFromZero);

    /// <summary>Splits a discount over the given lines in proportion to their net amounts.</summary>
    protected static long[] SplitByNet(PricingLines lines, long amount, Func<int, bool> include)
    {
        var weights = new decimal[lines.Count];
        var caps = new long[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            if (!include(i)) continue;
            weights[i] = lines.Net(i);
            caps[i] = lines.Net(i);
        }
        return MinorUnits.Allocate(amount, weights, caps);
    }

    /// <summary>
    /// Turns exact per-line discounts on units (fractional minor units) into whole minor units: the total is rounded down
    /// once and split in proportion to the exact amounts, never above a line's net amount.
    /// </summary>
    /// <param name="lines">The lines.</param>
    /// <param name="exact">Each line's exact discount.</param>
    /// <param name="total">The exact total, when the per-line amounts carry division error (they then sum to a hair below it).</param>
    protected static long[] Whole(PricingLines lines, decimal[] exact, decimal? total = null)
    {
        var caps = new long[lines.Count];
        for (var i = 0; i < lines.Count; i++) caps[i] = exact[i] > 0 ? lines.Net(i) : 0;
        // Unit values are net amounts divided by quantities; rounding to 12 places first keeps three thirds a whole.
        return MinorUnits.Allocate((long)decimal.Floor(decimal.Round(total ?? exact.Sum(), 12)), exact, caps);
    }
}

/// <summary>Decides <see cref="PercentOffBasket"/>.</summary>
public sealed class PercentOffBasketEvaluator : OfferEvaluator<PercentOffBasket>
{
    /// <inheritdoc />
    protected override OfferOutcome Price(PercentOffBasket offer, PricingLines lines)
    {
        var amount = PercentOf(offer.Percent, lines.TotalNet);
        if (offer.MaxDiscount is { } max) amount = Math.Min(amount, lines.Currency.ToMinor(max));
        return new(SplitByNet(lines, amount, _ => true), new int[lines.Count], 1, []);
    }
}

/// <summary>Decides <see cref="AmountOffBasket"/>.</summary>
public sealed class AmountOffBasketEvaluator : OfferEvaluator<AmountOffBasket>
{
    /// <inheritdoc />
    protected override OfferOutcome Price(AmountOffBasket offer, PricingLines lines) =>
        new(SplitByNet(lines, lines.Currency.ToMinor(offer.Amount), _ => true), new int[lines.Count], 1, []);
}

/// <summary>Decides <see cref="PercentOffLines"/>.</summary>
public sealed class PercentOffLinesEvaluator : OfferEvaluator<PercentOffLines>
{
    /// <inheritdoc />
    protected override OfferOutcome Price(PercentOffLines offer, PricingLines lines)
    {
        var matching = Enumerable.Range(0, lines.Count).Where(i => offer.Lines.Matches(lines.Lines[i])).ToHashSet();
        if (matching.Count == 0) return OfferOutcome.None(lines.Count);
        var amount = PercentOf(offer.Percent, matching.Sum(lines.Net));
        return new(SplitByNet(lines, amount, matching.Contains), new int[lines.Count], 1, []);
    }
}

/// <summary>Decides <see cref="AmountOffLines"/>.</summary>
public sealed class AmountOffLinesEvaluator : OfferEvaluator<AmountOffLines>
{
    /// <inheritdoc />
    protected override OfferOutcome Price(AmountOffLines offer, PricingLines lines)
    {
        var matching = Enumerable.Range(0, lines.Count).Where(i => offer.Lines.Matches(lines.Lines[i])).ToHashSet();
        if (matching.Count == 0) return OfferOutcome.None(lines.Count);
        var amount = lines.Currency.ToMinor(offer.Amount);
        if (!offer.PerUnit) return new(SplitByNet(lines, amount, matching.Contains), new int[lines.Count], 1, []);
        var discounts = new long[lines.Count];
        foreach (var i in matching)
            discounts[i] = Math.Clamp(amount * (long)decimal.Floor(Math.Max(lines.Lines[i].Quantity, 0)), 0, lines.Net(i));
        return new(discounts, new int[lines.Count], 1, []);
    }
}

/// <summary>Decides <see cref="FreeItem"/>: the cheapest units of the article cost nothing, or it is handed over as a gift.</summary>
public sealed class FreeItemEvaluator : OfferEvaluator<FreeItem>
{
    /// <inheritdoc />
    protected override OfferOutcome Price(FreeItem offer, PricingLines lines)
    {
        if (offer.Quantity <= 0) return OfferOutcome.None(lines.Count);
        var units = lines.Units(LineSelector.OfSkus(offer.Sku)).OrderBy(u => u.Value).ThenBy(u => u.Line).Take(offer.Quantity).ToList();
        var exact = new decimal[lines.Count];
        var used = new int[lines.Count];
        foreach (var u in units)
        {
            exact[u.Line] += u.Value;
            used[u.Line]++;
        }
        var gifts = Enumerable.Repeat(offer.Sku, offer.Quantity - units.Count).ToList();
        return new(Whole(lines, exact), used, 1, gifts);
    }
}

/// <summary>Decides <see cref="BuyXGetY"/>.</summary>
public sealed class BuyXGetYEvaluator : OfferEvaluator<BuyXGetY>
{
    /// <inheritdoc />
    public override bool Structural => true;

    /// <inheritdoc />
    protected override OfferOutcome Price(BuyXGetY offer, PricingLines lines)
    {
        if (offer.BuyQuantity < 1 || offer.GetQuantity < 1) return OfferOutcome.None(lines.Count);
        var exact = new decimal[lines.Count];
        var used = new int[lines.Count];
        var applications = 0;
        var share = Math.Clamp(offer.PercentOff, 0m, 100m) / 100m;
        if (offer.Get is null)
        {
            var units = lines.Units(offer.Buy).OrderByDescending(u => u.Value).ThenBy(u => u.Line).ThenBy(u => u.Unit).ToList();
            var run = offer.BuyQuantity + offer.GetQuantity;
            applications = units.Count / run;
            for (var a = 0; a < applications; a++)
            {
                for (var k = 0; k < run; k++)
                {
                    var u = units[a * run + k];
                    used[u.Line]++;
                    if (k >= offer.BuyQuantity) exact[u.Line] += u.Value * share;
                }
            }
        }
        else
        {
            var buy = lines.Units(offer.Buy).OrderByDescending(u => u.Value).ThenBy(u => u.Line).ThenBy(u => u.Unit).ToList();
            var get = lines.Units(offer.Get).OrderBy(u => u.Value).ThenBy(u => u.Line).ThenBy(u => u.Unit).ToList();
            var taken = new HashSet<(int, int)>();
            while (true)
            {
                var paid = buy.Where(u => !taken.Contains((u.Line, u.Unit))).Take(offer.BuyQuantity).ToList();
                if (paid.Count < offer.BuyQuantity) break;
                foreach (var u in paid) taken.Add((u.Line, u.Unit));
                var discounted = get.Where(u => !taken.Contains((u.Line, u.Unit))).Take(offer.GetQuantity).ToList();
                if (discounted.Count < offer.GetQuantity)
                {
                    foreach (var u in paid) taken.Remove((u.Line, u.Unit));
                    break;
                }
                foreach (var u in discounted)
                {
                    taken.Add((u.Line, u.Unit));
                    exact[u.Line] += u.Value * share;
                }
                applications++;
            }
            foreach (var (line, _) in taken) used[line]++;
        }
        return applications == 0 ? OfferOutcome.None(lines.Count) : new(Whole(lines, exact), used, applications, []);
    }
}

/// <summary>Decides <see cref="BundlePrice"/>.</summary>
public sealed class BundlePriceEvaluator : OfferEvaluator<BundlePrice>
{
    /// <inheritdoc />
    public override bool Structural => true;

    /// <inheritdoc />
    protected override OfferOutcome Price(BundlePrice offer, PricingLines lines)
    {
        if (offer.Items.Count == 0 || offer.Items.Any(i => i.Quantity <= 0)) return OfferOutcome.None(lines.Count);
        var price = lines.Currency.ToMinor(offer.Price);
        if (price < 0) return OfferOutcome.None(lines.Count);
        var candidates = offer.Items
            .Select(item => lines.Units(new LineSelector { Skus = item.Skus }).OrderByDescending(u => u.Value).ThenBy(u => u.Line).ThenBy(u => u.Unit).ToList())
            .ToList();
        var taken = new HashSet<(int, int)>();
        var exact = new decimal[lines.Count];
        var used = new int[lines.Count];
        var applications = 0;
        var total = 0m;
        while (true)
        {
            var bundle = new List<PricedUnit>();
            var complete = true;
            for (var p = 0; p < offer.Items.Count && complete; p++)
            {
                var picked = candidates[p].Where(u => !taken.Contains((u.Line, u.Unit)) && !bundle.Contains(u)).Take(offer.Items[p].Quantity).ToList();
                if (picked.Count < offer.Items[p].Quantity) complete = false;
                bundle.AddRange(picked);
            }
            if (!complete) break;
            var value = bundle.Sum(u => u.Value);
            if (value <= price) break;
            total += value - price;
            foreach (var u in bundle)
            {
                taken.Add((u.Line, u.Unit));
                used[u.Line]++;
                exact[u.Line] += (value - price) * u.Value / value;
            }
            applications++;
        }
        return applications == 0 ? OfferOutcome.None(lines.Count) : new(Whole(lines, exact, total), used, applications, []);
    }
}

/// <summary>Decides <see cref="BonusPoints"/>: a fixed bonus to a purchase that earns points.</summary>
public sealed class BonusPointsEvaluator : OfferEvaluator<BonusPoints>
{
    /// <inheritdoc />
    protected override OfferOutcome Price(BonusPoints offer, PricingLines lines) => new(new long[lines.Count], new int[lines.Count], 1, []);

    /// <inheritdoc />
    protected override long Points(BonusPoints offer, Basket basket, EarnedPoints? earned) => earned is null ? 0 : Math.Max(offer.Points, 0);
}

/// <summary>Decides <see cref="PointsMultiplier"/> on the points the matching lines earned after discounts.</summary>
public sealed class PointsMultiplierEvaluator : OfferEvaluator<PointsMultiplier>
{
    /// <inheritdoc />
    protected override OfferOutcome Price(PointsMultiplier offer, PricingLines lines) =>
        new(new long[lines.Count], new int[lines.Count], lines.Lines.Any(offer.Lines.Matches) ? 1 : 0, []);

    /// <inheritdoc />
    protected override long Points(PointsMultiplier offer, Basket basket, EarnedPoints? earned)
    {
        if (earned is null || offer.Factor <= 1m) return 0;
        var matching = basket.Lines.Where(offer.Lines.Matches).Select(l => l.LineNo).ToHashSet();
        var basis = earned.Lines.Where(l => matching.Contains(l.LineNo)).Sum(l => l.Points);
        return (long)decimal.Floor(basis * (offer.Factor - 1m));
    }
}

/// <summary>The evaluators of the offer kinds, by offer record.</summary>
public sealed class OfferEvaluators
{
    private readonly Dictionary<Type, IOfferEvaluator> _byType;

    /// <summary>Builds a registry of the given evaluators.</summary>
    public OfferEvaluators(IEnumerable<IOfferEvaluator> evaluators) => _byType = evaluators.ToDictionary(e => e.OfferType);

    /// <summary>The evaluators of every offer kind Treue knows.</summary>
    public static readonly OfferEvaluators Default = new(
    [
        new PercentOffBasketEvaluator(), new AmountOffBasketEvaluator(), new PercentOffLinesEvaluator(), new AmountOffLinesEvaluator(),
        new FreeItemEvaluator(), new BuyXGetYEvaluator(), new BundlePriceEvaluator(), new BonusPointsEvaluator(), new PointsMultiplierEvaluator(),
    ]);

    /// <summary>The evaluator of an offer.</summary>
    /// <exception cref="InvalidOperationException">No evaluator is registered for the offer's kind (a bug).</exception>
    public IOfferEvaluator For(Offer offer) =>
        _byType.TryGetValue(offer.GetType(), out var evaluator) ? evaluator : throw new InvalidOperationException($"No evaluator for {offer.GetType().Name}.");
}
