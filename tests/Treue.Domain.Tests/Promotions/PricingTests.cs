using System.Text.Json;
using Xunit;
using Treue.Domain.Earning;
using Treue.Domain.Programmes;
using Treue.Domain.Promotions;
using Treue.Domain.Purchases;
using static Treue.Domain.Tests.Promotions.PromotionFixtures;

namespace Treue.Domain.Tests.Promotions;

public sealed class PricingTests
{
    private static readonly Basket Coffee = Basket(Line(1, "beans", 10m, 2, "coffee"), Line(2, "mug", 5m));

    private static PromotionSnapshot Found(params CodeRecord[] codes) => new() { Codes = codes };

    [Fact]
    public void Campaigns_apply_in_the_programmes_order_each_on_the_prices_the_earlier_left()
    {
        var terms = Terms(Auto("basket", new PercentOffBasket(10)), Auto("lines", new AmountOffLines(LineSelector.OfSkus("beans"), 5m)));

        var lineFirst = Price(Coffee, terms);
        var basketFirst = Price(Coffee, terms with { Order = [OfferCategory.BasketDiscounts, OfferCategory.LineDiscounts] });

        // 25.00 - 5.00 = 20.00, then 10 % = 2.00; or 10 % of 25.00 = 2.50, then 5.00.
        Assert.Equal(["lines", "basket"], lineFirst.Steps.Select(s => s.CampaignId));
        Assert.Equal(7.00m, lineFirst.Discount);
        Assert.Equal(["basket", "lines"], basketFirst.Steps.Select(s => s.CampaignId));
        Assert.Equal(7.50m, basketFirst.Discount);
        Assert.Equal([1, 2], lineFirst.Steps.Select(s => s.Step));
        Assert.Equal(20.00m, lineFirst.Steps[1].Lines.Sum(l => l.Before));
    }

    [Fact]
    public void Only_one_campaign_of_a_one_only_group_applies_the_first_in_order()
    {
        var terms = Terms(
                Auto("small", new PercentOffBasket(5), priority: 1) with { Group = "seasonal" },
                Auto("big", new PercentOffBasket(20), priority: 2) with { Group = "seasonal" },
                Auto("other", new AmountOffBasket(1m)))
            with { Groups = [new StackingGroup("seasonal")] };

        var result = Price(Coffee, terms);

        Assert.Equal(["big", "other"], result.Steps.Select(s => s.CampaignId));
    }

    [Fact]
    public void A_code_of_an_exclusive_group_is_refused_after_another_campaign_applied()
    {
        var terms = Terms(Auto("menu", new AmountOffLines(LineSelector.OfSkus("mug"), 1m)), WithCode("vip", new PercentOffBasket(30)) with { Group = "vip" })
            with { Groups = [new StackingGroup("vip", Alone: true)] };

        var result = Price(Coffee, terms, snapshot: Found(new CodeRecord("VIP30", "vip", null, 0)), codes: "vip30");

        Assert.Equal(["menu"], result.Steps.Select(s => s.CampaignId));
        Assert.Equal(CodeRefusalReason.NotCombinable, Assert.Single(result.Refused).Reason);
    }

    [Fact]
    public void A_valid_code_applies_and_reserves_a_use_of_the_code_and_its_budget()
    {
        var campaign = WithCode("summer", new PercentOffBasket(10)) with
        {
            Limits = new CampaignLimits { UsesPerCode = 1000, UsesPerMember = 1, Budget = new CampaignBudget(BudgetUnit.Money, 5000m) },
        };
        var result = Price(Coffee, Terms(campaign), snapshot: Found(new CodeRecord("SUMMER10", "summer", null, 7)), member: Anna, codes: " summer10 ");

        Assert.Empty(result.Refused);
        var step = Assert.Single(result.Steps);
        Assert.Equal("SUMMER10", step.Code);
        Assert.Equal(new PromotionReservation("summer", "SUMMER10", Anna, 2.50m, 0, 1000, 1, new CampaignBudget(BudgetUnit.Money, 5000m)),
            Assert.Single(result.Reservations));
    }

    public static TheoryData<string, CodeRefusalReason> RefusedCodes => new()
    {
        { "NOSUCH", CodeRefusalReason.Unknown },
        { "OTHERPROG", CodeRefusalReason.Unknown },
        { "EARLY", CodeRefusalReason.NotYetValid },
        { "LATE", CodeRefusalReason.Expired },
        { "USEDUP", CodeRefusalReason.CodeLimitReached },
        { "ONCE", CodeRefusalReason.MemberLimitReached },
        { "SPENT", CodeRefusalReason.BudgetExhausted },
        { "NEARLY", CodeRefusalReason.BudgetExhausted },
        { "BENS", CodeRefusalReason.NotThisMembersCode },
        { "TEA", CodeRefusalReason.ConditionsNotMet },
    };

