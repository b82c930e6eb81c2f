namespace Treue.Analytics.Clv;

/// <summary>
/// A fitted model of how often customers buy and when they silently stop (BG/NBD, Pareto/NBD). Time is in weeks.
/// </summary>
/// <remarks>
/// Implemented by parameter structs so that the scoring loops, generic over the model, are specialised per model
/// and do not allocate.
/// </remarks>
public interface ITransactionModel
{
    /// <summary>Probability that a customer with this history is still active at the end of calibration.</summary>
    /// <param name="x">Repeat purchases.</param>
    /// <param name="tx">Weeks from first to last purchase.</param>
    /// <param name="T">Weeks from first purchase to the end of calibration.</param>
    /// <returns>A probability in [0, 1].</returns>
    double ProbabilityAlive(int x, double tx, double T);

    /// <summary>Expected number of repeat purchases of a new customer in the first <paramref name="t"/> weeks.</summary>
    /// <param name="t">Weeks since the first purchase.</param>
    /// <returns>E[X(t)].</returns>
    double ExpectedPurchases(double t);

    /// <summary>Expected number of purchases in the <paramref name="horizon"/> weeks after calibration, given the history.</summary>
    /// <param name="horizon">Horizon in weeks.</param>
    /// <param name="x">Repeat purchases.</param>
    /// <param name="tx">Weeks from first to last purchase.</param>
    /// <param name="T">Weeks from first purchase to the end of calibration.</param>
    /// <returns>E[Y(t) | x, t_x, T].</returns>
    double ConditionalExpectedPurchases(double horizon, int x, double tx, double T);

    /// <summary>
    /// <see cref="ConditionalExpectedPurchases(double, int, double, double)"/> at several ascending horizons at once.
    /// </summary>
    /// <param name="horizons">Horizons in weeks, ascending.</param>
    /// <param name="x">Repeat purchases.</param>
    /// <param name="tx">Weeks from first to last purchase.</param>
    /// <param name="T">Weeks from first purchase to the end of calibration.</param>
    /// <param name="expected">Receives the cumulative expected purchases at each horizon.</param>
    void ConditionalExpectedPurchases(ReadOnlySpan<double> horizons, int x, double tx, double T, Span<double> expected);
}

/// <summary>The result of a maximum-likelihood fit.</summary>
/// <typeparam name="TParameters">The model's parameter struct.</typeparam>
/// <param name="Parameters">The maximum-likelihood estimates.</param>
/// <param name="LogLikelihood">Log-likelihood of the data at the estimates.</param>
/// <param name="Evaluations">Likelihood evaluations the optimiser used (a gradient evaluation counts once).</param>
/// <param name="Customers">Customers the fit used.</param>
public readonly record struct ModelFit<TParameters>(TParameters Parameters, double LogLikelihood, int Evaluations, int Customers)
    where TParameters : struct;
