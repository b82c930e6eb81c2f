using System.Globalization;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>The console pages of the loyalty measures, the basket rules and a member's recommendations, in English and German.</summary>
public sealed class LoyaltyAndBasketPagesTests(WebServer server)
{
    private static long Number(string text) => long.Parse(new string(text.Where(char.IsAsciiDigit).ToArray()), CultureInfo.InvariantCulture);

    private async Task<IPage> SignInAsync(string language)
    {
        await DemoProgramme.EnsureAsync(server);
        var page = await server.NewPageAsync(width: 1400);
        await page.StaffSignInByIdAsync(DemoProgramme.MarketerEmail, DemoProgramme.Password);
        if (language == "de")
        {
            await page.Locator("a[data-lang='de']").First.ClickAsync();
            await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "de");
        }
        return page;
    }

    private static async Task ExpectChartAsync(IPage page, string container)
    {
        var shapes = page.Locator($"#{container} svg path, #{container} svg rect");
        await Assertions.Expect(shapes.First).ToBeAttachedAsync();
        Assert.True(await shapes.CountAsync() > 1, $"{container} draws nothing");
    }

    [Theory]
    [InlineData("en", "Loyalty measures", "Members against anonymous customers")]
    [InlineData("de", "Kundenbindung", "Mitglieder im Vergleich zu anonymen Kunden")]
    public async Task The_loyalty_page_compares_members_with_anonymous_customers_in_charts(string language, string title, string table)
    {
        var page = await SignInAsync(language);
        await page.OpenAsync("/admin/analytics/loyalty");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = title, Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#loyalty-member-receipts")).ToBeVisibleAsync();
        await ExpectChartAsync(page, "loyalty-chart-groups");
        await ExpectChartAsync(page, "loyalty-chart-enrolment");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = table, Exact = true })).ToBeVisibleAsync();
        // The figure and the table say the same, in the language's number format.
        var receipts = await page.Locator("#loyalty-member-receipts").InnerTextAsync();
        Assert.True(Number(receipts) > 0, receipts);
        Assert.Equal(receipts, await page.Locator("#loyalty-groups tr[data-group='members'] td.receipts").InnerTextAsync());
        var basket = await page.Locator("#loyalty-member-basket").InnerTextAsync();
        Assert.Contains(language == "de" ? "," : ".", basket, StringComparison.Ordinal);
        await page.ScreenshotAsync("admin-analytics-loyalty-" + language);
    }

    [Theory]
    [InlineData("en", "Basket rules", "0.001", "0.1")]
    [InlineData("de", "Warenkorbregeln", "0,001", "0,1")]
    public async Task The_basket_rules_page_reads_support_and_confidence_in_the_language_s_format(string language, string title, string support, string confidence)
    {
        var page = await SignInAsync(language);
        await page.OpenAsync("/admin/analytics/baskets");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = title, Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#baskets-count")).ToBeVisibleAsync();
        Assert.True(Number(await page.Locator("#baskets-count").InnerTextAsync()) > 0);
        var beforeText = await page.Locator("#baskets-rules").InnerTextAsync();
        var before = Number(beforeText);

        // A lower support and confidence find more rules (the demo's categories sell together often enough).
        await page.Locator("#baskets-support").FillAsync(support);
        await page.Locator("#baskets-support").BlurAsync();
        await page.Locator("#baskets-confidence").FillAsync(confidence);
        await page.Locator("#baskets-confidence").BlurAsync();
        await page.Locator("#baskets-apply").ClickAsync();
        // The table held the first rules already: the count changing is what says the new ones arrived.
        await Assertions.Expect(page.Locator("#baskets-rules")).Not.ToHaveTextAsync(beforeText);
        await Assertions.Expect(page.Locator("#baskets-table tbody tr").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#baskets-support")).ToHaveValueAsync(support);
        var after = Number(await page.Locator("#baskets-rules").InnerTextAsync());
        Assert.True(after > before, $"{before} rules before, {after} after");
        await ExpectChartAsync(page, "baskets-chart-lift");
        var first = page.Locator("#baskets-table tbody tr").First;
        Assert.StartsWith("→", (await first.Locator("td.then").InnerTextAsync()).Trim(), StringComparison.Ordinal);
        // Lift is written in the language's format: 2 decimals after its separator.
        Assert.Matches(language == "de" ? @"^\d+,\d\d$" : @"^\d+\.\d\d$", (await first.Locator("td.lift").InnerTextAsync()).Trim());
        await page.ScreenshotAsync("admin-analytics-baskets-" + language);
    }

    [Theory]
    [InlineData("en", "Recommendations")]
    [InlineData("de", "Empfehlungen")]
    public async Task A_member_page_shows_what_the_member_may_like(string language, string heading)
    {
        var page = await SignInAsync(language);
        // A member from the RFM list: a member with purchases.
        await page.OpenAsync("/admin/analytics/rfm");
        var link = page.Locator("#rfm-members tbody tr a").Last;
        await Assertions.Expect(link).ToBeVisibleAsync();
        await page.OpenAsync((await link.GetAttributeAsync("href"))!);
        var section = page.Locator("#member-recommendations");
        await Assertions.Expect(section.GetByRole(AriaRole.Heading, new() { Name = heading })).ToBeVisibleAsync();
        var rows = section.Locator("tr.recommendation");
        await Assertions.Expect(rows.Or(section.Locator("#member-recommendations-empty")).First).ToBeVisibleAsync();
        if (await rows.CountAsync() > 0)
        {
            // Each suggestion is explained by the items of the member's that it goes with.
            Assert.All(await rows.Locator("td.item").AllInnerTextsAsync(), item => Assert.False(string.IsNullOrWhiteSpace(item)));
        }
        await page.ScreenshotAsync("admin-member-recommendations-" + language);
    }
}
