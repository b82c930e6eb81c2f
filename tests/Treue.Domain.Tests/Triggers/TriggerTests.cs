using Xunit;
using Treue.Domain.Triggers;

namespace Treue.Domain.Tests.Triggers;

public sealed class TriggerTests
{
    internal static readonly Guid Anna = Guid.Parse("0196a4b2-0000-7000-8000-0000000000a1");
    internal static readonly Guid Ben = Guid.Parse("0196a4b2-0000-7000-8000-0000000000b2");
    private static readonly TriggerAction Gift = new AwardPoints(500);

    private static TriggerDefinition Trigger(TriggerKind kind, string id = "t") => new(id, kind, Gift);

    private static MemberFacts Member(DateOnly? birthday = null, DateOnly? enrolled = null) =>
        new(Anna, enrolled ?? new DateOnly(2020, 5, 10)) { Birthday = birthday };

    private static DateOnly D(int year, int month, int day) => new(year, month, day);

    private static IReadOnlyList<Occasion> Due(TriggerDefinition trigger, MemberFacts member, DateOnly lastRun, DateOnly today) =>
        TriggerRules.Due(trigger, member, lastRun, today);

    [Fact]
    public void A_birthday_is_due_on_the_day_with_a_key_for_its_year()
    {
        var occasion = Assert.Single(Due(Trigger(TriggerKind.Birthday, "bday"), Member(D(1985, 3, 15)), D(2026, 3, 14), D(2026, 3, 15)));

        Assert.Equal($"bday:{Anna:N}:birthday:2026", occasion.Key);
        Assert.Equal(("bday", Anna, "birthday:2026", D(2026, 3, 15)), (occasion.TriggerId, occasion.Member, occasion.Name, occasion.Day));
        Assert.Equal(500, occasion.Points);
        Assert.Equal("2026-03-15", occasion.Data["birthday"]);
        Assert.Empty(Due(Trigger(TriggerKind.Birthday), Member(D(1985, 3, 15)), D(2026, 3, 15), D(2026, 3, 16)));
    }

    [Theory]
    [InlineData(2027, 2, 28)]
    [InlineData(2028, 2, 29)]
    [InlineData(2100, 2, 28)]
    public void A_birthday_on_29_February_falls_on_28_February_in_other_years(int year, int month, int day)
    {
        var member = Member(D(2000, 2, 29));
        var occasions = Due(Trigger(TriggerKind.Birthday), member, D(year, 1, 1), D(year, 12, 31));

        var occasion = Assert.Single(occasions);
        Assert.Equal(D(year, month, day), occasion.Day);
        Assert.Equal($"birthday:{year}", occasion.Name);
    }

    [Fact]
    public void A_gift_days_before_a_january_birthday_counts_for_the_birthdays_year()
    {
        var trigger = Trigger(TriggerKind.Birthday) with { DaysBefore = 7 };
        var occasion = Assert.Single(Due(trigger, Member(D(1990, 1, 3)), D(2026, 12, 20), D(2026, 12, 31)));

        Assert.Equal((D(2026, 12, 27), "birthday:2027"), (occasion.Day, occasion.Name));
        Assert.Empty(Due(trigger, Member(D(1990, 1, 3)), D(2026, 12, 31), D(2027, 1, 3)));
    }

    [Fact]
    public void Today_is_the_programmes_day_and_a_late_run_catches_up_once()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        Assert.Equal(D(2026, 3, 15), TriggerRules.Today(new DateTime(2026, 3, 14, 23, 30, 0, DateTimeKind.Utc), berlin));
        Assert.Equal(D(2026, 3, 14), TriggerRules.Today(new DateTime(2026, 3, 14, 22, 59, 0, DateTimeKind.Utc), berlin));

