using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>
/// The console's settlement page: run a past month, read the statements with money in the UI culture's format, close
/// the month after a confirmation, download a statement, and the same closed month in German.
/// </summary>
public sealed class SettlementPagesTests(WebServer server)
{
    [Fact]
    public async Task Staff_run_and_close_a_month_and_read_its_statements_in_english_and_german()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var member = await server.AddMemberAsync(server.ProgrammeId, "Sven Settle", $"sven.{suffix}@example.org");
        await server.PurchaseAsync(member.CardNumber, "settle-" + suffix, "tea-house", "darjeeling", "tea", 1, 1234.5m,
            new DateTimeOffset(2025, 3, 10, 11, 0, 0, TimeSpan.Zero));

        var page = await server.NewPageAsync();
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/settlement");
        await page.Locator("#settlement-period").FillAsync("2025-03");
        await page.Locator("#settlement-run").ClickAsync();
        await Assertions.Expect(page.Locator("#settlement-message")).ToContainTextAsync("2025-03 settled.");
        var tea = page.Locator("#settlement-statement-table tr[data-partner='tea-house']");
        // 1,234 points for the tea and 50 for the first purchase, at 0.01 EUR: the partner pays 12.84 EUR.
        await Assertions.Expect(tea).ToContainTextAsync("1,284");
        await Assertions.Expect(tea.Locator("td.net")).ToHaveTextAsync("-€12.84");
        await Assertions.Expect(page.Locator("#settlement-clearing")).ToHaveTextAsync("Clearing check: partners and operator add up to €0.00.");
        await Assertions.Expect(page.Locator("#settlement-state")).ToContainTextAsync("Open");
        await page.AssertAccessibleAsync();

        // Closing asks first; cancelled, nothing closes.
        await page.Locator("#settlement-close").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        await using (var db = server.Db())
            Assert.Null(await db.SettlementRuns.Where(r => r.ProgrammeId == server.ProgrammeId && r.Label == "2025-03").Select(r => r.ClosedAt).SingleAsync());
        await page.Locator("#settlement-close").ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close the period", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#settlement-message")).ToContainTextAsync("2025-03 is closed.");
        await Assertions.Expect(page.Locator("#settlement-state")).ToContainTextAsync("the statements are final");
        await Assertions.Expect(page.Locator("#settlement-close")).ToHaveCountAsync(0);

        var download = await page.RunAndWaitForDownloadAsync(() => tea.Locator("a.pdf").ClickAsync());
        Assert.Equal("statement-2025-03-tea-house.pdf", download.SuggestedFilename);
        var bytes = await File.ReadAllBytesAsync((await download.PathAsync())!);
        Assert.StartsWith("%PDF-1.4", System.Text.Encoding.Latin1.GetString(bytes), StringComparison.Ordinal);

        await page.Locator("a[data-lang='de']").First.ClickAsync();
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "de");
        await page.OpenAsync("/admin/settlement/2025-03");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Abrechnung");
        await Assertions.Expect(tea.Locator("td.net")).ToHaveTextAsync("-12,84 €");
        await Assertions.Expect(tea).ToContainTextAsync("1.284");
        await Assertions.Expect(page.Locator("#settlement-clearing")).ToHaveTextAsync("Clearing-Prüfung: Partner und Betreiber ergeben zusammen 0,00 €.");
        await Assertions.Expect(page.Locator("#settlement-state")).ToContainTextAsync("die Abrechnungen sind endgültig");
        await page.AssertAccessibleAsync();
    }
}
