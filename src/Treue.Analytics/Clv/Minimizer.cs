using MathNet.Numerics.Optimization;
using MathVector = MathNet.Numerics.LinearAlgebra.Vector<double>;

namespace Treue.Analytics.Clv;

/// <summary>
/// Thin wrappers over MathNet's optimisers with evaluation counting, a fallback, and a box on the (logarithmic)
/// parameters.
/// </summary>
/// <remarks>
/// Every model here is fitted on the logarithms of its parameters. On small or unusual histories the likelihood can
/// keep rising towards infinite shape parameters (for BG/NBD a and b growing together when every customer drops out
/// with about the same probability); the predictions converge there, but the series behind them slow down without
/// bound. The fits therefore keep each parameter within [e^<see cref="LogLower"/>, e^<see cref="LogUpper"/>] (about
/// 1e-4 to 1e3): a constrained maximum likelihood that leaves published fits, all far inside, untouched.
/// </remarks>
internal static class Minimizer
{
    /// <summary>Smallest log-parameter a fit returns (e^-9.2 ≈ 1e-4).</summary>
    public const double LogLower = -9.2;

    /// <summary>Largest log-parameter a fit returns (e^6.9 ≈ 1e3).</summary>
    public const double LogUpper = 6.9;

    // A smooth quadratic wall outside the box keeps BFGS's gradient continuous.
    private static double Wall(ReadOnlySpan<double> point, Span<double> gradient)
    {
        var penalty = 0.0;
        for (var i = 0; i < point.Length; i++)
        {
            var over = point[i] > LogUpper ? point[i] - LogUpper : point[i] < LogLower ? point[i] - LogLower : 0;
            penalty += 100 * over * over;
            if (gradient.Length > i) gradient[i] += 200 * over;
        }
        return penalty;
    }

    private static bool Inside(ReadOnlySpan<double> point)
    {
        foreach (var p in point)
            if (p is < LogLower or > LogUpper) return false;
        return true;
    }

    private static double[] Clamp(double[] point) => [.. point.Select(p => Math.Clamp(p, LogLower, LogUpper))];
    /// <summary>The objective value and its gradient at a point; the gradient is written into the span.</summary>
    public delegate double ValueAndGradient(ReadOnlySpan<double> point, Span<double> gradient);

    /// <summary>The objective value at a point.</summary>
    public delegate double Value(ReadOnlySpan<double> point);

    public readonly record struct Result(double[] Point, double Value, int Evaluations);

    /// <summary>
    /// BFGS with an analytic gradient; if its line search gives up (it does on flat or badly scaled surfaces),
    /// Nelder-Mead continues from the best point seen, so a fit always returns a minimum.
    /// </summary>
    public static Result Bfgs(ValueAndGradient objective, double[] start)
    {
        var evaluations = 0;
        var best = (double[])start.Clone();
        var bestValue = double.PositiveInfinity;
        var objectiveFunction = ObjectiveFunction.Gradient(v =>
        {
            evaluations++;
            var point = v.ToArray();
            var gradient = new double[point.Length];
            var value = objective(point, gradient) + Wall(point, gradient);
            if (!double.IsFinite(value)) return (double.MaxValue, MathVector.Build.Dense(point.Length));
            if (value < bestValue)
            {
                bestValue = value;
                best = point;
            }
            return (value, MathVector.Build.Dense(gradient));
        });
        try
        {
            var minimizer = new BfgsMinimizer(1e-7, 1e-10, 1e-12, 500);
            var result = minimizer.FindMinimum(objectiveFunction, MathVector.Build.Dense(start));
            var point = Clamp(result.MinimizingPoint.ToArray());
            return new Result(point, objective(point, new double[point.Length]), evaluations);
        }
        catch (Exception e) when (e is MaximumIterationsException or InnerOptimizationException or ArithmeticException or ArgumentException)
        {
            var fallback = NelderMead(p => objective(p, new double[p.Length]), Clamp(best));
            return fallback with { Evaluations = fallback.Evaluations + evaluations };
        }
    }

    /// <summary>Nelder-Mead simplex; robust where no gradient is at hand.</summary>
    public static Result NelderMead(Value objective, double[] start, double tolerance = 1e-10, int maxIterations = 5000)
    {
        var evaluations = 0;
        var objectiveFunction = ObjectiveFunction.Value(v =>
        {
            var point = v.ToArray();
            // Outside the box the likelihood is not even evaluated: that is where it becomes slow.
            if (!Inside(point)) return double.MaxValue;
            evaluations++;
            var value = objective(point);
            return double.IsFinite(value) ? value : double.MaxValue;
        });
        var simplex = new NelderMeadSimplex(tolerance, maxIterations);
        var perturbation = MathVector.Build.Dense(start.Length, 0.5);
        var result = simplex.FindMinimum(objectiveFunction, MathVector.Build.Dense(Clamp(start)), perturbation);
        return new Result(Clamp(result.MinimizingPoint.ToArray()), result.FunctionInfoAtMinimum.Value, evaluations);
    }
}
