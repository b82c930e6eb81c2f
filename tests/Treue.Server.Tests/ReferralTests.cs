using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>
/// Referrals through the API on a real database: enrolment with a code, the first qualifying purchase making both
/// rewards pending, the rewards given once after the return window, a full return cancelling them, the abuse checks
/// and the statistics.
/// </summary>
public abstract class ReferralTests(TreueServer server)
{
    /// <summary>500 points for the referrer, 200 for the friend; 30 days to buy at least 20 EUR, 14 days' return window.</summary>
    internal static object Settings(int maxPerReferrer = 0, object? newMember = null) => new
    {
        enabled = true, codePattern = "FRIEND-#########", qualifyWithinDays = 30, returnWindowDays = 14, minPurchase = 20m,
        maxPerReferrer, limitDays = 365, referrer = new { points = 500 }, newMember = newMember ?? new { points = 200 },
    };

    private async Task<TestProgramme> ProgrammeAsync(int maxPerReferrer = 0)
    {
        var p = await server.NewProgrammeAsync();
        await TestProgramme.Expect(await p.Admin.PutAsJsonAsync("/api/v1/referrals/settings", Settings(maxPerReferrer), TestProgramme.Json), HttpStatusCode.OK);
        return p;
    }

    private static async Task<JsonObject> JsonAsync(HttpResponseMessage res, HttpStatusCode status)
    {
        await TestProgramme.Expect(res, status);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
    }

    private static async Task<JsonObject> ReferralsAsync(TestProgramme p, Guid member) =>
        await JsonAsync(await p.Pos.GetAsync($"/api/v1/members/{member}/referrals"), HttpStatusCode.OK);

    private static async Task<string> CodeAsync(TestProgramme p, Guid member) => (string)(await ReferralsAsync(p, member))["code"]!;

    private static async Task<(Guid Member, string Card, JsonObject Body)> EnrolWithAsync(TestProgramme p, string name, string? code, string? paymentReference = null,
        HttpStatusCode expected = HttpStatusCode.Created)
    {
        var body = await JsonAsync(await p.Pos.PostAsJsonAsync("/api/v1/members",
            new { name, email = $"{name.ToLowerInvariant()}@example.org", issueCard = "physical", referralCode = code, paymentReference }, TestProgramme.Json), expected);
        return expected == HttpStatusCode.Created ? (Guid.Parse((string)body["id"]!), (string)body["cards"]![0]!["number"]!, body) : (Guid.Empty, "", body);
    }

    private static object Buy(string receipt, string card, decimal amount) => TestProgramme.Purchase(receipt, card, ("sku", "food", 1m, amount));