        // The scheduler was down from 10 to 20 March: the run on the 20th gives the birthday of the 15th, the next one nothing.
        var member = Member(D(1985, 3, 15));
        Assert.Equal(["birthday:2026"], Due(Trigger(TriggerKind.Birthday), member, D(2026, 3, 10), D(2026, 3, 20)).Select(o => o.Name));
        Assert.Empty(Due(Trigger(TriggerKind.Birthday), member, D(2026, 3, 20), D(2026, 3, 21)));
    }

    [Fact]
    public void Nothing_is_due_before_the_member_enrolled()
    {
        var member = Member(D(1985, 3, 15), enrolled: D(2026, 3, 20));
        Assert.DoesNotContain(Due(Trigger(TriggerKind.Birthday), member, D(2026, 1, 1), D(2026, 12, 31)), o => o.Name == "birthday:2026");
        Assert.Equal(["enrolment"], Due(Trigger(TriggerKind.Enrolment), member, D(2026, 3, 1), D(2026, 3, 31)).Select(o => o.Name));
    }

    [Fact]
    public void An_anniversary_comes_from_the_first_year_on()
    {
        var member = Member(enrolled: D(2024, 2, 29));
        var occasions = Due(Trigger(TriggerKind.Anniversary), member, D(2024, 1, 1), D(2028, 12, 31));

        Assert.Equal([D(2025, 2, 28), D(2026, 2, 28), D(2027, 2, 28), D(2028, 2, 29)], occasions.Select(o => o.Day));
        Assert.Equal("4", occasions[^1].Data["years"]);
    }

    [Fact]
    public void The_nth_purchase_fires_on_its_day_once_or_every_nth()
    {
        var member = Member() with { PurchaseDays = Enumerable.Range(0, 25).Select(i => D(2026, 1, 1).AddDays(i * 2)).ToList() };
        var tenth = Trigger(TriggerKind.NthPurchase) with { N = 10 };

        Assert.Equal([(D(2026, 1, 19), "purchase:10")], Due(tenth, member, D(2025, 12, 31), D(2026, 12, 31)).Select(o => (o.Day, o.Name)));
        Assert.Equal(["purchase:10", "purchase:20"], Due(tenth with { Repeat = true }, member, D(2025, 12, 31), D(2026, 12, 31)).Select(o => o.Name));
    }

    [Fact]
    public void A_tier_upgrade_fires_for_the_tier_asked_for()
    {
        var member = Member() with { Upgrades = [(D(2026, 2, 1), "silver"), (D(2026, 6, 1), "gold")] };
        var gold = Trigger(TriggerKind.TierUpgrade) with { Tier = "gold" };

        Assert.Equal(["tier:gold:2026-06-01"], Due(gold, member, D(2026, 1, 1), D(2026, 12, 31)).Select(o => o.Name));
        Assert.Equal(2, Due(Trigger(TriggerKind.TierUpgrade), member, D(2026, 1, 1), D(2026, 12, 31)).Count);
    }

    [Fact]
    public void A_win_back_fires_once_per_lapse_after_the_last_purchase()
    {
        var winBack = Trigger(TriggerKind.WinBack) with { Days = 60 };
        var member = Member() with { PurchaseDays = [D(2026, 1, 1), D(2026, 2, 15), D(2026, 6, 1)] };

        var occasions = Due(winBack, member, D(2025, 12, 31), D(2026, 12, 31));

        // 1 January is followed within 60 days; 15 February is not (lapse on 16 April); 1 June lapses on 31 July.
        Assert.Equal([D(2026, 4, 16), D(2026, 7, 31)], occasions.Select(o => o.Day));
        Assert.Equal("2026-02-15", occasions[0].Data["lastPurchase"]);
        Assert.DoesNotContain(Due(winBack, member, D(2025, 12, 31), D(2026, 7, 30)), o => o.Day > D(2026, 5, 1));
    }

    [Fact]
    public void Points_expiring_are_announced_days_before_with_the_points_of_that_day()
    {
        var reminder = Trigger(TriggerKind.PointsExpiring) with { Days = 30, Action = new QueueMessage("points-expiring") };
        var member = Member() with { Expiring = [(D(2026, 12, 31), 200), (D(2026, 12, 31), 50), (D(2027, 3, 31), 0)] };

        var occasion = Assert.Single(Due(reminder, member, D(2026, 1, 1), D(2027, 12, 31)));

        Assert.Equal((D(2026, 12, 1), "expiring:2026-12-31", "250"), (occasion.Day, occasion.Name, occasion.Data["points"]));
        Assert.Equal(0, occasion.Points);
    }

    [Fact]
    public void A_fixed_date_fires_every_year_or_in_its_year_only()
    {
        var christmas = Trigger(TriggerKind.FixedDate) with { Month = 12, Day = 24 };
        Assert.Equal(["date:2026-12-24", "date:2027-12-24"], Due(christmas, Member(), D(2026, 1, 1), D(2027, 12, 31)).Select(o => o.Name));
        Assert.Equal(["date:2027-12-24"], Due(christmas with { Year = 2027 }, Member(), D(2026, 1, 1), D(2028, 12, 31)).Select(o => o.Name));
    }

    [Fact]
    public void The_dry_run_lists_who_would_be_hit_today_and_with_what()
    {
        var members = new[] { Member(D(1985, 3, 15)), new MemberFacts(Ben, D(2021, 1, 1)) { Birthday = D(1990, 3, 16) } };
        var run = TriggerRules.DryRun(Trigger(TriggerKind.Birthday), members, D(2026, 3, 15));

        Assert.Equal([(Anna, 500L)], run.Select(o => (o.Member, o.Points)));
    }

    [Fact]
    public void A_budget_stops_the_trigger_in_its_period_when_reached()
    {
        var trigger = Trigger(TriggerKind.Birthday) with { Budget = new TriggerBudget(TriggerBudgetUnit.Points, 1000, TriggerBudgetPeriod.Month) };
        var due = new[] { D(1985, 3, 1), D(1985, 3, 2), D(1985, 3, 3), D(1985, 4, 1) }
            .Select((b, i) => TriggerRules.Due(trigger, new MemberFacts(Guid.NewGuid(), D(2020, 1, 1)) { Birthday = b }, D(2026, 2, 28), D(2026, 4, 30)).Single())
            .ToList();

        var (fire, over) = TriggerRules.WithinBudget(trigger, due, period => period == "2026-03" ? 0 : 800);

        Assert.Equal([D(2026, 3, 1), D(2026, 3, 2)], fire.Select(o => o.Day));
        Assert.Equal([D(2026, 3, 3), D(2026, 4, 1)], over.Select(o => o.Day));
        var firings = trigger with { Budget = new TriggerBudget(TriggerBudgetUnit.Firings, 3, TriggerBudgetPeriod.Year) };
        Assert.Equal(3, TriggerRules.WithinBudget(firings, due, _ => 0).Fire.Count);
        Assert.Equal(4, TriggerRules.WithinBudget(trigger with { Budget = null }, due, _ => 0).Fire.Count);
    }

    [Fact]
    public void An_unusable_trigger_names_the_field_at_fault()
    {
        Assert.Null((Trigger(TriggerKind.FixedDate) with { Month = 2, Day = 29 }).Problem());
        Assert.Equal("day", (Trigger(TriggerKind.FixedDate) with { Month = 2, Day = 29, Year = 2027 }).Problem()!.Field);
        Assert.Equal("days", Trigger(TriggerKind.WinBack).Problem()!.Field);
        Assert.Equal("n", Trigger(TriggerKind.NthPurchase).Problem()!.Field);
        Assert.Equal("id", Trigger(TriggerKind.Birthday, "a:b").Problem()!.Field);
        Assert.Equal("action.points", new TriggerDefinition("x", TriggerKind.Enrolment, new AwardPoints(0)).Problem()!.Field);
    }
}
