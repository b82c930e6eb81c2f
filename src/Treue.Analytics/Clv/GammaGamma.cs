using MathNet.Numerics;

namespace Treue.Analytics.Clv;

/// <summary>
/// Parameters of the gamma-gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV"; after Colombo and Jiang
/// 1999): a customer's purchase amounts are gamma(<paramref name="P"/>, ν), and ν is gamma(<paramref name="Q"/>,
/// <paramref name="Gamma"/>) across customers. Amounts are in the units the model was fitted in.
/// </summary>
/// <param name="P">Shape of the per-purchase amount distribution.</param>
/// <param name="Q">Shape of the gamma distribution of ν across customers.</param>
/// <param name="Gamma">Scale of the gamma distribution of ν across customers, in amount units.</param>
public readonly record struct GammaGammaParameters(double P, double Q, double Gamma)
{
    /// <summary>Mean spend per purchase across customers, pγ/(q−1); infinite when q ≤ 1.</summary>
    public double MeanSpend => Q > 1 ? P * Gamma / (Q - 1) : double.PositiveInfinity;

    /// <summary>
    /// Expected spend per purchase of a customer with <paramref name="x"/> repeat purchases of mean
    /// <paramref name="zbar"/>: (γ + x·zbar)·p / (p·x + q − 1), a weighted mean of the population mean and the
    /// customer's own mean. With x = 0 it is the population mean.
    /// </summary>
    /// <param name="x">Repeat purchases.</param>
    /// <param name="zbar">Mean amount of the repeat purchases.</param>
    /// <returns>E[M | p, q, γ; x, zbar].</returns>
    public double ConditionalExpectedSpend(int x, double zbar) => P * (Gamma + x * zbar) / (P * x + Q - 1);

    /// <summary>Log-likelihood of one repeat buyer's mean spend.</summary>
    /// <param name="x">Repeat purchases, at least 1.</param>
    /// <param name="zbar">Mean amount of the repeat purchases, above 0.</param>
    /// <returns>ln f(zbar | p, q, γ; x).</returns>
    public double LogLikelihood(int x, double zbar)
    {
        var px = P * x;
        return SpecialFunctions.GammaLn(px + Q) - SpecialFunctions.GammaLn(px) - SpecialFunctions.GammaLn(Q)
            + Q * Math.Log(Gamma) + (px - 1) * Math.Log(zbar) + px * Math.Log(x) - (px + Q) * Math.Log(Gamma + x * zbar);
    }
}

/// <summary>Likelihood and maximum-likelihood fit of the gamma-gamma spend model.</summary>
/// <remarks>Only repeat buyers (x &gt; 0) with a positive mean repeat spend carry information on spend; others are skipped.</remarks>
public static class GammaGamma
{
    /// <summary>Total log-likelihood of the repeat buyers' mean spend.</summary>
    /// <param name="parameters">Model parameters.</param>
    /// <param name="customers">Calibration summaries; customers without repeat spend are skipped.</param>
    /// <returns>Σ ln f over the repeat buyers.</returns>
    public static double LogLikelihood(in GammaGammaParameters parameters, ReadOnlySpan<CustomerSummary> customers)
    {
        var sum = 0.0;
        foreach (ref readonly var c in customers)
            if (c.X > 0 && c.Zbar > 0) sum += parameters.LogLikelihood(c.X, c.Zbar);
        return sum;
    }

    /// <summary>
    /// Maximum-likelihood estimates by BFGS with the analytic gradient on log-parameters. The amounts are divided by
    /// their mean for the search (γ scales with the amounts, p and q do not), so the fit behaves the same for cents,
    /// euros or yen.
    /// </summary>
    /// <param name="customers">Calibration summaries; customers without repeat spend are skipped.</param>
    /// <returns>The estimates and the log-likelihood there (in the original units); <see cref="ModelFit{T}.Customers"/> counts the repeat buyers used.</returns>
    public static ModelFit<GammaGammaParameters> Fit(ReadOnlySpan<CustomerSummary> customers)
    {
        var data = new SpendData(customers);
        if (data.Count == 0) throw new ArgumentException("No repeat buyers with spend to fit to.", nameof(customers));
        var n = data.Count;
        var result = Minimizer.Bfgs((p, gradient) => -Evaluate(data, p, gradient) / n, [0, 0, 0]);
        var point = result.Point;
        var fitted = new GammaGammaParameters(Math.Exp(point[0]), Math.Exp(point[1]), Math.Exp(point[2]) * data.Scale);
        // A change of amount units shifts the density of each mean by the log of the factor.
        var logLikelihood = Evaluate(data, point, new double[3]) - n * Math.Log(data.Scale);
        return new ModelFit<GammaGammaParameters>(fitted, logLikelihood, result.Evaluations, n);
    }

