using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>A member's purchases are filtered by partner, named as people know them, and keep their total and pages.</summary>
public sealed class MemberPurchasesTests(WebServer server)
{
    [Theory]
    [InlineData("en-GB", "All partners", "{0} purchases", "1 purchase")]
    [InlineData("de-DE", "Alle Partner", "{0} Einkäufe", "1 Einkauf")]
    public async Task The_purchases_are_filtered_by_partner_name_and_keep_their_total_and_pages(string language, string all, string many, string one)
    {
        var enrolled = await server.AdminApi.PostAsJsonAsync("/api/v1/members", new { name = "Partner Shopper " + language, email = $"{Guid.NewGuid():N}@example.org" });
        enrolled.EnsureSuccessStatusCode();
        var member = await enrolled.Content.ReadFromJsonAsync<JsonElement>();
        var id = member.GetProperty("id").GetGuid();
        var card = member.GetProperty("cards")[0].GetProperty("number").GetString()!;
        var receipt = Guid.NewGuid().ToString("N")[..8];
        var start = DateTimeOffset.UtcNow.AddDays(-60);
        // More tea-house purchases than a page holds, and one at the book corner among them.
        for (var i = 0; i < 52; i++)
            await server.PurchaseAsync(card, $"tea-{receipt}-{i}", "tea-house", "green-tea", "tea", 1, 3.50m, start.AddHours(i));
        await server.PurchaseAsync(card, $"book-{receipt}", "book-corner", "novel", "books", 1, 12m, start.AddHours(30.5));

        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.SupportEmail);
        await page.OpenAsync($"/admin/members/{id}");
        var total = page.Locator("#member-purchases-total");
        await Assertions.Expect(total).ToHaveTextAsync(string.Format(many, 53));
        await Assertions.Expect(page.Locator("#member-purchases-page")).ToContainTextAsync("2");
        // Partners by name, never by code.
        await Assertions.Expect(page.Locator("#member-purchases tbody tr").First).ToContainTextAsync("Tea House");
        await Assertions.Expect(page.Locator("#member-purchases")).Not.ToContainTextAsync("tea-house");

        await ListPagingTests.ChooseAsync(page, "purchases-partner", "Book Corner");
        await Assertions.Expect(total).ToHaveTextAsync(one);
        await Assertions.Expect(page.Locator("#member-purchases tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#member-purchases tbody tr")).ToContainTextAsync("Book Corner");
        await Assertions.Expect(page.Locator("#member-purchases-next")).ToHaveCountAsync(0);

        await ListPagingTests.ChooseAsync(page, "purchases-partner", "Tea House");
        await Assertions.Expect(total).ToHaveTextAsync(string.Format(many, 52));
        await page.Locator("#member-purchases-last").ClickAsync();
        await Assertions.Expect(page.Locator("#member-purchases tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#member-purchases")).Not.ToContainTextAsync("Book Corner");

        await ListPagingTests.ChooseAsync(page, "purchases-partner", all);
        await Assertions.Expect(total).ToHaveTextAsync(string.Format(many, 53));
    }
}
