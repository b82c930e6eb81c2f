using Treue.Analytics.Clv;
using Xunit;

namespace Treue.Analytics.Tests.Clv;

public class ParetoNbdTests
{
    private static readonly Lazy<ModelFit<ParetoNbdParameters>> LazyFit = new(() => ParetoNbd.Fit(Cdnow.PublishedSummaries()));

    [Fact]
    public void Pareto_nbd_fit_reproduces_the_published_cdnow_parameters()
    {
        var fit = LazyFit.Value;
        var p = fit.Parameters;
        TestContext.Current.TestOutputHelper?.WriteLine($"{p} LL={fit.LogLikelihood} evaluations={fit.Evaluations}");
        Assert.Equal(0.553, p.R, 0.553 * 0.01);
        Assert.Equal(10.578, p.Alpha, 10.578 * 0.01);
        Assert.Equal(0.606, p.S, 0.606 * 0.01);
        Assert.Equal(11.669, p.Beta, 11.669 * 0.01);
        Assert.Equal(-9595.0, fit.LogLikelihood, 0.5);
    }

    [Fact]
    public void Pareto_nbd_log_likelihood_is_continuous_where_the_formula_switches_cases()
    {
        // alpha >= beta and alpha < beta use different hypergeometric forms of the same function.
        var customers = Cdnow.PublishedSummaries();
        var below = ParetoNbd.LogLikelihood(new ParetoNbdParameters(0.55, 10.0 - 1e-9, 0.6, 10.0), customers);
        var above = ParetoNbd.LogLikelihood(new ParetoNbdParameters(0.55, 10.0 + 1e-9, 0.6, 10.0), customers);
        Assert.Equal(below, above, 1e-5);
        var p = new ParetoNbdParameters(0.55, 12, 0.6, 10);
        var q = new ParetoNbdParameters(0.55, 10, 0.6, 12);
        Assert.True(double.IsFinite(ParetoNbd.LogLikelihood(p, customers)));
        Assert.True(double.IsFinite(ParetoNbd.LogLikelihood(q, customers)));
    }

    [Fact]
    public void Pareto_nbd_conditional_expectation_is_expected_purchases_of_the_living_times_p_alive()
    {
        var p = LazyFit.Value.Parameters;
        var alive = p.ProbabilityAlive(2, 30.43, 38.86);
        Assert.InRange(alive, 0.5, 1);
        var e = p.ConditionalExpectedPurchases(39, 2, 30.43, 38.86);
        Assert.InRange(e, 0.9, 1.5);
        // A customer who has not bought for a long time is less likely alive than one who just bought.
        Assert.True(p.ProbabilityAlive(5, 5, 38) < p.ProbabilityAlive(5, 37, 38));
    }
}
