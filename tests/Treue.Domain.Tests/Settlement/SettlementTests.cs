using CsCheck;
using Treue.Domain.Settlement;
using Xunit;
using Decision = Treue.Domain.Settlement.Settlement;

namespace Treue.Domain.Tests.Settlement;

public sealed class SettlementTests
{
    private static readonly Currency Eur = new("EUR", 2);

    [Fact]
    public void The_worked_example_of_the_coalition_guide_adds_up_to_zero()
    {
        var bakery = new PartnerTerms("bakery", 0.01m, 0.01m, 0.001m, 0m, 0m, BreakageBeneficiary.Operator);
        var fuel = new PartnerTerms("fuel", 0.012m, 0.009m, 0m, 2m, 50m, BreakageBeneficiary.Partner);
        var result = Decision.Decide(Eur, [bakery, fuel],
            [new("bakery", 50_000, 2_000, 10_000, 0, 1_000), new("fuel", 30_000, 0, 45_000, 1_000, 500)], chargesMonthlyFee: true);

        var b = result.Partners[0];
        Assert.Equal((500.00m, 20.00m, 100.00m, 0m, 10.00m, 48.00m, 0m, 0m, -428.00m),
            (b.Issued, b.Returns, b.Redeemed, b.BreakageRefund, b.BreakageKept, b.PointFee, b.PercentFee, b.MonthlyFee, b.Net));
        var f = result.Partners[1];
        Assert.Equal((360.00m, 0m, 396.00m, 6.00m, 0m, 0m, 7.20m, 50.00m, -15.20m),
            (f.Issued, f.Returns, f.Redeemed, f.BreakageRefund, f.BreakageKept, f.PointFee, f.PercentFee, f.MonthlyFee, f.Net));
        Assert.Equal(new OperatorStatement(105.20m, 10.00m, 328.00m, 443.20m), result.Operator);
        Assert.Equal(0m, result.Clearing);
    }

    [Fact]
    public void Each_line_is_rounded_half_away_from_zero_to_the_cent()
    {
        // 3 points at 0.005 are 0.015: 0.02, not banker's 0.02 by luck; 1 point at 0.005 is 0.005: 0.01, not 0.00.
        var terms = new PartnerTerms("p", 0.005m, 0.005m, 0m, 0m, 0m, BreakageBeneficiary.Operator);
        var result = Decision.Decide(Eur, [terms], [new("p", 1, 0, 3, 0, 0)], chargesMonthlyFee: false);
        Assert.Equal(0.01m, result.Partners[0].Issued);
        Assert.Equal(0.02m, result.Partners[0].Redeemed);
        Assert.Equal(0.01m, result.Partners[0].Net);
        Assert.Equal(-0.01m, result.Operator.Net);
    }

    [Fact]
    public void A_partner_without_activity_pays_only_its_monthly_fee_and_only_when_the_period_charges_it()
    {
        var terms = new PartnerTerms("p", 0.01m, 0.01m, 0.002m, 1m, 25m, BreakageBeneficiary.Partner);
        Assert.Equal(-25m, Decision.Decide(Eur, [terms], [], chargesMonthlyFee: true).Partners[0].Net);
        Assert.Equal(0m, Decision.Decide(Eur, [terms], [], chargesMonthlyFee: false).Partners[0].Net);
    }

    [Fact]
    public void A_period_of_more_returns_than_issues_gives_fees_back()
    {
        var terms = new PartnerTerms("p", 0.01m, 0.01m, 0.001m, 10m, 0m, BreakageBeneficiary.Operator);
        var s = Decision.Decide(Eur, [terms], [new("p", 0, 1_000, 0, 0, 0)], chargesMonthlyFee: false).Partners[0];
        Assert.Equal((10m, -1m, -1m, 12m), (s.Returns, s.PointFee, s.PercentFee, s.Net));
    }

    private static readonly Gen<decimal> Price = Gen.Int[0, 50_000].Select(i => i / 10_000m);

    private static readonly Gen<(PartnerTerms Terms, PartnerActivity Activity)> PartnerGen =
        Gen.Select(Price, Price, Price.Select(p => p / 10m), Gen.Int[0, 1_000].Select(i => i / 100m), Gen.Int[0, 10_000].Select(i => i / 100m),
                Gen.Bool, Gen.Long[0, 5_000_000].Array[5])
            .Select((issue, redeem, perPoint, percent, monthly, toPartner, n) => (
                new PartnerTerms("", issue, redeem, perPoint, percent, monthly, toPartner ? BreakageBeneficiary.Partner : BreakageBeneficiary.Operator),
                new PartnerActivity("", n[0], n[1], n[2], n[3], n[4])));

