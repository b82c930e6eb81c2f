using System.Globalization;
using Treue.Analytics.Clv;

namespace Treue.Analytics.Tests.Clv;

/// <summary>The CDNOW sample and its published summary, read once per test run.</summary>
internal static class Cdnow
{
    public static readonly DateOnly CalibrationEnd = new(1997, 9, 30);
    public static readonly DateOnly HoldoutEnd = new(1998, 6, 30);

    private static readonly Lazy<CdnowData> LazySample = new(() => CdnowFile.Read(SharedData.File("cdnow", "CDNOW_sample.txt")));
    private static readonly Lazy<PublishedRow[]> LazyPublished = new(ReadPublished);
    private static readonly Lazy<CalibrationSummary> LazySummary = new(() => CalibrationSummary.Build(Sample.Events, CalibrationEnd, HoldoutEnd));

    public static CdnowData Sample => LazySample.Value;

    /// <summary>The summary built from the sample's purchases, with the 39-week holdout.</summary>
    public static CalibrationSummary Summary => LazySummary.Value;

    /// <summary>The published summary (ID, x, t_x, T, zbar rounded to 2 dp), zbar in dollars.</summary>
    public static PublishedRow[] Published => LazyPublished.Value;

    /// <summary>The published summary as model input.</summary>
    public static CustomerSummary[] PublishedSummaries() =>
        [.. Published.Select(p => new CustomerSummary(p.Id - 1, p.X, (double)p.Tx, (double)p.T, (double)p.Zbar))];

    private static PublishedRow[] ReadPublished() =>
        [.. File.ReadLines(SharedData.File("cdnow", "cdnow_customers_summary_with_transactions.csv")).Skip(1)
            .Where(l => l.Length > 0)
            .Select(l => l.Split(','))
            .Select(p => new PublishedRow(int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture),
                decimal.Parse(p[2], CultureInfo.InvariantCulture), decimal.Parse(p[3], CultureInfo.InvariantCulture), decimal.Parse(p[4], CultureInfo.InvariantCulture)))];
}

internal readonly record struct PublishedRow(int Id, int X, decimal Tx, decimal T, decimal Zbar);
