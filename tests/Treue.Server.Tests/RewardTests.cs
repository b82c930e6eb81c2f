using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

public abstract class RewardTests(TreueServer server)
{
    private static Task<HttpResponseMessage> Redeem(TestProgramme p, Guid member, string reward) =>
        p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/reward-orders", new { reward }, TestProgramme.Json);

    [Fact]
    public async Task Redeeming_a_reward_spends_points_and_cancelling_refunds_them()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync();
        await p.GiveAsync(member, 2000);
        var res = await Redeem(p, member, "knife-set");
        await TestProgramme.Expect(res, HttpStatusCode.Created);
        var order = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(1500, (long)order["points"]!);
        Assert.Equal(9.99m, (decimal)order["coPayment"]!);
        Assert.Equal(500, (long)order["availablePointsAfter"]!);

        var queue = (await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/reward-orders?status=placed"))!;
        Assert.Single(queue["items"]!.AsArray());

        var cancel = await p.Pos.PostAsync($"/api/v1/reward-orders/{order["id"]}/cancel", null);
        await TestProgramme.Expect(cancel, HttpStatusCode.OK);
        var again = await p.Pos.PostAsync($"/api/v1/reward-orders/{order["id"]}/cancel", null);
        await TestProgramme.Expect(again, HttpStatusCode.OK);
        Assert.Equal(2000, await p.AvailableAsync(member));
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task Redeem_with_insufficient_points_is_rejected_and_out_of_stock_is_a_conflict()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync();
        await p.GiveAsync(member, 1000);
        var poor = await Redeem(p, member, "knife-set");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, poor.StatusCode);
        Assert.Equal("insufficient_points", (string)(await poor.Content.ReadFromJsonAsync<JsonObject>())!["code"]!);

        await p.GiveAsync(member, 5000);
        await TestProgramme.Expect(await Redeem(p, member, "knife-set"), HttpStatusCode.Created);
        await TestProgramme.Expect(await Redeem(p, member, "knife-set"), HttpStatusCode.Created);
        var sold = await Redeem(p, member, "knife-set");
        Assert.Equal(HttpStatusCode.Conflict, sold.StatusCode);
        Assert.Equal("out_of_stock", (string)(await sold.Content.ReadFromJsonAsync<JsonObject>())!["code"]!);
        Assert.Equal(6000 - 3000, await p.AvailableAsync(member));
        var unknown = await Redeem(p, member, "yacht");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task Concurrent_redemptions_grant_exactly_what_the_balance_covers()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync();
        await p.GiveAsync(member, 1000); // floor(1000 / 300) = 3
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Redeem(p, member, "mug")));
        Assert.Equal(3, results.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(9, results.Count(r => r.StatusCode == HttpStatusCode.UnprocessableEntity));
        Assert.Equal(100, await p.AvailableAsync(member));
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task A_refused_redemption_replays_its_refusal_even_after_the_balance_changed()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync();
        HttpRequestMessage Request()
        {
            var req = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/members/{member}/reward-orders") { Content = JsonContent.Create(new { reward = "mug" }) };
            req.Headers.Add("Idempotency-Key", "redeem-1");
            return req;
        }
        var first = await p.Pos.SendAsync(Request());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, first.StatusCode);
        await p.GiveAsync(member, 1000);
        var retry = await p.Pos.SendAsync(Request());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, retry.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(1000, await p.AvailableAsync(member));
    }

    [Fact]
    public async Task Only_an_admin_fulfils_orders_and_a_fulfilled_order_cannot_be_cancelled()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync();
        await p.GiveAsync(member, 300);
        var order = (await (await Redeem(p, member, "mug")).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(HttpStatusCode.Forbidden, (await p.Pos.PostAsync($"/api/v1/reward-orders/{order["id"]}/fulfil", null)).StatusCode);
        await TestProgramme.Expect(await p.Admin.PostAsync($"/api/v1/reward-orders/{order["id"]}/fulfil", null), HttpStatusCode.OK);
        var cancel = await p.Pos.PostAsync($"/api/v1/reward-orders/{order["id"]}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        Assert.Equal(0, await p.AvailableAsync(member));
    }
}

public sealed class RewardTestsOnSqlite(SqliteServer server) : RewardTests(server), IClassFixture<SqliteServer>;

public sealed class RewardTestsOnPostgres(PostgresServer server) : RewardTests(server), IClassFixture<PostgresServer>;