    private sealed class SpendData
    {
        public readonly double[] X;
        public readonly double[] XZbar;
        public readonly int[] DistinctX;
        public readonly int[] CountPerGroup;
        public readonly double[] LogZbarPerGroup;
        public readonly double Scale;
        public int Count => X.Length;

        public SpendData(ReadOnlySpan<CustomerSummary> customers)
        {
            var count = 0;
            var total = 0.0;
            foreach (ref readonly var c in customers)
                if (c.X > 0 && c.Zbar > 0)
                {
                    count++;
                    total += c.Zbar;
                }
            Scale = count == 0 ? 1 : total / count;
            X = new double[count];
            XZbar = new double[count];
            var groupOf = new Dictionary<int, int>();
            var distinct = new List<int>();
            var counts = new List<int>();
            var logs = new List<double>();
            var k = 0;
            foreach (ref readonly var c in customers)
            {
                if (c.X <= 0 || c.Zbar <= 0) continue;
                var z = c.Zbar / Scale;
                if (!groupOf.TryGetValue(c.X, out var g))
                {
                    g = distinct.Count;
                    groupOf.Add(c.X, g);
                    distinct.Add(c.X);
                    counts.Add(0);
                    logs.Add(0);
                }
                counts[g]++;
                logs[g] += Math.Log(z);
                X[k] = c.X;
                XZbar[k] = c.X * z;
                k++;
            }
            DistinctX = [.. distinct];
            CountPerGroup = [.. counts];
            LogZbarPerGroup = [.. logs];
        }
    }

    private static double Evaluate(SpendData data, ReadOnlySpan<double> logParameters, Span<double> gradient)
    {
        var p = Math.Exp(logParameters[0]);
        var q = Math.Exp(logParameters[1]);
        var gamma = Math.Exp(logParameters[2]);
        var lnGamma = Math.Log(gamma);
        var lnGammaQ = SpecialFunctions.GammaLn(q);
        var psiQ = SpecialFunctions.DiGamma(q);
        double value = 0, dp = 0, dq = 0, dGamma = 0;
        for (var g = 0; g < data.DistinctX.Length; g++)
        {
            double x = data.DistinctX[g];
            var n = data.CountPerGroup[g];
            var px = p * x;
            var psiPxQ = SpecialFunctions.DiGamma(px + q);
            var lnX = Math.Log(x);
            value += n * (SpecialFunctions.GammaLn(px + q) - SpecialFunctions.GammaLn(px) - lnGammaQ + q * lnGamma + px * lnX)
                + (px - 1) * data.LogZbarPerGroup[g];
            dp += n * x * (psiPxQ - SpecialFunctions.DiGamma(px) + lnX) + x * data.LogZbarPerGroup[g];
            dq += n * (psiPxQ - psiQ + lnGamma);
            dGamma += n * q / gamma;
        }
        var xs = data.X;
        var xz = data.XZbar;
        for (var i = 0; i < xs.Length; i++)
        {
            var shape = p * xs[i] + q;
            var l = Math.Log(gamma + xz[i]);
            value -= shape * l;
            dp -= xs[i] * l;
            dq -= l;
            dGamma -= shape / (gamma + xz[i]);
        }
        var count = data.Count;
        gradient[0] = -p * dp / count;
        gradient[1] = -q * dq / count;
        gradient[2] = -gamma * dGamma / count;
        return value;
    }
}
