using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>An order cancelled on the orders page, through its dialog, gives the member's points back and shows as cancelled.</summary>
public sealed class OrderCancellationTests(WebServer server)
{
    [Theory]
    [InlineData("en-GB", "Cancel", "Cancel and refund", "Cancel the order of {0} for Tea mug?", "All statuses", "Cancelled")]
    [InlineData("de-DE", "Abbrechen", "Stornieren und erstatten", "Bestellung von {0} für Tea mug stornieren?", "Alle Status", "Storniert")]
    public async Task Cancelling_an_order_on_the_orders_page_asks_first_refunds_the_points_and_shows_it_cancelled(string language, string dismiss,
        string confirm, string question, string allStatuses, string cancelled)
    {
        var name = "Refund Receiver " + language;
        var enrolled = await server.AdminApi.PostAsJsonAsync("/api/v1/members", new { name, email = $"{Guid.NewGuid():N}@example.org" });
        enrolled.EnsureSuccessStatusCode();
        var member = (await enrolled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await server.AdjustAsync(member, 500, "Points to order with");
        var ordered = await server.AdminApi.PostAsJsonAsync($"/api/v1/members/{member}/reward-orders", new { reward = "mug" });
        ordered.EnsureSuccessStatusCode();
        var order = (await ordered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(400, await AvailableAsync(member));

        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/orders");
        await ShowRowAsync(page, order);
        var cancel = page.Locator($"[data-cancel='{order}']");

        await cancel.ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToContainTextAsync(string.Format(question, name));
        await Assertions.Expect(dialog).ToContainTextAsync("100");
        await dialog.GetByRole(AriaRole.Button, new() { Name = dismiss, Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        Assert.Equal("placed", await StatusAsync(member, order), ignoreCase: true);
        Assert.Equal(400, await AvailableAsync(member));

        await cancel.ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = confirm, Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        // A cancelled order leaves the queue of open orders, and shows as cancelled among all of them.
        await Assertions.Expect(page.Locator($"tr[data-order='{order}']")).ToHaveCountAsync(0);
        Assert.Equal("cancelled", await StatusAsync(member, order), ignoreCase: true);
        Assert.Equal(500, await AvailableAsync(member));
        await ListPagingTests.ChooseAsync(page, "orders-status", allStatuses);
        var row = await ShowRowAsync(page, order);
        await Assertions.Expect(row).ToContainTextAsync(cancelled);
        await Assertions.Expect(row.Locator($"[data-cancel='{order}']")).ToHaveCountAsync(0);

        // The member's page shows the refunded balance and the cancelled order.
        await page.OpenAsync($"/admin/members/{member}");
        await Assertions.Expect(page.Locator("#balance-available")).ToHaveTextAsync("500");
        await Assertions.Expect(page.Locator("#member-orders tbody tr").First).ToContainTextAsync(cancelled);
    }

    /// <summary>Pages forward until the order's row shows: orders are listed oldest first, so a new one is on the last page.</summary>
    private static async Task<ILocator> ShowRowAsync(IPage page, Guid order)
    {
        var row = page.Locator($"tr[data-order='{order}']");
        for (var i = 0; i < 40 && await row.CountAsync() == 0; i++)
        {
            var next = page.Locator("#orders-next");
            // The page may disable the button (the last page, or a page being loaded) between the check and the click.
            if (await next.CountAsync() > 0 && await next.IsEnabledAsync())
            {
                try { await next.ClickAsync(new() { Timeout = 2_000 }); }
                catch (TimeoutException) { }
            }
            await page.WaitForTimeoutAsync(250);
        }
        await Assertions.Expect(row).ToHaveCountAsync(1);
        return row;
    }

    private async Task<long> AvailableAsync(Guid member) =>
        (await server.AdminApi.GetFromJsonAsync<JsonElement>($"/api/v1/members/{member}/balance")).GetProperty("available").GetInt64();

    private async Task<string> StatusAsync(Guid member, Guid order) =>
        (await server.AdminApi.GetFromJsonAsync<JsonElement>($"/api/v1/members/{member}/reward-orders")).GetProperty("items").EnumerateArray()
            .Single(o => o.GetProperty("id").GetGuid() == order).GetProperty("status").GetString()!;
}
