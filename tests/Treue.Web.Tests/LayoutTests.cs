using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>The console's navigation drawer never covers the page it sits beside, while pages change and at any width.</summary>
public sealed class LayoutTests(WebServer server)
{
    // Records, on every frame, how far a visible drawer reaches into the main heading: the covering may last only a
    // moment while the page changes, which one look after the page is ready would miss.
    private const string Watch = """
        window.__overlap = 0;
        (function watch() {
            const drawer = document.querySelector('.mud-drawer');
            const heading = document.querySelector('main h1');
            if (drawer && heading) {
                const d = drawer.getBoundingClientRect(), h = heading.getBoundingClientRect();
                const shown = getComputedStyle(drawer).visibility !== 'hidden' && d.width > 0 && d.right > 0;
                const x = Math.min(d.right, h.right) - Math.max(d.left, h.left);
                const y = Math.min(d.bottom, h.bottom) - Math.max(d.top, h.top);
                if (shown && x > 0 && y > 0) window.__overlap = Math.max(window.__overlap, x);
            }
            requestAnimationFrame(watch);
        })();
        """;

    [Theory]
    [InlineData(1440)]
    [InlineData(1024)]
    [InlineData(800)]
    [InlineData(390)]
    public async Task The_drawer_does_not_cover_the_heading_of_a_member_opened_from_the_search(int width)
    {
        var page = await server.NewPageAsync(width: width, height: 900);
        await page.StaffSignInAsync(WebServer.SupportEmail);
        await page.Context.AddInitScriptAsync(Watch);
        await page.OpenAsync("/admin/members");
        await page.Locator("#member-search").FillAsync("Ana");
        await page.Locator("#member-search").PressAsync("Enter");
        await page.GetByRole(AriaRole.Link, new() { Name = server.Ana.Name }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains(server.Ana.Id.ToString(), StringComparison.Ordinal));
        await Assertions.Expect(page.Locator("main h1")).ToHaveTextAsync(server.Ana.Name);
        await page.WaitForTimeoutAsync(600);
        var overlap = await page.EvaluateAsync<double>("window.__overlap");
        Assert.True(overlap <= 0, $"At {width} px the drawer covered {overlap} px of the heading \"{server.Ana.Name}\".");

        // Opened directly (a full load) too.
        await page.OpenAsync($"/admin/members/{server.Ben.Id}");
        await page.WaitForTimeoutAsync(600);
        overlap = await page.EvaluateAsync<double>("window.__overlap");
        Assert.True(overlap <= 0, $"At {width} px the drawer covered {overlap} px of the heading after a full load.");
    }
}
