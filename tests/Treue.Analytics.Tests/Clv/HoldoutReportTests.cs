using Treue.Analytics.Clv;
using Xunit;

namespace Treue.Analytics.Tests.Clv;

public class HoldoutReportTests
{
    [Fact]
    public void Bg_nbd_predicts_the_cdnow_holdout_purchases_by_calibration_frequency()
    {
        var summary = Cdnow.Summary;
        Assert.Equal(39, summary.HoldoutWeeks);
        var fit = BgNbd.Fit(summary.Customers);
        var rows = HoldoutReport.Build(fit.Parameters, summary);
        foreach (var row in rows)
            TestContext.Current.TestOutputHelper?.WriteLine($"x={row.RepeatPurchases}{(row.OrMore ? "+" : "")} n={row.Customers} actual={row.ActualMean:F3} predicted={row.PredictedMean:F3}");

        Assert.Equal(8, rows.Count);
        Assert.True(rows[^1].OrMore);
        Assert.Equal(summary.Customers.Length, rows.Sum(r => r.Customers));
        var actual = rows.Sum(r => r.ActualPurchases);
        var predicted = rows.Sum(r => r.PredictedPurchases);
        var cohort = summary.Customers.Sum(c => fit.Parameters.ExpectedPurchases(c.T + 39) - fit.Parameters.ExpectedPurchases(c.T));
        TestContext.Current.TestOutputHelper?.WriteLine($"actual={actual} conditional={predicted:F1} cohort={cohort:F1}");
        Assert.Equal(summary.Customers.Sum(c => c.HoldoutPurchases), actual);
        // On this sample the model undershoots the holdout by about 12 %, mostly in the x = 1 and x = 2 groups, as
        // the published calibration/holdout figure shows; a broken expectation is off by far more.
        Assert.Equal(actual, predicted, actual * 0.15);
        Assert.Equal(predicted, cohort, predicted * 0.02);
        Assert.Equal(rows[^1].ActualMean, rows[^1].PredictedMean, rows[^1].ActualMean * 0.10);
        // Those who never came back are most of the base; the model must get them right.
        Assert.Equal(rows[0].ActualMean, rows[0].PredictedMean, 0.05);
        // Predictions rise with calibration frequency, as the actuals do.
        for (var g = 1; g < rows.Count; g++) Assert.True(rows[g].PredictedMean > rows[g - 1].PredictedMean);
    }

    [Fact]
    public void Pareto_nbd_predicts_the_cdnow_holdout_total()
    {
        var summary = Cdnow.Summary;
        var fit = ParetoNbd.Fit(summary.Customers);
        var rows = HoldoutReport.Build(fit.Parameters, summary);
        var actual = rows.Sum(r => r.ActualPurchases);
        Assert.Equal(actual, rows.Sum(r => r.PredictedPurchases), actual * 0.15);
    }
}
