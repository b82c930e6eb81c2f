using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>Acts that cannot be undone ask first; every change to a member shows on the member's page with who, when and why.</summary>
public sealed class MemberChangeTests(WebServer server)
{
    private async Task<(Guid Id, string Card)> EnrolAsync(string name)
    {
        var response = await server.AdminApi.PostAsJsonAsync("/api/v1/members", new { name, email = $"{Guid.NewGuid():N}@example.org" });
        response.EnsureSuccessStatusCode();
        var member = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (member.GetProperty("id").GetGuid(), member.GetProperty("cards")[0].GetProperty("number").GetString()!);
    }

    private async Task<JsonElement> MemberAsync(Guid id) => await server.AdminApi.GetFromJsonAsync<JsonElement>($"/api/v1/members/{id}");

    private static string CardStatus(JsonElement member, string number) =>
        member.GetProperty("cards").EnumerateArray().Single(c => c.GetProperty("number").GetString() == number).GetProperty("status").GetString()!;

    [Theory]
    [InlineData("en-GB", "Cancel", "Block", "Block and replace", "Block card {0}?", "Card {0} blocked", "Card {0} blocked and replaced by")]
    [InlineData("de-DE", "Abbrechen", "Sperren", "Sperren und ersetzen", "Karte {0} sperren?", "Karte {0} gesperrt", "Karte {0} gesperrt und durch")]
    public async Task Blocking_a_card_asks_first_and_the_reason_shows_in_the_history(string language, string cancel, string block, string replace,
        string question, string blocked, string replaced)
    {
        var (id, card) = await EnrolAsync("Card Holder " + language);
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.SupportEmail);
        await page.OpenAsync($"/admin/members/{id}");

