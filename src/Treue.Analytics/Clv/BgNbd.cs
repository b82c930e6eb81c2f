using MathNet.Numerics;

namespace Treue.Analytics.Clv;

/// <summary>
/// Parameters of the BG/NBD model (Fader, Hardie and Lee 2005, "Counting your customers the easy way"):
/// transaction rates are gamma(<paramref name="R"/>, <paramref name="Alpha"/>) across customers, and after each
/// purchase a customer drops out with a probability that is beta(<paramref name="A"/>, <paramref name="B"/>) across
/// customers. Time is in weeks.
/// </summary>
/// <param name="R">Shape of the transaction-rate gamma distribution.</param>
/// <param name="Alpha">Scale (rate parameter) of the transaction-rate gamma distribution, in weeks.</param>
/// <param name="A">First shape of the dropout-probability beta distribution.</param>
/// <param name="B">Second shape of the dropout-probability beta distribution.</param>
public readonly record struct BgNbdParameters(double R, double Alpha, double A, double B) : ITransactionModel
{
    /// <inheritdoc/>
    public double ProbabilityAlive(int x, double tx, double T)
    {
        if (x == 0) return 1;
        var odds = A / (B + x - 1) * Math.Exp((R + x) * (Math.Log(Alpha + T) - Math.Log(Alpha + tx)));
        return 1 / (1 + odds);
    }

    /// <inheritdoc/>
    public double ExpectedPurchases(double t) => ConditionalExpectedPurchases(t, 0, 0, 0);

    /// <inheritdoc/>
    public double ConditionalExpectedPurchases(double horizon, int x, double tx, double T)
    {
        if (horizon <= 0) return 0;
        var am1 = AMinusOne();
        var z = horizon / (Alpha + T + horizon);
        var g = Hypergeometric.F21(A + B - 1 - R, am1, A + B + x - 1, z);
        var remaining = Math.Exp(am1 * Math.Log((Alpha + T) / (Alpha + T + horizon))) * g;
        if (!double.IsFinite(remaining)) remaining = Untransformed(x, z);
        return (A + B + x - 1) / am1 * (1 - remaining) * ProbabilityAlive(x, tx, T);
    }

    // The transformed series grows like exp((a − 1) z) before it converges, which overflows when a fit ends with a
    // and b very large (dropout almost the same for everyone, as small programmes can show). The untransformed
    // series (Fader, Hardie, Lee 2005, eq. 10) then converges at once, its terms shrinking by about z·b/(a+b).
    private double Untransformed(int x, double z) =>
        Math.Exp((R + x) * Math.Log(1 - z)) * Hypergeometric.F21(R + x, B + x, A + B + x - 1, z);

    /// <inheritdoc/>
    public void ConditionalExpectedPurchases(ReadOnlySpan<double> horizons, int x, double tx, double T, Span<double> expected)
    {
        var k = horizons.Length;
        Span<double> z = k <= 256 ? stackalloc double[k] : new double[k];
        for (var i = 0; i < k; i++) z[i] = Math.Max(horizons[i], 0) / (Alpha + T + Math.Max(horizons[i], 0));
        var am1 = AMinusOne();
        Hypergeometric.F21(A + B - 1 - R, am1, A + B + x - 1, z, expected);
        var factor = (A + B + x - 1) / am1 * ProbabilityAlive(x, tx, T);
        for (var i = 0; i < k; i++)
        {
            var remaining = Math.Exp(am1 * Math.Log(1 - z[i])) * expected[i];
            if (!double.IsFinite(remaining)) remaining = Untransformed(x, z[i]);
            expected[i] = factor * (1 - remaining);
        }
    }

    // The expectations have a removable singularity at a = 1; stepping beside it changes them by about 1e-9.
    private double AMinusOne()
    {
        var am1 = A - 1;
        return Math.Abs(am1) < 1e-9 ? 1e-9 : am1;
    }

    /// <summary>Log-likelihood of one customer's history.</summary>
    /// <param name="x">Repeat purchases.</param>
    /// <param name="tx">Weeks from first to last purchase.</param>
    /// <param name="T">Weeks from first purchase to the end of calibration.</param>
    /// <returns>ln L(r, α, a, b | x, t_x, T).</returns>
    public double LogLikelihood(int x, double tx, double T)
    {
        var rx = R + x;
        var lT = Math.Log(Alpha + T);
        var value = SpecialFunctions.GammaLn(rx) - SpecialFunctions.GammaLn(R) + R * Math.Log(Alpha)
            + SpecialFunctions.BetaLn(A, B + x) - SpecialFunctions.BetaLn(A, B) - rx * lT;
        if (x > 0) value += Softplus(Math.Log(A / (B + x - 1)) + rx * (lT - Math.Log(Alpha + tx)));
        return value;
    }

    internal static double Softplus(double u) => u > 0 ? u + Math.Log(1 + Math.Exp(-u)) : Math.Log(1 + Math.Exp(u));
}

