using System.Text.Json;
using Xunit;
using Treue.Domain.Earning;
using Treue.Domain.Purchases;
using Treue.Domain.Tiers;
using static Treue.Domain.Tests.Tiers.TierFixtures;

namespace Treue.Domain.Tests.Tiers;

public sealed class TierTests
{
    private static readonly DateOnly Jan1 = new(2026, 1, 1);

    [Fact]
    public void A_purchase_that_reaches_the_threshold_upgrades_at_once_in_its_own_decision()
    {
        var scheme = Scheme();
        var member = new MemberSnapshot(MemberId, 5, 0, 0)
        {
            Tier = new TierSnapshot(Standing("classic", Jan1, new(2027, 12, 31)), [Entry("r1", Utc(2026, 2, 1), 950)]),
        };
        var at = Utc(2026, 3, 4);

        var (decision, refusal) = PurchaseDecider.Decide(new PurchaseInput(Basket(100m), at) { Reference = "r2" }, member, Terms(scheme), at);

        Assert.Null(refusal);
        var status = decision!.Benefits.OfType<StatusEarned>().Single();
        Assert.Equal(new QualifyingEntry("r2", at, 100, 100m, 1), status.Entry);
        var change = decision.Benefits.OfType<TierChanged>().Single().Change;
        Assert.Equal("silver", change.Standing.Level);
        Assert.Equal(new DateOnly(2027, 12, 31), change.Standing.HeldUntil);
        Assert.Equal(new TierHistoryEntry(at, "classic", "silver", TierChangeReason.Upgrade) { Reference = "r2", Until = new DateOnly(2027, 12, 31) }, change.Entry);
        // The upgrading purchase earns at the level held before it: no multiplier yet.
        Assert.Empty(decision.Benefits.OfType<TierPoints>());
        var json = JsonSerializer.Serialize<Benefit>(decision.Benefits.OfType<TierChanged>().Single());
        Assert.Contains("\"kind\":\"tier_changed\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_purchase_short_of_the_threshold_changes_no_tier_but_counts_its_status_points()
    {
        var member = new MemberSnapshot(MemberId, 5, 0, 0) { Tier = new TierSnapshot(Standing("classic", Jan1, new(2027, 12, 31)), []) };
        var (decision, _) = PurchaseDecider.Decide(new PurchaseInput(Basket(100m), Utc(2026, 3, 4)), member, Terms(Scheme()), Utc(2026, 3, 4));

        Assert.Equal(100, decision!.Benefits.OfType<StatusEarned>().Single().Entry.StatusPoints);
        Assert.Empty(decision.Benefits.OfType<TierChanged>());
        // Status points are not spendable points: the earned points are the rules' alone.
        Assert.Equal(100, decision.Earned!.Points);
    }

    [Fact]
    public void The_tier_multiplier_adds_its_points_in_the_earning_stage_and_explains_them()
    {
        var member = new MemberSnapshot(MemberId, 5, 0, 0) { Tier = new TierSnapshot(Standing("silver", Jan1, new(2027, 12, 31)), []) };
        var (decision, _) = PurchaseDecider.Decide(new PurchaseInput(Basket(101m), Utc(2026, 3, 4)), member, Terms(Scheme()), Utc(2026, 3, 4));

        var tier = decision!.Benefits.OfType<TierPoints>().Single();
        Assert.Equal(DecisionStage.Earning, tier.Stage);
        Assert.Equal(25, tier.Points); // 0.25 × 101 rounded down by the programme's rounding
        Assert.Equal(ReasonKeys.TierMultiplier, tier.Contribution.Reason!.Key);
        Assert.Equal("Silver", tier.Contribution.Reason.Subject);
        Assert.Equal(1.25m, tier.Contribution.Reason.Value);
        Assert.Equal("Silver tier: 1.25× points", tier.Contribution.Name);
        // Status points count the rules' points only, not the multiplier's.
        Assert.Equal(101, decision.Benefits.OfType<StatusEarned>().Single().Entry.StatusPoints);
    }

    [Fact]
    public void A_manual_tier_applies_its_multiplier_until_its_end_date()
    {
        var standing = Standing("classic", Jan1, new(2027, 12, 31)) with { Manual = new ManualTier("gold", "Complaint goodwill", new DateOnly(2026, 3, 31)) };
        var member = new MemberSnapshot(MemberId, 5, 0, 0) { Tier = new TierSnapshot(standing, []) };

        var (during, _) = PurchaseDecider.Decide(new PurchaseInput(Basket(100m), Utc(2026, 3, 4)), member, Terms(Scheme()), Utc(2026, 3, 4));
        var (after, _) = PurchaseDecider.Decide(new PurchaseInput(Basket(100m), Utc(2026, 4, 1)), member, Terms(Scheme()), Utc(2026, 4, 1));

        Assert.Equal(50, during!.Benefits.OfType<TierPoints>().Single().Points);
        Assert.Empty(after!.Benefits.OfType<TierPoints>());
    }

    [Fact]
    public void A_calendar_year_is_counted_in_the_programmes_time_zone()
    {
        var scheme = Scheme();
        var standing = Standing("classic", Jan1, new(2027, 12, 31));
        var earlier = Entry("r1", Utc(2026, 6, 1), 950);
        // 22:30 UTC on 31 December is 23:30 in Berlin, still 2026; 23:30 UTC is already 2027 there.
        var lastEvening = Entry("r2", Utc(2026, 12, 31, 22, 30), 100);
        var newYear = Entry("r3", Utc(2026, 12, 31, 23, 30), 100);

        Assert.Equal("silver", TierRules.AfterPurchase(scheme, standing, [earlier, lastEvening], "r2", lastEvening.OccurredAtUtc)!.Standing.Level);
        Assert.Null(TierRules.AfterPurchase(scheme, standing, [earlier, newYear], "r3", newYear.OccurredAtUtc));
    }

    [Fact]
    public void A_rolling_window_forgets_purchases_older_than_its_days()
    {
        var scheme = Scheme(QualificationPeriod.RollingWindow) with { WindowDays = 365 };
        var standing = Standing("classic", Jan1, Jan1.AddDays(365));
        var old = Entry("r1", Utc(2025, 3, 3), 950);
        var recent = Entry("r1b", Utc(2025, 3, 5), 950);
        var now = Entry("r2", Utc(2026, 3, 4), 100);

        Assert.Null(TierRules.AfterPurchase(scheme, standing, [old, now], "r2", now.OccurredAtUtc));
        var change = TierRules.AfterPurchase(scheme, standing, [recent, now], "r2", now.OccurredAtUtc)!;
        Assert.Equal("silver", change.Standing.Level);
        Assert.Equal(new DateOnly(2027, 3, 4), change.Standing.HeldUntil);
    }

    [Theory]
    [InlineData(QualifyingMeasure.Spend, 1000, 0, 1)]
    [InlineData(QualifyingMeasure.Purchases, 0, 0, 1000)]
    public void Spend_and_purchase_counts_qualify_as_configured(QualifyingMeasure measure, int spend, int points, int purchases)
    {
        var scheme = Scheme(measure: measure);
        var entry = new QualifyingEntry("r1", Utc(2026, 3, 4), points, spend, purchases);
        Assert.Equal("silver", TierRules.AfterPurchase(scheme, Standing("classic", Jan1, Jan1), [entry], "r1", entry.OccurredAtUtc)!.Standing.Level);
    }

    [Fact]
    public void A_downgrade_waits_for_the_end_of_the_period_and_its_grace_days_and_falls_one_level()
    {
        var scheme = Scheme(graceDays: 31);
        var gold = Standing("gold", new DateOnly(2026, 5, 1), new DateOnly(2027, 12, 31));
        IReadOnlyCollection<QualifyingEntry> activity = [Entry("r1", Utc(2027, 3, 1), 200)];

        Assert.Empty(TierRules.Review(scheme, gold, activity, new DateOnly(2027, 12, 31), Utc(2027, 12, 31)));
        Assert.Empty(TierRules.Review(scheme, gold, activity, new DateOnly(2028, 1, 31), Utc(2028, 1, 31)));
        var change = Assert.Single(TierRules.Review(scheme, gold, activity, new DateOnly(2028, 2, 1), Utc(2028, 2, 1)));

        Assert.Equal("silver", change.Standing.Level);
        Assert.Equal(TierChangeReason.Downgrade, change.Entry.Reason);
        Assert.Equal(("gold", "silver"), (change.Entry.From, change.Entry.To));
        Assert.Equal(new DateOnly(2028, 12, 31), change.Standing.HeldUntil);
    }

    [Fact]
    public void A_downgrade_of_up_to_two_levels_falls_to_the_level_reached()
    {
        var gold = Standing("gold", new DateOnly(2026, 5, 1), new DateOnly(2027, 12, 31));
        var change = Assert.Single(TierRules.Review(Scheme(maxDown: 2), gold, [], new DateOnly(2028, 1, 1), Utc(2028, 1, 1)));
        Assert.Equal("classic", change.Standing.Level);
    }

    [Fact]
    public void A_member_who_reached_their_level_again_keeps_it_for_another_period()
    {
        var gold = Standing("gold", new DateOnly(2026, 5, 1), new DateOnly(2027, 12, 31));
        var change = Assert.Single(TierRules.Review(Scheme(), gold, [Entry("r1", Utc(2027, 11, 1), 3000)], new DateOnly(2028, 1, 1), Utc(2028, 1, 1)));

        Assert.Equal("gold", change.Standing.Level);
        Assert.Equal(TierChangeReason.Requalified, change.Entry.Reason);
        Assert.Equal(new DateOnly(2028, 12, 31), change.Standing.HeldUntil);
    }

    [Fact]
    public void Reaching_the_level_again_in_a_calendar_year_extends_it_at_once()
    {
        var scheme = Scheme();
        var gold = Standing("gold", new DateOnly(2026, 5, 1), new DateOnly(2027, 12, 31));
        var entry = Entry("r9", Utc(2027, 10, 1), 3000);
        var change = TierRules.AfterPurchase(scheme, gold, [entry], "r9", entry.OccurredAtUtc)!;

        Assert.Equal(TierChangeReason.Requalified, change.Entry.Reason);
        Assert.Equal(new DateOnly(2028, 12, 31), change.Standing.HeldUntil);
        // A second purchase the same year changes nothing more.
        Assert.Null(TierRules.AfterPurchase(scheme, change.Standing, [entry, Entry("r10", Utc(2027, 11, 1), 10)], "r10", Utc(2027, 11, 1)));
    }

    [Fact]
    public void A_late_review_catches_up_period_by_period()
    {
        var gold = Standing("gold", new DateOnly(2024, 5, 1), new DateOnly(2025, 12, 31));
        var changes = TierRules.Review(Scheme(), gold, [], new DateOnly(2027, 6, 1), Utc(2027, 6, 1));

        Assert.Equal(["silver", "classic"], changes.Select(c => c.Standing.Level));
        Assert.Equal(new DateOnly(2026, 1, 1), changes[0].Standing.Since);
    }

    [Fact]
    public void In_a_rolling_window_the_grace_days_count_towards_the_review()
    {
        var scheme = Scheme(QualificationPeriod.RollingWindow, graceDays: 30) with { WindowDays = 365 };
        var silver = Standing("silver", new DateOnly(2025, 3, 1), new DateOnly(2026, 3, 1));
        var inGrace = Entry("r5", Utc(2026, 3, 20), 1000);

        var change = TierRules.AfterPurchase(scheme, silver, [inGrace], "r5", inGrace.OccurredAtUtc)!;
        Assert.Equal(TierChangeReason.Requalified, change.Entry.Reason);
        Assert.Equal(new DateOnly(2027, 3, 20), change.Standing.HeldUntil);
        Assert.Empty(TierRules.Review(scheme, change.Standing, [inGrace], new DateOnly(2026, 4, 1), Utc(2026, 4, 1)));
    }

    [Fact]
    public void A_full_return_of_the_upgrading_purchase_undoes_the_upgrade()
    {
        var scheme = Scheme();
        var classic = Standing("classic", Jan1, new DateOnly(2027, 12, 31));
        var earlier = Entry("r1", Utc(2026, 2, 1), 950);
        var purchase = Entry("r2", Utc(2026, 3, 4), 100);
        var upgraded = TierRules.AfterPurchase(scheme, classic, [earlier, purchase], "r2", purchase.OccurredAtUtc)!.Standing;
        var returned = new QualifyingEntry("r2", Utc(2026, 3, 10), -100, -100m, -1);

        var change = TierRules.AfterReturn(scheme, upgraded, [earlier, purchase, returned], "r2", returned.OccurredAtUtc)!;

        Assert.Equal(classic, change.Standing);
        Assert.Equal(TierChangeReason.UpgradeReturned, change.Entry.Reason);
        Assert.Equal(("silver", "classic"), (change.Entry.From, change.Entry.To));
        Assert.Null(TierRules.AfterReturn(scheme with { ReturnUndoesUpgrade = false }, upgraded, [earlier, purchase, returned], "r2", returned.OccurredAtUtc));
        Assert.Null(TierRules.AfterReturn(scheme, upgraded, [earlier, purchase, returned], "another", returned.OccurredAtUtc));
    }

    [Fact]
    public void A_partial_return_that_keeps_the_threshold_keeps_the_upgrade()
    {
        var scheme = Scheme();
        var classic = Standing("classic", Jan1, new DateOnly(2027, 12, 31));
        var purchase = Entry("r2", Utc(2026, 3, 4), 1200);
        var upgraded = TierRules.AfterPurchase(scheme, classic, [purchase], "r2", purchase.OccurredAtUtc)!.Standing;
        var partial = new QualifyingEntry("r2", Utc(2026, 3, 10), -150, -150m, 0);

        Assert.Null(TierRules.AfterReturn(scheme, upgraded, [purchase, partial], "r2", partial.OccurredAtUtc));
    }

    [Fact]
    public void Staff_set_a_tier_with_a_reason_and_an_end_date_recorded_in_the_history()
    {
        var scheme = Scheme();
        var classic = Standing("classic", Jan1, new DateOnly(2027, 12, 31));
        var at = Utc(2026, 3, 4);

        var (change, refusal) = TierRules.SetManually(scheme, classic, "GOLD", " VIP launch guest ", new DateOnly(2026, 6, 30), at);

        Assert.Null(refusal);
        Assert.Equal(new TierHistoryEntry(at, "classic", "gold", TierChangeReason.ManualSet) { Note = "VIP launch guest", Until = new DateOnly(2026, 6, 30) }, change!.Entry);
        Assert.Equal("gold", change.Standing.EffectiveLevel(new DateOnly(2026, 6, 30)));
        Assert.Equal("classic", change.Standing.EffectiveLevel(new DateOnly(2026, 7, 1)));
        Assert.Null(TierRules.EndManual(change.Standing, new DateOnly(2026, 6, 30), Utc(2026, 6, 30)));
        var ended = TierRules.EndManual(change.Standing, new DateOnly(2026, 7, 1), Utc(2026, 7, 1))!;
        Assert.Equal(("gold", "classic", TierChangeReason.ManualEnded), (ended.Entry.From, ended.Entry.To, ended.Entry.Reason));
        Assert.Null(ended.Standing.Manual);

        Assert.Equal("level", TierRules.SetManually(scheme, classic, "platinum", "x", new DateOnly(2026, 6, 30), at).Refusal!.Field);
        Assert.Equal("reason", TierRules.SetManually(scheme, classic, "gold", " ", new DateOnly(2026, 6, 30), at).Refusal!.Field);
        Assert.Equal("until", TierRules.SetManually(scheme, classic, "gold", "x", new DateOnly(2026, 3, 3), at).Refusal!.Field);
    }

    [Fact]
    public void Progress_says_what_is_missing_for_the_next_level_and_until_when_the_current_one_holds()
    {
        var scheme = Scheme(graceDays: 14);
        var silver = Standing("silver", new DateOnly(2026, 2, 1), new DateOnly(2027, 12, 31));
        var progress = TierRules.Progress(scheme, silver, [Entry("r1", Utc(2026, 2, 1), 1800), Entry("r0", Utc(2025, 12, 1), 900)], new DateOnly(2026, 3, 4));

        Assert.Equal(new TierProgress("silver", new DateOnly(2028, 1, 14), 1800, "gold", 1200, new DateOnly(2026, 12, 31)), progress);
        var top = TierRules.Progress(scheme, silver with { Level = "gold" }, [], new DateOnly(2026, 3, 4));
        Assert.Equal((null, 0m), (top.Next, top.Missing));
        Assert.Null(TierRules.Progress(Scheme(QualificationPeriod.RollingWindow), silver, [], new DateOnly(2026, 3, 4)).QualifyBy);
    }

    [Fact]
    public void Service_flags_and_the_enrolment_standing_come_from_the_levels()
    {
        var scheme = Scheme();
        Assert.Equal(["free_express_delivery", "personal_advisor"], scheme.Level("gold").ServiceFlags);
        var manual = Standing("silver", Jan1, Jan1.AddDays(700)) with { Manual = new ManualTier("gold", "Press", new DateOnly(2026, 3, 31)) };
        Assert.Equal(["free_express_delivery", "personal_advisor"], TierRules.ServiceFlags(scheme, manual, new DateOnly(2026, 3, 31)));
        Assert.Equal(["free_express_delivery"], TierRules.ServiceFlags(scheme, manual, new DateOnly(2026, 4, 1)));
        var enrolled = TierRules.Enrol(scheme, Utc(2026, 3, 4));
        Assert.Equal(("classic", TierChangeReason.Enrolled), (enrolled.Standing.Level, enrolled.Entry.Reason));
    }

    [Fact]
    public void An_unusable_scheme_names_the_field_at_fault()
    {
        var scheme = Scheme();
        Assert.Null(scheme.Problem());
        Assert.Equal("levels[2].threshold", (scheme with { Levels = [scheme.Levels[0], scheme.Levels[1], scheme.Levels[1] with { Code = "x" }] }).Problem()!.Field);
        Assert.Equal("levels[0].threshold", (scheme with { Levels = [scheme.Levels[1]] }).Problem()!.Field);
        Assert.Equal("levels[1].code", (scheme with { Levels = [scheme.Levels[0], scheme.Levels[0] with { Threshold = 5 }] }).Problem()!.Field);
        Assert.Equal("timeZone", (scheme with { TimeZone = "Mars/Olympus" }).Problem()!.Field);
        Assert.Equal("maxLevelsDown", (scheme with { MaxLevelsDown = 0 }).Problem()!.Field);
    }
}
