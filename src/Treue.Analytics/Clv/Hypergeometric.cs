using System.Numerics;
using System.Runtime.InteropServices;

namespace Treue.Analytics.Clv;

/// <summary>
/// The Gauss hypergeometric function 2F1(a, b; c; z) for 0 ≤ z &lt; 1 by its power series.
/// </summary>
/// <remarks>
/// The models call it only after an Euler transformation that makes the series converge quickly; the series is
/// summed until a term no longer changes the sum and the term ratio has dropped below 1, so no truncation error
/// is hidden behind a still-growing term.
/// </remarks>
public static class Hypergeometric
{
    /// <summary>Upper bound on the number of series terms; reached only for z extremely close to 1.</summary>
    public const int MaxTerms = 1_000_000;

    /// <summary>2F1(a, b; c; z) = Σ (a)ₙ(b)ₙ / ((c)ₙ n!) zⁿ.</summary>
    /// <param name="a">First numerator parameter.</param>
    /// <param name="b">Second numerator parameter.</param>
    /// <param name="c">Denominator parameter; not 0 or a negative integer.</param>
    /// <param name="z">Argument in [0, 1).</param>
    /// <returns>The value of the series.</returns>
    public static double F21(double a, double b, double c, double z)
    {
        if (z == 0 || a == 0 || b == 0) return 1;
        var term = 1.0;
        var sum = 1.0;
        for (var n = 0; n < MaxTerms; n++)
        {
            var ratio = (a + n) * (b + n) / ((c + n) * (n + 1)) * z;
            term *= ratio;
            sum += term;
            if (Math.Abs(term) <= 1e-16 * Math.Abs(sum) && Math.Abs(ratio) < 1) break;
            // An overflowing series will not come back; the caller sees the infinity and takes another route.
            if (!double.IsFinite(sum)) break;
        }
        return sum;
    }

    /// <summary>
    /// 2F1(a, b; c; zₖ) for several arguments at once, sharing the series coefficients (the models ask for one
    /// customer's expectation at every period end of a horizon).
    /// </summary>
    /// <param name="a">First numerator parameter.</param>
    /// <param name="b">Second numerator parameter.</param>
    /// <param name="c">Denominator parameter; not 0 or a negative integer.</param>
    /// <param name="z">Arguments in [0, 1), ascending (the last one decides when to stop).</param>
    /// <param name="result">Receives one value per argument.</param>
    public static void F21(double a, double b, double c, ReadOnlySpan<double> z, Span<double> result)
    {
        if (result.Length < z.Length) throw new ArgumentException("The result is shorter than the arguments.", nameof(result));
        var k = z.Length;
        if (k == 0) return;
        result[..k].Fill(1);
        var zMax = z[k - 1];
        if (zMax == 0 || a == 0 || b == 0) return;
        // powers[i] holds zᵢⁿ; the coefficient is shared across arguments.
        Span<double> powers = k <= 256 ? stackalloc double[k] : new double[k];
        powers.Fill(1);
        var coefficient = 1.0;
        var width = Vector<double>.Count;
        var zs = MemoryMarshal.Cast<double, Vector<double>>(z[..k]);
        var ps = MemoryMarshal.Cast<double, Vector<double>>(powers);
        var rs = MemoryMarshal.Cast<double, Vector<double>>(result[..k]);
        var tail = zs.Length * width;
        var lastPower = 1.0;
        var lastSum = 1.0;
        for (var n = 0; n < MaxTerms; n++)
        {
            var ratio = (a + n) * (b + n) / ((c + n) * (n + 1));
            coefficient *= ratio;
            var cv = new Vector<double>(coefficient);
            for (var i = 0; i < zs.Length; i++)
            {
                ps[i] *= zs[i];
                rs[i] += cv * ps[i];
            }
            for (var i = tail; i < k; i++)
            {
                powers[i] *= z[i];
                result[i] += coefficient * powers[i];
            }
            lastPower *= zMax;
            lastSum = result[k - 1];
            if (Math.Abs(coefficient * lastPower) <= 1e-16 * Math.Abs(lastSum) && Math.Abs(ratio * zMax) < 1) break;
            if (!double.IsFinite(lastSum) || !double.IsFinite(coefficient)) break;
        }
    }

    /// <summary>ln Σ (b)ₙ / (c)ₙ zⁿ, that is ln 2F1(1, b; c; z), for c &gt; b &gt; 0 where every term is positive.</summary>
    internal static double LogUnitSeries(double b, double c, double z)
    {
        if (z == 0) return 0;
        var term = 1.0;
        var sum = 1.0;
        for (var n = 0; n < MaxTerms; n++)
        {
            var ratio = (b + n) / (c + n) * z;
            term *= ratio;
            sum += term;
            // The remaining terms shrink at least geometrically by the current ratio.
            if (term <= 1e-16 * sum * (1 - ratio)) break;
        }
        return Math.Log(sum);
    }
}
