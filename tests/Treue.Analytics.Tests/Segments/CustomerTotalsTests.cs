using Xunit;
using Treue.Analytics.Segments;

namespace Treue.Analytics.Tests.Segments;

public class CustomerTotalsTests
{
    private static readonly DateOnly D = new(2024, 1, 1);

    [Fact]
    public void Totals_count_purchases_distinct_days_and_revenue_per_customer()
    {
        PurchaseEvent[] events =
        [
            new(1, D, 500),
            new(0, D.AddDays(2), 100),
            new(1, D, 250),
            new(1, D.AddDays(10), 50),
        ];

        var totals = CustomerTotalsAggregator.Aggregate(events, 3);

        Assert.Equal(new CustomerTotals(D.AddDays(2), default, D.AddDays(2), 1, 1, 100), totals[0]);
        Assert.Equal(new CustomerTotals(D, D, D.AddDays(10), 3, 2, 800), totals[1]);
        Assert.False(totals[2].HasPurchased);
    }

    [Fact]
    public void Totals_through_a_day_ignore_later_purchases()
    {
        PurchaseEvent[] events = [new(0, D, 100), new(0, D.AddDays(5), 100), new(1, D.AddDays(6), 100)];

        var totals = CustomerTotalsAggregator.Aggregate(events.AsEnumerable(), 2, D.AddDays(5));

        Assert.Equal(2, totals[0].Purchases);
        Assert.False(totals[1].HasPurchased);
    }

    [Fact]
    public void Purchases_out_of_chronological_order_are_rejected()
    {
        PurchaseEvent[] events = [new(0, D.AddDays(1), 100), new(0, D, 100)];

        Assert.Throws<ArgumentException>(() => CustomerTotalsAggregator.Aggregate(events, 1));
    }
}