        await page.Locator("#block-reason").FillAsync("Lost at the station");
        await page.Locator($"[data-block='{card}']").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToContainTextAsync(string.Format(question, card));
        await Assertions.Expect(dialog).ToContainTextAsync("Lost at the station");
        await dialog.GetByRole(AriaRole.Button, new() { Name = cancel, Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        Assert.Equal("active", CardStatus(await MemberAsync(id), card), ignoreCase: true);

        await page.Locator($"[data-block='{card}']").ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = block, Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator($"[data-card-status='{card}']")).ToContainTextAsync("Lost at the station");
        Assert.Equal("blocked", CardStatus(await MemberAsync(id), card), ignoreCase: true);
        var row = page.Locator("#member-history tr[data-action='card.blocked']");
        await Assertions.Expect(row).ToContainTextAsync(string.Format(blocked, card));
        await Assertions.Expect(row).ToContainTextAsync("Lost at the station");
        await Assertions.Expect(row).ToContainTextAsync(WebServer.SupportEmail);

        await page.Locator("#block-reason").FillAsync("Damaged");
        await page.Locator($"[data-replace='{card}']").ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = replace, Exact = true }).ClickAsync();
        var replacedRow = page.Locator("#member-history tr[data-action='card.replaced']");
        await Assertions.Expect(replacedRow).ToContainTextAsync(string.Format(replaced, card));
        Assert.Equal(2, (await MemberAsync(id)).GetProperty("cards").GetArrayLength());
    }

    [Theory]
    [InlineData("en-GB", "Blocked", "Change status", "Change the status of", "Status changed from Active to Blocked")]
    [InlineData("de-DE", "Gesperrt", "Status ändern", "Status von", "Status von Aktiv auf Gesperrt geändert")]
    public async Task A_status_change_asks_first_and_shows_who_when_and_why(string language, string blockedName, string change, string question, string what)
    {
        var (id, _) = await EnrolAsync("Status Holder " + language);
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.SupportEmail);
        await page.OpenAsync($"/admin/members/{id}");

        await page.Locator(".mud-input-control.mud-select").Filter(new() { Has = page.Locator("#member-new-status") }).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = blockedName, Exact = true }).ClickAsync();
        await page.Locator("#status-reason").FillAsync("Card fraud under investigation");
        await page.Locator("#status-reason").BlurAsync();
        await page.Locator("#status-submit").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToContainTextAsync(question);
        await dialog.GetByRole(AriaRole.Button, new() { Name = change, Exact = true }).ClickAsync();

        await Assertions.Expect(page.Locator("#member-status")).ToHaveTextAsync(blockedName);
        Assert.Equal("blocked", (await MemberAsync(id)).GetProperty("status").GetString(), ignoreCase: true);
        var row = page.Locator("#member-history tr[data-action='member.status_changed']");
        await Assertions.Expect(row).ToContainTextAsync(what);
        await Assertions.Expect(row).ToContainTextAsync("Card fraud under investigation");
        await Assertions.Expect(row).ToContainTextAsync(WebServer.SupportEmail);
        // The time is the programme's (Europe/Berlin), as the page says once below its heading.
        await Assertions.Expect(page.Locator("#zone-note")).ToContainTextAsync("Europe/Berlin");
        var berlin = TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        await Assertions.Expect(row).ToContainTextAsync(berlin.ToString("d", System.Globalization.CultureInfo.GetCultureInfo(language[..2])));
    }

    [Fact]
    public async Task An_adjustment_shows_in_the_history_with_its_reason()
    {
        var (id, _) = await EnrolAsync("Adjusted Holder");
        await server.AdjustAsync(id, 40, "Apology for a broken mug");
        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.SupportEmail);
        await page.OpenAsync($"/admin/members/{id}");
        var row = page.Locator("#member-history tr[data-action='points.adjusted']");
        await Assertions.Expect(row).ToContainTextAsync("Points adjusted by +40");
        await Assertions.Expect(row).ToContainTextAsync("Apology for a broken mug");
        await Assertions.Expect(row).ToContainTextAsync("API key");
    }

    [Theory]
    [InlineData("en-GB", "Status changed from Active to Closed", "API key")]
    [InlineData("de-DE", "Status von Aktiv auf Geschlossen geändert", "API-Schlüssel")]
    public async Task A_status_change_through_the_API_shows_in_the_history_like_one_in_the_console(string language, string what, string byKey)
    {
        var (id, _) = await EnrolAsync("Api Status Holder " + language);
        var refused = await server.AdminApi.PatchAsJsonAsync($"/api/v1/members/{id}", new { status = "closed" });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        (await server.AdminApi.PatchAsJsonAsync($"/api/v1/members/{id}", new { status = "closed", reason = "Asked by phone to leave" })).EnsureSuccessStatusCode();

        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.SupportEmail);
        await page.OpenAsync($"/admin/members/{id}");
        var row = page.Locator("#member-history tr[data-action='member.status_changed']");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync(what);
        await Assertions.Expect(row).ToContainTextAsync("Asked by phone to leave");
        await Assertions.Expect(row).ToContainTextAsync(byKey);
    }

    [Fact]
    public async Task Revoking_an_API_key_asks_first()
    {
        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/api-keys");
        await page.Locator("#key-name").FillAsync("Till to revoke");
        await page.Locator("#key-name").BlurAsync();
        await page.Locator("#key-create").ClickAsync();
        var key = (await page.Locator("#new-api-key").InnerTextAsync()).Trim();
        using var client = server.Client(key);
        var revoke = page.GetByRole(AriaRole.Button, new() { Name = "Revoke key Till to revoke" });

        await revoke.ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToContainTextAsync("Revoke key Till to revoke?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        Assert.True((await client.GetAsync("/api/v1/rewards")).IsSuccessStatusCode);

        await revoke.ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
        await Assertions.Expect(revoke).ToHaveCountAsync(0);
        Assert.False((await client.GetAsync("/api/v1/rewards")).IsSuccessStatusCode);
    }

    [Theory]
    [InlineData("en-GB", "Cancel", "Retire rule", "Retire rule {0}?")]
    [InlineData("de-DE", "Abbrechen", "Regel stilllegen", "Regel {0} stilllegen?")]
    public async Task Retiring_a_rule_asks_first(string language, string cancel, string retire, string question)
    {
        var code = "retire-" + language[..2];
        var doc = System.Text.Json.Nodes.JsonNode.Parse((await server.AdminApi.GetFromJsonAsync<JsonElement>("/api/v1/programme")).GetRawText())!;
        doc["rules"]!.AsArray().Add(System.Text.Json.Nodes.JsonNode.Parse(
            $$$"""{"code":"{{{code}}}","name":"To retire","priority":1,"stacking":"stack","effect":{"kind":"fixedBonus","value":1},"conditions":{"skus":["never-sold"]}}"""));
        (await server.AdminApi.PutAsJsonAsync("/api/v1/programme", doc)).EnsureSuccessStatusCode();
        async Task<bool> Exists() => (await server.AdminApi.GetFromJsonAsync<JsonElement>("/api/v1/programme")).GetProperty("rules").EnumerateArray()
            .Any(r => r.GetProperty("code").GetString() == code);

        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync($"/admin/programme/rules/{code}");
        await page.Locator("#rule-retire").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToContainTextAsync(string.Format(question, code));
        await dialog.GetByRole(AriaRole.Button, new() { Name = cancel, Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        Assert.True(await Exists());

        await page.Locator("#rule-retire").ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = retire, Exact = true }).ClickAsync();
        await page.ExpectArrivalAsync("/admin/programme", "rule-errors");
        Assert.False(await Exists());
    }
}
