using CsCheck;
using Treue.Analytics.Clv;
using Xunit;

namespace Treue.Analytics.Tests.Clv;

public class ScoringTests
{
    private static readonly BgNbdParameters BgNbdCdnow = new(0.243, 4.414, 0.793, 2.426);
    private static readonly ParetoNbdParameters ParetoCdnow = new(0.553, 10.578, 0.606, 11.669);
    private static readonly GammaGammaParameters SpendCdnow = new(6.25, 3.74, 15.44);

    /// <summary>A history: x repeat purchases, t_x a fraction u of T, T up to four years.</summary>
    private static readonly Gen<(int X, double Tx, double T)> Histories =
        Gen.Select(Gen.Int[0, 60], Gen.Double[0, 1], Gen.Double[0, 208])
            .Select((x, u, t) => (x, x == 0 ? 0 : u * t, t));

    private static readonly Gen<BgNbdParameters> BgNbdModels =
        Gen.Select(Gen.Double[0.05, 5], Gen.Double[0.5, 50], Gen.Double[0.1, 5], Gen.Double[0.1, 10])
            .Select((r, alpha, a, b) => new BgNbdParameters(r, alpha, a, b));

    [Fact]
    public void P_alive_is_a_probability_and_1_without_repeat_purchases_under_bg_nbd()
    {
        Gen.Select(BgNbdModels, Histories).Sample((m, h) =>
        {
            var alive = m.ProbabilityAlive(h.X, h.Tx, h.T);
            Assert.InRange(alive, 0, 1);
            if (h.X == 0) Assert.Equal(1, alive);
        }, iter: 2000);
    }

    [Fact]
    public void P_alive_is_a_probability_under_pareto_nbd()
    {
        Gen.Select(Gen.Double[0.05, 5], Gen.Double[0.5, 50], Gen.Double[0.05, 5], Gen.Double[0.5, 50], Histories).Sample((r, alpha, s, beta, h) =>
        {
            var alive = new ParetoNbdParameters(r, alpha, s, beta).ProbabilityAlive(h.X, h.Tx, h.T);
            Assert.InRange(alive, 0, 1);
        }, iter: 2000);
    }

    [Fact]
    public void Conditional_expectation_grows_with_the_horizon()
    {
        Gen.Select(BgNbdModels, Histories, Gen.Double[0.1, 104], Gen.Double[0.1, 104]).Sample((m, h, t1, dt) =>
        {
            var e1 = m.ConditionalExpectedPurchases(t1, h.X, h.Tx, h.T);
            var e2 = m.ConditionalExpectedPurchases(t1 + dt, h.X, h.Tx, h.T);
            Assert.True(e1 >= 0, $"E[Y({t1})] = {e1}");
            Assert.True(e2 >= e1 * (1 - 1e-9), $"E[Y({t1})] = {e1} > E[Y({t1 + dt})] = {e2}");
            var p1 = ParetoCdnow.ConditionalExpectedPurchases(t1, h.X, h.Tx, h.T);
            Assert.True(ParetoCdnow.ConditionalExpectedPurchases(t1 + dt, h.X, h.Tx, h.T) >= p1);
        }, iter: 1000);
    }

    [Fact]
    public void Expectations_at_many_horizons_at_once_equal_one_at_a_time()
    {
        double[] horizons = [4.35, 8.7, 13, 26, 52, 104, 156, 520];
        var many = new double[horizons.Length];
        foreach (var (x, tx, T) in new[] { (0, 0.0, 38.86), (2, 30.43, 38.86), (7, 10, 60), (40, 50, 52), (0, 0, 0.0) })
        {
            BgNbdCdnow.ConditionalExpectedPurchases(horizons, x, tx, T, many);
            for (var i = 0; i < horizons.Length; i++)
                Assert.Equal(BgNbdCdnow.ConditionalExpectedPurchases(horizons[i], x, tx, T), many[i], 1e-9);
            ParetoCdnow.ConditionalExpectedPurchases(horizons, x, tx, T, many);
            for (var i = 0; i < horizons.Length; i++)
                Assert.Equal(ParetoCdnow.ConditionalExpectedPurchases(horizons[i], x, tx, T), many[i], 1e-12);
        }
    }

    [Fact]
    public void Expected_purchases_of_a_new_customer_are_the_conditional_ones_at_age_zero()
    {
        // E[X(t)] of BG/NBD from its own closed form (the Euler transform is not involved there).
        var (r, alpha, a, b) = BgNbdCdnow;
        const double t = 39;
        var direct = (a + b - 1) / (a - 1) * (1 - Math.Pow(alpha / (alpha + t), r) * Hypergeometric.F21(r, b, a + b - 1, t / (alpha + t)));
        Assert.Equal(direct, BgNbdCdnow.ExpectedPurchases(t), 1e-9);
        Assert.Equal(ParetoCdnow.ExpectedPurchases(t), ParetoCdnow.ConditionalExpectedPurchases(t, 0, 0, 0), 1e-12);
    }

    [Fact]
    public void Undiscounted_clv_is_expected_purchases_times_expected_spend()
    {
        var customer = new CustomerSummary(0, 2, 30.43, 38.86, 22.35);
        var score = ClvScoring.Score(BgNbdCdnow, SpendCdnow, new ClvHorizon(12, 39.0 / 12, 0), customer);
        Assert.Equal(BgNbdCdnow.ConditionalExpectedPurchases(39, 2, 30.43, 38.86), score.ExpectedPurchases, 1e-12);
        Assert.Equal(SpendCdnow.ConditionalExpectedSpend(2, 22.35), score.ExpectedSpend, 1e-12);
        Assert.Equal(score.ExpectedPurchases * score.ExpectedSpend, score.Clv, 1e-9);
        Assert.Equal(BgNbdCdnow.ProbabilityAlive(2, 30.43, 38.86), score.ProbabilityAlive);
    }

    [Fact]
    public void Discounting_lowers_clv_by_at_most_the_last_periods_factor()
    {
        var customer = new CustomerSummary(0, 5, 20, 38.86, 40);
        var plain = ClvScoring.Score(BgNbdCdnow, SpendCdnow, ClvHorizon.Months(36, 0), customer).Clv;
        var horizon = ClvHorizon.Months(36, 0.10);
        Assert.Equal(Math.Pow(1.10, 1.0 / 12) - 1, horizon.DiscountRatePerPeriod, 1e-15);
        var discounted = ClvScoring.Score(BgNbdCdnow, SpendCdnow, horizon, customer).Clv;
        Assert.InRange(discounted, plain / Math.Pow(1.10, 3), plain / Math.Pow(1.10, 1.0 / 12));
    }

    [Fact]
    public void Scoring_a_span_equals_scoring_members_one_by_one()
    {
        var customers = Cdnow.PublishedSummaries();
        var horizon = ClvHorizon.Months(12, 0.10);
        var scores = ClvScoring.Score(BgNbdCdnow, SpendCdnow, horizon, customers);
        var pareto = ClvScoring.Score(ParetoCdnow, SpendCdnow, horizon, customers);
        for (var i = 0; i < customers.Length; i += 97)
        {
            Assert.Equal(ClvScoring.Score(BgNbdCdnow, SpendCdnow, horizon, customers[i]), scores[i]);
            Assert.Equal(ClvScoring.Score(ParetoCdnow, SpendCdnow, horizon, customers[i]), pareto[i]);
        }
        // Both models value the same customer base similarly.
        var total = scores.Sum(s => s.Clv);
        Assert.Equal(total, pareto.Sum(s => s.Clv), total * 0.10);
    }
}
