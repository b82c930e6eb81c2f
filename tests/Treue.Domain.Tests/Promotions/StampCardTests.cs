using Xunit;
using Treue.Domain.Earning;
using Treue.Domain.Programmes;
using Treue.Domain.Promotions;
using Treue.Domain.Purchases;
using static Treue.Domain.Tests.Promotions.PromotionFixtures;

namespace Treue.Domain.Tests.Promotions;

public sealed class StampCardTests
{
    private static readonly StampReward FreeCoffee = new(StampRewardKind.FreeItemNextPurchase, CampaignId: "free-coffee", Sku: "coffee");

    private static StampCardDefinition CoffeeCard(ReturnedRewardPolicy onReturn = ReturnedRewardPolicy.ClawBack, int? validDays = null) =>
        new("coffee", "Coffee card", 10, StampBasis.PerUnit, FreeCoffee)
        {
            Conditions = new RuleConditions { Categories = ["coffee"] },
            OnReturn = onReturn,
            StampValidDays = validDays,
        };

    private static Basket Coffees(int count) => Basket(Line(1, "latte", 3.20m, count, "coffee"), Line(2, "cake", 2.90m));

    private static (StampCardState State, StampCardChange Change) Buy(StampCardDefinition card, StampCardState state, string purchase, int coffees, DateTime? at = null) =>
        StampCards.Collect(card, state, purchase, Coffees(coffees), PurchaserFacts.Returning, at ?? At, at ?? At);

    [Fact]
    public void One_stamp_per_coffee_and_the_tenth_fills_the_card_once_and_starts_the_next()
    {
        var card = CoffeeCard();
        var state = StampCardState.Start("coffee");
        (state, var first) = Buy(card, state, "p1", 7);
        (state, var second) = Buy(card, state, "p2", 5);

        Assert.Equal(7, first.Added);
        Assert.Empty(first.Rewards);
        Assert.Equal([new RewardChange(1, FreeCoffee, RewardStatus.Given)], second.Rewards);
        Assert.Equal(2, state.Number);
        Assert.Equal(2, state.Stamps.Count); // the two left over start the second card
        Assert.Equal(1, state.RewardsHeld);
    }

    [Fact]
    public void A_big_purchase_can_fill_several_cards()
    {
        var (state, change) = Buy(CoffeeCard(), StampCardState.Start("coffee"), "office", 25);

        Assert.Equal(2, change.Rewards.Count);
        Assert.Equal([1, 2], change.Rewards.Select(r => r.CardNumber));
        Assert.Equal(5, state.Stamps.Count);
        Assert.Equal(3, state.Number);
    }

    [Fact]
    public void A_purchase_without_a_matching_article_or_outside_the_conditions_collects_nothing()
    {
        var card = CoffeeCard() with { Conditions = new RuleConditions { Categories = ["coffee"], Stores = ["hamburg-1"] } };

        Assert.Equal(0, StampCards.StampsFor(CoffeeCard(), Basket(Line(1, "cake", 2.90m)), PurchaserFacts.Returning));
        Assert.Equal(0, StampCards.StampsFor(card, Coffees(3), PurchaserFacts.Returning));
    }

    [Fact]
    public void One_stamp_per_ten_euros_spent_after_discounts()
    {
        var card = new StampCardDefinition("spend", "Spend card", 5, StampBasis.PerAmount, new StampReward(StampRewardKind.Points, Points: 500))
        {
            AmountPerStamp = 10m,
        };
        var basket = Basket(Line(1, "a", 15m, 2), Line(2, "b", 9.99m));

        Assert.Equal(3, StampCards.StampsFor(card, basket, PurchaserFacts.Returning));
        // 39.99 gives 3 stamps; after a 10.00 discount, 29.99 gives 2.
        Assert.Equal(2, StampCards.StampsFor(card, basket with { Lines = [basket.Lines[0] with { Discount = 10m }, basket.Lines[1]] }, PurchaserFacts.Returning));
    }

