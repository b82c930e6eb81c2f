using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>The API reference, the console and the portal load every asset from the server: they work without internet.</summary>
public sealed class OfflineAssetsTests(WebServer server)
{
    [Fact]
    public async Task The_api_reference_the_console_and_the_portal_ask_no_other_host_and_find_their_icon()
    {
        var page = await server.NewPageAsync();
        var outside = new List<string>();
        var missing = new List<string>();
        var own = server.Address.Authority;
        await page.Context.RouteAsync("**/*", async route =>
        {
            if (new Uri(route.Request.Url).Authority == own) await route.ContinueAsync();
            else
            {
                lock (outside) outside.Add(route.Request.Url);
                await route.AbortAsync();
            }
        });
        page.Response += (_, response) =>
        {
            if (response.Status >= 400) lock (missing) missing.Add($"{response.Status} {response.Url}");
        };

        await page.GotoAsync("/scalar/v1");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading).First).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await page.StaffSignInAsync(WebServer.AdminEmail);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await page.GotoAsync("/portal/signin");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        Assert.True(outside.Count == 0, "Requests to other hosts: " + string.Join(", ", outside.Distinct()));
        Assert.True(missing.Count == 0, "Failed requests: " + string.Join(", ", missing.Distinct()));
        var icon = await page.APIRequest.GetAsync("/favicon.ico");
        Assert.Equal(200, icon.Status);
        Assert.Equal("favicon.ico", await page.Locator("link[rel=icon]").GetAttributeAsync("href"));
    }
}
