using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

public abstract class BadInputTests(TreueServer server)
{
    private static async Task<JsonObject> Problem(HttpResponseMessage res, HttpStatusCode status)
    {
        await TestProgramme.Expect(res, status);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        return (await res.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static StringContent Raw(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Missing_or_wrong_api_keys_get_401_and_wrong_roles_403()
    {
        var p = await server.NewProgrammeAsync();
        var anonymous = server.Client(null);
        Assert.Equal("unauthorized", (string)(await Problem(await anonymous.GetAsync("/api/v1/rewards"), HttpStatusCode.Unauthorized))["code"]!);
        var wrong = server.Client("trk_" + new string('0', 64));
        await Problem(await wrong.GetAsync("/api/v1/rewards"), HttpStatusCode.Unauthorized);
        var garbage = server.Client("not-a-key");
        await Problem(await garbage.GetAsync("/api/v1/rewards"), HttpStatusCode.Unauthorized);
        Assert.Equal("forbidden", (string)(await Problem(await p.Pos.PostAsync("/api/v1/jobs/expire", null), HttpStatusCode.Forbidden))["code"]!);
        await Problem(await p.Pos.GetAsync("/api/v1/api-keys"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_partner_bound_key_records_and_reads_only_its_partners_purchases()
    {
        var p = await server.NewProgrammeAsync();
        var (_, card) = await p.EnrolAsync();
        var shopPurchase = await p.BuyAsync(TestProgramme.Purchase("shop-1", card, ("a", "c", 1, 10m)));
        var created = (await (await p.Admin.PostAsJsonAsync("/api/v1/api-keys", new { name = "fuel till", role = "pos", partner = "fuel" })).Content.ReadFromJsonAsync<JsonObject>())!;
        var fuelTill = server.Client((string)created["key"]!);
        var replay = await fuelTill.PostAsJsonAsync("/api/v1/purchases", TestProgramme.Purchase("shop-1", card, ("a", "c", 1, 10m)), TestProgramme.Json);
        await Problem(replay, HttpStatusCode.Forbidden);
        await Problem(await fuelTill.GetAsync($"/api/v1/purchases/{shopPurchase["id"]}"), HttpStatusCode.NotFound);
        var fuel = await fuelTill.PostAsJsonAsync("/api/v1/purchases", new { receiptId = "f-1", partner = "fuel", store = "f1", currency = "EUR", cardNumber = card, total = 40m,
            lines = new[] { new { sku = "e10", quantity = 20m, unitPrice = 2m } } }, TestProgramme.Json);
        await TestProgramme.Expect(fuel, HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_revoked_key_stops_working()
    {
        var p = await server.NewProgrammeAsync();
        var created = (await (await p.Admin.PostAsJsonAsync("/api/v1/api-keys", new { name = "till 9", role = "pos" })).Content.ReadFromJsonAsync<JsonObject>())!;
        var till = server.Client((string)created["key"]!);
        await TestProgramme.Expect(await till.GetAsync("/api/v1/rewards"), HttpStatusCode.OK);
        await TestProgramme.Expect(await p.Admin.PostAsync($"/api/v1/api-keys/{created["apiKey"]!["id"]}/revoke", null), HttpStatusCode.OK);
        await Problem(await till.GetAsync("/api/v1/rewards"), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("{\"receiptId\": \"x\", \"partner\": ", "partner")]
    [InlineData("{\"receiptId\": 12, \"partner\": \"shop\", \"currency\": \"EUR\", \"total\": 1, \"lines\": []}", "receiptId")]
    [InlineData("{\"receiptId\": \"x\", \"partner\": \"shop\", \"currency\": \"EUR\", \"total\": 1e999, \"lines\": []}", "total")]
    [InlineData("{\"receiptId\": \"x\", \"partner\": \"shop\", \"currency\": \"EUR\", \"total\": 1, \"lines\": [], \"recieptId\": \"typo\"}", "recieptId")]
    [InlineData("{\"receiptId\": \"x\", \"partner\": \"shop\", \"currency\": \"EUR\", \"total\": 1, \"lines\": [], \"channel\": \"telepathy\"}", "channel")]
    [InlineData("[1,2,3]", "body")]
    public async Task Malformed_json_is_a_400_naming_the_field(string json, string field)
    {
        var p = await server.NewProgrammeAsync();
        var problem = await Problem(await p.Pos.PostAsync("/api/v1/purchases", Raw(json)), HttpStatusCode.BadRequest);
        Assert.Equal("malformed_json", (string)problem["code"]!);
        Assert.Equal(field, (string)problem["field"]!);
        Assert.Equal(0, (await p.CountsAsync()).Purchases);
    }

    [Fact]
    public async Task Invalid_amounts_quantities_and_totals_are_refused_naming_the_field_and_nothing_is_written()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        var cases = new (object Body, string Field, HttpStatusCode Status)[]
        {
            (new { receiptId = "a", partner = "shop", currency = "EUR", cardNumber = card, total = -5m, lines = new[] { new { sku = "a", quantity = -1m, unitPrice = 5m } } }, "lines[0].quantity", HttpStatusCode.BadRequest),
            (new { receiptId = "b", partner = "shop", currency = "EUR", cardNumber = card, total = 5m, lines = new[] { new { sku = "a", quantity = 1m, unitPrice = -5m } } }, "lines[0].unitPrice", HttpStatusCode.BadRequest),
            (new { receiptId = "c", partner = "shop", currency = "EUR", cardNumber = card, total = 1e12m, lines = new[] { new { sku = "a", quantity = 1e9m, unitPrice = 1000m } } }, "lines[0].quantity", HttpStatusCode.BadRequest),
            (new { receiptId = "d", partner = "shop", currency = "EUR", cardNumber = card, total = 99m, lines = new[] { new { sku = "a", quantity = 2m, unitPrice = 5m } } }, "total", HttpStatusCode.BadRequest),
            (new { receiptId = "e", partner = "shop", currency = "EUR", cardNumber = card, total = 5.001m, lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 5.001m } } }, "lines[0].unitPrice", HttpStatusCode.BadRequest),
            (new { receiptId = "f", partner = "shop", currency = "XYZ", cardNumber = card, total = 5m, lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 5m } } }, "currency", HttpStatusCode.BadRequest),
            (new { receiptId = "g", partner = "shop", currency = "USD", cardNumber = card, total = 5m, lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 5m } } }, "currency", HttpStatusCode.UnprocessableEntity),
            (new { receiptId = "h", partner = "nobody", currency = "EUR", cardNumber = card, total = 5m, lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 5m } } }, "partner", HttpStatusCode.UnprocessableEntity),
            (new { receiptId = "i", partner = "shop", store = "f1", currency = "EUR", cardNumber = card, total = 5m, lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 5m } } }, "store", HttpStatusCode.UnprocessableEntity),
            (new { receiptId = "j", partner = "shop", currency = "EUR", total = 5m, lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 5m } } }, "cardNumber", HttpStatusCode.BadRequest),
            (new { receiptId = "", partner = "shop", currency = "EUR", cardNumber = card, total = 5m, lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 5m } } }, "receiptId", HttpStatusCode.BadRequest),
            (new { receiptId = "k", partner = "shop", currency = "EUR", cardNumber = card, total = 0m, lines = Array.Empty<object>() }, "lines", HttpStatusCode.BadRequest),
            (new { receiptId = "l", partner = "shop", currency = "EUR", cardNumber = card, total = 5m, lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 5m } }, pointsPayment = new { points = -10 } }, "pointsPayment.points", HttpStatusCode.BadRequest),
            (new { receiptId = "m", partner = "shop", currency = "EUR", cardNumber = card, total = 5m, occurredAt = "2099-01-01T00:00:00Z", lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 5m } } }, "occurredAt", HttpStatusCode.BadRequest),
        };
        foreach (var (body, field, status) in cases)
        {
            var problem = await Problem(await p.Pos.PostAsJsonAsync("/api/v1/purchases", body, TestProgramme.Json), status);
            Assert.True(problem["errors"]?.AsObject().ContainsKey(field) == true || (string?)problem["field"] == field, $"expected field {field} in {problem.ToJsonString()}");
        }
        Assert.Equal(0, (await p.CountsAsync()).Purchases);
        Assert.Equal(0, await p.AvailableAsync(member));
    }

    [Fact]
    public async Task A_nul_character_in_ids_and_look_ups_is_refused_before_it_reaches_the_database()
    {
        var p = await server.NewProgrammeAsync();
        var (_, card) = await p.EnrolAsync();
        var receipt = await p.Pos.PostAsJsonAsync("/api/v1/purchases", TestProgramme.Purchase("r\u0000", card, ("a", "c", 1, 1m)), TestProgramme.Json);
        Assert.Equal("receiptId", (string)(await Problem(receipt, HttpStatusCode.BadRequest))["field"]!);
        var cardNumber = await p.Pos.PostAsJsonAsync("/api/v1/purchases", TestProgramme.Purchase("r", card + "\u0000", ("a", "c", 1, 1m)), TestProgramme.Json);
        Assert.Equal("cardNumber", (string)(await Problem(cardNumber, HttpStatusCode.BadRequest))["field"]!);
        await Problem(await p.Pos.GetAsync("/api/v1/members?email=a%00b"), HttpStatusCode.BadRequest);
        await Problem(await p.Pos.GetAsync("/api/v1/cards/12%0134"), HttpStatusCode.NotFound); // (Kestrel itself refuses %00 in a path)
    }

    [Fact]
    public async Task Oversized_bodies_are_refused_with_413()
    {
        var p = await server.NewProgrammeAsync();
        var huge = "{\"receiptId\": \"" + new string('x', 2 * 1024 * 1024) + "\"}";
        var problem = await Problem(await p.Pos.PostAsync("/api/v1/purchases", Raw(huge)), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("payload_too_large", (string)problem["code"]!);
    }

    [Fact]
    public async Task Unknown_routes_and_non_json_bodies_get_problem_responses()
    {
        var p = await server.NewProgrammeAsync();
        await Problem(await p.Pos.GetAsync("/api/v1/nothing-here"), HttpStatusCode.NotFound);
        await Problem(await p.Pos.PostAsync("/api/v1/purchases", new StringContent("receiptId=1", Encoding.UTF8, "application/x-www-form-urlencoded")), HttpStatusCode.UnsupportedMediaType);
        await Problem(await p.Pos.GetAsync($"/api/v1/members/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_programme_can_be_changed_through_the_api_only_by_its_own_admin()
    {
        var p = await server.NewProgrammeAsync();
        var other = await server.NewProgrammeAsync();
        var doc = (await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/programme"))!;
        doc["pendingDays"] = 7;
        var applied = (await (await p.Admin.PutAsJsonAsync("/api/v1/programme", doc)).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Contains("pendingDays changed", applied["changes"]!.AsArray().Select(c => (string)c!));
        var unchanged = (await (await p.Admin.PutAsJsonAsync("/api/v1/programme", doc)).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Empty(unchanged["changes"]!.AsArray());
        Assert.Equal((int)applied["version"]!, (int)unchanged["version"]!);
        // The change is in the programme's history with the key that made it; the no-op is not.
        var history = await server.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            db.ProgrammeChanges.Where(c => c.ProgrammeId == p.Id).OrderBy(c => c.Id)));
        var last = history[^1];
        Assert.Equal((int)applied["version"]!, last.Version);
        Assert.StartsWith("apikey:", last.Author, StringComparison.Ordinal);
        Assert.Contains("pendingDays changed", last.Changes);
        Assert.Single(history, c => c.Version == last.Version);
        await Problem(await other.Admin.PutAsJsonAsync("/api/v1/programme", doc), HttpStatusCode.Forbidden);
        await Problem(await p.Pos.PutAsJsonAsync("/api/v1/programme", doc), HttpStatusCode.Forbidden);
        doc["currency"] = "USD";
        Assert.Equal("currency_immutable", (string)(await Problem(await p.Admin.PutAsJsonAsync("/api/v1/programme", doc), HttpStatusCode.UnprocessableEntity))["code"]!);
    }

    [Fact]
    public async Task Health_and_the_openapi_document_answer()
    {
        var anonymous = server.Client(null);
        var health = (await anonymous.GetFromJsonAsync<JsonObject>("/health"))!;
        Assert.Equal("ok", (string)health["status"]!);
        Assert.Equal(server.Provider, (string)health["database"]!);
        var openApi = (await anonymous.GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!;
        Assert.True(openApi["paths"]!.AsObject().ContainsKey("/api/v1/purchases"));
        var reference = await anonymous.GetAsync("/scalar/v1");
        await TestProgramme.Expect(reference, HttpStatusCode.OK);
    }
}

public sealed class BadInputTestsOnSqlite(SqliteServer server) : BadInputTests(server), IClassFixture<SqliteServer>;

public sealed class BadInputTestsOnPostgres(PostgresServer server) : BadInputTests(server), IClassFixture<PostgresServer>;
