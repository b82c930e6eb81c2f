using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Treue.Server.Web.Shared;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>Every list of the console and the portal says how many rows it has and reaches the last of them.</summary>
public sealed partial class ListPagingTests(WebServer server)
{
    private async Task<(ListsData Data, IPage Page)> SignedInAsync(string language = "en-GB")
    {
        var data = await ListsProgramme.EnsureAsync(server);
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(ListsProgramme.AdminEmail);
        return (data, page);
    }

    internal static async Task ChooseAsync(IPage page, string inputId, string option)
    {
        await page.Locator(".mud-input-control.mud-select").Filter(new() { Has = page.Locator("#" + inputId) }).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = option, Exact = true }).ClickAsync();
    }

    [Fact]
    public async Task The_reward_orders_show_their_total_and_the_last_of_230_open_orders_is_reached_by_paging()
    {
        var (data, page) = await SignedInAsync();
        await page.OpenAsync("/admin/orders");

        await Assertions.Expect(page.Locator("#orders-total")).ToHaveTextAsync($"{data.PlacedOrders} orders");
        await Assertions.Expect(page.Locator("#orders-page")).ToHaveTextAsync("Page 1 of 5");
        await Assertions.Expect(page.Locator("#orders tbody tr")).ToHaveCountAsync(50);
        await Assertions.Expect(page.Locator("#orders tr", new() { HasText = ListsProgramme.LastOrderMember })).ToHaveCountAsync(0);

        await page.Locator("#orders-next").ClickAsync();
        await Assertions.Expect(page.Locator("#orders-page")).ToHaveTextAsync("Page 2 of 5");
        await Assertions.Expect(page.Locator("#orders-range")).ToHaveTextAsync("Rows 51–100 of 230");

        await page.Locator("#orders-last").ClickAsync();
        await Assertions.Expect(page.Locator("#orders-page")).ToHaveTextAsync("Page 5 of 5");
        await Assertions.Expect(page.Locator("#orders tbody tr")).ToHaveCountAsync(30);
        // The newest open order is the last row of the last page.
        await Assertions.Expect(page.Locator("#orders tbody tr").Last).ToContainTextAsync(ListsProgramme.LastOrderMember);
        await Assertions.Expect(page.Locator("#orders-next")).ToBeDisabledAsync();
    }

    [Fact]
    public async Task The_reward_order_filters_by_status_reward_and_day_change_the_total()
    {
        var (data, page) = await SignedInAsync();
        await page.OpenAsync("/admin/orders");
        await Assertions.Expect(page.Locator("#orders-total")).ToHaveTextAsync($"{data.PlacedOrders} orders");

        await ChooseAsync(page, "orders-status", "All statuses");
        await Assertions.Expect(page.Locator("#orders-total")).ToHaveTextAsync($"{data.PlacedOrders + data.FulfilledOrders} orders");
        await ChooseAsync(page, "orders-status", "Fulfilled");
        await Assertions.Expect(page.Locator("#orders-total")).ToHaveTextAsync($"{data.FulfilledOrders} orders");
        // A list of one page has no page buttons.
        await Assertions.Expect(page.Locator("#orders-next")).ToHaveCountAsync(0);

        await ChooseAsync(page, "orders-status", "Placed");
        await ChooseAsync(page, "orders-reward", "Cast-iron teapot");
        await Assertions.Expect(page.Locator("#orders-total")).ToHaveTextAsync($"{data.PlacedTeapots} orders");
        await ChooseAsync(page, "orders-reward", "All rewards");
        await Assertions.Expect(page.Locator("#orders-total")).ToHaveTextAsync($"{data.PlacedOrders} orders");

        // 15 March in the programme's zone: the order placed at 22:30 UTC on 14 March, and no other.
        await FillDayAsync(page, "orders-from", "3/15/2026");
        await Assertions.Expect(page.Locator("#orders-total")).ToHaveTextAsync("2 orders");
        await FillDayAsync(page, "orders-to", "3/15/2026");
        await Assertions.Expect(page.Locator("#orders-total")).ToHaveTextAsync("1 order");
        await Assertions.Expect(page.Locator("#orders tbody tr")).ToContainTextAsync(ListsProgramme.KnownOrderMember);
    }

    internal static async Task FillDayAsync(IPage page, string id, string text)
    {
        var input = page.Locator("#" + id);
        await input.FillAsync(text);
        // Tab, not Enter: Enter would submit the form the field is in before the day is taken.
        await input.PressAsync("Tab");
    }

    [Fact]
    public async Task The_members_list_shows_its_total_pages_to_the_last_member_and_filters_by_status_and_text()
    {
        var (data, page) = await SignedInAsync();
        await page.OpenAsync("/admin/members");

        await Assertions.Expect(page.Locator("#members-total")).ToHaveTextAsync($"{data.Members} members");
        await Assertions.Expect(page.Locator("#members-page")).ToHaveTextAsync("Page 1 of 3");
        await page.Locator("#members-last").ClickAsync();
        await Assertions.Expect(page.Locator("#members-range")).ToHaveTextAsync($"Rows 101–{data.Members} of {data.Members}");
        await Assertions.Expect(page.Locator("#members tbody tr").Last).ToContainTextAsync(ListsProgramme.LastMember);

        await ChooseAsync(page, "members-status", "Blocked");
        await Assertions.Expect(page.Locator("#members-total")).ToHaveTextAsync($"{data.BlockedMembers} members");
        await ChooseAsync(page, "members-status", "All statuses");
        await page.Locator("#member-search").FillAsync("Member 10");
        await page.Locator("#member-search").PressAsync("Enter");
        // Member 100 to Member 109.
        await Assertions.Expect(page.Locator("#members-total")).ToHaveTextAsync("10 members");
    }

    [Fact]
    public async Task The_API_keys_and_the_staff_show_their_totals_and_reach_their_last_page()
    {
        var (data, page) = await SignedInAsync();
        await page.OpenAsync("/admin/api-keys");
        await Assertions.Expect(page.Locator("#api-keys-total")).ToHaveTextAsync($"{data.ApiKeys} keys");
        await page.Locator("#api-keys-last").ClickAsync();
        await Assertions.Expect(page.Locator("#api-keys-page")).ToHaveTextAsync("Page 2 of 2");
        // Newest first: the oldest key closes the list.
        await Assertions.Expect(page.Locator("#api-keys tbody tr").Last).ToContainTextAsync("Till 00");

        await page.OpenAsync("/admin/staff");
        await Assertions.Expect(page.Locator("#staff-total")).ToHaveTextAsync($"{data.Staff} staff accounts");
        await page.Locator("#staff-last").ClickAsync();
        await Assertions.Expect(page.Locator("#staff-page")).ToHaveTextAsync("Page 2 of 2");
        await Assertions.Expect(page.Locator("#staff tbody tr").Last).ToContainTextAsync("staff55@lists.treue");
    }

    [Fact]
    public async Task The_lists_on_a_member_page_and_in_the_portal_page_through_all_their_rows()
    {
        var (data, page) = await SignedInAsync();
        await page.OpenAsync($"/admin/members/{data.OrdersMember}");
        await Assertions.Expect(page.Locator("#member-orders-range")).ToHaveTextAsync($"Rows 1–50 of {data.OrdersMemberOrders}");
        await page.Locator("#member-orders-next").ClickAsync();
        await Assertions.Expect(page.Locator("#member-orders-range")).ToHaveTextAsync($"Rows 51–{data.OrdersMemberOrders} of {data.OrdersMemberOrders}");

        // The portal member belongs to the test programme, whose admin sees the member page.
        var admin = await server.NewPageAsync();
        await admin.StaffSignInByIdAsync(WebServer.AdminEmail);
        page = admin;
        await page.OpenAsync($"/admin/members/{data.Portal.Id}");
        await Assertions.Expect(page.Locator("#ledger-history-range")).ToHaveTextAsync($"Rows 1–50 of {data.PortalAdjustments}");
        await Assertions.Expect(page.Locator("#member-history-range")).ToHaveTextAsync($"Rows 1–50 of {data.PortalAdjustments}");
        await page.Locator("#member-history-last").ClickAsync();
        // Newest first: the first adjustment is the last row.
        await Assertions.Expect(page.Locator("#member-history tbody tr").Last).ToContainTextAsync("Goodwill 01");
        await page.Locator("#ledger-history-last").ClickAsync();
        await Assertions.Expect(page.Locator("#ledger-history tbody tr").Last).ToContainTextAsync("Goodwill 01");

        var portal = await server.NewPageAsync(width: 390, height: 844);
        await portal.MemberSignInAsync(data.Portal.Email);
        await portal.OpenAsync("/portal/history");
        await Assertions.Expect(portal.Locator("#history-total")).ToHaveTextAsync($"{data.PortalAdjustments} entries");
        await portal.Locator("#history-last").ClickAsync();
        await Assertions.Expect(portal.Locator("#history-range")).ToHaveTextAsync($"Rows 51–{data.PortalAdjustments} of {data.PortalAdjustments}");
        await Assertions.Expect(portal.Locator("#history > li").Last).ToContainTextAsync("Goodwill 01");
        await portal.OpenAsync("/portal/rewards");
        await Assertions.Expect(portal.Locator("#my-orders-total")).ToHaveTextAsync($"{data.PortalOrders} orders");
        await portal.Locator("#my-orders-last").ClickAsync();
        await Assertions.Expect(portal.Locator("#my-orders-range")).ToHaveTextAsync($"Rows 51–{data.PortalOrders} of {data.PortalOrders}");
    }

    [GeneratedRegex(@"L(?:\[""|\.Format\("")((?:[^""\\]|\\.)+)""")]
    private static partial Regex Text();

    [Fact]
    public void Every_text_of_the_lists_and_the_time_notes_has_a_German_translation()
    {
        var german = (IReadOnlyDictionary<string, string>)typeof(Loc).GetField("German", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
        var folder = Path.Combine(WebServer.RepositoryRoot(), "src", "Treue.Server", "Web");
        var files = new[]
        {
            "Shared/Pager.razor", "Shared/ZoneNote.razor", "Shared/DateRange.razor", "Admin/OrdersPage.razor", "Admin/MembersPage.razor", "Admin/MemberPage.razor",
            "Admin/ApiKeysPage.razor", "Admin/StaffPage.razor", "Admin/AuditPage.razor", "Admin/QuotePreview.razor", "Portal/HistoryPage.razor", "Portal/RewardsPage.razor",
        };
        var missing = files.SelectMany(f => Text().Matches(File.ReadAllText(Path.Combine(folder, f))).Select(m => m.Groups[1].Value))
            .Distinct().Where(t => !german.ContainsKey(t)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "No German text for: " + string.Join(" | ", missing));
    }
}