    private static async Task<JsonObject> FullReturnAsync(TestProgramme p, JsonObject purchase, string returnId) =>
        await JsonAsync(await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{(string)purchase["id"]!}/returns",
            new { returnId, lines = new[] { new { lineNo = 1, quantity = 1m } } }, TestProgramme.Json), HttpStatusCode.Created);

    private Task<int> ReferralLotsAsync(TestProgramme p) =>
        server.WithDbAsync(db => db.PointLots.CountAsync(l => l.ProgrammeId == p.Id && l.Source.StartsWith("referral:")));

    [Fact]
    public async Task The_settings_are_kept_and_bad_ones_are_refused_naming_the_field()
    {
        var p = await server.NewProgrammeAsync();
        var off = await JsonAsync(await p.Pos.GetAsync("/api/v1/referrals/settings"), HttpStatusCode.OK);
        Assert.False((bool)off["enabled"]!);

        var stored = await JsonAsync(await p.Admin.PutAsJsonAsync("/api/v1/referrals/settings", Settings(3), TestProgramme.Json), HttpStatusCode.OK);
        Assert.True((bool)stored["enabled"]!);
        Assert.Equal(3, (int)stored["terms"]!["maxPerReferrer"]!);
        Assert.Equal(500, (long)(await JsonAsync(await p.Pos.GetAsync("/api/v1/referrals/settings"), HttpStatusCode.OK))["terms"]!["referrer"]!["points"]!);

        var noCampaign = await JsonAsync(await p.Admin.PutAsJsonAsync("/api/v1/referrals/settings", Settings(newMember: new { points = 0, campaignId = "nope" }),
            TestProgramme.Json), HttpStatusCode.BadRequest);
        Assert.Equal("newMember.campaignId", (string)noCampaign["field"]!);
        var badDays = await JsonAsync(await p.Admin.PutAsJsonAsync("/api/v1/referrals/settings", new
        {
            enabled = true, codePattern = "FRIEND-#########", qualifyWithinDays = 0, returnWindowDays = 14, referrer = new { points = 1 }, newMember = new { points = 1 },
        }, TestProgramme.Json), HttpStatusCode.BadRequest);
        Assert.Equal("qualifyWithinDays", (string)badDays["field"]!);
        // A till may read the settings but not change them.
        Assert.Equal(HttpStatusCode.Forbidden, (await p.Pos.PutAsJsonAsync("/api/v1/referrals/settings", Settings(), TestProgramme.Json)).StatusCode);
    }

    [Fact]
    public async Task A_referral_is_rewarded_once_after_the_return_window_of_the_first_qualifying_purchase()
    {
        var p = await ProgrammeAsync();
        var (ada, _) = await p.EnrolAsync("Ada", "ada@example.org");
        var mine = await ReferralsAsync(p, ada);
        var code = (string)mine["code"]!;
        Assert.StartsWith("FRIEND-", code, StringComparison.Ordinal);
        Assert.EndsWith("/portal/join?code=" + code, (string)mine["link"]!, StringComparison.Ordinal);

        var (ben, card, enrolled) = await EnrolWithAsync(p, "Ben", code.ToLowerInvariant());
        Assert.Equal("waiting", (string)enrolled["referral"]!["status"]!);
        Assert.Equal(ada, Guid.Parse((string)enrolled["referral"]!["referrer"]!));

        // Too small to qualify; the next one does, and the one after changes nothing.
        await p.BuyAsync(Buy("b-1", card, 10m));
        Assert.Equal("waiting", (string)(await ReferralsAsync(p, ben))["referredBy"]!["status"]!);
        var qualifying = await p.BuyAsync(Buy("b-2", card, 45m));
        Assert.Equal(200, (long)qualifying["balance"]!["pending"]!);
        await p.BuyAsync(Buy("b-3", card, 45m));
        var pending = (await ReferralsAsync(p, ben))["referredBy"]!;
        Assert.Equal("pending", (string)pending["status"]!);
        Assert.Equal("b-2", (string)pending["purchaseReference"]!);
        Assert.Equal(DateOnly.FromDateTime(server.Clock.GetUtcNow().UtcDateTime).AddDays(15).ToString("yyyy-MM-dd"), (string)pending["rewardOn"]!);
        Assert.Equal(500, (long)(await p.BalanceAsync(ada))["pending"]!);
        Assert.Equal(0, await p.AvailableAsync(ada));

        // The rewards stay pending through the return window, and come on the day after it, once.
        server.Clock.Advance(TimeSpan.FromDays(14));
        await p.RunJobAsync("post-pending");
        Assert.Equal(0, (int)(await p.RunJobAsync("referrals"))["changes"]!);
        Assert.Equal(0, await p.AvailableAsync(ada));
        server.Clock.Advance(TimeSpan.FromDays(1));
        await p.RunJobAsync("post-pending");
        Assert.Equal(1, (int)(await p.RunJobAsync("referrals"))["changes"]!);
        Assert.Equal(0, (int)(await p.RunJobAsync("referrals"))["changes"]!);
        Assert.Equal(500, await p.AvailableAsync(ada));
        Assert.Equal(10 + 45 + 45 + 200, await p.AvailableAsync(ben));
        var adaView = await ReferralsAsync(p, ada);
        Assert.Equal("rewarded", (string)adaView["referrals"]![0]!["status"]!);
        Assert.Equal(1, (int)adaView["counts"]!["rewarded"]!);
        Assert.Equal(500, (long)adaView["pointsEarned"]!);
        Assert.Equal(2, await ReferralLotsAsync(p));

        // A return after the window takes nothing back.
        await FullReturnAsync(p, qualifying, "late");
        Assert.Equal(500, await p.AvailableAsync(ada));
        Assert.Equal("rewarded", (string)(await ReferralsAsync(p, ada))["referrals"]![0]!["status"]!);
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task Concurrent_qualifying_purchases_reward_the_referral_once()
    {
        var p = await ProgrammeAsync();
        var (ada, _) = await p.EnrolAsync("Ada", "ada@example.org");
        var (_, card, _) = await EnrolWithAsync(p, "Ben", await CodeAsync(p, ada));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => p.Pos.PostAsJsonAsync("/api/v1/purchases", Buy($"c-{i}", card, 30m), TestProgramme.Json)));
        Assert.All(results, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(500, (long)(await p.BalanceAsync(ada))["pending"]!);
        Assert.Equal(2, await ReferralLotsAsync(p));
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task A_full_return_of_the_qualifying_purchase_cancels_the_referral_and_a_partial_one_does_not()
    {
        var p = await ProgrammeAsync();
        var (ada, _) = await p.EnrolAsync("Ada", "ada@example.org");
        var (ben, card, _) = await EnrolWithAsync(p, "Ben", await CodeAsync(p, ada));
        var qualifying = await p.BuyAsync(TestProgramme.Purchase("q-1", card, ("a", "food", 2m, 15m)));
        Assert.Equal(500, (long)(await p.BalanceAsync(ada))["pending"]!);

        await JsonAsync(await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{(string)qualifying["id"]!}/returns",
            new { returnId = "part", lines = new[] { new { lineNo = 1, quantity = 1m } } }, TestProgramme.Json), HttpStatusCode.Created);
        Assert.Equal("pending", (string)(await ReferralsAsync(p, ben))["referredBy"]!["status"]!);

        await JsonAsync(await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{(string)qualifying["id"]!}/returns",
            new { returnId = "rest", lines = new[] { new { lineNo = 1, quantity = 1m } } }, TestProgramme.Json), HttpStatusCode.Created);
        var cancelled = (await ReferralsAsync(p, ben))["referredBy"]!;
        Assert.Equal("cancelled", (string)cancelled["status"]!);
        Assert.Equal("returned", (string)cancelled["reason"]!);
        Assert.Equal(0, (long)(await p.BalanceAsync(ada))["pending"]!);
        Assert.Equal(0, (long)(await p.BalanceAsync(ben))["pending"]!);

        // Nothing comes later either, and a new purchase does not make a cancelled referral pending again.
        await p.BuyAsync(Buy("q-2", card, 50m));
        server.Clock.Advance(TimeSpan.FromDays(20));
        await p.RunJobAsync("post-pending");
        await p.RunJobAsync("referrals");
        Assert.Equal(0, await p.AvailableAsync(ada));
        Assert.Equal("cancelled", (string)(await ReferralsAsync(p, ben))["referredBy"]!["status"]!);
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task Self_referrals_and_referrals_over_the_limit_are_refused_with_their_reason_and_a_mistyped_code_refuses_the_enrolment()
    {
        var p = await ProgrammeAsync(maxPerReferrer: 2);
        var (ada, _, _) = await EnrolWithAsync(p, "Ada", null, paymentReference: "tok-4242");
        var code = await CodeAsync(p, ada);

        // The same payment reference is the same person, whatever the name and e-mail.
        var (_, _, self) = await EnrolWithAsync(p, "Adele", code, paymentReference: " TOK-4242 ");
        Assert.Equal("refused", (string)self["referral"]!["status"]!);
        Assert.Equal("self_referral", (string)self["referral"]!["reason"]!);

        await EnrolWithAsync(p, "Ben", code);
        await EnrolWithAsync(p, "Cleo", code);
        var (dan, danCard, over) = await EnrolWithAsync(p, "Dan", code);
        Assert.Equal("referral_limit", (string)over["referral"]!["reason"]!);
        // A refused referral earns nothing.
        await p.BuyAsync(Buy("d-1", danCard, 50m));
        Assert.Equal("refused", (string)(await ReferralsAsync(p, dan))["referredBy"]!["status"]!);

        var before = await p.CountsAsync();
        var (_, _, typo) = await EnrolWithAsync(p, "Eve", code[..^1] + (code[^1] == 'A' ? 'B' : 'A'), expected: HttpStatusCode.UnprocessableEntity);
        Assert.Equal("urn:treue:problem:invalid-code", (string)typo["type"]!);
        Assert.Equal("referralCode", (string)typo["field"]!);
        Assert.Equal(before, await p.CountsAsync());

        var counts = (await ReferralsAsync(p, ada))["counts"]!;
        Assert.Equal((4, 2, 2), ((int)counts["total"]!, (int)counts["waiting"]!, (int)counts["refused"]!));
    }

    [Fact]
    public async Task The_statistics_count_the_programme_s_referrals_and_another_programme_s_member_is_not_found()
    {
        var p = await ProgrammeAsync();
        var (ada, _) = await p.EnrolAsync("Ada", "ada@example.org");
        var code = await CodeAsync(p, ada);
        var (_, card, _) = await EnrolWithAsync(p, "Ben", code);
        await EnrolWithAsync(p, "Cleo", code);
        await p.EnrolAsync("Dora", "dora@example.org");
        await p.BuyAsync(Buy("s-1", card, 25m));

        var stats = await JsonAsync(await p.Admin.GetAsync("/api/v1/referrals/statistics"), HttpStatusCode.OK);
        Assert.Equal(2, (int)stats["counts"]!["total"]!);
        Assert.Equal(1, (int)stats["counts"]!["converted"]!);
        Assert.Equal(0.5, (double)stats["counts"]!["conversionRate"]!);
        Assert.Equal(4, (int)stats["newMembers"]!);
        Assert.Equal(0.5, (double)stats["referralRate"]!);
        Assert.Equal(700, (long)stats["pointsGiven"]!);
        Assert.Equal("Ada", (string)stats["topReferrers"]![0]!["name"]!);

        var bad = await JsonAsync(await p.Admin.GetAsync("/api/v1/referrals/statistics?from=2026-05-01&to=2026-04-01"), HttpStatusCode.BadRequest);
        Assert.Equal("to", (string)bad["field"]!);

        var other = await server.NewProgrammeAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Pos.GetAsync($"/api/v1/members/{ada}/referrals")).StatusCode);
        // A code of another programme is not a code here.
        var (_, _, foreign) = await EnrolWithAsync(other, "Fred", code, expected: HttpStatusCode.UnprocessableEntity);
        Assert.Equal("referralCode", (string)foreign["field"]!);
    }
}

