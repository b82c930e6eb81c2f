using MathNet.Numerics.Optimization;
using MathVector = MathNet.Numerics.LinearAlgebra.Vector<double>;

namespace Treue.Analytics.Clv;

/// <summary>Thin wrappers over MathNet's optimisers with evaluation counting and a fallback.</summary>
internal static class Minimizer
{
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
            var value = objective(point, gradient);
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
            var point = result.MinimizingPoint.ToArray();
            return new Result(point, result.FunctionInfoAtMinimum.Value, evaluations);
        }
        catch (Exception e) when (e is MaximumIterationsException or InnerOptimizationException or ArithmeticException or ArgumentException)
        {
            var fallback = NelderMead(p => objective(p, new double[p.Length]), best);
            return fallback with { Evaluations = fallback.Evaluations + evaluations };
        }
    }

    /// <summary>Nelder-Mead simplex; robust where no gradient is at hand.</summary>
    public static Result NelderMead(Value objective, double[] start, double tolerance = 1e-10, int maxIterations = 5000)
    {
        var evaluations = 0;
        var objectiveFunction = ObjectiveFunction.Value(v =>
        {
            evaluations++;
            var value = objective(v.ToArray());
            return double.IsFinite(value) ? value : double.MaxValue;
        });
        var simplex = new NelderMeadSimplex(tolerance, maxIterations);
        var perturbation = MathVector.Build.Dense(start.Length, 0.5);
        var result = simplex.FindMinimum(objectiveFunction, MathVector.Build.Dense(start), perturbation);
        return new Result(result.MinimizingPoint.ToArray(), result.FunctionInfoAtMinimum.Value, evaluations);
    }
}
