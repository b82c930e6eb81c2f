using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Treue.Domain.Promotions;
using Treue.Server.Web.Shared;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>
/// The console's promotion pages as a marketer uses them: a campaign made in the reader's language and read back through
/// the API, its live basket preview, codes generated and downloaded, a campaign ended after confirming, a member's stamp
/// card and the dashboard's discount cost.
/// </summary>
public sealed class PromotionConsoleTests(WebServer server)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>A campaign with a code through the API, valid from yesterday, open-ended.</summary>
    private async Task CreateAsync(string id, string name, object offer, string codes, string? code = null)
    {
        var response = await server.AdminApi.PostAsJsonAsync("/api/v1/campaigns", new
        {
            campaign = new { id, name, validFromUtc = DateTime.UtcNow.Date.AddDays(-1), validToUtc = (DateTime?)null, offer, codes },
            code,
        }, new JsonSerializerOptions(Json) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private async Task<JsonElement> CampaignAsync(string id) => await server.AdminApi.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");

    private async Task<Guid> EnrolAsync(string name)
    {
        var enrolled = await server.AdminApi.PostAsJsonAsync("/api/v1/members", new { name, email = $"{Guid.NewGuid():N}@example.org" });
        enrolled.EnsureSuccessStatusCode();
        return (await enrolled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private async Task BuyAsync(Guid member, string sku, decimal quantity, decimal price, params string[] codes)
    {
        var response = await server.Pos.PostAsJsonAsync("/api/v1/purchases", new
        {
            receiptId = "promo-" + Guid.NewGuid().ToString("N"), partner = "tea-house", currency = "EUR", memberId = member, total = quantity * price,
            lines = new[] { new { sku, category = "drinks", quantity, unitPrice = price } }, codes,
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("de-DE", "12,5", "22:00", "02:00")]
    [InlineData("en-GB", "12.5", "10:00 PM", "2:00 AM")]
    public async Task A_percent_off_campaign_with_a_generic_code_is_made_in_the_readers_format_previewed_and_read_back_through_the_api(
        string language, string percent, string fromTime, string toTime)
    {
        var id = "web-percent-" + language[..2];
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/campaigns/new");
        await page.Locator("#campaign-id").FillAsync(id);
        await page.Locator("#campaign-name").FillAsync("Twelve and a half " + language);
        await page.Locator("#campaign-code").FillAsync("WEB125" + language[..2].ToUpperInvariant());
        await page.Locator("#campaign-percent").FillAsync(percent);
        await page.Locator("#campaign-percent").BlurAsync();

        // The preview's sample basket, 2 × 20.00, priced with the draft: 12.5 % off is 5.00.
        var total = Cultures.In(language, () => Loc.Money(35m, "EUR"));
        await Assertions.Expect(page.Locator("#preview-total")).ToHaveTextAsync(total);
        await Assertions.Expect(page.Locator("#preview-discount")).ToHaveTextAsync(Cultures.In(language, () => Loc.Money(5m, "EUR")));
        await Assertions.Expect(page.Locator("#preview-steps li")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#preview-lines tr[data-line='1']")).ToContainTextAsync(total);

        // A night-time window, written as the reader's language writes times.
        await ListPagingTests.FillDayAsync(page, "campaign-from-time", fromTime);
        await ListPagingTests.FillDayAsync(page, "campaign-to-time", toTime);
        await Assertions.Expect(page.Locator("#campaign-from-time")).ToHaveValueAsync(fromTime);
        await page.Locator("#campaign-save").ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/admin/campaigns/" + id, StringComparison.Ordinal));
        await page.WaitForReadyAsync();

        var stored = await CampaignAsync(id);
        var campaign = stored.GetProperty("campaign");
        Assert.Equal("percent_off_basket", campaign.GetProperty("offer").GetProperty("kind").GetString());
        Assert.Equal(12.5m, campaign.GetProperty("offer").GetProperty("percent").GetDecimal());
        Assert.Equal("generic", campaign.GetProperty("codes").GetString());
        Assert.Equal("22:00:00", campaign.GetProperty("conditions").GetProperty("fromTime").GetString());
        Assert.Equal("02:00:00", campaign.GetProperty("conditions").GetProperty("toTime").GetString());
        Assert.True(stored.GetProperty("active").GetBoolean());
        // The first day is today where the programme is: the campaign starts at midnight in Berlin.
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var from = campaign.GetProperty("validFromUtc").GetDateTime().ToUniversalTime();
        Assert.Equal(TimeSpan.Zero, TimeZoneInfo.ConvertTimeFromUtc(from, berlin).TimeOfDay);
        Assert.Equal(ProgrammeTime.Today(DateTime.UtcNow, berlin), DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(from, berlin)));
        await Assertions.Expect(page.Locator("#campaign-generic-code")).ToHaveTextAsync("WEB125" + language[..2].ToUpperInvariant());

        // The list shows it with its benefit in words.
        await page.OpenAsync("/admin/campaigns");
        await Assertions.Expect(page.Locator($"tr[data-campaign='{id}']")).ToContainTextAsync(percent + " %");
    }

    [Fact]
    public async Task A_campaign_the_api_would_refuse_shows_the_error_at_the_field_in_German()
    {
        var page = await server.NewPageAsync("de-DE");
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/campaigns/new");
        await page.Locator("#campaign-id").FillAsync("web-too-much");
        await page.Locator("#campaign-name").FillAsync("Zu viel");
        await page.Locator("#campaign-code").FillAsync("TOOMUCH");
        await page.Locator("#campaign-percent").FillAsync("150");
        await page.Locator("#campaign-percent").BlurAsync();
        await page.Locator("#campaign-save").ClickAsync();
        await Assertions.Expect(page.Locator("#campaign-errors")).ToContainTextAsync("Rabatt in Prozent: Muss zwischen 0 und 100 liegen.");
        await Assertions.Expect(page.Locator(".mud-input-control:has(#campaign-percent) .mud-input-helper-text.mud-input-error")).ToContainTextAsync("Muss zwischen 0 und 100 liegen.");
        Assert.Equal(HttpStatusCode.NotFound, (await server.AdminApi.GetAsync("/api/v1/campaigns/web-too-much")).StatusCode);
    }

    [Fact]
    public async Task A_campaign_for_weekends_baskets_with_tea_and_gold_members_is_saved_and_read_back_through_the_api()
    {
        var page = await server.NewPageAsync("de-DE");
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/campaigns/new");
        await page.Locator("#campaign-id").FillAsync("web-weekend");
        await page.Locator("#campaign-name").FillAsync("Wochenende für Gold");
        await page.Locator("#campaign-code").FillAsync("WEEKENDGOLD");
        await page.Locator("#campaign-percent").FillAsync("10");
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Samstag", Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Sonntag", Exact = true }).CheckAsync();
        await page.Locator("#campaign-basket-skus").FillAsync("green-tea, black-tea");
        await page.Locator("#campaign-basket-categories").FillAsync("tea");
        // A code with a space is refused at its field, in German, and nothing is stored.
        await page.Locator("#campaign-memberships").FillAsync("gold, tea club");
        await page.Locator("#campaign-memberships").BlurAsync();
        await page.Locator("#campaign-save").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-input-control:has(#campaign-memberships) .mud-input-helper-text.mud-input-error"))
            .ToContainTextAsync("Darf nur Buchstaben, Ziffern, '-' und '_' enthalten.");
        Assert.Equal(HttpStatusCode.NotFound, (await server.AdminApi.GetAsync("/api/v1/campaigns/web-weekend")).StatusCode);

        await page.Locator("#campaign-memberships").FillAsync("gold, tea-club");
        await page.Locator("#campaign-memberships").BlurAsync();
        await page.Locator("#campaign-save").ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/admin/campaigns/web-weekend", StringComparison.Ordinal));
        await page.WaitForReadyAsync();

        var conditions = (await CampaignAsync("web-weekend")).GetProperty("campaign").GetProperty("conditions");
        var purchase = conditions.GetProperty("purchase");
        Assert.Equal(["saturday", "sunday"], purchase.GetProperty("weekdays").EnumerateArray().Select(d => d.GetString()!.ToLowerInvariant()));
        Assert.Equal(["green-tea", "black-tea"], purchase.GetProperty("skus").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(["tea"], purchase.GetProperty("categories").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(["gold", "tea-club"], conditions.GetProperty("memberships").EnumerateArray().Select(d => d.GetString()));

        // Opened again, the editor shows what is stored.
        await page.OpenAsync("/admin/campaigns/web-weekend");
        await Assertions.Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "Samstag", Exact = true })).ToBeCheckedAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "Montag", Exact = true })).Not.ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("#campaign-memberships")).ToHaveValueAsync("gold, tea-club");
    }

    [Fact]
    public async Task The_preview_prices_the_basket_with_the_programmes_automatic_campaigns_as_the_till_would()
    {
        await CreateAsync("web-auto-half", "Half-price cake", new { kind = "percent_off_lines", lines = new { skus = new[] { "web-auto-cake" } }, percent = 50m }, "automatic");
        var page = await server.NewPageAsync("en-GB");
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/campaigns/new");
        await page.Locator("#campaign-id").FillAsync("web-with-auto");
        await page.Locator("#campaign-name").FillAsync("Ten off with cake");
        await page.Locator("#campaign-code").FillAsync("WEBAUTO10");
        await page.Locator("#campaign-percent").FillAsync("10");
        await page.Locator("#campaign-percent").BlurAsync();
        // The sample basket (2 × 20.00) holds no cake: the draft alone takes 10 % off.
        await Assertions.Expect(page.Locator("#preview-total")).ToHaveTextAsync("€36.00");
        await Assertions.Expect(page.Locator("#preview-steps li")).ToHaveCountAsync(1);

        // Cake is half price on the shelf first (line discounts before basket discounts), then the code takes 10 % of the rest.
        await page.Locator("#preview-sku-1").FillAsync("web-auto-cake");
        await page.Locator("#preview-sku-1").BlurAsync();
        await Assertions.Expect(page.Locator("#preview-total")).ToHaveTextAsync("€18.00");
        await Assertions.Expect(page.Locator("#preview-steps li")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#preview-steps li").First).ToContainTextAsync("Half-price cake");

        // The till agrees.
        var quote = await server.Pos.PostAsJsonAsync("/api/v1/purchases/quote", new
        {
            partner = "tea-house", currency = "EUR", total = 40m, codes = new[] { "WEBAUTO10" },
            lines = new[] { new { sku = "web-auto-cake", category = "general", quantity = 2m, unitPrice = 20m } },
        });
        // The campaign is not saved yet, so the till knows only the automatic one.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, quote.StatusCode);
        await page.Locator("#campaign-save").ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/admin/campaigns/web-with-auto", StringComparison.Ordinal));
        quote = await server.Pos.PostAsJsonAsync("/api/v1/purchases/quote", new
        {
            partner = "tea-house", currency = "EUR", total = 40m, codes = new[] { "WEBAUTO10" },
            lines = new[] { new { sku = "web-auto-cake", category = "general", quantity = 2m, unitPrice = 20m } },
        });
        Assert.True(quote.IsSuccessStatusCode, await quote.Content.ReadAsStringAsync());
        Assert.Equal(18m, (await quote.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("total").GetDecimal());
    }

    [Fact]
    public async Task Five_unique_codes_are_generated_and_downloaded_as_the_apis_csv()
    {
        await CreateAsync("web-batch", "Printed vouchers", new { kind = "amount_off_basket", amount = 5m }, "uniqueBatch");
        var page = await server.NewPageAsync("en-GB");
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/campaigns/web-batch");
        await page.Locator("#codes-count").FillAsync("5");
        await page.Locator("#codes-pattern").FillAsync("WEB-#####-#####");
        await page.Locator("#codes-generate").ClickAsync();
        await Assertions.Expect(page.Locator("#codes-message")).ToHaveTextAsync("5 codes generated.");
        await Assertions.Expect(page.Locator("#codes-generated li")).ToHaveCountAsync(5);
        // A campaign's page with its use, codes and preview passes axe-core too.
        await page.AssertAccessibleAsync();

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#codes-download").ClickAsync());
        Assert.Equal("web-batch-codes.csv", download.SuggestedFilename);
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        var rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("code,campaign,member,uses", rows[0]);
        var codes = rows.Skip(1).Select(r => r.Split(',')[0]).ToList();
        Assert.Equal(5, codes.Count);
        Assert.Equal(5, codes.Distinct().Count());
        Assert.All(codes, c => Assert.True(CouponCodes.IsValid("WEB-#####-#####", c), c));
        Assert.All(rows.Skip(1), r => Assert.EndsWith(",web-batch,,0", r));
        // The same export as the API's.
        Assert.Equal(await server.AdminApi.GetStringAsync("/api/v1/campaigns/web-batch/codes.csv"), csv);
    }

    [Fact]
    public async Task Personal_codes_are_made_for_members_found_by_card_number_member_id_or_e_mail_and_a_stranger_is_named_at_the_field()
    {
        await CreateAsync("web-personal", "Thank you, personally", new { kind = "amount_off_basket", amount = 3m }, "personal");
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var member = await server.AddMemberAsync(server.ProgrammeId, "Petra Personal", $"petra.{suffix}@example.org");
        var page = await server.NewPageAsync("de-DE");
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/campaigns/web-personal");

        async Task<string> CreateForAsync(string given)
        {
            await page.Locator("#codes-member").FillAsync(given);
            await page.Locator("#codes-personal").ClickAsync();
            var message = page.Locator("#codes-message");
            await Assertions.Expect(message).ToContainTextAsync(given);
            return (await message.TextContentAsync())!;
        }
        var messages = new[] { await CreateForAsync(member.CardNumber), await CreateForAsync(member.Id.ToString()), await CreateForAsync(member.Email.ToUpperInvariant()) };

        // The three codes the messages name are the member's, as the API lists them.
        var coupons = await server.AdminApi.GetFromJsonAsync<JsonElement>($"/api/v1/members/{member.Id}/coupons");
        var codes = coupons.EnumerateArray().Where(c => c.GetProperty("campaignId").GetString() == "web-personal").Select(c => c.GetProperty("code").GetString()!).ToList();
        Assert.Equal(3, codes.Count);
        Assert.All(codes, c => Assert.Contains(messages, m => m.Contains(c, StringComparison.Ordinal)));

        // A card number nobody has: the error stands at the field, in German.
        await page.Locator("#codes-member").FillAsync("0000000000000");
        await page.Locator("#codes-personal").ClickAsync();
        var error = page.Locator("#codes-errors");
        await Assertions.Expect(error).ToContainTextAsync("Kein Mitglied dieses Programms hat diese E-Mail-Adresse, Kartennummer oder Mitglieds-ID.");
        await Assertions.Expect(page.Locator("#codes-member")).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Equal(3, (await server.AdminApi.GetFromJsonAsync<JsonElement>($"/api/v1/members/{member.Id}/coupons")).GetArrayLength());
    }

    [Theory]
    [InlineData("en-GB", "Cancel", "End campaign", "Ended")]
    [InlineData("de-DE", "Abbrechen", "Kampagne beenden", "Beendet")]
    public async Task A_campaign_ends_only_after_confirming(string language, string dismiss, string confirm, string ended)
    {
        var id = "web-end-" + language[..2];
        await CreateAsync(id, "Ending soon " + language, new { kind = "percent_off_basket", percent = 5m }, "generic", "WEBEND" + language[..2].ToUpperInvariant());
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync($"/admin/campaigns/{id}");

        await page.Locator("#campaign-end").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToContainTextAsync("Ending soon " + language);
        await dialog.GetByRole(AriaRole.Button, new() { Name = dismiss, Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        Assert.True((await CampaignAsync(id)).GetProperty("active").GetBoolean());

        await page.Locator("#campaign-end").ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = confirm, Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#campaign-status")).ToHaveTextAsync(ended);
        await Assertions.Expect(page.Locator("#campaign-end")).ToHaveCountAsync(0);
        var stored = await CampaignAsync(id);
        Assert.False(stored.GetProperty("active").GetBoolean());
        Assert.True(stored.GetProperty("campaign").GetProperty("validToUtc").GetDateTime().ToUniversalTime() <= DateTime.UtcNow);
    }

    [Theory]
    [InlineData("en-GB", "3 of 10 stamps")]
    [InlineData("de-DE", "3 von 10 Stempeln")]
    public async Task The_member_page_shows_a_stamp_card_with_its_stamps(string language, string label)
    {
        var put = await server.AdminApi.PutAsJsonAsync("/api/v1/stamp-cards/web-espresso", new
        {
            id = "web-espresso", name = "Espresso card", stampsPerCard = 10, basis = "perUnit", reward = new { kind = "points", points = 100 },
            conditions = new { skus = new[] { "web-espresso" } },
        });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var member = await EnrolAsync("Stamp Collector " + language);
        await BuyAsync(member, "web-espresso", 3, 2.50m);

        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync($"/admin/members/{member}");
        var card = page.Locator("#member-stamp-cards [data-card='web-espresso']");
        await Assertions.Expect(card.Locator("[role='img']")).ToHaveAttributeAsync("aria-label", label);
        await Assertions.Expect(card.Locator(".stamp")).ToHaveCountAsync(10);
        await Assertions.Expect(card.Locator(".stamp-filled")).ToHaveCountAsync(3);
        await Assertions.Expect(card).ToContainTextAsync("Espresso card");

        // The stamp card list and editor show it too.
        await page.OpenAsync("/admin/stamp-cards");
        await Assertions.Expect(page.Locator("tr[data-card='web-espresso']")).ToContainTextAsync("Espresso card");
    }

    [Fact]
    public async Task The_dashboard_shows_the_discount_a_coupon_gave()
    {
        await CreateAsync("web-dashboard", "Dashboard coupon", new { kind = "amount_off_basket", amount = 3.21m }, "generic", "WEBDASH321");
        var member = await EnrolAsync("Coupon User");
        await BuyAsync(member, "green-tea", 2, 10m, "WEBDASH321");
        Assert.Equal(1, (await CampaignAsync("web-dashboard")).GetProperty("usage").GetProperty("uses").GetInt64());

        var page = await server.NewPageAsync("de-DE");
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin");
        // Only this test redeems coupons in the web tests' programme: the period's cost is this one discount.
        await Assertions.Expect(page.Locator("#kpi-redemptions")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#kpi-discount")).ToHaveTextAsync(Cultures.In("de-DE", () => Loc.Money(3.21m, "EUR")));
        var today = ProgrammeTime.Today(DateTime.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        var month = Cultures.In("de-DE", () => Loc.Month(new DateOnly(today.Year, today.Month, 1)));
        await Assertions.Expect(page.Locator("#coupon-months tr", new() { HasText = month })).ToContainTextAsync(Cultures.In("de-DE", () => Loc.Money(3.21m, "EUR")));

        // The campaign's page shows the use and what is left.
        await page.OpenAsync("/admin/campaigns/web-dashboard");
        await Assertions.Expect(page.Locator("#campaign-uses")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#campaign-spent")).ToHaveTextAsync(Cultures.In("de-DE", () => Loc.Money(3.21m, "EUR")));
    }
}
