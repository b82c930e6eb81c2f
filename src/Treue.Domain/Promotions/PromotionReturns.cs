using Treue.Domain.Earning;

namespace Treue.Domain.Promotions;

/// <summary>Units of one line coming back.</summary>
/// <param name="LineNo">The line on the original receipt.</param>
/// <param name="Quantity">Units returned.</param>
public sealed record ReturnedLine(int LineNo, decimal Quantity);

/// <summary>What a return gives back of one pricing step.</summary>
/// <param name="Step">The step of the original decision.</param>
/// <param name="CampaignId">Its campaign.</param>
/// <param name="Code">The code that brought it, if any.</param>
/// <param name="Returned">The discount that belonged to the returned units (pro rata).</param>
/// <param name="ClawedBack">The discount the kept units no longer earn (a broken bundle or buy-X-get-Y); negative when an
/// earlier claw-back is released because the basket changed again.</param>
public sealed record StepReturn(int Step, string CampaignId, string? Code, decimal Returned, decimal ClawedBack)
{
    /// <summary>The discount of this step that is not refunded: returned plus clawed back.</summary>
    public decimal Total => Returned + ClawedBack;
}

/// <summary>The discount that left with one returned line.</summary>
/// <param name="LineNo">The line.</param>
/// <param name="Discount">Its share of the discounts, in all steps.</param>
public sealed record LineDiscountReturned(int LineNo, decimal Discount);

/// <summary>A code that becomes usable again because its purchase came back whole and its campaign says so.</summary>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Code">The code.</param>
public sealed record CodeRelease(string CampaignId, string Code);

/// <summary>What a return does to the discounts of a purchase.</summary>
/// <param name="Discount">The discount not refunded in all: the sum of <paramref name="Steps"/>' totals. The customer gets
/// back the returned lines' amounts before discounts minus this.</param>
/// <param name="Steps">Step by step.</param>
/// <param name="Lines">The pro-rata discount per returned line.</param>
/// <param name="Released">Codes usable again.</param>
public sealed record PromotionReturn(decimal Discount, IReadOnlyList<StepReturn> Steps, IReadOnlyList<LineDiscountReturned> Lines, IReadOnlyList<CodeRelease> Released);

/// <summary>
/// Returns against the pricing of the original purchase. Everything is computed from what is kept after the return
/// compared with what was kept before it, so successive partial returns add up exactly to the original discount, to the
/// minor unit: each line keeps its step discount minus the rounded-down share of its returned units; a step whose benefit
/// depends on units bought together (bundle, buy X get Y) is also recomputed on the kept units, and the kept units keep no
/// more discount than that recomputation gives.
/// </summary>
public static class PromotionReturns
{
    /// <summary>Computes what a return gives back of the original purchase's discounts.</summary>
    /// <param name="original">The receipt lines as the till sent them (before pricing).</param>
    /// <param name="steps">The pricing steps of the original decision.</param>
    /// <param name="returnedBefore">Units returned by earlier returns.</param>
    /// <param name="returnedNow">Units returned now.</param>
    /// <param name="terms">The programme's promotion terms (evaluators, and campaigns for releasing codes).</param>
    /// <param name="currency">The programme currency.</param>
    /// <exception cref="ArgumentOutOfRangeException">A return of more than was bought, or of a line not on the receipt.</exception>
    public static PromotionReturn Compute(
        IReadOnlyList<BasketLine> original, IReadOnlyList<PricingStep> steps,
        IReadOnlyList<ReturnedLine> returnedBefore, IReadOnlyList<ReturnedLine> returnedNow, PromotionTerms terms, Currency currency)
    {
        var index = original.Select((l, i) => (l.LineNo, i)).ToDictionary(t => t.LineNo, t => t.i);
        var before = Quantities(original, index, returnedBefore);
        var now = Quantities(original, index, returnedNow);
        var after = new decimal[original.Count];
        for (var i = 0; i < original.Count; i++)
        {
            if (now[i] < 0 || before[i] + now[i] > original[i].Quantity)
                throw new ArgumentOutOfRangeException(nameof(returnedNow), $"Line {original[i].LineNo}: a return cannot exceed what was bought.");
            after[i] = before[i] + now[i];
        }

        var n = original.Count;
        var netBeforeStep = original.Select(l => MinorUnits.NetMinor(currency, l.Net)).ToArray();
        var unitsBeforeStep = new int[n];
        var lineShares = new long[n];
        var results = new List<StepReturn>();
        foreach (var step in steps)
        {
            var discount = new long[n];
            var units = new int[n];
            foreach (var ld in step.Lines)
            {
                discount[index[ld.LineNo]] = currency.ToMinor(ld.Discount);
                units[index[ld.LineNo]] = ld.Units;
            }
            long returned = 0;
            for (var i = 0; i < n; i++)
            {
                var share = Kept(discount[i], before[i], original[i].Quantity) - Kept(discount[i], after[i], original[i].Quantity);
                lineShares[i] += share;
                returned += share;
            }
            long clawed = 0;
            var evaluator = terms.Evaluators.For(step.Offer);
            if (evaluator.Structural)
            {
                // The recomputation values units a little differently from the original pricing (net amounts rounded to the
                // minor unit, units of earlier offers left out); measured against its own result on the whole purchase, it
                // claws back nothing while nothing is returned.
                var slack = Math.Max(0, discount.Sum() - Recompute(step, evaluator, original, netBeforeStep, unitsBeforeStep, new decimal[n], currency));
                clawed = ClawBack(step, evaluator, original, netBeforeStep, unitsBeforeStep, discount, after, slack, currency)
                    - ClawBack(step, evaluator, original, netBeforeStep, unitsBeforeStep, discount, before, slack, currency);
            }
            results.Add(new StepReturn(step.Step, step.CampaignId, step.Code, currency.FromMinor(returned), currency.FromMinor(clawed)));
            for (var i = 0; i < n; i++)
            {
                netBeforeStep[i] -= discount[i];
                if (evaluator.Structural) unitsBeforeStep[i] += units[i];
            }
        }

        var whole = Enumerable.Range(0, n).All(i => after[i] >= original[i].Quantity);
        var campaigns = terms.Campaigns.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var released = whole
            ? steps.Where(s => s.Code is not null && campaigns.TryGetValue(s.CampaignId, out var c) && c.ReleaseCodeOnReturn)
                .Select(s => new CodeRelease(s.CampaignId, s.Code!)).ToList()
            : [];
        var lines = Enumerable.Range(0, n).Where(i => now[i] > 0)
            .Select(i => new LineDiscountReturned(original[i].LineNo, currency.FromMinor(lineShares[i]))).ToList();
        return new PromotionReturn(results.Sum(r => r.Total), results, lines, released);
    }