    [Fact]
    public void Stamps_expire_and_drop_off_the_card()
    {
        var card = CoffeeCard(validDays: 90);
        var (state, _) = Buy(card, StampCardState.Start("coffee"), "spring", 6, At);
        var (later, change) = Buy(card, state, "summer", 5, At.AddDays(91));

        Assert.Equal(6, change.Expired);
        Assert.Empty(change.Rewards);
        Assert.Equal(5, later.Stamps.Count);
    }

    [Fact]
    public void A_return_takes_back_its_stamps_from_the_current_card()
    {
        var card = CoffeeCard();
        var (state, _) = Buy(card, StampCardState.Start("coffee"), "p1", 4);
        (state, _) = Buy(card, state, "p2", 3);

        var (after, change) = StampCards.Return(card, state, "p1", 2, At);

        Assert.Equal(2, change.Removed);
        Assert.Equal(5, after.Stamps.Count);
        Assert.Equal(2, after.Stamps.Count(s => s.Purchase == "p1"));
    }

    [Fact]
    public void A_partial_return_takes_back_only_the_stamps_of_the_returned_units()
    {
        var perUnit = CoffeeCard();
        var perAmount = new StampCardDefinition("spend", "Spend card", 5, StampBasis.PerAmount, new StampReward(StampRewardKind.Points, Points: 500));
        var bought = Basket(Line(1, "latte", 3.20m, 4, "coffee"), Line(2, "beans", 12.00m, 2, "coffee"));
        var kept = bought with { Lines = [bought.Lines[0] with { Quantity = 3 }, bought.Lines[1] with { Quantity = 1 }] };

        // Per unit: 6 coffees bought, 4 kept. Per 10 EUR: 36.80 gave 3 stamps, 21.60 keeps 2.
        Assert.Equal(2, StampCards.StampsToTakeBack(perUnit, bought, kept, PurchaserFacts.Returning));
        Assert.Equal(1, StampCards.StampsToTakeBack(perAmount, bought, kept, PurchaserFacts.Returning));
        Assert.Equal(0, StampCards.StampsToTakeBack(perUnit, bought, bought, PurchaserFacts.Returning));
    }

    [Fact]
    public void A_return_of_a_purchase_that_filled_a_card_claws_back_the_reward_and_puts_the_other_stamps_back()
    {
        var card = CoffeeCard();
        var (state, _) = Buy(card, StampCardState.Start("coffee"), "p1", 8);
        (state, _) = Buy(card, state, "p2", 3); // fills card 1, one stamp on card 2

        var (after, change) = StampCards.Return(card, state, "p2", 3, At);

        Assert.Equal([new RewardChange(1, FreeCoffee, RewardStatus.ClawedBack)], change.Rewards);
        Assert.Equal(RewardStatus.ClawedBack, after.Completed.Single().Status);
        Assert.Equal(8, after.Stamps.Count);
        Assert.All(after.Stamps, s => Assert.Equal("p1", s.Purchase));
        Assert.Equal(0, after.RewardsHeld);
    }

    [Fact]
    public void A_reward_marked_on_return_stays_with_the_member()
    {
        var card = CoffeeCard(ReturnedRewardPolicy.Mark);
        var (state, _) = Buy(card, StampCardState.Start("coffee"), "p1", 10);

        var (after, change) = StampCards.Return(card, state, "p1", 10, At);

        Assert.Equal([new RewardChange(1, FreeCoffee, RewardStatus.Marked)], change.Rewards);
        Assert.Equal(1, after.RewardsHeld);
        Assert.Empty(after.Completed.Single().Stamps);
    }

