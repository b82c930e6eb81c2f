using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>
/// Every date, number and time zone a client sends is bounded, and JSON is read strictly: refusals are 4xx problems
/// that name the field, never 500s, and never name .NET types.
/// </summary>
public abstract class InputBoundsTests(TreueServer server)
{
    private static async Task<JsonObject> Problem(HttpResponseMessage res, HttpStatusCode status)
    {
        await TestProgramme.Expect(res, status);
        Assert.Equal("application/problem+json", res.Content.Headers.ContentType?.MediaType);
        var problem = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        var detail = (string?)problem["detail"] ?? "";
        Assert.DoesNotContain("Treue.", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", detail, StringComparison.Ordinal);
        return problem;
    }

    private static StringContent Raw(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Culture_with_a_control_character_in_back_is_a_400_naming_back()
    {
        var anonymous = server.Client(null);
        foreach (var back in new[] { "/admin%01", "/portal%0D%0ASet-Cookie:%20x=y", "/%7F", "/" + new string('a', 3000) })
        {
            var problem = await Problem(await anonymous.GetAsync("/culture?c=de&back=" + back), HttpStatusCode.BadRequest);
            Assert.Equal("back", (string)problem["field"]!);
        }
    }

    [Theory]
    [InlineData("-9223372036854775808")]
    [InlineData("9223372036854775807")]
    [InlineData("-10000001")]
    public async Task Adjustments_beyond_the_points_bound_are_refused_naming_points(string points)
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync();
        await p.GiveAsync(member, 100);
        var res = await p.Admin.PostAsync($"/api/v1/members/{member}/adjustments", Raw($"{{\"points\": {points}, \"reason\": \"edge\"}}"));
        Assert.Equal("points", (string)(await Problem(res, HttpStatusCode.BadRequest))["field"]!);
        Assert.Equal(100, await p.AvailableAsync(member));
    }

    [Theory]
    [InlineData("/api/v1/analytics/rfm?asOf=0001-01-01", "asOf")]
    [InlineData("/api/v1/analytics/rfm?asOf=9999-12-31", "asOf")]
    [InlineData("/api/v1/analytics/rfm?previous=0001-01-01", "previous")]
    [InlineData("/api/v1/analytics/rfm/members?segment=champions&asOf=9999-12-31", "asOf")]
    [InlineData("/api/v1/analytics/clv?calibrationEnd=0001-01-01", "calibrationEnd")]
    [InlineData("/api/v1/analytics/clv?calibrationEnd=9999-12-31", "calibrationEnd")]
    [InlineData("/api/v1/analytics/clv/holdout?calibrationEnd=0001-01-01", "calibrationEnd")]
    [InlineData("/api/v1/analytics/clv/holdout?holdoutEnd=9999-12-31", "holdoutEnd")]
    [InlineData("/api/v1/analytics/clv/holdout?calibrationEnd=0001-01-01&holdoutEnd=0001-01-02", "calibrationEnd")]
    [InlineData("/api/v1/analytics/baskets/rules?since=9999-12-31", "since")]
    [InlineData("/api/v1/analytics/abc?a=NaN", "a")]
    [InlineData("/api/v1/analytics/churn-risk?maxAlive=Infinity", "maxAlive")]
    public async Task Analytics_query_dates_and_numbers_at_the_edges_are_refused_naming_the_parameter(string url, string field)
    {
        var p = await server.NewProgrammeAsync();
        var problem = await Problem(await p.Admin.GetAsync(url), HttpStatusCode.BadRequest);
        Assert.Equal(field, (string)problem["field"]!);
    }

    [Theory]
    [InlineData("{\"from\": \"0001-01-01\", \"to\": \"0001-01-02\"}", "from")]
    [InlineData("{\"from\": \"9999-12-30\", \"to\": \"9999-12-31\"}", "from")]
    [InlineData("{\"to\": \"0001-01-01\"}", "to")]
    [InlineData("{\"to\": \"9999-12-31\"}", "to")]
    public async Task What_if_periods_at_the_edges_of_the_calendar_are_refused_naming_the_field(string body, string field)
    {
        var p = await server.NewProgrammeAsync();
        var problem = await Problem(await p.Admin.PostAsync("/api/v1/analytics/what-if", Raw(body)), HttpStatusCode.BadRequest);
        Assert.Equal(field, (string)problem["field"]!);
    }

    [Theory]
    [InlineData("America")]
    [InlineData("Etc")]
    [InlineData("../etc")]
    [InlineData("Europe/../../../etc/passwd")]
    [InlineData("/etc/localtime")]
    [InlineData("Europe/Berlin\u0000")]
    public async Task A_time_zone_that_is_not_a_zone_is_refused_naming_timeZone(string zone)
    {
        var p = await server.NewProgrammeAsync();
        var doc = (await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/programme"))!;
        doc["timeZone"] = zone;
        var problem = await Problem(await p.Admin.PutAsJsonAsync("/api/v1/programme", doc), HttpStatusCode.BadRequest);
        Assert.True(problem["errors"]?.AsObject().ContainsKey("timeZone") == true, problem.ToJsonString());
        Assert.Equal("UTC", (string)(await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/programme"))!["timeZone"]!);
    }

    [Fact]
    public async Task A_programme_document_with_more_rules_than_allowed_is_refused_naming_rules()
    {
        var p = await server.NewProgrammeAsync();
        var doc = (await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/programme"))!;
        var rules = new JsonArray();
        for (var i = 0; i < 1001; i++)
            rules.Add(new JsonObject
            {
                ["code"] = $"r{i}", ["name"] = "Rule", ["priority"] = 0, ["stacking"] = "stack", ["conditions"] = new JsonObject(),
                ["effect"] = new JsonObject { ["kind"] = "multiplier", ["value"] = 2 },
            });
        doc["rules"] = rules;
        var problem = await Problem(await p.Admin.PutAsJsonAsync("/api/v1/programme", doc), HttpStatusCode.BadRequest);
        Assert.Equal("rules", (string)problem["field"]!);
        Assert.Empty((await p.Admin.GetFromJsonAsync<JsonObject>("/api/v1/programme"))!["rules"]!.AsArray());
    }

    [Theory]
    [InlineData("{\"occurredAt\": \"0001-01-01T00:00:00Z\"}", "occurredAt")]
    [InlineData("{\"birthday\": \"0001-01-01\"}", "birthday")]
    public async Task Body_dates_outside_the_supported_range_are_refused_naming_the_field(string extra, string field)
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        var target = field == "birthday"
            ? await p.Pos.PatchAsync($"/api/v1/members/{member}", Raw(extra))
            : await p.Pos.PostAsync("/api/v1/purchases", Raw(
                $"{{\"receiptId\": \"d-1\", \"partner\": \"shop\", \"currency\": \"EUR\", \"cardNumber\": \"{card}\", \"total\": 10, " +
                $"\"lines\": [{{\"sku\": \"a\", \"quantity\": 1, \"unitPrice\": 10}}], {extra[1..]}"));
        Assert.Equal(field, (string)(await Problem(target, HttpStatusCode.BadRequest))["field"]!);
        Assert.Equal(0, (await p.CountsAsync()).Purchases);
    }

    [Theory]
    [InlineData("\"total\": \"10\"", "total", "JSON number")]
    [InlineData("\"total\": 10, \"lines\": [{\"sku\": \"a\", \"quantity\": \"1\", \"unitPrice\": 10}]", "lines[0].quantity", "JSON number")]
    [InlineData("\"total\": 10, \"total\": 10", "total", "more than once")]
    [InlineData("\"total\": 10, \"partner\": \"fuel\"", "partner", "more than once")]
    public async Task Numbers_as_strings_and_duplicate_keys_are_refused_naming_the_field(string members, string field, string says)
    {
        var p = await server.NewProgrammeAsync();
        var (_, card) = await p.EnrolAsync();
        var lines = members.Contains("\"lines\"", StringComparison.Ordinal) ? "" : ", \"lines\": [{\"sku\": \"a\", \"quantity\": 1, \"unitPrice\": 10}]";
        var body = $"{{\"receiptId\": \"s-1\", \"partner\": \"shop\", \"currency\": \"EUR\", \"cardNumber\": \"{card}\", {members}{lines}}}";
        var problem = await Problem(await p.Pos.PostAsync("/api/v1/purchases", Raw(body)), HttpStatusCode.BadRequest);
        Assert.Equal(field, (string)problem["field"]!);
        Assert.Contains(says, (string)problem["detail"]!, StringComparison.Ordinal);
        Assert.Equal(0, (await p.CountsAsync()).Purchases);
    }

    [Fact]
    public async Task Error_details_name_json_fields_and_never_dotnet_types()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync();
        var cases = new (Func<Task<HttpResponseMessage>> Send, string Field)[]
        {
            (() => p.Pos.PostAsync("/api/v1/purchases", Raw("[1, 2, 3]")), "body"),
            (() => p.Pos.PostAsync("/api/v1/purchases", Raw("\"a purchase\"")), "body"),
            (() => p.Pos.PostAsync("/api/v1/purchases", Raw("{\"partner\": \"shop\"}")), "receiptId"),
            (() => p.Pos.PostAsync("/api/v1/purchases", Raw("{\"receiptId\": \"x\", \"partner\": \"shop\", \"currency\": \"EUR\", \"total\": 1, \"lines\": {}}")), "lines"),
            (() => p.Pos.PostAsync("/api/v1/purchases", Raw("{\"receiptId\": \"x\", \"partner\": \"shop\", \"currency\": \"EUR\", \"total\": 1, \"lines\": [], \"pointsPayment\": 5}")), "pointsPayment"),
            (() => p.Admin.PostAsync($"/api/v1/members/{member}/adjustments", Raw("{\"points\": 1.5, \"reason\": \"x\"}")), "points"),
            (() => p.Pos.PostAsync("/api/v1/purchases", null), "body"),
            (() => p.Pos.GetAsync($"/api/v1/members/{member}/history?limit=abc"), "limit"),
            (() => p.Admin.GetAsync("/api/v1/analytics/rfm?asOf=yesterday"), "asOf"),
        };
        foreach (var (send, field) in cases)
        {
            var problem = await Problem(await send(), HttpStatusCode.BadRequest);
            Assert.Equal(field, (string)problem["field"]!);
            Assert.DoesNotContain("PurchaseRequest", problem.ToJsonString(), StringComparison.Ordinal);
            Assert.DoesNotContain("DateOnly", problem.ToJsonString(), StringComparison.Ordinal);
            Assert.DoesNotContain("Int32", problem.ToJsonString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_return_dated_before_its_purchase_is_refused_naming_occurredAt()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        var purchase = await p.Pos.PostAsync("/api/v1/purchases", Raw(
            $"{{\"receiptId\": \"r-1\", \"partner\": \"shop\", \"currency\": \"EUR\", \"cardNumber\": \"{card}\", \"total\": 20, " +
            "\"occurredAt\": \"2026-05-20T10:00:00Z\", \"lines\": [{\"sku\": \"a\", \"quantity\": 2, \"unitPrice\": 10}]}"));
        await TestProgramme.Expect(purchase, HttpStatusCode.Created);
        var id = (string)(await purchase.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        var before = (await p.CountsAsync(), await p.AvailableAsync(member));
        var res = await p.Pos.PostAsync($"/api/v1/purchases/{id}/returns", Raw(
            "{\"returnId\": \"back-1\", \"occurredAt\": \"2026-05-20T09:59:59Z\", \"lines\": [{\"lineNo\": 1, \"quantity\": 1}]}"));
        Assert.Equal("occurredAt", (string)(await Problem(res, HttpStatusCode.BadRequest))["field"]!);
        Assert.Equal(before, (await p.CountsAsync(), await p.AvailableAsync(member)));
        var view = (await p.Pos.GetFromJsonAsync<JsonObject>($"/api/v1/purchases/{id}"))!;
        Assert.Equal(0m, (decimal)view["returned"]!);
        var same = await p.Pos.PostAsync($"/api/v1/purchases/{id}/returns", Raw(
            "{\"returnId\": \"back-2\", \"occurredAt\": \"2026-05-20T10:00:00Z\", \"lines\": [{\"lineNo\": 1, \"quantity\": 1}]}"));
        await TestProgramme.Expect(same, HttpStatusCode.Created);
    }
}

public sealed class InputBoundsTestsOnSqlite(SqliteServer server) : InputBoundsTests(server), IClassFixture<SqliteServer>;

public sealed class InputBoundsTestsOnPostgres(PostgresServer server) : InputBoundsTests(server), IClassFixture<PostgresServer>;