    /// <summary>The discount a line keeps when <paramref name="returned"/> of its <paramref name="bought"/> units are back.</summary>
    private static long Kept(long discount, decimal returned, decimal bought) => discount - MinorUnits.Share(discount, returned, bought);

    // What the kept units of a structural step keep pro rata but no longer earn: the pro-rata kept discount above what the
    // offer gives when recomputed on the kept units (each at its value before the step).
    private static long ClawBack(
        PricingStep step, IOfferEvaluator evaluator, IReadOnlyList<BasketLine> original, long[] netBeforeStep, int[] unitsBeforeStep,
        long[] discount, decimal[] returned, long slack, Currency currency)
    {
        long prorata = 0;
        for (var i = 0; i < original.Count; i++) prorata += Kept(discount[i], returned[i], original[i].Quantity);
        if (prorata == 0) return 0;
        return Math.Max(0, prorata - slack - Recompute(step, evaluator, original, netBeforeStep, unitsBeforeStep, returned, currency));
    }

    // The step's offer applied to the units kept after the given returns, each line at its net amount before the step.
    private static long Recompute(
        PricingStep step, IOfferEvaluator evaluator, IReadOnlyList<BasketLine> original, long[] netBeforeStep, int[] unitsBeforeStep,
        decimal[] returned, Currency currency)
    {
        var n = original.Count;
        var keptLines = new BasketLine[n];
        var keptNet = new long[n];
        var free = new int[n];
        for (var i = 0; i < n; i++)
        {
            var bought = original[i].Quantity;
            var kept = bought - returned[i];
            keptLines[i] = original[i] with { Quantity = kept, Discount = 0, UnitPrice = 0 };
            keptNet[i] = netBeforeStep[i] - MinorUnits.Share(netBeforeStep[i], returned[i], bought);
            free[i] = kept <= 0 ? 0 : (int)Math.Max(0, decimal.Floor(kept) - unitsBeforeStep[i]);
        }
        return evaluator.Price(step.Offer, new PricingLines(currency, keptLines, keptNet, free)).Total;
    }

    private static decimal[] Quantities(IReadOnlyList<BasketLine> original, Dictionary<int, int> index, IReadOnlyList<ReturnedLine> returned)
    {
        var quantities = new decimal[original.Count];
        foreach (var r in returned)
        {
            if (!index.TryGetValue(r.LineNo, out var i))
                throw new ArgumentOutOfRangeException(nameof(returned), $"Line {r.LineNo} is not on the receipt.");
            quantities[i] += r.Quantity;
        }
        return quantities;
    }
}
