using System.Globalization;
using Treue.Analytics.Segments;
using Xunit;

namespace Treue.Analytics.Tests.Segments;

/// <summary>The CDNOW figures quoted in docs/analytics.md.</summary>
public class CdnowFiguresTests
{
    private static CustomerTotals[] Totals() => CustomerTotalsAggregator.Aggregate(
        File.ReadLines(SharedData.File("cdnow", "CDNOW_master.txt")).Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => new PurchaseEvent(
                int.Parse(f[0], CultureInfo.InvariantCulture) - 1,
                DateOnly.ParseExact(f[1], "yyyyMMdd", CultureInfo.InvariantCulture),
                (long)Math.Round(decimal.Parse(f[3], CultureInfo.InvariantCulture) * 100))),
        23_570);

    [Fact]
    public void CDNOW_ABC_classes_and_Gini_match_the_documented_figures()
    {
        var totals = Totals();

        var abc = AbcAnalysis.Analyze(CustomerTotalsAggregator.Revenues(totals));
        var rfm = Rfm.Score(totals, new DateOnly(1998, 6, 30));

        Assert.Equal([7695, 8044, 7831], abc.Summary.Select(s => s.Customers));
        Assert.Equal(0.635, abc.Gini, 0.0005);
        Assert.Equal(5923, rfm.Segments.Single(s => s.Segment == RfmSegment.Champions).Customers);
        Assert.Equal(3964, rfm.Segments.Single(s => s.Segment == RfmSegment.Lost).Customers);
        Assert.Equal(0, rfm.Segments.Single(s => s.Segment == RfmSegment.New).Customers);
    }
}
