using CsCheck;
using Treue.Domain.Earning;
using Treue.Domain.Programmes;
using Xunit;

namespace Treue.Domain.Tests.Earning;

/// <summary>Invariants of <see cref="EarningScheme.Evaluate"/> over random baskets and rule sets with non-negative inputs.</summary>
public sealed class EarningPropertyTests
{
    private static readonly DateTime Start = new(2026, 3, 1);

    private static Gen<T[]> Subset<T>(params T[] items) =>
        Gen.Bool.Array[items.Length].Select(mask => items.Where((_, i) => mask[i]).ToArray());

    private static readonly Gen<BasketLine> Lines =
        Gen.Select(
                Gen.OneOf("a", "b", "c", "d"),
                Gen.OneOf<string?>(null, "x", "y"),
                Gen.Int[0, 5_000], // quantity in thousandths
                Gen.Int[0, 20_000], // unit price in cents
                Gen.Int[0, 100]) // discount in percent of the gross amount
            .Select((sku, category, quantity, price, discountPercent) =>
            {
                var q = quantity / 1000m;
                var p = price / 100m;
                var discount = decimal.Round(q * p * discountPercent / 100m, 2, MidpointRounding.ToZero);
                return new BasketLine(0, sku, category, q, p, discount);
            });

    private static readonly Gen<Basket> Baskets =
        Gen.Select(
                Lines.Array[0, 6],
                Gen.OneOf("acme", "bolt"),
                Gen.OneOf<string?>(null, "s1", "s2"),
                Gen.Enum<Channel>(),
                Gen.Int[0, 10 * 24 * 60 - 1])
            .Select((lines, partner, store, channel, minutes) => new Basket(
                partner, store, channel, Start.AddMinutes(minutes),
                lines.Select((l, i) => l with { LineNo = i + 1 }).ToArray()));

    private static readonly Gen<RuleConditions> Conditions =
        Gen.Select(
            Subset("acme", "bolt", "cola"),
            Subset("s1", "s2"),
            Subset(Channel.Store, Channel.Online, Channel.App),
            Subset("a", "b", "c"),
            Subset("x", "y"),
            Gen.Int[-1, 10], // From: day offset, -1 for none
            Gen.Int[-1, 10], // To
            Subset(Enum.GetValues<DayOfWeek>()),
            Gen.Int[-1, 300], // MinBasket, -1 for none
            Gen.Bool,
            (partners, stores, channels, skus, categories, from, to, weekdays, minBasket, firstOnly) => new RuleConditions
            {
                Partners = partners, Stores = stores, Channels = channels, Skus = skus, Categories = categories,
                From = from < 0 ? null : DateOnly.FromDateTime(Start.AddDays(from)),
                To = to < 0 ? null : DateOnly.FromDateTime(Start.AddDays(to)),
                Weekdays = weekdays,
                MinBasket = minBasket < 0 ? null : minBasket,
                FirstPurchaseOnly = firstOnly,
            });

    private static readonly Gen<RuleEffect> Effects =
        Gen.Select(Gen.Enum<EffectKind>(), Gen.Int[0, 1_000]).Select((kind, n) => kind switch
        {
            EffectKind.PointsPerCurrencyUnit => new RuleEffect(kind, n / 200m), // 0 to 5 points per unit
            EffectKind.FixedBonus => new RuleEffect(kind, n),
            _ => new RuleEffect(kind, 1m + n / 250m), // multipliers from 1 to 5
        });

    private static Gen<EarningRule[]> Rules(Gen<Stacking> stacking) =>
        Gen.Select(Gen.Int[-3, 3], stacking, Conditions, Effects).Array[0, 6]
            .Select(rules => rules.Select((r, i) => new EarningRule("r" + i, "Rule " + i, r.Item1, r.Item2, r.Item3, r.Item4)).ToArray());

    private static readonly Gen<decimal> BaseRates = Gen.Int[0, 1_000].Select(n => n / 100m);

    private static readonly Gen<(Basket, EarningRule[], decimal, RoundingPolicy, bool)> Cases =
        Gen.Select(Baskets, Rules(Gen.Enum<Stacking>()), BaseRates, Gen.Enum<RoundingPolicy>(), Gen.Bool);

    [Fact]
    public void The_total_is_the_sum_of_all_contributions_and_never_negative()
    {
        Check.Sample(Cases, (basket, rules, baseRate, rounding, first) =>
        {
            var result = new EarningScheme(baseRate, rounding, rules).Evaluate(basket, new EarningContext(first));

            Assert.Equal(basket.Lines.Select(l => l.LineNo), result.Lines.Select(l => l.LineNo));
            foreach (var line in result.Lines)
            {
                Assert.Equal(line.Points, line.Contributions.Sum(c => c.Points));
                Assert.All(line.Contributions, c => Assert.True(c.Points > 0, $"{c.Rule} gave {c.Points}"));
            }
            Assert.All(result.Bonuses, b => Assert.True(b.Points > 0, $"{b.Rule} gave {b.Points}"));
            var everything = result.Lines.SelectMany(l => l.Contributions).Concat(result.Bonuses).Sum(c => c.Points);
            Assert.Equal(everything, result.Points);
            Assert.True(result.Points >= 0);
        }, iter: 3_000);
    }

