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
}
