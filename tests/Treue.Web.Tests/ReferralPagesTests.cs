using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>
/// Referrals in the console and the portal: staff set the referral programme on its page (a bad value is named at its
/// field, the preview says whom it reaches); a member finds their link on a phone, in English and German; the link opens
/// the sign-up page with the code filled in and enrols the friend with it; the referrer's member page lists the friend.
/// </summary>
public sealed class ReferralPagesTests(WebServer server)
{
    public static TheoryData<string> Languages => new() { "en-GB", "de-DE" };

    /// <summary>Referrals with rewards in points only, so that the other tests' purchases on the shared programme earn as before.</summary>
    private async Task ReferralsAsync()
    {
        var res = await server.AdminApi.PutAsJsonAsync("/api/v1/referrals/settings", new
        {
            enabled = true, codePattern = "FRIEND-#########", qualifyWithinDays = 30, returnWindowDays = 14, minPurchase = 20m,
            maxPerReferrer = 0, limitDays = 365, referrer = new { points = 500 }, newMember = new { points = 200 },
        });
        Assert.True(res.IsSuccessStatusCode, await res.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Staff_set_the_referral_programme_with_a_preview_and_a_bad_value_is_named_at_its_field()
    {
        await ReferralsAsync();
        var page = await server.NewPageAsync();
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/referrals");

        await Assertions.Expect(page.Locator("#referrals-preview-offer")).ToContainTextAsync("Referrer: 500 points. New member: 200 points.");
        await Assertions.Expect(page.Locator("#referrals-preview-reach")).ToContainTextAsync("active members can share a code");

        await page.Locator("#referrals-qualify-days").FillAsync("0");
        await page.Locator("#referrals-qualify-days").BlurAsync();
        await page.Locator("#referrals-save").ClickAsync();
        await Assertions.Expect(page.Locator("#referrals-errors")).ToContainTextAsync("Days after enrolment for the first qualifying purchase");

        await page.Locator("#referrals-qualify-days").FillAsync("45");
        await page.Locator("#referrals-referrer-points").FillAsync("750");
        await page.Locator("#referrals-referrer-points").BlurAsync();
        await Assertions.Expect(page.Locator("#referrals-preview-offer")).ToContainTextAsync("Referrer: 750 points.");
        await page.Locator("#referrals-save").ClickAsync();
        await Assertions.Expect(page.Locator("#referrals-message")).ToContainTextAsync("The referral programme was saved.");
        await page.AssertAccessibleAsync();

        var stored = await server.AdminApi.GetFromJsonAsync<JsonElement>("/api/v1/referrals/settings");
        Assert.Equal(45, stored.GetProperty("terms").GetProperty("qualifyWithinDays").GetInt32());
        Assert.Equal(750, stored.GetProperty("terms").GetProperty("referrer").GetProperty("points").GetInt64());
        await ReferralsAsync();
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task A_member_shares_their_link_on_a_phone_and_a_friend_enrols_with_it(string language)
    {
        await ReferralsAsync();
        var german = language.StartsWith("de", StringComparison.Ordinal);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var referrer = await server.AddMemberAsync(server.ProgrammeId, "Rita Referrer", $"rita.{suffix}@example.org");
        var page = await server.NewPageAsync(language, width: 390, height: 844);
        // Signed in by the fields, not the button's words: the sign-in page is in the browser's language.
        await page.GotoAsync("/portal/signin");
        await page.Locator("#email").FillAsync(referrer.Email);
        await page.Locator("#password").FillAsync(WebServer.Password);
        await page.Locator("#password").PressAsync("Enter");
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        await page.WaitForReadyAsync();
        if (german)
        {
            await page.Locator("nav.language a[data-lang='de']").ClickAsync();
            await page.WaitForFunctionAsync("() => document.documentElement.lang === 'de'");
            await page.WaitForReadyAsync();
        }
        await page.Locator("#invite-friends").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/portal/friends", StringComparison.Ordinal));
        await page.WaitForReadyAsync();

        await Assertions.Expect(page.Locator("#friends-offer")).ToContainTextAsync(german ? "Sie erhalten 500 Punkte" : "you receive 500 points");
        await Assertions.Expect(page.Locator("#friends-none")).ToBeVisibleAsync();
        var link = (await page.Locator("#referral-link").TextContentAsync())!.Trim();
        var code = (await page.Locator("#referral-code").TextContentAsync())!.Trim();
        Assert.EndsWith("/portal/join?code=" + code, link, StringComparison.Ordinal);
        await page.AssertAccessibleAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page should fit a phone's width");

        // The friend opens the link in a browser of their own.
        var friend = await server.NewPageAsync(language, width: 390, height: 844);
        await friend.GotoAsync(link);
        await Assertions.Expect(friend.Locator("#join-invited")).ToBeVisibleAsync();
        await Assertions.Expect(friend.Locator("#join-code")).ToHaveValueAsync(code);
        var email = $"fritz.{suffix}@example.org";
        await friend.Locator("#join-name").FillAsync("Fritz Friend");
        await friend.Locator("#join-email").FillAsync(email);
        await friend.Locator("#join-submit").ClickAsync();
        await friend.WaitForURLAsync(url => url.Contains("/portal/signin/code", StringComparison.Ordinal));
        Assert.True(await friend.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page should fit a phone's width");

        var found = await server.Pos.GetFromJsonAsync<JsonElement>($"/api/v1/members?email={Uri.EscapeDataString(email)}");
        var friendId = found.GetProperty("items")[0].GetProperty("id").GetString();
        var referral = await server.Pos.GetFromJsonAsync<JsonElement>($"/api/v1/members/{friendId}/referrals");
        Assert.Equal("waiting", referral.GetProperty("referredBy").GetProperty("status").GetString());
        Assert.Equal(referrer.Id, referral.GetProperty("referredBy").GetProperty("referrer").GetGuid());

        // The referrer's page lists the friend, waiting for the first purchase.
        await page.ReloadAsync();
        await page.WaitForReadyAsync();
        await Assertions.Expect(page.Locator("#friends-list")).ToContainTextAsync(german ? "wartet auf den ersten Einkauf" : "waiting for the first purchase");
    }

    [Fact]
    public async Task The_member_page_shows_who_a_member_referred()
    {
        await ReferralsAsync();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var referrer = await server.AddMemberAsync(server.ProgrammeId, "Rosa Referrer", $"rosa.{suffix}@example.org");
        var code = (await server.Pos.GetFromJsonAsync<JsonElement>($"/api/v1/members/{referrer.Id}/referrals")).GetProperty("code").GetString();
        var enrol = await server.Pos.PostAsJsonAsync("/api/v1/members", new { name = "Franz Friend " + suffix, email = $"franz.{suffix}@example.org", referralCode = code });
        Assert.True(enrol.IsSuccessStatusCode, await enrol.Content.ReadAsStringAsync());

        var page = await server.NewPageAsync();
        await page.StaffSignInByIdAsync(WebServer.SupportEmail);
        await page.OpenAsync($"/admin/members/{referrer.Id}");
        await Assertions.Expect(page.Locator("#member-referral-code")).ToHaveTextAsync(code!);
        var row = page.Locator("#member-referral-list tr[data-status='Waiting']");
        await Assertions.Expect(row).ToContainTextAsync("Franz Friend " + suffix);
        await Assertions.Expect(row).ToContainTextAsync("waiting for the first purchase");
    }
}
