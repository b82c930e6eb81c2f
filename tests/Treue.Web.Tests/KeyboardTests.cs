using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>The daily flows with the keyboard alone: Tab to move, typing, Enter to act; no mouse.</summary>
public sealed class KeyboardTests(WebServer server)
{
    /// <summary>Presses Tab until the element <paramref name="selector"/> has the focus; fails when it is not reached.</summary>
    private static async Task TabToAsync(IPage page, string selector, int max = 80)
    {
        for (var i = 0; i < max; i++)
        {
            if (await HasFocusAsync(page, selector)) return;
            await page.Keyboard.PressAsync("Tab");
        }
        Assert.Fail($"Tab did not reach {selector} within {max} presses; the focus is on {await FocusedAsync(page)}");
    }

    private static Task<bool> HasFocusAsync(IPage page, string selector) =>
        page.EvaluateAsync<bool>("s => document.activeElement !== null && document.activeElement.matches(s)", selector);

    private static Task<string> FocusedAsync(IPage page) =>
        page.EvaluateAsync<string>("() => document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : 'nothing'");

    private async Task<long> AvailableAsync(Guid member) =>
        (await server.AdminApi.GetFromJsonAsync<JsonElement>($"/api/v1/members/{member}/balance")).GetProperty("available").GetInt64();

    [Fact]
    public async Task A_member_is_searched_and_their_points_adjusted_with_the_keyboard_alone()
    {
        var name = "Kim Keyboard " + Guid.NewGuid().ToString("N")[..6];
        var enrolled = await server.AdminApi.PostAsJsonAsync("/api/v1/members", new { name, email = $"{Guid.NewGuid():N}@example.org" });
        enrolled.EnsureSuccessStatusCode();
        var id = (await enrolled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.SupportEmail);
        await page.OpenAsync("/admin/members");

        await TabToAsync(page, "#member-search");
        await page.Keyboard.TypeAsync(name);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#members-total")).ToHaveTextAsync("1 member");
        await TabToAsync(page, $"a[href='/admin/members/{id}']");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync($"**/admin/members/{id}");
        await page.WaitForReadyAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync(name);
        // The page is settled once its last section, the recommendations, has loaded: a render that lands between two
        // key presses can move the focus.
        await Assertions.Expect(page.Locator("#member-recommendations .mud-progress-linear")).ToHaveCountAsync(0);

        await TabToAsync(page, "#adjust-points");
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("250");
        // The reason is the next stop after the points, and Enter there adjusts.
        await page.Keyboard.PressAsync("Tab");
        Assert.True(await HasFocusAsync(page, "#adjust-reason"), "after the points, Tab goes to " + await FocusedAsync(page));
        await page.Keyboard.TypeAsync("Goodwill for a late parcel");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Adjusted by +250 points." })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#balance-available")).ToHaveTextAsync("250");
        Assert.Equal(250, await AvailableAsync(id));
        await Assertions.Expect(page.Locator("#member-history tr[data-action='points.adjusted']")).ToContainTextAsync("Goodwill for a late parcel");
    }

    [Fact]
    public async Task A_member_redeems_a_reward_with_the_keyboard_alone_and_the_focus_follows_the_question()
    {
        var member = await server.AddMemberAsync(server.ProgrammeId, "Rita Redeemer", $"rita-{Guid.NewGuid():N}@example.org");
        await server.AdjustAsync(member.Id, 500, "Points to redeem with the keyboard");
        var page = await server.NewPageAsync();
        await page.MemberSignInAsync(member.Email);
        await page.OpenAsync("/portal/rewards");

        // Asking and cancelling leaves the focus on the reward's button.
        await TabToAsync(page, "#redeem-mug");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#confirm-mug")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.Locator("#cancel-mug")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#redeem-mug")).ToBeFocusedAsync();
        Assert.Equal(500, await AvailableAsync(member.Id));

        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#confirm-mug")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#redeem-message")).ToContainTextAsync("Tea mug is ordered");
        await Assertions.Expect(page.Locator("#redeem-message")).ToBeFocusedAsync();
        Assert.Equal(400, await AvailableAsync(member.Id));
    }
}