    [Theory]
    [MemberData(nameof(RefusedCodes))]
    public void A_code_is_refused_with_its_reason(string code, CodeRefusalReason reason)
    {
        var offer = new PercentOffBasket(10);
        var terms = Terms(
            WithCode("early", offer) with { ValidFromUtc = At.AddDays(1) },
            WithCode("late", offer) with { ValidToUtc = At },
            WithCode("usedup", offer) with { Limits = new CampaignLimits { UsesPerCode = 3 } },
            WithCode("once", offer) with { Limits = new CampaignLimits { UsesPerMember = 1 } },
            WithCode("spent", offer) with { Limits = new CampaignLimits { Budget = new CampaignBudget(BudgetUnit.Money, 100m) } },
            WithCode("nearly", offer) with { Limits = new CampaignLimits { Budget = new CampaignBudget(BudgetUnit.Money, 101m) } },
            WithCode("personal", offer, CodeKind.Personal),
            WithCode("tea", new PercentOffLines(LineSelector.OfCategories("tea"), 10)));
        var snapshot = new PromotionSnapshot
        {
            // A code of another programme is never loaded: the store looks codes up in the programme only.
            Codes =
            [
                new CodeRecord("EARLY", "early", null, 0), new CodeRecord("LATE", "late", null, 0), new CodeRecord("USEDUP", "usedup", null, 3),
                new CodeRecord("ONCE", "once", null, 0), new CodeRecord("SPENT", "spent", null, 0), new CodeRecord("NEARLY", "nearly", null, 0),
                new CodeRecord("BENS", "personal", Ben, 0), new CodeRecord("TEA", "tea", null, 0),
            ],
            Usage = [new CampaignUsage("once", 0, 0, MemberUses: 1), new CampaignUsage("spent", 100m, 0, 0), new CampaignUsage("nearly", 99m, 0, 0)],
        };

        var result = Price(Coffee, terms, snapshot: snapshot, member: Anna, codes: code);

        Assert.Empty(result.Steps);
        var refusal = Assert.Single(result.Refused);
        Assert.Equal(code, refusal.Code);
        Assert.Equal(reason, refusal.Reason);
    }

    [Fact]
    public void An_unknown_code_and_a_code_of_another_programme_are_refused_alike()
    {
        var unknown = Price(Coffee, Terms(), codes: "NOSUCH").Refused.Single();
        var elsewhere = Price(Coffee, Terms(), codes: "OTHERPROG").Refused.Single();

        Assert.Equal(unknown.ToRefusal("codes[0]") with { Message = "" }, elsewhere.ToRefusal("codes[0]") with { Message = "" });
        Assert.Equal(unknown.ToRefusal("codes[0]").Message.Replace("NOSUCH", "X"), elsewhere.ToRefusal("codes[0]").Message.Replace("OTHERPROG", "X"));
    }

    [Fact]
    public void A_refusal_for_unmet_conditions_names_each_condition()
    {
        var campaign = WithCode("evening", new PercentOffBasket(10)) with
        {
            Conditions = new CampaignConditions
            {
                Purchase = new RuleConditions { MinBasket = 50m, Channels = [Channel.Online], FirstPurchaseOnly = true },
                FromTime = new TimeOnly(18, 0),
                Memberships = ["gold"],
            },
        };

        var refusal = Price(Coffee, Terms(campaign), snapshot: Found(new CodeRecord("EVE", "evening", null, 0)), codes: "EVE").Refused.Single();

        Assert.Equal(CodeRefusalReason.ConditionsNotMet, refusal.Reason);
        Assert.Equal(["channel", "time_of_day", "min_basket", "first_purchase", "membership"], refusal.Unmet);
        Assert.Equal("coupon_conditions_not_met", refusal.ReasonCode);
    }

    [Fact]
    public void Conditions_on_time_of_day_and_membership_hold_when_met()
    {
        var campaign = WithCode("afternoon", new PercentOffBasket(10)) with
        {
            Conditions = new CampaignConditions { FromTime = new TimeOnly(15, 0), ToTime = new TimeOnly(16, 0), Memberships = ["gold"] },
        };
        var snapshot = Found(new CodeRecord("PM", "afternoon", null, 0)) with { Memberships = ["GOLD"] };

        var result = Price(Coffee, Terms(campaign), snapshot: snapshot, codes: "PM");

        Assert.Empty(result.Refused);
        Assert.Single(result.Steps);
    }

    [Theory]
    [InlineData(23, 30, true)]
    [InlineData(1, 0, true)]
    [InlineData(2, 0, false)]
    [InlineData(15, 30, false)]
    public void A_time_of_day_window_can_span_midnight(int hour, int minute, bool applies)
    {
        var night = Auto("night", new PercentOffBasket(10)) with
        {
            Conditions = new CampaignConditions { FromTime = new TimeOnly(22, 0), ToTime = new TimeOnly(2, 0) },
        };
        var basket = Coffee with { LocalTime = new DateTime(2026, 3, 4, hour, minute, 0) };

        Assert.Equal(applies, Price(basket, Terms(night)).Steps.Count == 1);
    }

