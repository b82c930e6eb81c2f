using System.Net;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

public sealed class SecurityTests(WebServer server)
{
    [Fact]
    public async Task Staff_never_see_a_member_of_another_programme()
    {
        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.AdminEmail);
        await page.OpenAsync($"/admin/members/{server.Outsider.Id}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Member not found" })).ToBeVisibleAsync();
        await page.OpenAsync("/admin/members");
        await page.Locator("#member-search").FillAsync(server.Outsider.CardNumber);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page.GetByText("No member matches.")).ToBeVisibleAsync();
        Assert.DoesNotContain(server.Outsider.Name, await page.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Staff_sign_in_is_throttled_after_repeated_failures()
    {
        var page = await server.NewPageAsync();
        for (var i = 0; i < 5; i++)
        {
            await page.StaffSignInAttemptAsync(WebServer.ThrottledEmail, "wrong-" + i);
            await Assertions.Expect(page.Locator(".error")).ToHaveTextAsync("E-mail or password is wrong.");
        }
        // Even the right password is refused now, until the window has passed.
        var response = await page.RunAndWaitForResponseAsync(
            () => page.StaffSignInAttemptAsync(WebServer.ThrottledEmail, WebServer.Password),
            r => r.Url.Contains("/admin/signin", StringComparison.Ordinal) && r.Request.Method == "POST");
        Assert.Equal(429, response.Status);
        await Assertions.Expect(page.Locator(".error")).ToContainTextAsync("Too many failed attempts");
        Assert.Contains("/admin/signin", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_out_ends_the_session()
    {
        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.MarketerEmail);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/signin");
        await page.GotoAsync("/admin");
        await page.WaitForURLAsync("**/admin/signin**");

        await page.MemberSignInAsync(server.Cara.Email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync("**/portal/signin");
        await page.GotoAsync("/portal/rewards");
        await page.WaitForURLAsync("**/portal/signin**");
    }

    [Fact]
    public async Task Unknown_pages_get_a_friendly_page_and_the_API_keeps_its_problem_details()
    {
        using var anonymous = server.Client(null);
        var page = await anonymous.GetAsync("/admin/no-such-page");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Page not found", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", html, StringComparison.Ordinal);

        var api = await anonymous.GetAsync("/api/v1/no-such-endpoint");
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);

        // Without a cookie the console sends people to its sign-in page.
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.Address };
        var console = await noRedirect.GetAsync("/admin/members");
        Assert.Equal(HttpStatusCode.Redirect, console.StatusCode);
        Assert.StartsWith("/admin/signin", console.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sign_in_form_without_its_antiforgery_token_is_refused()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.Address };
        var response = await client.PostAsync("/admin/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "staff-signin", ["Input.Email"] = WebServer.AdminEmail, ["Input.Password"] = WebServer.Password,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Contains("Set-Cookie") ? response.Headers.GetValues("Set-Cookie").FirstOrDefault(c => c.StartsWith("treue_staff", StringComparison.Ordinal)) : null);
    }
}
