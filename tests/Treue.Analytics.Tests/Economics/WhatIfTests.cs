using Treue.Analytics.Economics;
using Treue.Domain.Earning;
using Treue.Domain;
using Treue.Domain.Programmes;
using Treue.Domain.Purchases;

namespace Treue.Analytics.Tests.Economics;

public sealed class WhatIfTests
{
    private static Basket Basket(DateTime at, string category, decimal amount) =>
        new("shop", null, Channel.Store, at, [new BasketLine(1, "sku", category, 1, amount, 0)]);

    private static EarningRule Double(string category) => new(
        "double-" + category, "Double points on " + category, 10, Stacking.Stack,
        new RuleConditions { Categories = [category] }, new RuleEffect(EffectKind.Multiplier, 2m));

    private static PurchaseTerms Terms(EarningScheme scheme) =>
        new(Currency.Find("EUR")!, scheme, 14, ExpiryPolicy.Never, new PayWithPointsPolicy(), 0.01m);

    [Fact]
    public void Replaying_under_a_richer_rule_set_shows_the_extra_points_their_cost_and_who_gains()
    {
        var current = new EarningScheme(1m, RoundingPolicy.Down, []);
        var history = new[]
        {
            new ReplayedPurchase(0, Basket(new DateTime(2026, 1, 5), "wine", 20m), true, 20),
            new ReplayedPurchase(1, Basket(new DateTime(2026, 1, 9), "bread", 5m), true, 5),
            new ReplayedPurchase(0, Basket(new DateTime(2026, 2, 2), "wine", 10m), false, 10),
        };
        // Replaying the rules in force reproduces history exactly.
        var same = WhatIf.Simulate(history, Terms(current), 0);
        Assert.Equal(same.ActualPoints, same.SimulatedPoints);
        Assert.Equal(0, same.MembersGaining + same.MembersLosing);

        var proposed = new EarningScheme(1m, RoundingPolicy.Down, [Double("wine")]);
        var r = WhatIf.Simulate(history, Terms(proposed), breakageRate: 0.25);

        Assert.Equal(3, r.Purchases);
        Assert.Equal(2, r.Members);
        Assert.Equal(35, r.ActualPoints);
        Assert.Equal(65, r.SimulatedPoints);
        Assert.Equal(30, r.PointsDifference);
        Assert.Equal(0.35m, r.ActualCost);
        Assert.Equal(0.65m, r.SimulatedCost);
        Assert.Equal(0.49m, r.SimulatedExpectedCost); // 0.65 × 0.75 = 0.4875
        Assert.Equal(1, r.MembersGaining);
        Assert.Equal(0, r.MembersLosing);
        Assert.Equal([(new DateOnly(2026, 1, 1), 25L, 45L), (new DateOnly(2026, 2, 1), 10L, 20L)],
            r.Months.Select(m => (m.Month, m.ActualPoints, m.SimulatedPoints)));
        Assert.Equal(("base", 35L, 3L), (r.Rules[0].Rule, r.Rules[0].Points, r.Rules[0].Purchases));
        Assert.Equal(("double-wine", 30L, 2L), (r.Rules[1].Rule, r.Rules[1].Points, r.Rules[1].Purchases));
    }

    [Fact]
    public void A_breakage_rate_outside_zero_to_one_is_refused()
    {
        var scheme = new EarningScheme(1m, RoundingPolicy.Down, []);
        Assert.Throws<ArgumentOutOfRangeException>(() => WhatIf.Simulate([], Terms(scheme), 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => WhatIf.Simulate([], Terms(scheme), double.NaN));
    }
}