    [Fact]
    public void An_automatic_campaign_outside_its_window_or_conditions_is_left_out_without_a_refusal()
    {
        var terms = Terms(
            Auto("over", new PercentOffBasket(10)) with { ValidToUtc = At.AddDays(-1) },
            Auto("big-baskets", new PercentOffBasket(10)) with { Conditions = new CampaignConditions { Purchase = new RuleConditions { MinBasket = 100m } } });

        var result = Price(Coffee, terms);

        Assert.Empty(result.Steps);
        Assert.Empty(result.Refused);
    }

    [Fact]
    public void A_personal_code_applies_for_its_member()
    {
        var result = Price(Coffee, Terms(WithCode("personal", new AmountOffBasket(3m), CodeKind.Personal)),
            snapshot: Found(new CodeRecord("ANNA-7", "personal", Anna, 0)), member: Anna, codes: "anna-7");

        Assert.Equal(3m, result.Discount);
    }

    [Fact]
    public void A_purchase_with_a_refused_code_is_refused_naming_the_codes_field()
    {
        var terms = PurchaseTerms().WithPromotions(Terms(WithCode("summer", new PercentOffBasket(10))));
        var input = new PurchaseInput(Coffee, At) { Codes = ["SUMMER10", "BOGUS"] };

        var (decision, refusal) = PurchaseDecider.Decide(input, Member(), terms, At, Found(new CodeRecord("SUMMER10", "summer", null, 0)));

        Assert.Null(decision);
        Assert.Equal(new Refusal("coupon_unknown", "The code BOGUS is not valid.", "codes[1]"), refusal);
    }

    [Fact]
    public void Points_are_earned_on_the_prices_after_discounts_and_campaign_points_are_added_after_the_rules()
    {
        var terms = PurchaseTerms().WithPromotions(Terms(
            Auto("half-mug", new PercentOffLines(LineSelector.OfSkus("mug"), 50)),
            Auto("double-coffee", new PointsMultiplier(2, LineSelector.OfCategories("coffee"))),
            WithCode("bonus", new BonusPoints(100))));
        var input = new PurchaseInput(Coffee, At) { Codes = ["B100"] };

        var (decision, refusal) = PurchaseDecider.Decide(input, Member(), terms, At, Found(new CodeRecord("B100", "bonus", null, 0)));

        Assert.Null(refusal);
        // Beans 20.00 earn 20, the mug 5.00 - 2.50 earns 2 (rounded down); the code adds 100; double points on coffee add 20.
        Assert.Equal(22, decision!.Earned!.Points);
        Assert.Equal([100L, 20L], decision.Benefits.OfType<PromotionPoints>().Select(p => p.Points));
        Assert.Equal(22.50m, decision.AmountDue);
        Assert.Equal(2.50m, decision.Basket.Lines[1].Discount);
        Assert.Equal(["half-mug", "bonus", "double-coffee"], decision.Promotions.Select(p => p.CampaignId));
        Assert.Equal(3, decision.Guards.Reservations.Count);
        Assert.Equal(100, decision.Guards.Reservations.Single(r => r.CampaignId == "bonus").Points);
    }

    [Fact]
    public void A_points_budget_that_would_be_exceeded_refuses_the_code()
    {
        var campaign = WithCode("bonus", new BonusPoints(100)) with { Limits = new CampaignLimits { Budget = new CampaignBudget(BudgetUnit.Points, 1000) } };
        var terms = PurchaseTerms().WithPromotions(Terms(campaign));
        var snapshot = Found(new CodeRecord("B100", "bonus", null, 0)) with { Usage = [new CampaignUsage("bonus", 0, 950, 0)] };

        var (_, refusal) = PurchaseDecider.Decide(new PurchaseInput(Coffee, At) { Codes = ["B100"] }, Member(), terms, At, snapshot);

        Assert.Equal("coupon_budget_exhausted", refusal!.Code);
        Assert.Equal("codes[0]", refusal.Field);
    }

    [Fact]
    public void A_decision_with_promotions_round_trips_through_json_with_its_kinds()
    {
        var terms = PurchaseTerms().WithPromotions(Terms(Auto("menu", new BundlePrice([new BundleItem(["beans"], 2)], 15m))));
        var decision = PurchaseDecider.Decide(new PurchaseInput(Coffee, At), Member(), terms, At).Decision!;

        var json = JsonSerializer.Serialize<IReadOnlyList<Benefit>>(decision.Benefits);
        var back = JsonSerializer.Deserialize<IReadOnlyList<Benefit>>(json)!;

        Assert.Contains("\"kind\":\"promotion\"", json, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"bundle_price\"", json, StringComparison.Ordinal);
        var step = Assert.IsType<PromotionApplied>(back[0]).Step;
        Assert.Equal(5m, step.Discount);
        Assert.IsType<BundlePrice>(step.Offer);
    }

    private static PurchaseTerms PurchaseTerms() =>
        new(Eur, new EarningScheme(1m, RoundingPolicy.Down, []), 0, ExpiryPolicy.Never, new PayWithPointsPolicy(MinPoints: 100, MaxShareOfBasket: 0.5m), 0.01m);

    private static MemberSnapshot Member() => new(Anna, 3, 1_000, 0);
}
