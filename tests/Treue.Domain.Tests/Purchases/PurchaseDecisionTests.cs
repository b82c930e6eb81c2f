using Xunit;
using System.Text.Json;
using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Domain.Programmes;
using Treue.Domain.Purchases;
using static Treue.Domain.Tests.Earning.EarningFixtures;

namespace Treue.Domain.Tests.Purchases;

public sealed class PurchaseDecisionTests
{
    private static readonly DateTime Now = new(2026, 3, 4, 14, 30, 0, DateTimeKind.Utc);
    private static readonly Guid MemberId = Guid.Parse("0196a4b2-0000-7000-8000-000000000001");

    private static PurchaseTerms Terms(int pendingDays = 14, ExpiryPolicy? expiry = null, params EarningRule[] rules) =>
        new(Currency.Find("EUR")!, Scheme(1m, rules), pendingDays, expiry ?? ExpiryPolicy.Never, new PayWithPointsPolicy(MinPoints: 100, MaxShareOfBasket: 0.5m), 0.01m);

    private static MemberSnapshot Member(int purchases = 3, long available = 1_000) => new(MemberId, purchases, available, 0);

    private static EarningRule Welcome => Rule("welcome", EffectKind.FixedBonus, 500, new RuleConditions { FirstPurchaseOnly = true });

    [Fact]
    public void A_purchase_earns_by_the_rules_into_a_lot_pending_for_the_return_window()
    {
        var (decision, refusal) = PurchaseDecider.Decide(new PurchaseInput(Basket(Line(1, 20m), Line(2, 5.5m)), Now), Member(), Terms(pendingDays: 14), Now);

        Assert.Null(refusal);
        var earned = decision!.Earned!;
        Assert.Equal(25, earned.Points);
        Assert.Equal([20L, 5L], earned.Lines.Select(l => l.Points));
        Assert.True(earned.Pending);
        Assert.Equal(Now.AddDays(14), earned.AvailableAt);
        Assert.Null(earned.ExpiresAt);
        Assert.Equal(new DecisionGuards(3, 0), decision.Guards);
        Assert.Equal(25.5m, decision.AmountDue);
    }

    [Fact]
    public void Pending_or_available_is_decided_at_the_decisions_now_not_at_the_purchase_time()
    {
        // A receipt sent 20 days late: its return window has passed by the time it is decided.
        var late = Now.AddDays(-20);
        var (decision, _) = PurchaseDecider.Decide(new PurchaseInput(Basket(Line(1, 10m)), late), Member(), Terms(pendingDays: 14), Now);

        Assert.False(decision!.Earned!.Pending);
        Assert.Equal(late.AddDays(14), decision.Earned.AvailableAt);
    }

    [Fact]
    public void Expiry_is_counted_from_the_purchase_time_by_the_programmes_policy()
    {
        var (decision, _) = PurchaseDecider.Decide(new PurchaseInput(Basket(Line(1, 10m)), Now), Member(),
            Terms(expiry: new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: 36)), Now);

