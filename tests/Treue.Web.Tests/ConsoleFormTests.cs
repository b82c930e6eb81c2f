using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>The console's forms as a person uses them: numbers in the language's format, errors at the field.</summary>
public sealed class ConsoleFormTests(WebServer server)
{
    private async Task<JsonElement> ProgrammeAsync()
    {
        var json = await server.AdminApi.GetFromJsonAsync<JsonElement>("/api/v1/programme");
        return json;
    }

    private async Task<JsonElement?> RewardAsync(string code)
    {
        foreach (var r in (await ProgrammeAsync()).GetProperty("rewards").EnumerateArray())
            if (r.GetProperty("code").GetString() == code) return r;
        return null;
    }

    /// <summary>The error text MudBlazor shows under the input <paramref name="id"/>.</summary>
    private static ILocator FieldError(IPage page, string id) => page.Locator($".mud-input-control:has(#{id}) .mud-input-helper-text.mud-input-error");

    [Fact]
    public async Task In_German_a_co_payment_and_the_point_value_are_read_with_a_decimal_comma()
    {
        var page = await server.NewPageAsync("de-DE");
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);

        await page.OpenAsync("/admin/programme/rewards/new");
        await page.Locator("#reward-code").FillAsync("knife-set");
        await page.Locator("#reward-name").FillAsync("Messerset");
        await page.Locator("#reward-points").FillAsync("1500");
        // More decimals than the euro has are refused at the field, not rounded.
        await page.Locator("#reward-copayment").FillAsync("9,999");
        await page.Locator("#reward-copayment").BlurAsync();
        await Assertions.Expect(FieldError(page, "reward-copayment")).ToContainTextAsync("höchstens 2 Nachkommastellen");
        await page.Locator("#reward-copayment").FillAsync("9,99");
        await page.Locator("#reward-copayment").BlurAsync();
        await Assertions.Expect(page.Locator("#reward-copayment")).ToHaveValueAsync("9,99");
        await page.Locator("#reward-save").ClickAsync();
        await page.ExpectArrivalAsync("/admin/programme", "reward-errors");
        var reward = await RewardAsync("knife-set");
        Assert.NotNull(reward);
        Assert.Equal(9.99m, reward.Value.GetProperty("coPayment").GetDecimal());
        Assert.Equal(1500, reward.Value.GetProperty("points").GetInt64());

        await page.OpenAsync("/admin/programme/rewards/knife-set");
        await Assertions.Expect(page.Locator("#reward-copayment")).ToHaveValueAsync("9,99");

