using Treue.Analytics.Clv;
using Xunit;

namespace Treue.Analytics.Tests.Clv;

public class GammaGammaTests
{
    private static readonly Lazy<ModelFit<GammaGammaParameters>> LazyFit = new(() => GammaGamma.Fit(Cdnow.PublishedSummaries()));

    internal static ModelFit<GammaGammaParameters> CdnowFit => LazyFit.Value;

    [Fact]
    public void Gamma_gamma_fit_reproduces_the_published_cdnow_parameters()
    {
        var fit = CdnowFit;
        var p = fit.Parameters;
        TestContext.Current.TestOutputHelper?.WriteLine($"{p} LL={fit.LogLikelihood} evaluations={fit.Evaluations}");
        Assert.Equal(946, fit.Customers);
        Assert.Equal(6.25, p.P, 6.25 * 0.01);
        Assert.Equal(3.74, p.Q, 3.74 * 0.01);
        Assert.Equal(15.44, p.Gamma, 15.44 * 0.01);
    }

    [Fact]
    public void Gamma_gamma_fit_in_cents_is_the_fit_in_dollars_with_gamma_times_100()
    {
        var dollars = CdnowFit;
        var cents = GammaGamma.Fit(Cdnow.PublishedSummaries().Select(c => c with { Zbar = c.Zbar * 100 }).ToArray());
        Assert.Equal(dollars.Parameters.P, cents.Parameters.P, 1e-4);
        Assert.Equal(dollars.Parameters.Q, cents.Parameters.Q, 1e-4);
        Assert.Equal(dollars.Parameters.Gamma * 100, cents.Parameters.Gamma, 1e-2);
        Assert.Equal(dollars.LogLikelihood - 946 * Math.Log(100), cents.LogLikelihood, 1e-6);
    }

    [Fact]
    public void Expected_spend_lies_between_the_population_mean_and_the_customers_own_mean()
    {
        var p = CdnowFit.Parameters;
        Assert.Equal(p.MeanSpend, p.ConditionalExpectedSpend(0, 0), 1e-12);
        var e = p.ConditionalExpectedSpend(4, 60);
        Assert.InRange(e, Math.Min(p.MeanSpend, 60), Math.Max(p.MeanSpend, 60));
        // More purchases means more weight on the customer's own mean.
        Assert.True(Math.Abs(p.ConditionalExpectedSpend(20, 60) - 60) < Math.Abs(e - 60));
    }
}
