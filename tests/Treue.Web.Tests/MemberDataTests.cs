using System.Text.Json;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>A member takes their data away and deletes their account in the portal, in English and German.</summary>
public sealed class MemberDataTests(WebServer server)
{
    public static TheoryData<string, string, string> Languages => new()
    {
        { "en-GB", "Download my data", "Delete my account" },
        { "de-DE", "Meine Daten herunterladen", "Mein Konto löschen" },
    };

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task A_member_downloads_their_data_and_then_deletes_their_account(string language, string download, string delete)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var member = await server.AddMemberAsync(server.ProgrammeId, $"Dora Datenreich {tag}", $"dora.{tag}@example.org");
        // The portal opens in the member's preferred language.
        var patch = await server.AdminApi.PatchAsync($"/api/v1/members/{member.Id}",
            new StringContent($"{{\"language\":\"{language[..2]}\"}}", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(patch.IsSuccessStatusCode, await patch.Content.ReadAsStringAsync());
        await server.PurchaseAsync(member.CardNumber, "dora-" + tag, "tea-house", "green-tea", "tea", 1, 12.00m);
        var page = await server.NewPageAsync(language, width: 390, height: 844);
        await page.GotoAsync("/portal/signin");
        await page.Locator("#email").FillAsync(member.Email);
        await page.Locator("#password").FillAsync(WebServer.Password);
        await page.Locator("#password").PressAsync("Enter");
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        await page.OpenAsync("/portal/profile");

        // The download is the file the API's export gives: the profile, the card and the purchase.
        var file = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = download }).ClickAsync());
        Assert.EndsWith(".json", file.SuggestedFilename);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync((await file.PathAsync())!)))
        {
            var root = json.RootElement;
            Assert.Equal(member.Name, root.GetProperty("member").GetProperty("name").GetString());
            Assert.Equal(member.CardNumber, root.GetProperty("cards")[0].GetProperty("number").GetString());
            Assert.Equal("dora-" + tag, root.GetProperty("purchases")[0].GetProperty("purchase").GetProperty("receiptId").GetString());
        }

        // Deleting asks first; cancelling keeps the account.
        await page.GetByRole(AriaRole.Button, new() { Name = delete }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = language.StartsWith("de") ? "Abbrechen" : "Cancel" }).ClickAsync();
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        Assert.Equal(member.Name, await NameAsync(member.Id));

        await page.GetByRole(AriaRole.Button, new() { Name = delete }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = delete }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/portal/signin", StringComparison.Ordinal));
        await Assertions.Expect(page.Locator("#account-deleted")).ToBeVisibleAsync();
        Assert.Equal("Erased member", await NameAsync(member.Id));

        // The old password and card are gone with the account.
        await page.Locator("#email").FillAsync(member.Email);
        await page.Locator("#password").FillAsync(WebServer.Password);
        await page.Locator("#password").PressAsync("Enter");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Assert.Contains("/portal/signin", page.Url);
        var card = await server.Pos.GetAsync($"/api/v1/cards/{member.CardNumber}");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, card.StatusCode);
    }

    private async Task<string> NameAsync(Guid member)
    {
        var res = await server.AdminApi.GetAsync($"/api/v1/members/{member}");
        using var json = JsonDocument.Parse(await res.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("name").GetString()!;
    }
}