        Assert.Equal(Now.AddMonths(36), decision!.Earned!.ExpiresAt);
    }

    [Fact]
    public void The_first_purchase_is_the_one_decided_while_the_member_has_no_purchases()
    {
        var terms = Terms(0, null, Welcome);
        var first = PurchaseDecider.Decide(new PurchaseInput(Basket(Line(1, 10m)), Now), Member(purchases: 0), terms, Now).Decision!;
        var second = PurchaseDecider.Decide(new PurchaseInput(Basket(Line(1, 10m)), Now), Member(purchases: 1), terms, Now).Decision!;

        Assert.True(first.Earned!.FirstPurchase);
        Assert.Equal(510, first.Earned.Points);
        Assert.Equal(0, first.Guards.PurchaseCount); // written only while the count is still 0
        Assert.False(second.Earned!.FirstPurchase);
        Assert.Equal(10, second.Earned.Points);
    }

    [Fact]
    public void An_anonymous_purchase_earns_nothing_and_a_quote_without_a_member_earns_as_a_returning_member()
    {
        var terms = Terms(0, null, Welcome);
        var anonymous = PurchaseDecider.Decide(new PurchaseInput(Basket(Line(1, 10m)), Now, Anonymous: true), null, terms, Now).Decision!;
        var quote = PurchaseDecider.Decide(new PurchaseInput(Basket(Line(1, 10m)), Now), null, terms, Now).Decision!;

        Assert.Null(anonymous.Earned);
        Assert.Null(anonymous.Guards.PurchaseCount);
        Assert.Equal(10, quote.Earned!.Points);
        Assert.False(quote.Earned.FirstPurchase);
    }

    [Fact]
    public void Paying_with_points_takes_them_from_the_available_balance_and_guards_it()
    {
        var (decision, refusal) = PurchaseDecider.Decide(new PurchaseInput(Basket(Line(1, 20m)), Now, PointsToPay: 300), Member(available: 300), Terms(), Now);

        Assert.Null(refusal);
        Assert.Equal(new PaidWithPoints(300, 3m), decision!.Payment);
        Assert.Equal(17m, decision.AmountDue);
        Assert.Equal(300, decision.Guards.SpendsPoints);
        // Earning runs before payment and sees the basket as priced, not as paid.
        Assert.Equal(20, decision.Earned!.Points);
    }

    [Theory]
    [InlineData(301, 300, "insufficient_points")]
    [InlineData(50, 1000, "below_minimum_points")]
    [InlineData(1500, 5000, "above_maximum_share")]
    public void Paying_with_points_beyond_the_balance_or_the_policy_is_refused(long points, long available, string code)
    {
        var (decision, refusal) = PurchaseDecider.Decide(new PurchaseInput(Basket(Line(1, 20m)), Now, points), Member(available: available), Terms(), Now);

        Assert.Null(decision);
        Assert.Equal(code, refusal!.Code);
        Assert.Equal("pointsPayment.points", refusal.Field);
    }

    [Fact]
    public void Paying_with_points_needs_a_member()
    {
        var (_, refusal) = PurchaseDecider.Decide(new PurchaseInput(Basket(Line(1, 20m)), Now, 200, Anonymous: true), null, Terms(), Now);

        Assert.Equal("member_required", refusal!.Code);
    }

    [Fact]
    public void A_new_kind_of_benefit_plugs_in_as_an_evaluator_of_its_stage_and_later_stages_see_its_effect()
    {
        // A pricing evaluator that halves every line: earning and payment must see the halved basket.
        var terms = Terms() with { Evaluators = [new PayWithPointsAtCheckout(), new EarnByRules(), new HalfPrice()] };
        var (decision, _) = PurchaseDecider.Decide(new PurchaseInput(Basket(Line(1, 40m)), Now, PointsToPay: 1_000), Member(available: 5_000), terms, Now);

        Assert.Equal(20m, decision!.Basket.Total);
        Assert.Equal(20, decision.Earned!.Points);
        Assert.Equal(10m, decision.Payment!.Discount);
        Assert.Equal(10m, decision.AmountDue);
        // Stages run in order whatever the order the evaluators were listed in.
        Assert.Equal([DecisionStage.Earning, DecisionStage.Payment], decision.Benefits.Select(b => b.Stage));
    }

    [Fact]
    public void Benefits_are_serialised_with_their_kind()
    {
        var (decision, _) = PurchaseDecider.Decide(new PurchaseInput(Basket(Line(1, 20m)), Now, PointsToPay: 200), Member(), Terms(), Now);

        var json = JsonSerializer.Serialize(decision!.Benefits);
        var back = JsonSerializer.Deserialize<List<Benefit>>(json)!;

        Assert.Contains("\"kind\":\"earned_points\"", json, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"paid_with_points\"", json, StringComparison.Ordinal);
        Assert.IsType<EarnedPoints>(back[0]);
        Assert.Equal(decision.Payment, back[1]);
    }

    private sealed class HalfPrice : IBenefitEvaluator
    {
        public DecisionStage Stage => DecisionStage.Pricing;

        public Refusal? Evaluate(PurchaseContext context)
        {
            context.Basket = context.Basket with { Lines = [.. context.Basket.Lines.Select(l => l with { UnitPrice = l.UnitPrice / 2 })] };
            return null;
        }
    }
}

public sealed class ReturnReversalTests
{
    private static readonly DateTime T = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_pending_purchase_lot_is_voided_and_nothing_is_unrecovered()
    {
        var plan = Returns.PlanReversal(80, new LotState(7, T, null, 100), purchaseLotPending: true, available: 0, []);

        Assert.True(plan.FromPending);
        Assert.Equal([new LotDraw(7, 80)], plan.Draws);
        Assert.Equal((80L, 0L), (plan.Taken, plan.Unrecovered));
    }

    [Fact]
    public void Available_points_come_from_the_purchases_own_lot_first_then_oldest_first()
    {
        var others = new[] { new LotState(2, T.AddDays(5), null, 50), new LotState(1, T, T.AddYears(1), 50) };
        var plan = Returns.PlanReversal(100, new LotState(9, T.AddDays(10), null, 30), purchaseLotPending: false, available: 200, others);

        Assert.False(plan.FromPending);
        Assert.Equal([new LotDraw(9, 30), new LotDraw(1, 50), new LotDraw(2, 20)], plan.Draws);
        Assert.Equal((100L, 0L), (plan.Taken, plan.Unrecovered));
    }

    [Fact]
    public void Points_already_spent_are_written_off_and_the_balance_never_goes_negative()
    {
        var plan = Returns.PlanReversal(100, new LotState(9, T, null, 40), purchaseLotPending: false, available: 40, []);

        Assert.Equal([new LotDraw(9, 40)], plan.Draws);
        Assert.Equal((40L, 60L), (plan.Taken, plan.Unrecovered));
    }
}
