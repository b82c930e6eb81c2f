using System.Text.Json;
using System.Text.Json.Serialization;
using Xunit;
using Treue.Domain.Clubs;
using Treue.Domain.Referrals;
using Treue.Domain.Tiers;
using Treue.Domain.Triggers;

namespace Treue.Domain.Tests.Tiers;

/// <summary>The example configurations in docs/members.md are read as the programme reads them, and mean what the page says.</summary>
public sealed class MemberDocsTests
{
    private static readonly JsonSerializerOptions Options = DocExamples.Options;

    private static List<string> Examples() => DocExamples.Of("members.md");

    private static T Example<T>(string marker) =>
        JsonSerializer.Deserialize<T>(Examples().Single(j => j.Contains(marker, StringComparison.Ordinal)), Options)!;

    [Fact]
    public void Every_example_on_the_page_reads_without_unknown_fields_and_is_usable()
    {
        var examples = Examples();
        Assert.Equal(7, examples.Count);
        foreach (var json in examples)
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var problem = root.TryGetProperty("levels", out _) ? JsonSerializer.Deserialize<TierScheme>(json, Options)!.Problem()
                : root.TryGetProperty("action", out _) ? JsonSerializer.Deserialize<TriggerDefinition>(json, Options)!.Problem()
                : root.TryGetProperty("codePattern", out _) ? JsonSerializer.Deserialize<ReferralTerms>(json, Options)!.Problem()
                : ClubRules.ValidateProfile(JsonSerializer.Deserialize<ClubDefinition>(json, Options)!, new Dictionary<string, string>());
            Assert.True(problem is null || problem.Code == "field_required", problem?.Message);
        }
    }

    [Fact]
    public void The_documented_tiers_upgrade_at_950_plus_100_points_and_fall_one_level_after_the_grace_month()
    {
        var scheme = Example<TierScheme>("\"levels\"");
        var classic = new TierStanding("classic", new DateOnly(2026, 1, 1), new DateOnly(2027, 12, 31));
        var at = new DateTime(2026, 5, 1, 10, 0, 0, DateTimeKind.Utc);
        QualifyingEntry[] activity = [new("r1", new DateTime(2026, 2, 1, 10, 0, 0, DateTimeKind.Utc), 950, 950m, 1), new("r2", at, 100, 100m, 1)];

        var silver = TierRules.AfterPurchase(scheme, classic, activity, "r2", at)!.Standing;
        Assert.Equal(("silver", new DateOnly(2027, 12, 31)), (silver.Level, silver.HeldUntil));
        Assert.Empty(TierRules.Review(scheme, silver, activity, new DateOnly(2028, 1, 31), at));
        Assert.Equal("classic", TierRules.Review(scheme, silver, activity, new DateOnly(2028, 2, 1), at).Single().Standing.Level);
        var gold = silver with { Level = "gold" };
        Assert.Equal("silver", TierRules.Review(scheme, gold, activity, new DateOnly(2028, 2, 1), at).Single().Standing.Level);
        Assert.Equal(1.5m, scheme.Level("gold").EarningMultiplier);
    }

    [Fact]
    public void The_documented_clubs_ask_for_birth_years_and_charge_49_euros_a_year()
    {
        var families = Example<ClubDefinition>("\"families\"");
        var plus = Example<ClubDefinition>("\"plus\"");

        Assert.Equal("profile.childrenBirthYears", ClubRules.Join(families, null, new Dictionary<string, string>(), true, new DateOnly(2026, 3, 4)).Refusal!.Field);
        var (membership, fee, _) = ClubRules.Join(plus, null, new Dictionary<string, string>(), false, new DateOnly(2026, 3, 4));
        Assert.Equal(new ClubFeePurchase("plus", "treue", 49m, new DateOnly(2026, 3, 4), new DateOnly(2027, 3, 3)), fee);
        var (_, events) = ClubRules.Advance(plus, membership!, new DateOnly(2027, 3, 4));
        Assert.Equal([ClubEventKind.RenewalNotice, ClubEventKind.Renewed], events.Select(e => e.Kind));
        Assert.Equal([new DateOnly(2027, 2, 1), new DateOnly(2027, 3, 4)], events.Select(e => e.Day));
    }

    [Fact]
    public void The_documented_triggers_give_what_the_page_says()
    {
        var birthday = Example<TriggerDefinition>("\"id\": \"birthday\"");
        var winBack = Example<TriggerDefinition>("\"win-back\"");
        var christmas = Example<TriggerDefinition>("\"christmas\"");
        var member = new MemberFacts(Guid.NewGuid(), new DateOnly(2020, 1, 1)) { Birthday = new DateOnly(2000, 2, 29), PurchaseDays = [new DateOnly(2026, 2, 15)] };

        Assert.Equal([new DateOnly(2027, 2, 28), new DateOnly(2028, 2, 29)],
            TriggerRules.Due(birthday, member, new DateOnly(2026, 12, 31), new DateOnly(2028, 12, 31)).Select(o => o.Day));
        Assert.Equal(new AwardPoints(500), birthday.Action);
        Assert.Equal(new TriggerBudget(TriggerBudgetUnit.Points, 200_000, TriggerBudgetPeriod.Month), birthday.Budget);
        var lapse = TriggerRules.Due(winBack, member, new DateOnly(2026, 2, 15), new DateOnly(2026, 12, 31)).Single();
        Assert.Equal((new DateOnly(2026, 4, 16), "we-miss-you"), (lapse.Day, ((IssueCoupon)lapse.Action).CampaignId));
        var greeting = (QueueMessage)christmas.Action;
        Assert.Equal(("christmas-greeting", "Your Treue team"), (greeting.Template, greeting.Data["signature"]));
        Assert.Equal(new DateOnly(2026, 12, 24), TriggerRules.Due(christmas, member, new DateOnly(2026, 12, 1), new DateOnly(2026, 12, 31)).Single().Day);
    }

    [Fact]
    public void The_documented_referral_rewards_both_sides_on_29_March()
    {
        var terms = Example<ReferralTerms>("codePattern");
        var code = ReferralRules.NewCode(terms, System.Security.Cryptography.RandomNumberGenerator.Create());
        var referral = ReferralRules.Enrol(terms, code, Guid.NewGuid(), new Identity("a@example.org", [], []), [], Guid.NewGuid(),
            new Identity("b@example.org", [], []), new DateOnly(2026, 3, 4)).Referral!;
        var pending = ReferralRules.OnPurchase(terms, referral, "r1", 45m, new DateOnly(2026, 3, 14));

        Assert.Null(ReferralRules.Settle(terms, pending, new DateOnly(2026, 3, 28)).Payout);
        var payout = ReferralRules.Settle(terms, pending, new DateOnly(2026, 3, 29)).Payout!;
        Assert.Equal(new ReferralReward(500), payout.Referrer.Reward);
        Assert.Equal(new ReferralReward(0, "welcome-friend"), payout.NewMember.Reward);
    }
}
