using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

public sealed class PortalTests(WebServer server)
{
    private async Task<long> AvailableAsync(Guid member) =>
        (await server.Pos.GetFromJsonAsync<JsonElement>($"/api/v1/members/{member}/balance")).GetProperty("available").GetInt64();

    private static string En(long n) => n.ToString("N0", CultureInfo.GetCultureInfo("en"));

    [Fact]
    public async Task A_member_sees_the_QR_card_and_balance_and_redeems_a_co_payment_reward_that_reaches_the_fulfilment_queue()
    {
        var before = await AvailableAsync(server.Ana.Id);
        var page = await server.NewPageAsync(width: 390, height: 844);
        await page.MemberSignInAsync(server.Ana.Email);

        await Assertions.Expect(page.Locator("#balance-available")).ToHaveTextAsync(En(before));
        var qr = page.Locator("#card-qr");
        await Assertions.Expect(qr).ToBeVisibleAsync();
        Assert.True(await qr.EvaluateAsync<int>("img => img.naturalWidth") >= 200, "the QR code should be big enough to scan");
        Assert.Equal(server.Ana.CardNumber, (await page.Locator("#card-number").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal));
        await page.ScreenshotAsync("portal-card");

        await page.GetByRole(AriaRole.Link, new() { Name = "History" }).ClickAsync();
        await Assertions.Expect(page.Locator("#history")).ToContainTextAsync("Welcome gift from the tests: +200");
        await Assertions.Expect(page.Locator("#history")).ToContainTextAsync("Welcome bonus: +50");
        await page.ScreenshotAsync("portal-history");

        await page.GetByRole(AriaRole.Link, new() { Name = "Rewards" }).ClickAsync();
        await page.Locator("#redeem-teapot").WaitForAsync();
        // Only what Ana can afford is offered.
        Assert.Equal(0, await page.Locator("[data-reward='journey']").CountAsync());
        await Assertions.Expect(page.Locator("[data-reward='teapot']")).ToContainTextAsync("€9.99");
        await page.ScreenshotAsync("portal-rewards");
        await page.Locator("#redeem-teapot").ClickAsync();
        await page.Locator("#confirm-teapot").ClickAsync();
        await Assertions.Expect(page.Locator("#redeem-message")).ToContainTextAsync("Cast-iron teapot is ordered");
        await Assertions.Expect(page.Locator("#my-orders")).ToContainTextAsync("Cast-iron teapot");
        Assert.Equal(before - 300, await AvailableAsync(server.Ana.Id));
        await page.GetByRole(AriaRole.Link, new() { Name = "Card" }).ClickAsync();
        await Assertions.Expect(page.Locator("#balance-available")).ToHaveTextAsync(En(before - 300));

        var admin = await server.NewPageAsync();
        await admin.StaffSignInAsync(WebServer.AdminEmail);
        await admin.OpenAsync("/admin/orders");
        var row = admin.Locator("#orders tr", new() { HasText = "Ana Tester" });
        await Assertions.Expect(row).ToContainTextAsync("Cast-iron teapot");
        await Assertions.Expect(row).ToContainTextAsync("€9.99");
        await admin.ScreenshotAsync("admin-orders");
        await row.GetByRole(AriaRole.Button, new() { Name = "Mark fulfilled" }).ClickAsync();
        await Assertions.Expect(admin.Locator("#orders tr", new() { HasText = "Ana Tester" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_member_cannot_see_another_members_data_by_changing_the_address()
    {
        var page = await server.NewPageAsync();
        await page.MemberSignInAsync(server.Ben.Email);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, Ben Otherperson" })).ToBeVisibleAsync();

        // The console's member page is for staff only: a member is sent to the staff sign-in.
        await page.GotoAsync($"/admin/members/{server.Ana.Id}");
        await page.WaitForURLAsync("**/admin/signin**");
        Assert.DoesNotContain(server.Ana.Name, await page.ContentAsync(), StringComparison.Ordinal);

        // The portal ignores member ids in the address: it always shows the signed-in member.
        foreach (var path in new[] { $"/portal?memberId={server.Ana.Id}", $"/portal/history?member={server.Ana.Id}", $"/portal/{server.Ana.Id}", $"/portal/history/{server.Ana.Id}" })
        {
            await page.GotoAsync(path);
            var html = await page.ContentAsync();
            Assert.DoesNotContain(server.Ana.Name, html, StringComparison.Ordinal);
            Assert.DoesNotContain(server.Ana.CardNumber, html, StringComparison.Ordinal);
        }

        // The member's cookie does not open the API either.
        var api = await page.APIRequest.GetAsync($"/api/v1/members/{server.Ana.Id}");
        Assert.Equal(401, api.Status);
    }

    [Fact]
    public async Task A_one_time_code_signs_in_and_the_answer_never_reveals_whether_an_account_exists()
    {
        var page = await server.NewPageAsync();
        async Task<string> RequestAsync(string email)
        {
            await page.GotoAsync("/portal/signin");
            await page.Locator("#code-email").FillAsync(email);
            await page.GetByRole(AriaRole.Button, new() { Name = "Send me a code" }).ClickAsync();
            await page.WaitForURLAsync("**/portal/signin/code**");
            return await page.Locator(".notice").InnerTextAsync();
        }
        var unknown = await RequestAsync("nobody-here@example.org");
        var known = await RequestAsync(server.Cara.Email);
        Assert.Equal(unknown, known);

        var log = Path.Combine(Path.GetDirectoryName(server.ConnectionString["Data Source=".Length..])!, "sign-in-codes.log");
        var line = File.ReadAllLines(log).Last(l => l.Contains(server.Cara.Email, StringComparison.Ordinal));
        Assert.DoesNotContain(File.ReadAllText(log), "nobody-here@example.org", StringComparison.Ordinal);
        var code = line.Split('\t')[2];
        await page.Locator("#code").FillAsync(code == "000000" ? "999999" : "000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator(".error")).ToContainTextAsync("wrong or has expired");
        await page.Locator("#code").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/portal", StringComparison.Ordinal));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, Cara Shopper" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_sign_in_link_works_once()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync("/portal/signin");
        await page.Locator("#code-email").FillAsync(server.Ben.Email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send me a code" }).ClickAsync();
        await page.WaitForURLAsync("**/portal/signin/code**");
        var log = Path.Combine(Path.GetDirectoryName(server.ConnectionString["Data Source=".Length..])!, "sign-in-codes.log");
        var link = new Uri(File.ReadAllLines(log).Last(l => l.Contains(server.Ben.Email, StringComparison.Ordinal)).Split('\t')[3]);
        Assert.Equal(server.Address.Authority, link.Authority);

        await page.GotoAsync(link.PathAndQuery);
        await page.WaitForURLAsync(url => url.EndsWith("/portal", StringComparison.Ordinal));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, Ben Otherperson" })).ToBeVisibleAsync();

        var again = await server.NewPageAsync();
        await again.GotoAsync(link.PathAndQuery);
        await Assertions.Expect(again.GetByRole(AriaRole.Heading, new() { Name = "This link no longer works" })).ToBeVisibleAsync();
        await again.GotoAsync("/portal");
        await again.WaitForURLAsync("**/portal/signin**");
    }
}
