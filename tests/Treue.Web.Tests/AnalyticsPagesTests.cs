using System.Globalization;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

public sealed class AnalyticsPagesTests(WebServer server)
{
    private static long Number(string text) => long.Parse(new string(text.Where(char.IsAsciiDigit).ToArray()), CultureInfo.InvariantCulture);

    private async Task<IPage> SignInAsync(string email)
    {
        await DemoProgramme.EnsureAsync(server);
        var page = await server.NewPageAsync(width: 1400);
        await page.StaffSignInAsync(email, DemoProgramme.Password);
        return page;
    }

    /// <summary>A chart has been drawn: its SVG holds at least one bar or line.</summary>
    private static async Task ExpectChartAsync(IPage page, string container)
    {
        var shapes = page.Locator($"#{container} svg path, #{container} svg rect");
        await Assertions.Expect(shapes.First).ToBeAttachedAsync();
        Assert.True(await shapes.CountAsync() > 1, $"{container} draws nothing");
    }

    [Fact]
    public async Task The_ABC_page_shows_the_classes_as_charts_and_their_customers_add_up()
    {
        var page = await SignInAsync(DemoProgramme.MarketerEmail);
        await page.OpenAsync("/admin/analytics/abc");
        await Assertions.Expect(page.Locator("#abc-customers")).ToBeVisibleAsync();
        await ExpectChartAsync(page, "abc-chart-classes");
        await ExpectChartAsync(page, "abc-chart-pareto");
        var customers = Number(await page.Locator("#abc-customers").InnerTextAsync());
        Assert.True(customers > DemoProgramme.Members / 2, $"only {customers} customers");
        var perClass = 0L;
        foreach (var c in new[] { "A", "B", "C" })
            perClass += Number(await page.Locator($"#abc-table tr[data-class='{c}'] td.customers").InnerTextAsync());
        Assert.Equal(customers, perClass);
        await page.ScreenshotAsync("admin-analytics-abc");

        // Other cut-offs move members between the classes; the total stays.
        var aBefore = Number(await page.Locator("#abc-table tr[data-class='A'] td.customers").InnerTextAsync());
        await page.Locator("#abc-a").FillAsync("50");
        await page.Locator("#abc-a").BlurAsync();
        await page.Locator("#abc-apply").ClickAsync();
        await Assertions.Expect(page.Locator("#abc-table tr[data-class='A'] td.customers")).Not.ToHaveTextAsync(aBefore.ToString("N0", CultureInfo.GetCultureInfo("en")));
        Assert.True(Number(await page.Locator("#abc-table tr[data-class='A'] td.customers").InnerTextAsync()) < aBefore);
    }
}
