using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>
/// The member's coupons and stamp cards in the portal, on a phone-sized screen, in English and German: a personal coupon
/// with its code and what it gives, a coffee card drawn as ten circles with three filled and a text saying so, and no
/// serious accessibility violation on either page.
/// </summary>
public sealed class PortalPromotionTests(WebServer server)
{
    public static TheoryData<string> Languages => new() { "en-GB", "de-DE" };

    private const string CoffeeSku = "portal-espresso";

    // A campaign's positional fields are required, an open end (validToUtc) too: it is sent as null.
    private static readonly JsonSerializerOptions WithNulls = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
    };

    private async Task CampaignAsync(object campaign)
    {
        var res = await server.AdminApi.PostAsJsonAsync("/api/v1/campaigns", new { campaign, code = (string?)null }, WithNulls);
        // Both languages' runs set up the same campaigns; the second finds them.
        if (res.StatusCode != HttpStatusCode.Conflict && !res.IsSuccessStatusCode)
            throw new InvalidOperationException("Campaign failed: " + await res.Content.ReadAsStringAsync());
    }

    /// <summary>A new member of the test programme with a personal 5 EUR coupon and three stamps on the coffee card.</summary>
    private async Task<(TestMember Member, string Code)> MemberWithPromotionsAsync()
    {
        var from = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        await CampaignAsync(new
        {
            id = "portal-thanks", name = "Thank you", validFromUtc = from, validToUtc = (DateTime?)new DateTime(2036, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            offer = new { kind = "amount_off_basket", amount = 5m }, codes = "personal", limits = new { usesPerCode = 1 },
        });
        await CampaignAsync(new
        {
            id = "portal-free-espresso", name = "An espresso on us", validFromUtc = from, validToUtc = (DateTime?)null,
            offer = new { kind = "free_item", sku = CoffeeSku, quantity = 1 }, codes = "personal", limits = new { usesPerCode = 1 },
        });
        var card = await server.AdminApi.PutAsJsonAsync("/api/v1/stamp-cards/portal-coffee", new
        {
            id = "portal-coffee", name = "Espresso card", stampsPerCard = 10, basis = "perUnit",
            reward = new { kind = "freeItemNextPurchase", campaignId = "portal-free-espresso", sku = CoffeeSku }, conditions = new { skus = new[] { CoffeeSku } },
        });
        Assert.True(card.IsSuccessStatusCode, await card.Content.ReadAsStringAsync());

        var suffix = Guid.NewGuid().ToString("N")[..8];
        var member = await server.AddMemberAsync(server.ProgrammeId, "Paula Promo", $"paula.{suffix}@example.org");
        var personal = await server.AdminApi.PostAsJsonAsync("/api/v1/campaigns/portal-thanks/personal-codes", new { memberId = member.Id });
        Assert.True(personal.IsSuccessStatusCode, await personal.Content.ReadAsStringAsync());
        var code = (await personal.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString()!;
        await server.PurchaseAsync(member.CardNumber, "espresso-" + suffix, "tea-house", CoffeeSku, "coffee", 3, 2.50m);
        return (member, code);
    }

    /// <summary>Signs the member in on a phone-sized page in <paramref name="language"/>.</summary>
    private async Task<IPage> SignInAsync(TestMember member, string language)
    {
        var page = await server.NewPageAsync(language, width: 390, height: 844);
        // The sign-in button's name is in the page's language: Enter signs in either way.
        await page.GotoAsync("/portal/signin");
        await page.Locator("#email").FillAsync(member.Email);
        await page.Locator("#password").FillAsync(WebServer.Password);
        await page.Locator("#password").PressAsync("Enter");
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        await page.WaitForReadyAsync();
        if (language.StartsWith("de", StringComparison.Ordinal))
        {
            // Signing in takes the member's own language (English); the language switch changes it.
            await page.Locator("nav.language a[data-lang='de']").ClickAsync();
            await page.WaitForFunctionAsync("() => document.documentElement.lang === 'de'");
            await page.WaitForReadyAsync();
        }
        return page;
    }

    [Fact]
    public async Task The_history_says_in_German_that_a_stamp_card_was_full_and_that_its_points_were_taken_back()
    {
        const string sku = "portal-tea";
        var card = await server.AdminApi.PutAsJsonAsync("/api/v1/stamp-cards/portal-tea-points", new
        {
            id = "portal-tea-points", name = "Tea points card", stampsPerCard = 2, basis = "perUnit", onReturn = "clawBack",
            reward = new { kind = "points", points = 30 }, conditions = new { skus = new[] { sku } },
        });
        Assert.True(card.IsSuccessStatusCode, await card.Content.ReadAsStringAsync());
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var member = await server.AddMemberAsync(server.ProgrammeId, "Theo Tea", $"theo.{suffix}@example.org");
        // Two teas fill the card; one of them comes back, so the card is no longer full and its points go.
        var purchase = await server.PurchaseAsync(member.CardNumber, "tea-" + suffix, "tea-house", sku, "tea", 2, 3.00m);
        var returned = await server.Pos.PostAsJsonAsync($"/api/v1/purchases/{purchase.GetProperty("id").GetString()}/returns",
            new { returnId = "back-" + suffix, lines = new[] { new { lineNo = 1, quantity = 1m } } });
        Assert.True(returned.IsSuccessStatusCode, await returned.Content.ReadAsStringAsync());

        var page = await SignInAsync(member, "de-DE");
        await page.GotoAsync("/portal/history");
        await page.WaitForReadyAsync();
        var history = page.Locator("#history");
        await Assertions.Expect(history).ToContainTextAsync("Tea points card: Karte 1 voll: +30");
        await Assertions.Expect(history).ToContainTextAsync("Tea points card: Karte 1 zurückgenommen");
        await Assertions.Expect(history).Not.ToContainTextAsync("card 1");
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task A_member_sees_a_personal_coupon_and_a_stamp_card_with_three_of_ten_stamps(string language)
    {
        var german = language.StartsWith("de", StringComparison.Ordinal);
        var (member, code) = await MemberWithPromotionsAsync();
        var page = await SignInAsync(member, language);
        var failures = new List<string>();

        await page.GetByRole(AriaRole.Link, new() { Name = german ? "Gutscheine" : "Coupons", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/portal/coupons");
        var coupon = page.Locator($"[data-coupon='{code}']");
        await Assertions.Expect(coupon).ToBeVisibleAsync();
        await Assertions.Expect(coupon).ToContainTextAsync(german ? "5,00 € Rabatt auf Ihren Einkauf" : "€5.00 off your purchase");
        await Assertions.Expect(coupon).ToContainTextAsync(german ? "Noch nicht verwendet" : "Not used yet");
        // Valid until 1 January 2036, 00:00 UTC: 01:00 in the programme's zone (Europe/Berlin).
        await Assertions.Expect(coupon).ToContainTextAsync(german ? "01.01.2036 01:00" : "1/1/2036 1:00 AM");
        await Assertions.Expect(coupon.GetByRole(AriaRole.Button, new() { Name = german ? $"Code {code} kopieren" : $"Copy the code {code}" })).ToBeVisibleAsync();
        try { await page.AssertAccessibleAsync(); }
        catch (Xunit.Sdk.XunitException e) { failures.Add(e.Message); }

        await page.GetByRole(AriaRole.Link, new() { Name = german ? "Stempel" : "Stamps", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/portal/stamps");
        var card = page.Locator("[data-stamp-card='portal-coffee']");
        await Assertions.Expect(card).ToBeVisibleAsync();
        var words = german ? "3 von 10 Stempeln" : "3 of 10 stamps";
        // The drawing is one image named by the sentence; its circles are hidden from assistive technology.
        await Assertions.Expect(card.GetByRole(AriaRole.Img, new() { Name = words })).ToBeVisibleAsync();
        Assert.Equal(10, await card.Locator(".stamp").CountAsync());
        Assert.Equal(3, await card.Locator(".stamp-filled").CountAsync());
        await Assertions.Expect(card.Locator(".stamp-count")).ToHaveTextAsync(words);
        await Assertions.Expect(card).ToContainTextAsync(german ? $"Eine volle Karte bringt {CoffeeSku} gratis beim nächsten Einkauf." : $"A full card gives {CoffeeSku} free at your next purchase.");
        try { await page.AssertAccessibleAsync(); }
        catch (Xunit.Sdk.XunitException e) { failures.Add(e.Message); }

        // Nothing is wider than the phone.
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page should fit a phone's width");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }
}
