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

    [Fact]
    public async Task The_RFM_page_draws_the_segments_and_lists_the_members_of_one()
    {
        var page = await SignInAsync(DemoProgramme.MarketerEmail);
        await page.OpenAsync("/admin/analytics/rfm");
        await Assertions.Expect(page.Locator("#rfm-scored")).ToBeVisibleAsync();
        await ExpectChartAsync(page, "rfm-chart-segments");
        Assert.Equal(25, await page.Locator("#rfm-grid tbody td").CountAsync());
        await Assertions.Expect(page.Locator("#rfm-grid")).ToContainTextAsync("Champions");
        Assert.True(await page.Locator("#rfm-moves tbody tr").CountAsync() > 1);
        var scored = Number(await page.Locator("#rfm-scored").InnerTextAsync());
        var bySegment = 0L;
        foreach (var cell in await page.Locator("#rfm-table td.members").AllInnerTextsAsync()) bySegment += Number(cell);
        Assert.True(bySegment >= scored, $"segments hold {bySegment} of {scored} scored members");

        // The member list of the first segment: links to the members, at most 50 a page.
        var rows = page.Locator("#rfm-members tbody tr");
        await Assertions.Expect(rows.First).ToBeVisibleAsync();
        Assert.InRange(await rows.CountAsync(), 1, 50);
        Assert.StartsWith("/admin/members/", await rows.First.Locator("a").GetAttributeAsync("href"), StringComparison.Ordinal);
        await page.ScreenshotAsync("admin-analytics-rfm");

        // The next page continues the numbering where the first ended.
        if (await page.Locator("#rfm-members-next").IsEnabledAsync())
        {
            Assert.Equal(50, await rows.CountAsync());
            await page.Locator("#rfm-members-next").ClickAsync();
            await Assertions.Expect(rows.First.Locator("td").First).ToHaveTextAsync("51");
            await Assertions.Expect(page.Locator("#rfm-members-previous")).ToBeEnabledAsync();
        }

        // Another comparison day, typed as the page's language (English) writes days.
        var english = CultureInfo.GetCultureInfo("en");
        var asOf = DateOnly.Parse(await page.Locator("#rfm-as-of").InputValueAsync(), english);
        var previous = asOf.AddDays(-30).ToString("d", english);
        await ListPagingTests.FillDayAsync(page, "rfm-previous", previous);
        await page.Locator("#rfm-apply").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Moves between segments since " + previous })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_lifetime_value_page_shows_the_fitted_model_its_check_and_the_members_at_risk()
    {
        var page = await SignInAsync(DemoProgramme.MarketerEmail);
        await page.OpenAsync("/admin/analytics/abc");
        await Assertions.Expect(page.Locator("#abc-customers")).ToBeVisibleAsync();
        var customers = Number(await page.Locator("#abc-customers").InnerTextAsync());

        await page.OpenAsync("/admin/analytics/clv");
        await Assertions.Expect(page.Locator("#clv-total")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        Assert.Equal(customers, Number(await page.Locator("#clv-customers").InnerTextAsync()));
        Assert.True(Number(await page.Locator("#clv-expected").InnerTextAsync()) > 0);
        Assert.Contains("€", await page.Locator("#clv-total").InnerTextAsync(), StringComparison.Ordinal);
        await ExpectChartAsync(page, "clv-chart-alive");
        await ExpectChartAsync(page, "clv-chart-holdout");
        await Assertions.Expect(page.Locator("#clv-parameters")).ToContainTextAsync("alpha");
        Assert.Contains("-", await page.Locator("#clv-ll").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(20, await page.Locator("#clv-top tbody tr").CountAsync());
        Assert.True(await page.Locator("#clv-holdout-table tbody tr").CountAsync() > 2);
        await page.ScreenshotAsync("admin-analytics-clv");

        // The other model fits too, and says so in its parameters.
        await page.Locator("#clv-model-paretonbd").ClickAsync();
        await page.Locator("#clv-apply").ClickAsync();
        await Assertions.Expect(page.Locator("#clv-parameters")).ToContainTextAsync("beta", new() { Timeout = 120_000 });
    }

    [Fact]
    public async Task The_retention_page_shows_the_cohort_matrix_and_the_monthly_activity()
    {
        var page = await SignInAsync(DemoProgramme.AnalystEmail);
        await page.OpenAsync("/admin/analytics/retention");
        await Assertions.Expect(page.Locator("#retention-repurchase")).ToBeVisibleAsync();
        await ExpectChartAsync(page, "retention-chart-months");
        await ExpectChartAsync(page, "retention-chart-gaps");
        var cohorts = await page.Locator("#retention-matrix tbody tr").CountAsync();
        Assert.True(cohorts >= 10, $"{cohorts} cohorts");
        // Month 0 is the month of the first purchase: everybody in the cohort bought then.
        await Assertions.Expect(page.Locator("#retention-matrix tbody tr").First.Locator("td").Nth(1)).ToHaveTextAsync("100%");
        await page.ScreenshotAsync("admin-analytics-retention");

        await page.Locator("#retention-by-enrolment").ClickAsync();
        await Assertions.Expect(page.Locator("#retention-matrix tbody tr").First.Locator("td").Nth(1)).Not.ToHaveTextAsync("100%");
    }

    [Fact]
    public async Task The_economics_page_agrees_with_the_dashboard_on_the_outstanding_points()
    {
        var page = await SignInAsync(DemoProgramme.MarketerEmail);
        await page.OpenAsync("/admin");
        await Assertions.Expect(page.Locator("#kpi-outstanding")).ToBeVisibleAsync();
        var outstanding = await page.Locator("#kpi-outstanding").InnerTextAsync();
        Assert.True(Number(outstanding) > 0);

        await page.OpenAsync("/admin/analytics/economics");
        await Assertions.Expect(page.Locator("#econ-outstanding")).ToHaveTextAsync(outstanding);
        await Assertions.Expect(page.Locator("#econ-liability")).ToHaveTextAsync(await LiabilityAsync(page));
        await ExpectChartAsync(page, "econ-chart-points");
        await ExpectChartAsync(page, "econ-chart-cost");
        await ExpectChartAsync(page, "econ-chart-share");
        Assert.EndsWith("%", (await page.Locator("#econ-redemption").InnerTextAsync()).Trim(), StringComparison.Ordinal);
        await page.ScreenshotAsync("admin-analytics-economics");

        static async Task<string> LiabilityAsync(IPage page)
        {
            var other = await page.Context.NewPageAsync();
            await other.OpenAsync("/admin");
            var text = await other.Locator("#kpi-liability").InnerTextAsync();
            await other.CloseAsync();
            return text;
        }
    }

    [Fact]
    public async Task Support_staff_cannot_open_the_analytics()
    {
        var page = await SignInAsync(DemoProgramme.SupportEmail);
        Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = "ABC analysis" }).CountAsync());
        foreach (var path in new[] { "abc", "rfm", "clv", "retention", "economics" })
        {
            await page.GotoAsync("/admin/analytics/" + path);
            await page.WaitForURLAsync("**/admin/denied**");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
        }
    }

    [Fact]
    public async Task An_analyst_sees_the_lifetime_values_but_not_who_the_members_are()
    {
        var page = await SignInAsync(DemoProgramme.AnalystEmail);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Customer lifetime value" })).ToBeVisibleAsync();
        await page.OpenAsync("/admin/analytics/clv");
        await Assertions.Expect(page.Locator("#clv-top")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        Assert.Equal(0, await page.Locator("#clv-top a[href^='/admin/members/']").CountAsync());
    }

    [Fact]
    public async Task Simulating_a_multiplier_rule_shows_more_points_and_saves_nothing()
    {
        var page = await SignInAsync(DemoProgramme.MarketerEmail);
        await page.OpenAsync("/admin/programme");
        var version = await page.Locator("#programme-version").InnerTextAsync();

        await page.OpenAsync("/admin/programme/rules/new");
        await page.Locator("#rule-code").FillAsync("sim-triple");
        await page.Locator("#rule-name").FillAsync("3× points on everything");
        await page.Locator("#rule-effect-value").FillAsync("3");
        await page.Locator("#rule-effect-value").BlurAsync();
        await page.Locator("#whatif-run").ClickAsync();
        await Assertions.Expect(page.Locator("#whatif-proposed")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        var actual = Number(await page.Locator("#whatif-actual").InnerTextAsync());
        var proposed = Number(await page.Locator("#whatif-proposed").InnerTextAsync());
        Assert.True(actual > 0);
        Assert.True(proposed > actual, $"proposed {proposed}, actual {actual}");
        Assert.True(Number(await page.Locator("#whatif-gaining").InnerTextAsync()) > 0);
        await ExpectChartAsync(page, "whatif-chart");
        await Assertions.Expect(page.Locator("#whatif-rules tr[data-rule='sim-triple']")).ToBeVisibleAsync();
        await page.ScreenshotAsync("admin-analytics-what-if");

        // An invalid rule is refused with the reason, not simulated.
        await page.Locator("#rule-code").FillAsync("Not A Code!");
        await page.Locator("#rule-code").BlurAsync();
        await page.Locator("#whatif-run").ClickAsync();
        await Assertions.Expect(page.Locator("#whatif-errors")).ToBeVisibleAsync();

        await page.OpenAsync("/admin/programme");
        await Assertions.Expect(page.Locator("#programme-version")).ToHaveTextAsync(version);
        await Assertions.Expect(page.Locator("#rules")).Not.ToContainTextAsync("sim-triple");
    }
}
