namespace Treue.Analytics.Clv;

/// <summary>Predicted against actual holdout purchases of the customers with the same calibration frequency.</summary>
/// <param name="RepeatPurchases">Repeat purchases in calibration (x) of the group.</param>
/// <param name="OrMore">Whether the group also holds every customer with more repeat purchases (the last group).</param>
/// <param name="Customers">Customers in the group.</param>
/// <param name="ActualPurchases">Purchases the group made in the holdout period.</param>
/// <param name="PredictedPurchases">Purchases the model expected of the group in the holdout period.</param>
public readonly record struct HoldoutGroup(int RepeatPurchases, bool OrMore, int Customers, double ActualPurchases, double PredictedPurchases)
{
    /// <summary>Actual holdout purchases per customer.</summary>
    public double ActualMean => Customers == 0 ? 0 : ActualPurchases / Customers;

    /// <summary>Predicted holdout purchases per customer.</summary>
    public double PredictedMean => Customers == 0 ? 0 : PredictedPurchases / Customers;
}

/// <summary>
/// The calibration/holdout check of a transaction model (Fader, Hardie and Lee 2005, figure 4): customers grouped by
/// their calibration repeat purchases 0, 1, …, with the conditional expectation E[Y(t) | x, t_x, T] over the holdout
/// length set against what they actually did.
/// </summary>
public static class HoldoutReport
{
    /// <summary>Builds the table for a summary that has a holdout period.</summary>
    /// <typeparam name="TModel">BG/NBD or Pareto/NBD parameters.</typeparam>
    /// <param name="model">Model fitted to the calibration period.</param>
    /// <param name="summary">Calibration summary with holdout purchases.</param>
    /// <param name="lastGroup">The x of the last, open-ended group (7 gives 0, 1, …, 6, 7+).</param>
    /// <returns>One row per group, by x.</returns>
    public static IReadOnlyList<HoldoutGroup> Build<TModel>(in TModel model, CalibrationSummary summary, int lastGroup = 7)
        where TModel : struct, ITransactionModel
    {
        if (summary.HoldoutEnd is null) throw new ArgumentException("The summary has no holdout period.", nameof(summary));
        return Build(model, summary.Customers, summary.HoldoutWeeks, lastGroup);
    }

    /// <summary>Builds the table from summaries and the holdout length.</summary>
    /// <typeparam name="TModel">BG/NBD or Pareto/NBD parameters.</typeparam>
    /// <param name="model">Model fitted to the calibration period.</param>
    /// <param name="customers">Calibration summaries with holdout purchases.</param>
    /// <param name="holdoutWeeks">Length of the holdout period in weeks.</param>
    /// <param name="lastGroup">The x of the last, open-ended group (7 gives 0, 1, …, 6, 7+).</param>
    /// <returns>One row per group, by x.</returns>
    public static IReadOnlyList<HoldoutGroup> Build<TModel>(in TModel model, ReadOnlySpan<CustomerSummary> customers, double holdoutWeeks, int lastGroup = 7)
        where TModel : struct, ITransactionModel
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lastGroup);
        var counts = new int[lastGroup + 1];
        var actual = new double[lastGroup + 1];
        var predicted = new double[lastGroup + 1];
        foreach (ref readonly var c in customers)
        {
            var g = Math.Min(c.X, lastGroup);
            counts[g]++;
            actual[g] += c.HoldoutPurchases;
            predicted[g] += model.ConditionalExpectedPurchases(holdoutWeeks, c.X, c.Tx, c.T);
        }
        var rows = new HoldoutGroup[lastGroup + 1];
        for (var g = 0; g <= lastGroup; g++)
            rows[g] = new HoldoutGroup(g, g == lastGroup, counts[g], actual[g], predicted[g]);
        return rows;
    }
}
