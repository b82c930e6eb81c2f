using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Infrastructure;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>
/// A coalition partner's keys see that partner's side of the programme: its purchases and returns, the members who
/// shopped with it, and of everyone else only what a till needs to recognise a card (identity and balance).
/// </summary>
public abstract class PartnerIsolationTests(TreueServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Coalition(TestProgramme P, Guid Both, string BothCard, Guid FuelOnly, string FuelOnlyCard, Guid ShopPurchase, Guid FuelPurchase,
        HttpClient ShopTill, HttpClient ShopAdmin);

    /// <summary>Two partners (shop and fuel): one member shops at both, another only at fuel; the shop's till and admin keys.</summary>
    private async Task<Coalition> CoalitionAsync()
    {
        var p = await server.NewProgrammeAsync();
        var (both, bothCard) = await p.EnrolAsync("Berta Beide");
        var (fuelOnly, fuelOnlyCard) = await p.EnrolAsync("Fritz Tank");
        var shop = await p.BuyAsync(TestProgramme.Purchase("shop-1", bothCard, ("bread", "food", 1, 30m)));
        var fuel = await p.BuyAsync(AtFuel("fuel-1", bothCard));
        await p.BuyAsync(AtFuel("fuel-2", fuelOnlyCard));
        // Part of the shop purchase comes back: the return belongs to the shop too.
        var ret = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{(string)shop["id"]!}/returns",
            new { returnId = "shop-1-r", lines = new[] { new { lineNo = 1, quantity = 1m } } }, TestProgramme.Json, Ct);
        await TestProgramme.Expect(ret, HttpStatusCode.Created);
        var (till, admin) = await server.WithDbAsync(async db =>
        {
            var now = server.Clock.GetUtcNow().UtcDateTime;
            return ((await ApiKeyEndpoints.CreateAsync(db, p.Id, "shop till", ApiRole.Pos, "shop", now, Ct)).Key,
                (await ApiKeyEndpoints.CreateAsync(db, p.Id, "shop back office", ApiRole.Admin, "shop", now, Ct)).Key);
        });
        return new Coalition(p, both, bothCard, fuelOnly, fuelOnlyCard, Guid.Parse((string)shop["id"]!), Guid.Parse((string)fuel["id"]!),
            server.Client(till), server.Client(admin));
    }

    private static JsonNode AtFuel(string receipt, string card)
    {
        var body = JsonSerializerNode(TestProgramme.Purchase(receipt, card, ("diesel", "fuel", 40, 1.5m)));
        body["partner"] = "fuel";
        body["store"] = "f1";
        return body;
    }

    private static JsonNode JsonSerializerNode(object value) => System.Text.Json.JsonSerializer.SerializeToNode(value, TestProgramme.Json)!;

    private static async Task<JsonObject> ReadAsync(HttpResponseMessage res)
    {
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json, Ct))!;
    }

    [Fact]
    public async Task A_partner_s_till_lists_only_the_members_who_shopped_there_but_recognises_any_card()
    {
        var c = await CoalitionAsync();
        var listed = (await ReadAsync(await c.ShopTill.GetAsync("/api/v1/members?limit=200", Ct)))["items"]!.AsArray()
            .Select(m => Guid.Parse((string)m!["id"]!)).ToList();
        Assert.Equal([c.Both], listed);
        var everyone = (await ReadAsync(await c.P.Pos.GetAsync("/api/v1/members?limit=200", Ct)))["items"]!.AsArray().Count;
        Assert.Equal(2, everyone);

        // A card shown at the shop's till is recognised, with the member's identity and balance.
        var found = (await ReadAsync(await c.ShopTill.GetAsync($"/api/v1/members?cardNumber={c.FuelOnlyCard}", Ct)))["items"]!.AsArray();
        Assert.Equal(c.FuelOnly, Guid.Parse((string)found.Single()!["id"]!));
        await ReadAsync(await c.ShopTill.GetAsync($"/api/v1/members/{c.FuelOnly}/balance", Ct));
    }

    [Fact]
    public async Task A_partner_s_till_reads_only_its_own_movements_of_a_member()
    {
        var c = await CoalitionAsync();
        var all = (await ReadAsync(await c.P.Pos.GetAsync($"/api/v1/members/{c.Both}/history?limit=100", Ct)))["items"]!.AsArray();
        var shops = (await ReadAsync(await c.ShopTill.GetAsync($"/api/v1/members/{c.Both}/history?limit=100", Ct)))["items"]!.AsArray();
        Assert.Contains(all, e => (string?)e!["purchaseId"] == c.FuelPurchase.ToString());
        // The shop's purchase and its return; nothing of the fuel station's.
        Assert.Equal(2, shops.Count);
        Assert.DoesNotContain(shops, e => (string?)e!["purchaseId"] == c.FuelPurchase.ToString());
        Assert.Contains(shops, e => (string?)e!["purchaseId"] == c.ShopPurchase.ToString());
        Assert.Contains(shops, e => e!["returnId"] is not null);
        Assert.DoesNotContain("diesel", shops.ToJsonString(), StringComparison.Ordinal);

        var purchases = (await ReadAsync(await c.ShopTill.GetAsync($"/api/v1/members/{c.Both}/purchases", Ct)))["items"]!.AsArray();
        Assert.Equal([c.ShopPurchase.ToString()], purchases.Select(x => (string)x!["id"]!).ToArray());
        await TestProgramme.Expect(await c.ShopTill.GetAsync($"/api/v1/purchases/{c.FuelPurchase}", Ct), HttpStatusCode.NotFound);
        await TestProgramme.Expect(await c.ShopTill.GetAsync($"/api/v1/members/{c.Both}/recommendations", Ct), HttpStatusCode.Forbidden);
        // A member who never shopped at the shop has no movements there.
        Assert.Empty((await ReadAsync(await c.ShopTill.GetAsync($"/api/v1/members/{c.FuelOnly}/history", Ct)))["items"]!.AsArray());
    }

    [Fact]
    public async Task A_partner_s_admin_key_manages_its_own_keys_and_nothing_of_the_whole_programme()
    {
        var c = await CoalitionAsync();
        var keys = (await c.ShopAdmin.GetFromJsonAsync<JsonArray>("/api/v1/api-keys", TestProgramme.Json, Ct))!;
        Assert.Equal(["shop", "shop"], keys.Select(k => (string)k!["partner"]!).ToArray());

        // Every endpoint for administrators of the whole programme refuses it, before it reads or writes anything.
        var endpoints = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == Policies.Admin)).ToList();
        Assert.True(endpoints.Count > 20, $"only {endpoints.Count} administrator endpoints found");
        var before = await c.P.CountsAsync();
        foreach (var e in endpoints)
        {
            var method = e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods[0];
            var path = "/" + string.Join('/', e.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(part => part switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart l => l.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart p when p.ParameterPolicies.Any(x => x.Content == "guid") => c.Both.ToString(),
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart p when p.Name == "memberId" => c.Both.ToString(),
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart => "x",
                _ => "",
            }))));
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { }) };
            var res = await c.ShopAdmin.SendAsync(request, Ct);
            Assert.True(res.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} answered {(int)res.StatusCode} to a partner's admin key");
            var problem = await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json, Ct);
            Assert.Equal("forbidden", (string?)problem!["code"]);
            Assert.Contains("partner 'shop'", (string?)problem["detail"], StringComparison.Ordinal);
        }
        Assert.Equal(before, await c.P.CountsAsync());
    }
}

public sealed class PartnerIsolationTestsOnSqlite(SqliteServer server) : PartnerIsolationTests(server), IClassFixture<SqliteServer>;

public sealed class PartnerIsolationTestsOnPostgres(PostgresServer server) : PartnerIsolationTests(server), IClassFixture<PostgresServer>;
