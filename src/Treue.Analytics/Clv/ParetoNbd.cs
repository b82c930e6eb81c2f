using MathNet.Numerics;

namespace Treue.Analytics.Clv;

/// <summary>
/// Parameters of the Pareto/NBD model (Schmittlein, Morrison and Colombo 1987): while alive a customer buys as a
/// Poisson process whose rate is gamma(<paramref name="R"/>, <paramref name="Alpha"/>) across customers, and their
/// exponentially distributed lifetime has a dropout rate that is gamma(<paramref name="S"/>, <paramref name="Beta"/>)
/// across customers. Time is in weeks.
/// </summary>
/// <param name="R">Shape of the transaction-rate gamma distribution.</param>
/// <param name="Alpha">Scale (rate parameter) of the transaction-rate gamma distribution, in weeks.</param>
/// <param name="S">Shape of the dropout-rate gamma distribution.</param>
/// <param name="Beta">Scale (rate parameter) of the dropout-rate gamma distribution, in weeks.</param>
public readonly record struct ParetoNbdParameters(double R, double Alpha, double S, double Beta) : ITransactionModel
{
    /// <inheritdoc/>
    public double ProbabilityAlive(int x, double tx, double T)
    {
        var logRatio = LogDeadToAliveRatio(x, tx, T);
        return logRatio > 0 ? Math.Exp(-logRatio) / (1 + Math.Exp(-logRatio)) : 1 / (1 + Math.Exp(logRatio));
    }

    /// <inheritdoc/>
    public double ExpectedPurchases(double t) => R * Beta / Alpha * LifetimeExposure(Beta, t);

    /// <inheritdoc/>
    public double ConditionalExpectedPurchases(double horizon, int x, double tx, double T)
    {
        if (horizon <= 0) return 0;
        return (R + x) * (Beta + T) / (Alpha + T) * LifetimeExposure(Beta + T, horizon) * ProbabilityAlive(x, tx, T);
    }

    /// <inheritdoc/>
    public void ConditionalExpectedPurchases(ReadOnlySpan<double> horizons, int x, double tx, double T, Span<double> expected)
    {
        var factor = (R + x) * (Beta + T) / (Alpha + T) * ProbabilityAlive(x, tx, T);
        for (var i = 0; i < horizons.Length; i++)
            expected[i] = horizons[i] <= 0 ? 0 : factor * LifetimeExposure(Beta + T, horizons[i]);
    }

    /// <summary>[1 - (b / (b + t))^(s-1)] / (s - 1), with its limit ln((b + t) / b) at s = 1.</summary>
    private double LifetimeExposure(double b, double t)
    {
        var sm1 = S - 1;
        var log = Math.Log((b + t) / b);
        return Math.Abs(sm1) < 1e-9 ? log : -NumericsExtra.ExpM1(-sm1 * log) / sm1;
    }

    /// <summary>Log-likelihood of one customer's history.</summary>
    /// <param name="x">Repeat purchases.</param>
    /// <param name="tx">Weeks from first to last purchase.</param>
    /// <param name="T">Weeks from first purchase to the end of calibration.</param>
    /// <returns>ln L(r, α, s, β | x, t_x, T).</returns>
    public double LogLikelihood(int x, double tx, double T) =>
        SpecialFunctions.GammaLn(R + x) - SpecialFunctions.GammaLn(R) + R * Math.Log(Alpha) + S * Math.Log(Beta)
        + LogLikelihoodRest(x, tx, T);

    /// <summary>The part of the log-likelihood that depends on t_x and T.</summary>
    internal double LogLikelihoodRest(int x, double tx, double T)
    {
        var l1 = -(R + x) * Math.Log(Alpha + T) - S * Math.Log(Beta + T);
        return l1 + BgNbdParameters.Softplus(LogDeadToAliveRatio(x, tx, T));
    }

    /// <summary>
    /// ln of s/(r+s+x) · (A(t_x) − A(T)) · (α+T)^(r+x) (β+T)^s: the likelihood of having died unseen between t_x and
    /// T relative to that of being alive at T. A(t) is the Fader-Hardie 2F1 term, taken through the Euler
    /// transformation 2F1(a,b;c;z) = (1−z)^(c−a−b) 2F1(c−a,c−b;c;z) so that the series has c − a = 1, positive
    /// terms and a ratio below z, and everything stays in logs.
    /// </summary>
    private double LogDeadToAliveRatio(int x, double tx, double T)
    {
        if (tx >= T) return double.NegativeInfinity;
        var rx = R + x;
        var c = R + S + x + 1;
        double logA2, logA3; // ln A(t_x) and ln A(T), each relative to the alive term e^l1
        if (Alpha >= Beta)
        {
            // A(t) (α+T)^(r+x) (β+T)^s = ((α+T)/(α+t))^(r+x) ((β+T)/(β+t))^s Σ (r+x)ₙ/(c)ₙ zⁿ, z = (α−β)/(α+t).
            var d = Alpha - Beta;
            logA2 = rx * (Math.Log(Alpha + T) - Math.Log(Alpha + tx)) + S * (Math.Log(Beta + T) - Math.Log(Beta + tx))
                + Hypergeometric.LogUnitSeries(rx, c, d / (Alpha + tx));
            logA3 = Hypergeometric.LogUnitSeries(rx, c, d / (Alpha + T));
        }
        else
        {
            // A(t) = (α+t)^(1−r−x) (β+t)^(−s−1) Σ (s+1)ₙ/(c)ₙ zⁿ, z = (β−α)/(β+t).
            var d = Beta - Alpha;
            var lAT = Math.Log(Alpha + T);
            var lBT = Math.Log(Beta + T);
            var alive = -rx * lAT - S * lBT;
            logA2 = (1 - rx) * Math.Log(Alpha + tx) - (S + 1) * Math.Log(Beta + tx)
                + Hypergeometric.LogUnitSeries(S + 1, c, d / (Beta + tx)) - alive;
            logA3 = (1 - rx) * lAT - (S + 1) * lBT + Hypergeometric.LogUnitSeries(S + 1, c, d / (Beta + T)) - alive;
        }
        var diff = logA3 - logA2;
        if (diff >= 0) return double.NegativeInfinity;
        // ln(1 − e^diff) without losing digits when t_x is close to T.
        var log1mExp = diff > -0.693 ? Math.Log(-NumericsExtra.ExpM1(diff)) : Math.Log(1 - Math.Exp(diff));
        return Math.Log(S / (R + S + x)) + logA2 + log1mExp;
    }
}

