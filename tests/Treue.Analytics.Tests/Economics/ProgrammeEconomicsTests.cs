using Treue.Analytics.Economics;

namespace Treue.Analytics.Tests.Economics;

public sealed class ProgrammeEconomicsTests
{
    private static readonly DateOnly Jan = new(2026, 1, 1);

    [Fact]
    public void Breakage_is_the_expired_share_of_settled_points_and_discounts_the_liability()
    {
        var months = new[]
        {
            new PointsMonth(Jan.AddMonths(1), Issued: 1_000, Reversed: 0, Redeemed: 300, Expired: 100, RevenueMinor: 50_000),
            new PointsMonth(Jan, Issued: 2_000, Reversed: 200, Redeemed: 500, Expired: 0, RevenueMinor: 100_000),
        };
        var r = ProgrammeEconomics.Compute(months, outstanding: 1_900, pointValue: 0.01m);

        Assert.Equal(2_800, r.Issued);
        Assert.Equal(800, r.Redeemed);
        Assert.Equal(100, r.Expired);
        Assert.Equal(800.0 / 2_800, r.RedemptionRate!.Value, 12);
        Assert.Equal(100.0 / 900, r.BreakageRate!.Value, 12);
        Assert.Equal(19.00m, r.Liability);
        Assert.Equal(2.11m, r.ExpectedBreakage); // 19.00 × 1/9 = 2.111…
        Assert.Equal(16.89m, r.ExpectedLiability);
        Assert.Equal([Jan, Jan.AddMonths(1)], r.Months.Select(m => m.Month));
        Assert.Equal(5.00m, r.Months[0].RewardCost);
        Assert.Equal(0.005, r.Months[0].CostShareOfRevenue!.Value, 12); // 5.00 of 1,000.00 revenue
        Assert.Equal(1.00m, r.Months[1].Breakage);
    }

    [Fact]
    public void Without_settled_points_breakage_is_unknown_and_the_whole_liability_is_expected()
    {
        var r = ProgrammeEconomics.Compute([new PointsMonth(Jan, 500, 0, 0, 0, 0)], outstanding: 500, pointValue: 0.02m);
        Assert.Null(r.BreakageRate);
        Assert.Equal(10m, r.ExpectedLiability);
        Assert.Null(r.Months[0].CostShareOfRevenue);
    }

    [Fact]
    public void A_negative_point_value_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProgrammeEconomics.Compute([], 0, -0.01m));
    }
}
