using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>A key shown only once has a copy button that puts it on the clipboard and says so.</summary>
public sealed class CopyButtonTests(WebServer server)
{
    [Theory]
    [InlineData("en-GB", "Copy the key", "Copied")]
    [InlineData("de-DE", "Schlüssel kopieren", "Kopiert")]
    public async Task The_copy_button_puts_a_new_API_key_on_the_clipboard_and_announces_it(string language, string button, string copied)
    {
        var page = await server.NewPageAsync(language);
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = server.Address.ToString().TrimEnd('/') });
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/api-keys");
        // Something else on the clipboard first, so that the test sees the key arrive.
        await page.EvaluateAsync("() => navigator.clipboard.writeText('not the key')");
        await page.Locator("#key-name").FillAsync("Till to copy " + language);
        await page.Locator("#key-name").BlurAsync();
        await page.Locator("#key-create").ClickAsync();
        var key = (await page.Locator("#new-api-key").InnerTextAsync()).Trim();
        Assert.True(key.Length > 20, key);

        var copy = page.GetByRole(AriaRole.Button, new() { Name = button, Exact = true });
        await copy.ClickAsync();
        var status = page.Locator("#copy-api-key-status");
        await Assertions.Expect(status).ToHaveTextAsync(copied);
        await Assertions.Expect(status).ToHaveAttributeAsync("aria-live", "polite");
        Assert.Equal(key, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        using var client = server.Client(key);
        Assert.True((await client.GetAsync("/api/v1/rewards")).IsSuccessStatusCode);
    }
}