    [Fact]
    public void Rules_applied_are_distinct_codes_of_the_scheme_that_gave_points()
    {
        Check.Sample(Cases, (basket, rules, baseRate, rounding, first) =>
        {
            var result = new EarningScheme(baseRate, rounding, rules).Evaluate(basket, new EarningContext(first));
            var applied = result.RulesApplied.ToList();
            var codes = rules.Select(r => r.Code).ToHashSet();
            Assert.Equal(applied.Count, applied.Distinct().Count());
            Assert.DoesNotContain(EarningScheme.BaseRuleCode, applied);
            Assert.All(applied, code => Assert.Contains(code, codes));
            var contributing = result.Lines.SelectMany(l => l.Contributions).Concat(result.Bonuses)
                .Select(c => c.Rule).Where(r => r != EarningScheme.BaseRuleCode).ToHashSet();
            Assert.Equal(contributing.Order(StringComparer.Ordinal), applied.Order(StringComparer.Ordinal));
        }, iter: 2_000);
    }

    [Fact]
    public void Base_points_of_a_line_are_its_net_times_the_base_rate_rounded_by_the_policy()
    {
        Check.Sample(Cases, (basket, rules, baseRate, rounding, first) =>
        {
            var result = new EarningScheme(baseRate, rounding, rules).Evaluate(basket, new EarningContext(first));
            for (var i = 0; i < basket.Lines.Count; i++)
            {
                var exact = baseRate * basket.Lines[i].Net;
                var basePoints = result.Lines[i].Contributions.Where(c => c.Rule == EarningScheme.BaseRuleCode).Sum(c => c.Points);
                switch (rounding)
                {
                    case RoundingPolicy.Down: Assert.InRange(exact - basePoints, 0m, 0.999999m); break;
                    case RoundingPolicy.Up: Assert.InRange(basePoints - exact, 0m, 0.999999m); break;
                    default: Assert.InRange(Math.Abs(exact - basePoints), 0m, 0.5m); break;
                }
            }
        }, iter: 2_000);
    }

    [Fact]
    public void Rounding_down_never_gives_more_than_nearest_and_nearest_never_more_than_up()
    {
        var gen = Gen.Select(Baskets, Rules(Gen.Enum<Stacking>()), BaseRates, Gen.Bool);
        Check.Sample(gen, (basket, rules, baseRate, first) =>
        {
            var context = new EarningContext(first);
            var down = new EarningScheme(baseRate, RoundingPolicy.Down, rules).Evaluate(basket, context).Points;
            var nearest = new EarningScheme(baseRate, RoundingPolicy.Nearest, rules).Evaluate(basket, context).Points;
            var up = new EarningScheme(baseRate, RoundingPolicy.Up, rules).Evaluate(basket, context).Points;
            Assert.True(down <= nearest && nearest <= up, $"down {down}, nearest {nearest}, up {up}");
        }, iter: 2_000);
    }

    [Fact]
    public void Adding_a_stacking_rule_never_lowers_the_points()
    {
        var stack = Gen.Const(Stacking.Stack);
        var gen = Gen.Select(
            Gen.Select(Baskets, Rules(stack), BaseRates, Gen.Enum<RoundingPolicy>(), Gen.Bool),
            Gen.Select(Gen.Int[-3, 3], Conditions, Effects));
        Check.Sample(gen, c =>
        {
            var ((basket, rules, baseRate, rounding, first), (priority, conditions, effect)) = c;
            var context = new EarningContext(first);
            var without = new EarningScheme(baseRate, rounding, rules).Evaluate(basket, context).Points;
            var added = new EarningRule("extra", "Extra", priority, Stacking.Stack, conditions, effect);
            var with = new EarningScheme(baseRate, rounding, [.. rules, added]).Evaluate(basket, context).Points;
            Assert.True(with >= without, $"{with} < {without}");
        }, iter: 2_000);
    }

    [Fact]
    public void The_order_rules_are_given_in_does_not_matter()
    {
        Check.Sample(Cases, (basket, rules, baseRate, rounding, first) =>
        {
            var context = new EarningContext(first);
            var forward = new EarningScheme(baseRate, rounding, rules).Evaluate(basket, context);
            var backward = new EarningScheme(baseRate, rounding, Enumerable.Reverse(rules)).Evaluate(basket, context);
            Assert.Equal(forward.Points, backward.Points);
            Assert.Equal(forward.Lines.SelectMany(l => l.Contributions), backward.Lines.SelectMany(l => l.Contributions));
            Assert.Equal(forward.Bonuses, backward.Bonuses);
        }, iter: 1_000);
    }
}
