using System.Globalization;

namespace Treue.Server.Web.Shared;

/// <summary>
/// The value axis of the console's charts: steps a reader can count in (1, 2, 2.5 or 5 times a power of ten) and
/// numbers in the reader's culture (368.640 in German), instead of the chart library's raw steps of 20 or 20480.
/// </summary>
public static class ChartAxis
{
    private static readonly double[] Multiples = [1, 2, 2.5, 5, 10];

    /// <summary>
    /// The smallest step of the form 1, 2, 2.5 or 5 × 10^k that divides 0..<paramref name="max"/> into at most
    /// <paramref name="ticks"/> steps. A range of zero (or less) gets the step 1.
    /// </summary>
    public static double Step(double max, int ticks = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ticks, 1);
        if (!(max > 0) || double.IsInfinity(max)) return 1;
        var raw = max / ticks;
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        foreach (var m in Multiples)
        {
            // The small tolerance keeps 100 / 5 at 20 rather than 25 when the division lands a hair above 20.
            if (m * power >= raw * (1 - 1e-9)) return m * power;
        }
        return 10 * power;
    }

    /// <summary>The top of the axis: the first multiple of the step at or above the largest value.</summary>
    public static double Top(double max, double step) => max <= 0 ? step : Math.Ceiling(max / step - 1e-9) * step;

    /// <summary>A value on the axis in the current culture, with as many decimals as the step needs (2.5 needs one).</summary>
    public static string Label(double value, double step)
    {
        var decimals = 0;
        while (decimals < 6 && Math.Abs(step * Math.Pow(10, decimals) - Math.Round(step * Math.Pow(10, decimals))) > 1e-9) decimals++;
        return value.ToString("N" + decimals, CultureInfo.CurrentCulture);
    }
}
