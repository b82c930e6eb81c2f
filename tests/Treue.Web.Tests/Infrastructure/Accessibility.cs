using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Treue.Web.Tests.Infrastructure;

/// <summary>Checks a page with axe-core (the copy inside the Deque package: no network needed).</summary>
public static class Accessibility
{
    private static readonly string[] Blocking = ["serious", "critical"];

    // Moderate in axe-core's scale, but the console once lacked both: a page has one main region and headings in order.
    private static readonly string[] Structure = ["landmark-one-main", "heading-order"];

    /// <summary>
    /// Fails when axe-core finds a serious or critical violation on the page as it is now, or a page without a main
    /// region or with headings that skip a level, naming each one with its rule, the element and what is wrong.
    /// </summary>
    public static async Task AssertAccessibleAsync(this IPage page)
    {
        // Colours are judged as they settle, not halfway through a button's transition or ripple: a loaded machine once
        // caught a primary button at a lighter colour it passes through for a few milliseconds.
        await page.AddStyleTagAsync(new() { Content = "*, *::before, *::after { transition: none !important; animation: none !important; }" });
        await page.Mouse.MoveAsync(0, 0);
        await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
        var result = await page.RunAxe();
        var found = result.Violations.Where(v => Blocking.Contains(v.Impact) || Structure.Contains(v.Id)).SelectMany(v => v.Nodes.Select(n =>
            $"{v.Id} ({v.Impact}) at {n.Target}: {v.Help}. {Summary(n)}")).ToList();
        Assert.True(found.Count == 0, $"{page.Url}: {found.Count} accessibility violations:\n" + string.Join("\n", found));
    }

    private static string Summary(AxeResultNode node) =>
        string.Join(" ", (node.Any ?? []).Concat(node.All ?? []).Concat(node.None ?? []).Select(c => c.Message).Where(m => !string.IsNullOrEmpty(m)));
}
