using Xunit;
using Treue.Analytics.Clv;

namespace Treue.Analytics.Tests.Clv;

public class BgNbdTests
{
    private static readonly Lazy<ModelFit<BgNbdParameters>> LazyFit = new(() => BgNbd.Fit(Cdnow.PublishedSummaries()));

    internal static ModelFit<BgNbdParameters> CdnowFit => LazyFit.Value;

    [Fact]
    public void Bg_nbd_fit_reproduces_the_published_cdnow_parameters()
    {
        var fit = CdnowFit;
        var p = fit.Parameters;
        TestContext.Current.TestOutputHelper?.WriteLine($"{p} LL={fit.LogLikelihood} evaluations={fit.Evaluations}");
        Assert.Equal(0.243, p.R, 0.243 * 0.005);
        Assert.Equal(4.414, p.Alpha, 4.414 * 0.005);
        Assert.Equal(0.793, p.A, 0.793 * 0.005);
        Assert.Equal(2.426, p.B, 2.426 * 0.005);
        Assert.Equal(-9582.4, fit.LogLikelihood, 0.1);
    }

    [Fact]
    public void Bg_nbd_log_likelihood_of_the_published_parameters_is_the_published_value()
    {
        var ll = BgNbd.LogLikelihood(new BgNbdParameters(0.243, 4.414, 0.793, 2.426), Cdnow.PublishedSummaries());
        Assert.Equal(-9582.4, ll, 0.5);
    }

    [Fact]
    public void Bg_nbd_conditional_expectation_reproduces_the_published_example()
    {
        var e = CdnowFit.Parameters.ConditionalExpectedPurchases(39, 2, 30.43, 38.86);
        TestContext.Current.TestOutputHelper?.WriteLine($"E[Y(39) | 2, 30.43, 38.86] = {e}");
        Assert.Equal(1.226, e, 0.001);
    }

    [Fact]
    public void Expectations_stay_finite_when_the_fit_ends_with_very_large_a_and_b()
    {
        // Small programmes can drive a and b to millions (everyone drops out with about the same probability).
        var p = new BgNbdParameters(1.28, 10.07, 6.5e6, 1.15e7);
        var limit = new BgNbdParameters(1.28, 10.07, 6.5e3, 1.15e4);
        foreach (var (x, tx, T) in new[] { (0, 0.0, 45.6), (1, 7.1, 51.1), (2, 10.3, 37.6) })
        {
            var e = p.ConditionalExpectedPurchases(52, x, tx, T);
            Assert.True(double.IsFinite(e) && e >= 0, $"E = {e}");
            // Large a and b with the same ratio describe the same process, so the expectation converges.
            Assert.Equal(limit.ConditionalExpectedPurchases(52, x, tx, T), e, 0.01);
            var many = new double[3];
            p.ConditionalExpectedPurchases([13.0, 26.0, 52.0], x, tx, T, many);
            Assert.Equal(e, many[2], 1e-9);
        }
    }
}
