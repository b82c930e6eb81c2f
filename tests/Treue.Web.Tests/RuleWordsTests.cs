using System.Globalization;
using Microsoft.Playwright;
using Treue.Domain.Earning;
using Treue.Server.Web.Shared;
using Treue.Web.Tests.Infrastructure;
using static Treue.Web.Tests.Infrastructure.Cultures;

namespace Treue.Web.Tests;

/// <summary>Rules shown in words of the reader's language, with partner and store names instead of codes.</summary>
public sealed class RuleWordsTests(WebServer server)
{
    private static readonly EarningRule Saturday = new("sat", "Double points", 50, Stacking.Stack,
        new RuleConditions { Weekdays = [DayOfWeek.Saturday], Partners = ["city-market"] }, new RuleEffect(EffectKind.Multiplier, 2));

    private static RuleWords Words() => new(new Loc(), "EUR",
        new Dictionary<string, string> { ["city-market"] = "City Market", ["tea-house"] = "Tea House" },
        new Dictionary<string, string> { ["cm-north"] = "City Market North" });

    [Fact]
    public void A_weekday_rule_at_a_partner_reads_as_a_sentence_in_English_and_German()
    {
        Assert.Equal("2× points on Saturdays at City Market", In("en-GB", () => Words().Describe(Saturday)));
        Assert.Equal("2× Punkte samstags bei City Market", In("de-DE", () => Words().Describe(Saturday)));
    }

    [Fact]
    public void Every_condition_is_named_and_unknown_codes_are_shown_as_they_are()
    {
        var rule = new EarningRule("all", "All of it", 1, Stacking.Exclusive, new RuleConditions
        {
            Categories = ["tea", "coffee"], FirstPurchaseOnly = true, Weekdays = [DayOfWeek.Sunday, DayOfWeek.Saturday], Partners = ["tea-house", "gone"],
            Stores = ["cm-north"], Channels = [Channel.Online], MinBasket = 25m, From = new DateOnly(2026, 12, 1), To = new DateOnly(2026, 12, 24),
        }, new RuleEffect(EffectKind.PointsPerCurrencyUnit, 1.5m));
        Assert.Equal("1.5 points per EUR on items in tea or coffee on the first purchase on Saturdays or on Sundays at Tea House or gone "
                     + "in the store City Market North online for purchases of at least €25.00 from 01/12/2026 to 24/12/2026",
            In("en-GB", () => Words().Describe(rule)));
        Assert.Equal("1,5 Punkte je EUR auf Artikel aus tea oder coffee beim ersten Einkauf samstags oder sonntags bei Tea House oder gone "
                     + "in der Filiale City Market North online bei Einkäufen ab 25,00 € vom 01.12.2026 bis 24.12.2026",
            In("de-DE", () => Words().Describe(rule)));
        Assert.Equal("500 bonus points", In("en-GB", () => Words().Describe(rule with { Conditions = new RuleConditions(), Effect = new RuleEffect(EffectKind.FixedBonus, 500) })));
    }

    [Fact]
    public void Every_text_of_the_rule_words_has_a_German_translation()
    {
        var source = File.ReadAllText(Path.Combine(WebServer.RepositoryRoot(), "src", "Treue.Server", "Web", "Shared", "RuleWords.cs"));
        var keys = System.Text.RegularExpressions.Regex.Matches(source, @"L(?:\[""|\.Format\("")([^""]+)""").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(keys.Count >= 20);
        var german = (IReadOnlyDictionary<string, string>)typeof(Loc).GetField("German", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        var missing = keys.Where(k => !german.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, "No German text for: " + string.Join(" | ", missing));
    }

    [Theory]
    [InlineData("en-GB", "50 bonus points on the first purchase", "fractions of a point are dropped")]
    [InlineData("de-DE", "50 Bonuspunkte beim ersten Einkauf", "Bruchteile eines Punktes entfallen")]
    public async Task The_programme_page_shows_each_rule_and_the_rounding_in_words(string language, string rule, string rounding)
    {
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.SupportEmail);
        await page.OpenAsync("/admin/programme");
        await Assertions.Expect(page.Locator("#rules")).ToContainTextAsync(rule);
        await Assertions.Expect(page.GetByText(rounding)).ToBeVisibleAsync();
        var text = await page.Locator("main").InnerTextAsync();
        foreach (var code in new[] { "FixedBonus", "PointsPerCurrencyUnit", "Multiplier", "rounding Down" })
            Assert.DoesNotContain(code, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purchases_on_the_member_page_name_the_partner()
    {
        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.SupportEmail);
        await page.OpenAsync($"/admin/members/{server.Ana.Id}");
        var purchases = page.Locator("#member-purchases");
        await Assertions.Expect(purchases).ToContainTextAsync("Tea House");
        Assert.DoesNotContain("tea-house", await purchases.InnerTextAsync(), StringComparison.Ordinal);
    }
}
