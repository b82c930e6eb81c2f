using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>
/// Every time the console and the portal show is in the programme's zone and says so; the test programme is in
/// Pacific/Auckland, where 22:30 UTC on 14 March 2026 is 11:30 on 15 March.
/// </summary>
public sealed class TimeZoneDisplayTests(WebServer server)
{
    private async Task<IPage> SignedInAsync(string language = "en-GB")
    {
        await ListsProgramme.EnsureAsync(server);
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(ListsProgramme.AdminEmail);
        return page;
    }

    [Fact]
    public async Task An_order_and_an_API_key_show_the_programme_time_and_the_page_names_the_zone()
    {
        var page = await SignedInAsync();
        await page.OpenAsync("/admin/orders");
        await Assertions.Expect(page.Locator("#zone-note")).ToHaveTextAsync("Times in Pacific/Auckland");
        await page.Locator("#orders-last").ClickAsync();
        var order = page.Locator("#orders tr", new() { HasText = ListsProgramme.KnownOrderMember });
        await Assertions.Expect(order).ToContainTextAsync("3/15/2026");
        await Assertions.Expect(order).ToContainTextAsync("11:30");
        await Assertions.Expect(order).Not.ToContainTextAsync("3/14/2026");

        await page.OpenAsync("/admin/api-keys");
        await Assertions.Expect(page.Locator("#zone-note")).ToHaveTextAsync("Times in Pacific/Auckland");
        var key = page.Locator("#api-keys tr", new() { HasText = ListsProgramme.KnownKey });
        await Assertions.Expect(key).ToContainTextAsync("3/15/2026");
        await Assertions.Expect(key).ToContainTextAsync("11:30");
    }

    [Fact]
    public async Task A_German_page_shows_the_programme_time_in_German_format()
    {
        var page = await SignedInAsync("de-DE");
        await page.OpenAsync("/admin/api-keys");
        await Assertions.Expect(page.Locator("#zone-note")).ToHaveTextAsync("Zeiten in Pacific/Auckland");
        await Assertions.Expect(page.Locator("#api-keys tr", new() { HasText = ListsProgramme.KnownKey })).ToContainTextAsync("15.03.2026 11:30");

        var data = await ListsProgramme.EnsureAsync(server);
        await page.OpenAsync($"/admin/members/{data.OrdersMember}");
        await Assertions.Expect(page.Locator("#zone-note")).ToHaveTextAsync("Zeiten in Pacific/Auckland");
    }

    [Fact]
    public async Task The_day_pickers_follow_the_language_of_the_page_not_the_browser()
    {
        // An English browser with the console switched to German.
        var page = await SignedInAsync("en-US");
        await page.GotoAsync("/culture?c=de&back=/admin/audit");
        await page.WaitForReadyAsync();
        var today = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(ListsProgramme.Zone));
        // The range ends today in the programme's zone, written the German way.
        await Assertions.Expect(page.Locator("#range-to")).ToHaveValueAsync(today.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture));

        await page.OpenAsync("/admin/orders");
        await ListPagingTests.FillDayAsync(page, "orders-from", "15.03.2026");
        await Assertions.Expect(page.Locator("#orders-total")).ToHaveTextAsync("2 Bestellungen");
    }

    [Fact]
    public async Task A_reward_s_validity_days_are_the_programme_s_days()
    {
        var data = await ListsProgramme.EnsureAsync(server);
        var page = await SignedInAsync("de-DE");
        await page.OpenAsync("/admin/programme/rewards/new");
        await Assertions.Expect(page.Locator("#zone-note")).ToHaveTextAsync("Zeiten in Pacific/Auckland");
        await page.Locator("#reward-code").FillAsync("window-days");
        await page.Locator("#reward-name").FillAsync("Fenster");
        await page.Locator("#reward-points").FillAsync("100");
        await page.Locator("#reward-points").BlurAsync();
        // Days are typed the German way, as the page's language writes them.
        await ListPagingTests.FillDayAsync(page, "reward-from", "15.03.2026");
        await ListPagingTests.FillDayAsync(page, "reward-to", "20.03.2026");
        await page.Locator("#reward-save").ClickAsync();
        await page.ExpectArrivalAsync("/admin/programme", "reward-errors");

        await using (var db = server.Db())
        {
            var reward = await db.Rewards.AsNoTracking().SingleAsync(r => r.ProgrammeId == data.ProgrammeId && r.Code == "window-days");
            // 15 March begins at 11:00 UTC on 14 March in Auckland (UTC+13), and 20 March ends at 10:59:59 UTC on 20 March.
            Assert.Equal(new DateTime(2026, 3, 14, 11, 0, 0), reward.ValidFrom);
            Assert.Equal(new DateTime(2026, 3, 20, 10, 59, 59), reward.ValidTo);
        }
        await page.OpenAsync("/admin/programme/rewards/window-days");
        await Assertions.Expect(page.Locator("#reward-from")).ToHaveValueAsync("15.03.2026");
        await Assertions.Expect(page.Locator("#reward-to")).ToHaveValueAsync("20.03.2026");
    }

    [Fact]
    public async Task The_quote_preview_starts_at_the_programme_time_now()
    {
        var page = await SignedInAsync();
        await page.OpenAsync("/admin/programme/rules/new");
        var when = page.Locator("#quote-when");
        await when.WaitForAsync();
        // The day and the time as English writes them.
        var english = CultureInfo.GetCultureInfo("en");
        var shown = DateTime.Parse(await when.InputValueAsync() + " " + await page.Locator("#quote-when-time").InputValueAsync(), english);
        var now = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(ListsProgramme.Zone)).DateTime;
        Assert.True(Math.Abs((now - shown).TotalMinutes) < 5, $"the preview starts at {shown:yyyy-MM-dd HH:mm}, the programme's clock shows {now:yyyy-MM-dd HH:mm}");
        await Assertions.Expect(page.GetByText("Date (Pacific/Auckland)")).ToHaveCountAsync(1);
    }
}