    [Fact]
    public void Partners_and_operator_clear_to_zero_to_the_cent_in_every_coalition()
    {
        var gen = Gen.Select(PartnerGen.Array[1, 30], Gen.Bool, Gen.Int[0, 2].Select(i => new[] { new Currency("EUR", 2), new Currency("JPY", 0), new Currency("KWD", 3) }[i]));
        Check.Sample(gen, t =>
        {
            var (partners, monthly, currency) = t;
            var terms = partners.Select((p, i) => p.Terms with { PartnerCode = "p" + i }).ToList();
            // Activity arrives as several movements per partner, and some partners have none.
            var activity = partners.SelectMany((p, i) => i % 5 == 4 ? [] : new[]
            {
                p.Activity with { PartnerCode = "p" + i },
                new PartnerActivity("p" + i, 1, 0, 1, 0, 1),
            }).ToList();
            var result = Decision.Decide(currency, terms, activity, monthly);

            Assert.Equal(0m, result.Clearing);
            Assert.Equal(terms.Count, result.Partners.Count);
            foreach (var s in result.Partners)
            {
                foreach (var amount in new[] { s.Issued, s.Returns, s.Redeemed, s.BreakageRefund, s.BreakageKept, s.PointFee, s.PercentFee, s.MonthlyFee, s.Net })
                    Assert.Equal(decimal.Round(amount, currency.MinorDigits), amount);
                Assert.Equal(s.Redeemed + s.Returns + s.BreakageRefund - s.Issued - s.Fees, s.Net);
                Assert.True(s.BreakageRefund == 0 || s.BreakageKept == 0);
                // Each line is within half a minor unit of its exact value.
                var half = 0.5m / (decimal)Math.Pow(10, currency.MinorDigits);
                Assert.InRange(s.Issued - s.Activity.Issued * s.Terms.IssuePrice, -half, half);
                Assert.InRange(s.Redeemed - (s.Activity.Redeemed - s.Activity.RedemptionsRefunded) * s.Terms.RedemptionPrice, -half, half);
                if (!monthly) Assert.Equal(0m, s.MonthlyFee);
            }
            Assert.Equal(result.Partners.Sum(s => s.Fees), result.Operator.Fees);
            Assert.Equal(result.Partners.Sum(s => s.BreakageKept), result.Operator.BreakageKept);
        });
    }

    [Theory]
    [InlineData("2026-11", SettlementPeriodKind.Month, "2026-11-01", "2026-12-01")]
    [InlineData("2026-12", SettlementPeriodKind.Month, "2026-12-01", "2027-01-01")]
    [InlineData("2026-W48", SettlementPeriodKind.Week, "2026-11-23", "2026-11-30")]
    [InlineData("2026-W01", SettlementPeriodKind.Week, "2025-12-29", "2026-01-05")]
    public void Periods_are_named_by_month_or_iso_week(string label, SettlementPeriodKind kind, string start, string end)
    {
        var p = SettlementPeriod.Parse(label)!;
        Assert.Equal(new SettlementPeriod(kind, DateOnly.Parse(start), DateOnly.Parse(end)), p);
        Assert.Equal(label, p.Label);
        Assert.Equal(p, SettlementPeriod.Containing(kind, DateOnly.Parse(end).AddDays(-1)));
    }

    [Theory]
    [InlineData("2026-13")]
    [InlineData("2026-W54")]
    [InlineData("2026-W00")]
    [InlineData("1900-01")]
    [InlineData("2026-1")]
    [InlineData("november")]
    [InlineData("")]
    public void Nonsense_is_not_a_period(string label) => Assert.Null(SettlementPeriod.Parse(label));

    [Fact]
    public void Weeks_charge_the_monthly_fee_in_the_week_a_month_begins()
    {
        Assert.True(SettlementPeriod.Parse("2026-W49")!.ChargesMonthlyFee);   // 2026-11-30 to 2026-12-06
        Assert.False(SettlementPeriod.Parse("2026-W50")!.ChargesMonthlyFee);
        Assert.False(SettlementPeriod.Parse("2026-W10")!.ChargesMonthlyFee);  // 2026-03-02 to 2026-03-08
        Assert.True(SettlementPeriod.Parse("2026-W23")!.ChargesMonthlyFee);   // begins on 2026-06-01
    }
}