/// <summary>Likelihood and maximum-likelihood fit of the BG/NBD model.</summary>
public static class BgNbd
{
    /// <summary>Total log-likelihood of the customers' histories.</summary>
    /// <param name="parameters">Model parameters.</param>
    /// <param name="customers">Calibration summaries.</param>
    /// <returns>Σ ln L over the customers.</returns>
    public static double LogLikelihood(in BgNbdParameters parameters, ReadOnlySpan<CustomerSummary> customers)
    {
        var sum = 0.0;
        foreach (ref readonly var c in customers) sum += parameters.LogLikelihood(c.X, c.Tx, c.T);
        return sum;
    }

    /// <summary>
    /// Maximum-likelihood estimates, found by BFGS with the analytic gradient on the logarithms of the parameters
    /// (which keeps them positive without constraints).
    /// </summary>
    /// <param name="customers">Calibration summaries.</param>
    /// <returns>The estimates and the log-likelihood there.</returns>
    public static ModelFit<BgNbdParameters> Fit(ReadOnlySpan<CustomerSummary> customers)
    {
        if (customers.IsEmpty) throw new ArgumentException("No customers to fit to.", nameof(customers));
        var data = new FrequencyData(customers);
        double[] start = [0, Math.Log(data.RateScale()), 0, 0];
        var n = data.Count;
        var result = Minimizer.Bfgs((p, gradient) => -Evaluate(data, p, gradient) / n, start);
        var parameters = FromLog(result.Point);
        return new ModelFit<BgNbdParameters>(parameters, Evaluate(data, result.Point, new double[4]), result.Evaluations, n);
    }

    private static BgNbdParameters FromLog(ReadOnlySpan<double> p) => new(Math.Exp(p[0]), Math.Exp(p[1]), Math.Exp(p[2]), Math.Exp(p[3]));

    /// <summary>Log-likelihood at log-parameters <paramref name="p"/>; its gradient (negated, per customer) in <paramref name="gradient"/>.</summary>
    private static double Evaluate(FrequencyData data, ReadOnlySpan<double> p, Span<double> gradient)
    {
        var (r, alpha, a, b) = FromLog(p);
        var xs = data.DistinctX;
        var groups = xs.Length;
        // Per distinct x: the constant ln terms, their partial derivatives, and ln(a / (b + x - 1)).
        Span<double> odds = groups <= 512 ? stackalloc double[groups] : new double[groups];
        double value = 0, dr = 0, dAlpha = 0, da = 0, db = 0;
        var lnGammaR = SpecialFunctions.GammaLn(r);
        var psiR = SpecialFunctions.DiGamma(r);
        var lnBeta = SpecialFunctions.BetaLn(a, b);
        var psiB = SpecialFunctions.DiGamma(b);
        var psiAB = SpecialFunctions.DiGamma(a + b);
        for (var g = 0; g < groups; g++)
        {
            var x = xs[g];
            var count = data.CountPerGroup[g];
            if (x == 0) continue;
            var psiABX = SpecialFunctions.DiGamma(a + b + x);
            value += count * (SpecialFunctions.GammaLn(r + x) - lnGammaR + SpecialFunctions.BetaLn(a, b + x) - lnBeta);
            dr += count * (SpecialFunctions.DiGamma(r + x) - psiR);
            da += count * (psiAB - psiABX);
            db += count * (SpecialFunctions.DiGamma(b + x) - psiB + psiAB - psiABX);
            odds[g] = Math.Log(a / (b + x - 1));
        }
        var lnAlpha = Math.Log(alpha);
        var n = data.Count;
        value += n * r * lnAlpha;
        dr += n * lnAlpha;
        dAlpha += n * r / alpha;

        var group = data.Group;
        var tArray = data.T;
        var txArray = data.Tx;
        double sumS = 0, sumSOverB = 0;
        for (var i = 0; i < n; i++)
        {
            var x = xs[group[i]];
            var rx = r + x;
            var invT = 1 / (alpha + tArray[i]);
            var lT = Math.Log(alpha + tArray[i]);
            value -= rx * lT;
            dr -= lT;
            dAlpha -= rx * invT;
            if (x == 0) continue;
            var lTx = Math.Log(alpha + txArray[i]);
            var u = odds[group[i]] + rx * (lT - lTx);
            double s;
            if (u > 0)
            {
                var e = Math.Exp(-u);
                value += u + Math.Log(1 + e);
                s = 1 / (1 + e);
            }
            else
            {
                var e = Math.Exp(u);
                value += Math.Log(1 + e);
                s = e / (1 + e);
            }
            dr += s * (lT - lTx);
            dAlpha += s * rx * (invT - 1 / (alpha + txArray[i]));
            sumS += s;
            sumSOverB += s / (b + x - 1);
        }
        da += sumS / a;
        db -= sumSOverB;
        // Chain rule to log-parameters, negated and per customer to match the minimised objective.
        gradient[0] = -r * dr / n;
        gradient[1] = -alpha * dAlpha / n;
        gradient[2] = -a * da / n;
        gradient[3] = -b * db / n;
        return value;
    }
}
