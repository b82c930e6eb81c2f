using Treue.Domain.Earning;
using Xunit;

namespace Treue.Domain.Tests.Earning;

public sealed class BasketTests
{
    [Fact]
    public void A_line_costs_quantity_times_unit_price_less_its_discount()
    {
        Assert.Equal(12.00m, new BasketLine(1, "knives", null, 3m, 4.50m, 1.50m).Net);
        Assert.Equal(3.741m, new BasketLine(2, "cheese", "deli", 0.435m, 8.60m, 0m).Net);
    }

    [Fact]
    public void The_basket_total_is_the_sum_of_the_net_lines()
    {
        var basket = new Basket("acme", null, Channel.Online, new DateTime(2026, 3, 4), [
            new BasketLine(1, "a", null, 2m, 5.00m, 1.00m),
            new BasketLine(2, "b", null, 1m, 0.99m, 0m),
        ]);
        Assert.Equal(9.99m, basket.Total);
    }

    [Fact]
    public void An_empty_basket_totals_nothing()
    {
        Assert.Equal(0m, new Basket("acme", "s1", Channel.Store, new DateTime(2026, 3, 4), []).Total);
    }
}
