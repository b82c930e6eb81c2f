namespace Treue.Analytics.Clv;

/// <summary>
/// The horizon and discounting of a lifetime value: <paramref name="Periods"/> periods of
/// <paramref name="PeriodWeeks"/> weeks each, purchases in period k discounted by (1 + d)^k.
/// </summary>
/// <param name="Periods">Number of periods, 1 or more.</param>
/// <param name="PeriodWeeks">Length of one period in weeks (the models' time unit).</param>
/// <param name="DiscountRatePerPeriod">Discount rate d per period (0.01 is 1 % per period).</param>
public readonly record struct ClvHorizon(int Periods, double PeriodWeeks, double DiscountRatePerPeriod)
{
    /// <summary>Weeks in an average calendar month (365.25 / 12 / 7).</summary>
    public const double WeeksPerMonth = 365.25 / 12 / 7;

    /// <summary>A horizon of calendar months with an annual discount rate turned into the equivalent monthly one.</summary>
    /// <param name="months">Number of months.</param>
    /// <param name="annualDiscountRate">Annual discount rate (0.10 is 10 % a year); the monthly rate is (1 + annual)^(1/12) − 1.</param>
    /// <returns>The horizon.</returns>
    public static ClvHorizon Months(int months, double annualDiscountRate) =>
        new(months, WeeksPerMonth, Math.Pow(1 + annualDiscountRate, 1.0 / 12) - 1);

    /// <summary>Length of the whole horizon in weeks.</summary>
    public double Weeks => Periods * PeriodWeeks;
}

/// <summary>What the models expect of one member.</summary>
/// <param name="Customer">Dense customer index.</param>
/// <param name="ProbabilityAlive">Probability the member is still active at the end of calibration.</param>
/// <param name="ExpectedPurchases">Expected purchases over the whole horizon.</param>
/// <param name="ExpectedSpend">Expected spend per purchase (gamma-gamma), in the units of the summaries' amounts.</param>
/// <param name="Clv">Discounted expected spend over the horizon, in the same units.</param>
public readonly record struct MemberScore(int Customer, double ProbabilityAlive, double ExpectedPurchases, double ExpectedSpend, double Clv);

/// <summary>
/// Predictive lifetime value per member: a transaction model (BG/NBD or Pareto/NBD) for how many purchases, the
/// gamma-gamma model for how much each is worth.
/// </summary>
/// <remarks>
/// CLV = E[M | x, zbar] · Σₖ₌₁..ₙ (E[Y(k·L) | x, t_x, T] − E[Y((k−1)·L) | x, t_x, T]) / (1 + d)^k, with L the period
/// length and d the discount rate per period: the expected purchases in each period, valued at the expected spend
/// per purchase and discounted to the end of calibration. Spend and frequency are taken as independent, which the
/// gamma-gamma model assumes and which should be checked on the data (the correlation of x and zbar).
/// </remarks>
public static class ClvScoring
{
    /// <summary>Periods above which the per-period buffers go to the heap instead of the stack.</summary>
    private const int StackPeriods = 512;

    /// <summary>Scores one member.</summary>
    /// <typeparam name="TModel">BG/NBD or Pareto/NBD parameters.</typeparam>
    /// <param name="model">Fitted transaction model.</param>
    /// <param name="spend">Fitted gamma-gamma model, in the units of the summary's amounts.</param>
    /// <param name="horizon">Horizon and discount rate.</param>
    /// <param name="customer">The member's calibration summary.</param>
    /// <returns>The member's score.</returns>
    public static MemberScore Score<TModel>(in TModel model, in GammaGammaParameters spend, in ClvHorizon horizon, in CustomerSummary customer)
        where TModel : struct, ITransactionModel
    {
        var k = CheckedPeriods(horizon);
        Span<double> ends = k <= StackPeriods ? stackalloc double[k] : new double[k];
        Span<double> discounts = k <= StackPeriods ? stackalloc double[k] : new double[k];
        Span<double> cumulative = k <= StackPeriods ? stackalloc double[k] : new double[k];
        Prepare(horizon, ends, discounts);
        return ScoreOne(model, spend, customer, ends, discounts, cumulative);
    }