/// <summary>Likelihood and maximum-likelihood fit of the Pareto/NBD model.</summary>
public static class ParetoNbd
{
    /// <summary>Total log-likelihood of the customers' histories.</summary>
    /// <param name="parameters">Model parameters.</param>
    /// <param name="customers">Calibration summaries.</param>
    /// <returns>Σ ln L over the customers.</returns>
    public static double LogLikelihood(in ParetoNbdParameters parameters, ReadOnlySpan<CustomerSummary> customers)
    {
        var sum = 0.0;
        foreach (ref readonly var c in customers) sum += parameters.LogLikelihood(c.X, c.Tx, c.T);
        return sum;
    }

    /// <summary>
    /// Maximum-likelihood estimates, found by the Nelder-Mead simplex on the logarithms of the parameters (the
    /// hypergeometric likelihood has no convenient gradient).
    /// </summary>
    /// <param name="customers">Calibration summaries.</param>
    /// <returns>The estimates and the log-likelihood there.</returns>
    public static ModelFit<ParetoNbdParameters> Fit(ReadOnlySpan<CustomerSummary> customers)
    {
        if (customers.IsEmpty) throw new ArgumentException("No customers to fit to.", nameof(customers));
        var data = new FrequencyData(customers);
        var scale = data.RateScale();
        double[] start = [0, Math.Log(scale), 0, Math.Log(scale)];
        var n = data.Count;
        var result = Minimizer.NelderMead(p => -Evaluate(data, p) / n, start);
        return new ModelFit<ParetoNbdParameters>(FromLog(result.Point), Evaluate(data, result.Point), result.Evaluations, n);
    }

    private static ParetoNbdParameters FromLog(ReadOnlySpan<double> p) => new(Math.Exp(p[0]), Math.Exp(p[1]), Math.Exp(p[2]), Math.Exp(p[3]));

    private static double Evaluate(FrequencyData data, ReadOnlySpan<double> logParameters)
    {
        var p = FromLog(logParameters);
        var xs = data.DistinctX;
        var lnGammaR = SpecialFunctions.GammaLn(p.R);
        var value = data.Count * (p.R * Math.Log(p.Alpha) + p.S * Math.Log(p.Beta));
        for (var g = 0; g < xs.Length; g++)
            value += data.CountPerGroup[g] * (SpecialFunctions.GammaLn(p.R + xs[g]) - lnGammaR);
        for (var i = 0; i < data.Count; i++)
            value += p.LogLikelihoodRest(xs[data.Group[i]], data.Tx[i], data.T[i]);
        return value;
    }
}

internal static class NumericsExtra
{
    /// <summary>e^x − 1 accurate for small x (Kahan's trick: the rounding errors of e^x and of its logarithm cancel).</summary>
    public static double ExpM1(double x)
    {
        var u = Math.Exp(x);
        if (u == 1) return x;
        var um1 = u - 1;
        if (um1 == -1) return -1;
        return um1 * x / Math.Log(u);
    }
}