        await page.OpenAsync("/admin/programme");
        await Assertions.Expect(page.Locator("#set-point-value")).ToHaveValueAsync("0,01");
        try
        {
            await page.Locator("#set-point-value").FillAsync("0,02");
            await page.Locator("#set-point-value").BlurAsync();
            await page.Locator("#settings-save").ClickAsync();
            await Assertions.Expect(page.Locator("#settings-saved")).ToBeVisibleAsync();
            Assert.Equal(0.02m, (await ProgrammeAsync()).GetProperty("pointValue").GetDecimal());
            await Assertions.Expect(page.Locator("#set-point-value")).ToHaveValueAsync("0,02");
        }
        finally
        {
            // Other tests count on a point worth one cent.
            var doc = await ProgrammeAsync();
            var node = System.Text.Json.Nodes.JsonNode.Parse(doc.GetRawText())!;
            node["pointValue"] = 0.01m;
            node["rewards"] = new System.Text.Json.Nodes.JsonArray(node["rewards"]!.AsArray().Where(r => r!["code"]!.GetValue<string>() != "knife-set")
                .Select(r => r!.DeepClone()).ToArray());
            (await server.AdminApi.PutAsJsonAsync("/api/v1/programme", node)).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task In_German_the_quote_preview_reads_a_unit_price_with_a_decimal_comma()
    {
        var page = await server.NewPageAsync("de-DE");
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/programme/rules/new");
        await Assertions.Expect(page.Locator("#quote-price-1")).ToHaveValueAsync("20");
        // 2 × 3,49 € = 6,98 €: 6 base points at one point per euro, rounded down (not 698).
        await page.Locator("#quote-qty-1").FillAsync("2");
        await page.Locator("#quote-price-1").FillAsync("3,49");
        await page.Locator("#quote-price-1").BlurAsync();
        await Assertions.Expect(page.Locator("#quote-total")).ToHaveTextAsync("6");
        await Assertions.Expect(page.Locator("#quote-price-1")).ToHaveValueAsync("3,49");
        await page.Locator("#quote-qty-1").FillAsync("1,5");
        await page.Locator("#quote-qty-1").BlurAsync();
        await Assertions.Expect(page.Locator("#quote-total")).ToHaveTextAsync("5");

        // A price with more decimals than the euro has is marked at the field and not quoted.
        await page.Locator("#quote-price-1").FillAsync("3,499");
        await page.Locator("#quote-price-1").BlurAsync();
        await Assertions.Expect(FieldError(page, "quote-price-1")).ToContainTextAsync("höchstens 2 Nachkommastellen");
        Assert.Equal(0, await page.Locator("#quote-total").CountAsync());
    }

    [Fact]
    public async Task In_English_numbers_keep_the_decimal_point()
    {
        var page = await server.NewPageAsync();
        await page.StaffSignInAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/programme");
        await Assertions.Expect(page.Locator("#set-point-value")).ToHaveValueAsync("0.01");
        await page.OpenAsync("/admin/programme/rules/new");
        await page.Locator("#quote-price-1").FillAsync("3.49");
        await page.Locator("#quote-qty-1").FillAsync("2");
        await page.Locator("#quote-qty-1").BlurAsync();
        await Assertions.Expect(page.Locator("#quote-total")).ToHaveTextAsync("6");
    }

    [Theory]
    [InlineData("en-GB", "Code: Must be lower-case letters", "Must be lower-case letters")]
    [InlineData("de-DE", "Code: Darf nur Kleinbuchstaben", "Darf nur Kleinbuchstaben")]
    public async Task An_upper_case_rule_code_is_named_at_the_field_and_next_to_the_button_and_not_quoted(string language, string summary, string atField)
    {
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/programme/rules/new");
        await page.Locator("#rule-code").FillAsync("Triple");
        await page.Locator("#rule-name").FillAsync("Triple points");
        await page.Locator("#rule-effect-value").FillAsync("3");
        await page.Locator("#rule-effect-value").BlurAsync();
        // The preview quotes only what could be saved.
        await Assertions.Expect(page.Locator("#quote-problems")).ToContainTextAsync(summary);
        Assert.Equal(0, await page.Locator("#quote-total").CountAsync());

        await page.Locator("#rule-save").ClickAsync();
        await Assertions.Expect(page.Locator("#rule-errors")).ToContainTextAsync(summary);
        await Assertions.Expect(page.Locator("#rule-errors")).ToBeInViewportAsync();
        await Assertions.Expect(FieldError(page, "rule-code")).ToContainTextAsync(atField);
        Assert.DoesNotContain("rules[", await page.Locator("#rule-errors").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("/rules/new", page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain((await ProgrammeAsync()).GetProperty("rules").EnumerateArray(), r => r.GetProperty("code").GetString() == "Triple");
    }

    [Theory]
    [InlineData("de-DE", "24.12.2099", "31.12.2099")]
    [InlineData("en-US", "12/24/2099", "12/31/2099")]
    public async Task A_rule_s_days_are_typed_and_shown_in_the_page_s_language(string language, string from, string to)
    {
        var code = "days-" + language[..2];
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/programme/rules/new");
        await page.Locator("#rule-code").FillAsync(code);
        await page.Locator("#rule-name").FillAsync("Christmas week");
        await page.Locator("#rule-effect-value").FillAsync("2");
        await ListPagingTests.FillDayAsync(page, "rule-from", from);
        await ListPagingTests.FillDayAsync(page, "rule-to", to);
        await page.Locator("#rule-save").ClickAsync();
        await page.ExpectArrivalAsync("/admin/programme", "rule-errors");

        var rule = (await ProgrammeAsync()).GetProperty("rules").EnumerateArray().Single(r => r.GetProperty("code").GetString() == code);
        Assert.Equal("2099-12-24", rule.GetProperty("conditions").GetProperty("from").GetString());
        Assert.Equal("2099-12-31", rule.GetProperty("conditions").GetProperty("to").GetString());
        await page.OpenAsync($"/admin/programme/rules/{code}");
        await Assertions.Expect(page.Locator("#rule-from")).ToHaveValueAsync(from);
        await Assertions.Expect(page.Locator("#rule-to")).ToHaveValueAsync(to);
    }

    [Fact]
    public async Task In_German_the_quote_preview_takes_a_day_and_a_time_written_the_German_way()
    {
        var page = await server.NewPageAsync("de-DE");
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/programme/rules/new");
        await page.Locator("#rule-code").FillAsync("christmas-eve");
        await page.Locator("#rule-name").FillAsync("Heiligabend");
        await ListPagingTests.FillDayAsync(page, "rule-from", "24.12.2099");
        await ListPagingTests.FillDayAsync(page, "rule-to", "24.12.2099");
        await Assertions.Expect(page.Locator("#quote-rules")).Not.ToContainTextAsync("christmas-eve");

        await ListPagingTests.FillDayAsync(page, "quote-when", "24.12.2099");
        await ListPagingTests.FillDayAsync(page, "quote-when-time", "18:30");
        await Assertions.Expect(page.Locator("#quote-rules")).ToContainTextAsync("christmas-eve");
        await Assertions.Expect(page.Locator("#quote-when-time")).ToHaveValueAsync("18:30");
    }

    [Theory]
    [InlineData("en-GB", "Rule welcome – Value", "rules[")]
    [InlineData("de-DE", "Regel welcome – Wert", "rules[")]
    public async Task The_simulator_names_the_rule_and_the_field_of_an_error(string language, string expected, string developerText)
    {
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/programme/rules/welcome");
        await page.Locator("#rule-effect-value").FillAsync("2000000");
        await page.Locator("#rule-effect-value").BlurAsync();
        await page.Locator("#whatif-run").ClickAsync();
        await Assertions.Expect(page.Locator("#whatif-errors")).ToContainTextAsync(expected);
        Assert.DoesNotContain(developerText, await page.Locator("#whatif-errors").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("en-GB", "Enter an amount of 0 or more.")]
    [InlineData("de-DE", "Geben Sie einen Betrag von 0 oder mehr ein.")]
    public async Task A_negative_co_payment_is_refused_at_the_field_not_made_0(string language, string message)
    {
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/programme/rewards/new");
        var code = "negative-" + language.ToLowerInvariant();
        await page.Locator("#reward-code").FillAsync(code);
        await page.Locator("#reward-name").FillAsync("Negative");
        await page.Locator("#reward-copayment").FillAsync("-5");
        await page.Locator("#reward-copayment").BlurAsync();
        await Assertions.Expect(FieldError(page, "reward-copayment")).ToContainTextAsync(message);
        await Assertions.Expect(page.Locator("#reward-copayment")).ToHaveValueAsync("-5");
        await page.Locator("#reward-save").ClickAsync();
        await Assertions.Expect(page.Locator("#reward-errors")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#reward-errors")).ToBeInViewportAsync();
        Assert.Null(await RewardAsync(code));
    }
}