    /// <summary>Scores many members; the per-period buffers are set up once and nothing is allocated per member.</summary>
    /// <typeparam name="TModel">BG/NBD or Pareto/NBD parameters.</typeparam>
    /// <param name="model">Fitted transaction model.</param>
    /// <param name="spend">Fitted gamma-gamma model, in the units of the summaries' amounts.</param>
    /// <param name="horizon">Horizon and discount rate.</param>
    /// <param name="customers">Calibration summaries.</param>
    /// <param name="scores">Receives one score per summary, in the same order.</param>
    public static void Score<TModel>(in TModel model, in GammaGammaParameters spend, in ClvHorizon horizon,
        ReadOnlySpan<CustomerSummary> customers, Span<MemberScore> scores)
        where TModel : struct, ITransactionModel
    {
        if (scores.Length < customers.Length) throw new ArgumentException("Fewer scores than customers.", nameof(scores));
        var k = CheckedPeriods(horizon);
        var ends = new double[k];
        var discounts = new double[k];
        var cumulative = new double[k];
        Prepare(horizon, ends, discounts);
        for (var i = 0; i < customers.Length; i++)
            scores[i] = ScoreOne(model, spend, customers[i], ends, discounts, cumulative);
    }

    /// <summary>Scores many members into a new array.</summary>
    /// <typeparam name="TModel">BG/NBD or Pareto/NBD parameters.</typeparam>
    /// <param name="model">Fitted transaction model.</param>
    /// <param name="spend">Fitted gamma-gamma model, in the units of the summaries' amounts.</param>
    /// <param name="horizon">Horizon and discount rate.</param>
    /// <param name="customers">Calibration summaries.</param>
    /// <returns>One score per summary, in the same order.</returns>
    public static MemberScore[] Score<TModel>(in TModel model, in GammaGammaParameters spend, in ClvHorizon horizon,
        ReadOnlySpan<CustomerSummary> customers)
        where TModel : struct, ITransactionModel
    {
        var scores = new MemberScore[customers.Length];
        Score(model, spend, horizon, customers, scores);
        return scores;
    }

    private static int CheckedPeriods(in ClvHorizon horizon)
    {
        if (horizon.Periods < 1) throw new ArgumentOutOfRangeException(nameof(horizon), "A horizon has at least one period.");
        if (!(horizon.PeriodWeeks > 0)) throw new ArgumentOutOfRangeException(nameof(horizon), "Periods last a positive number of weeks.");
        if (!(horizon.DiscountRatePerPeriod > -1)) throw new ArgumentOutOfRangeException(nameof(horizon), "The discount rate is above -100 %.");
        return horizon.Periods;
    }

    private static void Prepare(in ClvHorizon horizon, Span<double> ends, Span<double> discounts)
    {
        var factor = 1.0;
        for (var k = 0; k < ends.Length; k++)
        {
            ends[k] = (k + 1) * horizon.PeriodWeeks;
            factor /= 1 + horizon.DiscountRatePerPeriod;
            discounts[k] = factor;
        }
    }

    private static MemberScore ScoreOne<TModel>(in TModel model, in GammaGammaParameters spend, in CustomerSummary c,
        ReadOnlySpan<double> ends, ReadOnlySpan<double> discounts, Span<double> cumulative)
        where TModel : struct, ITransactionModel
    {
        model.ConditionalExpectedPurchases(ends, c.X, c.Tx, c.T, cumulative);
        var discounted = 0.0;
        var previous = 0.0;
        for (var k = 0; k < ends.Length; k++)
        {
            discounted += (cumulative[k] - previous) * discounts[k];
            previous = cumulative[k];
        }
        var perPurchase = spend.ConditionalExpectedSpend(c.X, c.Zbar);
        return new MemberScore(c.Customer, model.ProbabilityAlive(c.X, c.Tx, c.T), previous, perPurchase, discounted * perPurchase);
    }
}
