using Xunit;
using Treue.Analytics.Clv;

namespace Treue.Analytics.Tests.Clv;

public class SummaryTests
{
    private static decimal Round2(decimal value) => Math.Round(value, 2, MidpointRounding.AwayFromZero);

    [Fact]
    public void Summary_of_the_cdnow_sample_equals_the_published_summary()
    {
        var sample = Cdnow.Sample;
        var summary = CalibrationSummary.Build(sample.Events, Cdnow.CalibrationEnd);
        var published = Cdnow.Published;
        Assert.Equal(2357, published.Length);
        Assert.Equal(published.Length, summary.Customers.Length);
        for (var i = 0; i < published.Length; i++)
        {
            var p = published[i];
            var c = summary.Customers[i];
            var days = c.T * 7;
            Assert.Equal(p.Id, sample.CustomerIds[c.Customer]);
            Assert.Equal(p.X, c.X);
            Assert.Equal(p.Tx, Round2((decimal)Math.Round(c.Tx * 7) / 7m));
            Assert.Equal(p.T, Round2((decimal)Math.Round(days) / 7m));
            Assert.Equal(p.Zbar, c.X == 0 ? 0m : Round2((decimal)Math.Round(c.Zbar * c.X) / c.X / 100m));
        }
    }

    [Fact]
    public void Same_day_purchases_are_one_purchase_and_the_first_day_is_no_repeat()
    {
        var d0 = new DateOnly(2024, 1, 1);
        PurchaseEvent[] events =
        [
            new(0, d0, 1000), new(0, d0, 500),
            new(0, d0.AddDays(7), 200), new(0, d0.AddDays(7), 300),
            new(0, d0.AddDays(14), 1500),
            new(0, d0.AddDays(30), 999), new(0, d0.AddDays(30), 1),
            new(1, d0.AddDays(40), 100),
        ];
        var summary = CalibrationSummary.Build(events, d0.AddDays(21), d0.AddDays(35));
        var c = Assert.Single(summary.Customers);
        Assert.Equal(new CustomerSummary(0, 2, 2, 3, 1000, 3500, 1, 1000), c);
        Assert.Equal(2, summary.HoldoutWeeks);
    }

    [Fact]
    public void Purchases_out_of_order_for_a_customer_are_rejected()
    {
        var d0 = new DateOnly(2024, 1, 1);
        var builder = new CalibrationSummaryBuilder(d0.AddDays(100));
        builder.Add(new PurchaseEvent(3, d0.AddDays(5), 1));
        Assert.Throws<ArgumentException>(() => builder.Add(new PurchaseEvent(3, d0, 1)));
    }
}

public class CdnowFileTests
{
    [Fact]
    public void Master_file_reads_every_purchase_with_dollars_as_cents()
    {
        var master = CdnowFile.Read(SharedData.File("cdnow", "CDNOW_master.txt"));
        Assert.Equal(69_659, master.Events.Length);
        Assert.Equal(23_570, master.CustomerIds.Length);
        Assert.Equal(new PurchaseEvent(0, new DateOnly(1997, 1, 1), 1177), master.Events[0]);
        Assert.Equal(1, master.CustomerIds[0]);
    }

    [Fact]
    public void Sample_file_numbers_customers_by_sample_id()
    {
        using var reader = new StringReader(" 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n 00018 0002 19970102  1   11.77\n");
        var data = CdnowFile.Read(reader);
        Assert.Equal([1L, 2L], data.CustomerIds);
        Assert.Equal(new PurchaseEvent(1, new DateOnly(1997, 1, 2), 1177), data.Events[2]);
    }
}