    [Fact]
    public void Several_cards_collect_from_the_same_purchase_in_the_after_purchase_stage()
    {
        var spend = new StampCardDefinition("spend", "Spend card", 2, StampBasis.PerAmount, new StampReward(StampRewardKind.Points, Points: 200));
        var promotions = new PromotionTerms { StampCards = [CoffeeCard(), spend] };
        var terms = new PurchaseTerms(Eur, new EarningScheme(1m, RoundingPolicy.Down, []), 0, ExpiryPolicy.Never,
            new PayWithPointsPolicy(MinPoints: 100, MaxShareOfBasket: 0.5m), 0.01m).WithPromotions(promotions);
        var snapshot = new PromotionSnapshot { StampCards = [new StampCardState("coffee", 1, Enumerable.Repeat(new Stamp("old", At.AddDays(-1), null), 9).ToList(), [])] };

        var (decision, refusal) = PurchaseDecider.Decide(new PurchaseInput(Coffees(2), At) { Reference = "r-17" }, new MemberSnapshot(Anna, 4, 0, 0), terms, At, snapshot);

        Assert.Null(refusal);
        var stamps = decision!.Benefits.OfType<StampsCollected>().ToDictionary(s => s.Change.CardId);
        Assert.Equal(2, stamps["coffee"].Change.Added);
        Assert.Single(stamps["coffee"].Change.Rewards);
        Assert.Equal("r-17", stamps["coffee"].State.Stamps.Single().Purchase);
        Assert.False(stamps.ContainsKey("spend")); // 9.30 spent: not enough for a stamp on the spend card
    }

    [Fact]
    public void A_full_coffee_card_makes_a_coffee_free_at_the_next_purchase_without_presenting_a_code()
    {
        var freeCoffee = WithCode("free-coffee", new FreeItem("latte"), CodeKind.Personal);
        var terms = new PurchaseTerms(Eur, new EarningScheme(1m, RoundingPolicy.Down, []), 0, ExpiryPolicy.Never,
            new PayWithPointsPolicy(MinPoints: 100, MaxShareOfBasket: 0.5m), 0.01m).WithPromotions(new PromotionTerms { Campaigns = [freeCoffee], StampCards = [CoffeeCard()] });
        var member = new MemberSnapshot(Anna, 9, 0, 0);
        var nine = new StampCardState("coffee", 1, Enumerable.Repeat(new Stamp("old", At.AddDays(-1), null), 9).ToList(), []);

        var filling = PurchaseDecider.Decide(new PurchaseInput(Coffees(1), At) { Reference = "r-1" }, member, terms, At,
            new PromotionSnapshot { StampCards = [nine] }).Decision!;
        var reward = filling.Benefits.OfType<StampsCollected>().Single().Change.Rewards.Single();
        Assert.Equal((RewardStatus.Given, "free-coffee"), (reward.Status, reward.Reward.CampaignId));

        // The store issues the reward as a personal code of its campaign that applies without being presented.
        var issued = new CodeRecord("FREE-LATTE-1", reward.Reward.CampaignId!, Anna, 0) { ApplyWithoutPresenting = true };
        var next = PurchaseDecider.Decide(new PurchaseInput(Coffees(2), At.AddHours(1)), member, terms, At.AddHours(1),
            new PromotionSnapshot { Codes = [issued] }).Decision!;
        var withoutCoffee = PurchaseDecider.Decide(new PurchaseInput(Basket(Line(1, "cake", 2.90m)), At.AddHours(1)), member, terms, At.AddHours(1),
            new PromotionSnapshot { Codes = [issued] });
        var someoneElse = PurchaseDecider.Decide(new PurchaseInput(Coffees(2), At.AddHours(1)), member with { Id = Ben }, terms, At.AddHours(1),
            new PromotionSnapshot { Codes = [issued] }).Decision!;

        Assert.Equal(3.20m, next.Basket.Lines[0].Discount);
        Assert.Equal("FREE-LATTE-1", next.Guards.Reservations.Single().Code);
        // Bought without a latte, the free latte is handed over as a gift.
        Assert.Equal(["latte"], withoutCoffee.Decision!.Promotions.Single().Gifts);
        Assert.Empty(someoneElse.Promotions);
    }

    [Fact]
    public void An_anonymous_purchase_collects_no_stamps()
    {
        var terms = new PurchaseTerms(Eur, new EarningScheme(1m, RoundingPolicy.Down, []), 0, ExpiryPolicy.Never,
            new PayWithPointsPolicy(MinPoints: 100, MaxShareOfBasket: 0.5m), 0.01m).WithPromotions(new PromotionTerms { StampCards = [CoffeeCard()] });

        var decision = PurchaseDecider.Decide(new PurchaseInput(Coffees(3), At, Anonymous: true), null, terms, At).Decision!;

        Assert.Empty(decision.Benefits.OfType<StampsCollected>());
    }
}
