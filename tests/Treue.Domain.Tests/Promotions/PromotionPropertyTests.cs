using CsCheck;
using Xunit;
using Treue.Domain.Earning;
using Treue.Domain.Promotions;
using static Treue.Domain.Tests.Promotions.PromotionFixtures;

namespace Treue.Domain.Tests.Promotions;

public sealed class PromotionPropertyTests
{
    private static readonly string[] Skus = ["a", "b", "c", "d"];

    // Lines of a few SKUs with whole or weighed quantities and prices in cents (or whole yen).
    private static readonly Gen<BasketLine[]> Lines =
        Gen.Select(Gen.Int[0, 3], Gen.Int[1, 6], Gen.Int[0, 50_000], Gen.Bool, Gen.Int[0, 300])
            .Array[1, 6]
            .Select(ls => ls.Select((t, i) =>
            {
                var (sku, quantity, cents, weighed, tillDiscount) = t;
                var q = weighed ? quantity * 0.125m : quantity;
                var price = cents / 100m;
                return new BasketLine(i + 1, Skus[sku], sku < 2 ? "food" : "other", q, price, Math.Min(tillDiscount / 100m, q * price));
            }).ToArray());

    // One offer of each kind with random parameters.
    private static readonly Gen<Offer> Offers = Gen.OneOf<Offer>(
        Gen.Int[0, 100].Select(p => (Offer)new PercentOffBasket(p)),
        Gen.Int[0, 100_000].Select(c => (Offer)new AmountOffBasket(c / 100m)),
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 100]).Select(t => (Offer)new PercentOffLines(LineSelector.OfSkus(Skus[t.Item1]), t.Item2)),
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 5_000], Gen.Bool).Select(t => (Offer)new AmountOffLines(LineSelector.OfSkus(Skus[t.Item1]), t.Item2 / 100m, t.Item3)),
        Gen.Select(Gen.Int[0, 3], Gen.Int[1, 3]).Select(t => (Offer)new FreeItem(Skus[t.Item1], t.Item2)),
        Gen.Select(Gen.Int[0, 3], Gen.Int[1, 3], Gen.Int[0, 100]).Select(t => (Offer)new BuyXGetY(LineSelector.OfCategories("food"), t.Item2, t.Item1 + 1, t.Item3)),
        Gen.Select(Gen.Int[0, 3], Gen.Int[1, 3], Gen.Int[0, 100]).Select(t =>
            (Offer)new BuyXGetY(LineSelector.OfSkus("a"), t.Item2, t.Item1 + 1, t.Item3, LineSelector.OfSkus("b", "c"))),
        Gen.Select(Gen.Int[1, 3], Gen.Int[1, 3], Gen.Int[0, 20_000]).Select(t =>
            (Offer)new BundlePrice([new BundleItem(["a"], t.Item1), new BundleItem(["c", "d"], t.Item2)], t.Item3 / 100m)));

    private static readonly Gen<(BasketLine[] Lines, Offer[] Offers, bool Yen)> Cases =
        Gen.Select(Lines, Offers.Array[1, 4], Gen.Bool);

    // In yen the generated cents become whole yen.
    private static BasketLine[] InCurrency(BasketLine[] lines, bool yen) =>
        yen ? lines.Select(l => l with { UnitPrice = l.UnitPrice * 100, Discount = l.Discount * 100 }).ToArray() : lines;

    private static PricingResult PriceCase(BasketLine[] lines, Offer[] offers, bool yen) =>
        Pricing.Price(new PricingRequest(Basket(lines), At, [], null, false), Terms(offers.Select((o, i) => Auto($"c{i}", o)).ToArray()),
            PromotionSnapshot.Empty, yen ? Jpy : Eur);

    [Fact]
    public void Discounts_never_make_a_line_negative_and_never_exceed_the_basket()
    {
        Check.Sample(Cases, t =>
        {
            var (generated, offers, yen) = t;
            var lines = InCurrency(generated, yen);
            var currency = yen ? Jpy : Eur;
            var result = PriceCase(lines, offers, yen);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = result.Basket.Lines[i];
                Assert.True(line.Net >= 0, $"line {line.LineNo} is negative: {line.Net}");
                Assert.True(currency.IsExact(line.Discount - lines[i].Discount), $"line {line.LineNo}: {line.Discount}");
            }
            var basket = lines.Sum(l => l.Net);
            Assert.True(result.Discount >= 0);
            Assert.True(result.Discount <= basket, $"discount {result.Discount} above the basket {basket}");
            Assert.Equal(result.Discount, result.Steps.Sum(s => s.Lines.Sum(l => l.Discount)));
        }, iter: 3_000);
    }

    // A case and a random way to return every unit in several parts.
    private static readonly Gen<(BasketLine[] Lines, Offer[] Offers, bool Yen, (int Line, decimal Quantity)[][] Returns)> Returned =
        Cases.SelectMany(c => Gen.Int[1, 4].Array[c.Lines.Length].Select(parts =>
        {
            var returns = new List<(int, decimal)>[4];
            for (var r = 0; r < 4; r++) returns[r] = [];
            for (var i = 0; i < c.Lines.Length; i++)
            {
                // Split each line's quantity into parts of whole units or eighths, spread over the returns.
                var q = c.Lines[i].Quantity;
                var step = q == decimal.Truncate(q) ? 1m : 0.125m;
                var units = (int)(q / step);
                var n = Math.Min(parts[i], units);
                for (var p = 0; p < n; p++)
                {
                    var share = units / n + (p < units % n ? 1 : 0);
                    returns[(i + p) % 4].Add((c.Lines[i].LineNo, share * step));
                }
            }
            return (c.Lines, c.Offers, c.Yen, returns.Where(r => r.Count > 0).Select(r => r.ToArray()).ToArray());
        }));

    [Fact]
    public void Successive_partial_returns_give_back_exactly_the_discount_given()
    {
        Check.Sample(Returned, t =>
        {
            var (generated, offers, yen, returns) = t;
            var original = InCurrency(generated, yen);
            var currency = yen ? Jpy : Eur;
            var priced = PriceCase(original, offers, yen);
            var terms = Terms(offers.Select((o, i) => Auto($"c{i}", o)).ToArray());
            var before = new List<ReturnedLine>();
            var given = 0m;
            foreach (var part in returns)
            {
                var now = part.Select(p => new ReturnedLine(p.Line, p.Quantity)).ToArray();
                var result = PromotionReturns.Compute(original, priced.Steps, before, now, terms, currency);
                Assert.True(currency.IsExact(result.Discount));
                Assert.All(result.Lines, l => Assert.True(l.Discount >= 0));
                given += result.Discount;
                before.AddRange(now);
            }
            Assert.Equal(priced.Discount, given);
        }, iter: 2_000);
    }

    [Fact]
    public void A_stamp_card_gives_its_reward_exactly_once_per_N_stamps_held()
    {
        var gen = Gen.Select(Gen.Int[1, 12], Gen.Select(Gen.Bool, Gen.Int[0, 14]).Array[1, 30], Gen.Bool);
        Check.Sample(gen, t =>
        {
            var (size, operations, mark) = t;
            var card = new StampCardDefinition("card", "Card", size, StampBasis.PerUnit, new StampReward(StampRewardKind.Points, Points: 100))
            {
                OnReturn = mark ? ReturnedRewardPolicy.Mark : ReturnedRewardPolicy.ClawBack,
            };
            var state = StampCardState.Start("card");
            var given = new Dictionary<string, int>();
            long held = 0, rewards = 0;
            var purchase = 0;
            foreach (var (isReturn, count) in operations)
            {
                if (isReturn && given.Count > 0)
                {
                    // Return part of the purchase with the most stamps still held.
                    var (id, stamps) = given.OrderByDescending(g => g.Value).ThenBy(g => g.Key).First();
                    var back = Math.Min(stamps, count);
                    (state, var change) = StampCards.Return(card, state, id, back, At);
                    Assert.Equal(back, change.Removed);
                    given[id] = stamps - back;
                    held -= back;
                    rewards += change.Rewards.Count(r => r.Status == RewardStatus.Given) - change.Rewards.Count(r => r.Status == RewardStatus.ClawedBack);
                }
                else
                {
                    var id = $"p{++purchase}";
                    (state, var change) = StampCards.Collect(card, state, id, Basket(Line(1, "coffee", 3m, count)), PurchaserFacts.Returning, At, At);
                    given[id] = count;
                    held += count;
                    rewards += change.Rewards.Count(r => r.Status == RewardStatus.Given);
                }
                Assert.True(state.Stamps.Count < size);
                Assert.Equal(rewards, state.RewardsHeld);
                if (!mark) Assert.Equal(held / size, rewards);
                else Assert.True(rewards >= held / size);
            }
        }, iter: 3_000);
    }
}
