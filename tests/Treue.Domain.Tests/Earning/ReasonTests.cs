using Treue.Domain.Earning;
using Treue.Domain.Purchases;
using Xunit;
using static Treue.Domain.Tests.Earning.EarningFixtures;

namespace Treue.Domain.Tests.Earning;

/// <summary>Contributions carry their explanation in parts, and their English name stays what the API has always given.</summary>
public sealed class ReasonTests
{
    [Fact]
    public void A_rule_contribution_names_the_rule_and_keeps_what_it_gives()
    {
        var result = Scheme(1m, Rule("sat", EffectKind.Multiplier, 2m)).Evaluate(Basket(Line(1, 10m)), Returning);
        var rule = result.Lines[0].Contributions[1];
        Assert.Equal("Rule sat", rule.Name);
        Assert.Equal(new Reason(ReasonKeys.Rule) { Subject = "Rule sat", Effect = EffectKind.Multiplier, Value = 2m }, rule.Reason);
    }

    [Fact]
    public void The_explanation_of_earned_points_names_the_line_in_English_and_in_the_parts()
    {
        var result = Scheme(1m).Evaluate(Basket(Line(1, 10m), Line(2, 5m)), Returning);
        var earned = new EarnedPoints(result.Points, result.Lines, result.Bonuses, result.RulesApplied, false, DateTime.UnixEpoch, null, false);
        var second = earned.Explanation()[1];
        Assert.Equal("Base rate (line 2)", second.Name);
        Assert.Equal(new Reason(ReasonKeys.BaseRate) { Line = 2 }, second.Reason);
        Assert.Equal(second.Name, second.Reason!.English());
    }

    [Theory]
    [InlineData(ReasonKeys.ReturnWindowPassed, "Return window passed")]
    [InlineData(ReasonKeys.BonusTakenBack, "Purchase bonus taken back (whole purchase returned)")]
    [InlineData(ReasonKeys.PaymentRefunded, "Points paid with come back")]
    public void Fixed_reasons_read_in_English_as_they_always_did(string key, string english) =>
        Assert.Equal(english, new Reason(key).English());

    [Fact]
    public void Reasons_with_values_read_in_English_as_they_always_did()
    {
        Assert.Equal("Points earned 2026-03-01 expired", new Reason(ReasonKeys.Expired) { Date = new DateOnly(2026, 3, 1) }.English());
        Assert.Equal("Paid 4.5 EUR at Tea House", new Reason(ReasonKeys.PaidAtCheckout) { Value = 4.5m, Unit = "EUR", Subject = "Tea House" }.English());
        Assert.Equal("Returned 2 × line 3", new Reason(ReasonKeys.Returned) { Value = 2m, Line = 3 }.English());
        Assert.Equal("Reward order cancelled: Knife set", new Reason(ReasonKeys.OrderCancelled) { Subject = "Knife set" }.English());
        Assert.Equal("Knife set", new Reason(ReasonKeys.Redeemed) { Subject = "Knife set" }.English());
        Assert.Equal("Goodwill", Contribution.Of("adjustment", new Reason(ReasonKeys.Adjusted) { Subject = "Goodwill" }, 10).Name);
    }

    [Fact]
    public void Stamp_card_reasons_name_the_card_and_what_happened_to_it()
    {
        Assert.Equal("Coffee card: card 2 full", new Reason(ReasonKeys.StampCardFull) { Subject = "Coffee card", Value = 2 }.English());
        Assert.Equal("Coffee card: card 2 taken back", new Reason(ReasonKeys.StampCardTakenBack) { Subject = "Coffee card", Value = 2 }.English());
    }
}
