using System.Globalization;
using MudBlazor;
using Treue.Server.Infrastructure;

namespace Treue.Server.Web.Admin.Analytics;

/// <summary>Small helpers the analytics pages share: chart series, heat-map colours and the service's validation texts.</summary>
public static class Charts
{
    public static ChartSeries<double> Series(string name, IEnumerable<double> values) => new() { Name = name, Data = new ChartData<double>(values.ToList()) };

    /// <summary>
    /// A heat-map cell: the darker the blue, the larger the share. Text turns white on dark cells so that it keeps its contrast.
    /// </summary>
    public static string Heat(double share)
    {
        var a = Math.Clamp(share, 0, 1);
        var alpha = (0.08 + 0.87 * a).ToString("0.00", CultureInfo.InvariantCulture);
        return $"background-color: rgba(31,95,139,{alpha}); color: {(a > 0.45 ? "#fff" : "#1b1b1b")}; text-align: right;";
    }

    /// <summary>The service's validation messages, one line per field.</summary>
    public static IReadOnlyList<string> Lines(Validation? invalid) =>
        invalid is null ? [] : invalid.All().Select(e => $"{e.Field}: {e.Message}").ToList();

    /// <summary>
    /// Reads a curve given as points with increasing x at evenly spaced x values, so that a category chart can draw it
    /// (its x axis has equal steps).
    /// </summary>
    public static double[] Resample(IReadOnlyList<(double X, double Y)> points, int steps)
    {
        var result = new double[steps + 1];
        var j = 0;
        for (var i = 0; i <= steps; i++)
        {
            var x = (double)i / steps;
            while (j < points.Count - 2 && points[j + 1].X < x) j++;
            if (points.Count == 0) continue;
            if (points.Count == 1) { result[i] = points[0].Y; continue; }
            var (x0, y0) = points[j];
            var (x1, y1) = points[j + 1];
            result[i] = x1 <= x0 ? y1 : y0 + (y1 - y0) * Math.Clamp((x - x0) / (x1 - x0), 0, 1);
        }
        return result;
    }

    /// <summary>The English name of an RFM segment (the key of its translation).</summary>
    public static string SegmentName(Treue.Analytics.Segments.RfmSegment segment) => segment switch
    {
        Treue.Analytics.Segments.RfmSegment.None => "Not scored",
        Treue.Analytics.Segments.RfmSegment.Champions => "Champions",
        Treue.Analytics.Segments.RfmSegment.Loyal => "Loyal",
        Treue.Analytics.Segments.RfmSegment.PotentialLoyalist => "Potential loyalists",
        Treue.Analytics.Segments.RfmSegment.New => "New customers",
        Treue.Analytics.Segments.RfmSegment.Promising => "Promising",
        Treue.Analytics.Segments.RfmSegment.NeedAttention => "Need attention",
        Treue.Analytics.Segments.RfmSegment.AboutToSleep => "About to sleep",
        Treue.Analytics.Segments.RfmSegment.AtRisk => "At risk",
        Treue.Analytics.Segments.RfmSegment.CantLoseThem => "Can't lose them",
        Treue.Analytics.Segments.RfmSegment.Hibernating => "Hibernating",
        Treue.Analytics.Segments.RfmSegment.Lost => "Lost",
        _ => segment.ToString(),
    };

    /// <summary>A light background per segment for the grid, from warm (best) to grey (lost); dark text keeps its contrast on all.</summary>
    public static string SegmentStyle(Treue.Analytics.Segments.RfmSegment segment) => "background-color: " + (segment switch
    {
        Treue.Analytics.Segments.RfmSegment.Champions => "#a5d6a7",
        Treue.Analytics.Segments.RfmSegment.Loyal => "#c5e1a5",
        Treue.Analytics.Segments.RfmSegment.PotentialLoyalist => "#e6ee9c",
        Treue.Analytics.Segments.RfmSegment.New => "#b3e5fc",
        Treue.Analytics.Segments.RfmSegment.Promising => "#b2dfdb",
        Treue.Analytics.Segments.RfmSegment.NeedAttention => "#fff59d",
        Treue.Analytics.Segments.RfmSegment.AboutToSleep => "#ffe0b2",
        Treue.Analytics.Segments.RfmSegment.AtRisk => "#ffccbc",
        Treue.Analytics.Segments.RfmSegment.CantLoseThem => "#ef9a9a",
        Treue.Analytics.Segments.RfmSegment.Hibernating => "#d7ccc8",
        Treue.Analytics.Segments.RfmSegment.Lost => "#cfd8dc",
        _ => "#eeeeee",
    }) + "; color: #1b1b1b; text-align: center;";
}