public sealed class ReferralTestsOnSqlite(SqliteServer server) : ReferralTests(server), IClassFixture<SqliteServer>;

public sealed class ReferralTestsOnPostgres(PostgresServer server) : ReferralTests(server), IClassFixture<PostgresServer>;

/// <summary>Two server processes on one PostgreSQL database: a new member's qualifying purchases on both at once reward their referral once.</summary>
public sealed class ReferralOnTwoNodes(PostgresCluster cluster)
{
    [Fact]
    public async Task Concurrent_qualifying_purchases_on_two_nodes_reward_each_referral_once()
    {
        var cs = await cluster.CreateDatabaseAsync();
        await using var first = await ServerProcess.StartAsync(cs); // migrates the database
        await using var second = await ServerProcess.StartAsync(cs);
        var key = await MultiNodeTests.CreateProgrammeAsync(cs);
        var clients = new[] { first, second }.Select(s =>
        {
            var c = new HttpClient { BaseAddress = s.Address };
            c.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            return c;
        }).ToArray();
        await TestProgramme.Expect(await clients[0].PutAsJsonAsync("/api/v1/referrals/settings", ReferralTests.Settings(), TestProgramme.Json), HttpStatusCode.OK);
        var ada = (await (await clients[0].PostAsJsonAsync("/api/v1/members", new { name = "Ada", issueCard = "physical" })).Content.ReadFromJsonAsync<JsonObject>())!;
        var adaId = Guid.Parse((string)ada["id"]!);
        var code = (string)(await clients[1].GetFromJsonAsync<JsonObject>($"/api/v1/members/{adaId}/referrals"))!["code"]!;

        for (var round = 0; round < 3; round++)
        {
            var enrol = await clients[round % 2].PostAsJsonAsync("/api/v1/members", new { name = $"Friend {round}", issueCard = "physical", referralCode = code });
            await TestProgramme.Expect(enrol, HttpStatusCode.Created);
            var card = (string)(await enrol.Content.ReadFromJsonAsync<JsonObject>())!["cards"]![0]!["number"]!;
            var purchases = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
                clients[i % 2].PostAsJsonAsync("/api/v1/purchases", TestProgramme.Purchase($"f-{round}-{i}", card, ("a", "x", 1m, 30m)))));
            foreach (var r in purchases) await TestProgramme.Expect(r, HttpStatusCode.Created);
        }

        await using var db = MultiNodeTests.Db(cs);
        Assert.Equal(3, await db.Referrals.CountAsync(r => r.Status == Domain.Referrals.ReferralStatus.Pending));
        Assert.Equal(3, await db.PointLots.CountAsync(l => l.MemberId == adaId && l.Source.StartsWith("referral:")));
        Assert.Equal(6, await db.PointLots.CountAsync(l => l.Source.StartsWith("referral:")));
        Assert.Equal(1500, (await db.Members.SingleAsync(m => m.Id == adaId)).Pending);
    }
}
