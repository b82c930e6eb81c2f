using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>
/// Thousands of generated malformed and hostile requests against every state-changing endpoint: none may cause a
/// 5xx, every answer is a problem response, and no balance or count changes.
/// </summary>
public abstract class HostileInputTests(TreueServer server, int requests)
{
    private sealed record Target(string Method, string Path, JsonObject Body);

    [Fact]
    public async Task Generated_hostile_requests_get_problem_responses_and_change_nothing()
    {
        var attacker = await server.NewProgrammeAsync();
        var victim = await server.NewProgrammeAsync();
        var (own, ownCard) = await attacker.EnrolAsync("Own member");
        await attacker.GiveAsync(own, 5000);
        var (member, card) = await victim.EnrolAsync("Victim");
        await victim.GiveAsync(member, 5000);
        var purchase = await victim.BuyAsync(TestProgramme.Purchase("v-1", card, ("a", "c", 2, 10m)));
        var order = (await (await victim.Pos.PostAsJsonAsync($"/api/v1/members/{member}/reward-orders", new { reward = "mug" })).Content.ReadFromJsonAsync<JsonObject>())!;
        var victimDoc = (await victim.Admin.GetFromJsonAsync<JsonObject>("/api/v1/programme"))!;
        var victimKeys = (await victim.Admin.GetFromJsonAsync<JsonArray>("/api/v1/api-keys"))!;

        // Every state-changing endpoint, aimed at the victim programme's resources with the attacker's admin key.
        var foreign = new Target[]
        {
            new("PATCH", $"/api/v1/members/{member}", new JsonObject { ["name"] = "Mallory" }),
            new("POST", $"/api/v1/members/{member}/cards", new JsonObject { ["kind"] = "physical" }),
            new("POST", $"/api/v1/cards/{card}/block", new JsonObject { ["reason"] = "stolen" }),
            new("POST", $"/api/v1/cards/{card}/replace", new JsonObject()),
            new("POST", "/api/v1/purchases", Purchase(card)),
            new("POST", "/api/v1/purchases/quote", Purchase(card)),
            new("POST", $"/api/v1/purchases/{purchase["id"]}/returns", new JsonObject { ["returnId"] = "x", ["lines"] = new JsonArray(new JsonObject { ["lineNo"] = 1, ["quantity"] = 1 }) }),
            new("POST", $"/api/v1/members/{member}/adjustments", new JsonObject { ["points"] = -5000, ["reason"] = "steal" }),
            new("POST", $"/api/v1/members/{member}/reward-orders", new JsonObject { ["reward"] = "mug" }),
            new("POST", $"/api/v1/reward-orders/{order["id"]}/fulfil", new JsonObject()),
            new("POST", $"/api/v1/reward-orders/{order["id"]}/cancel", new JsonObject()),
            new("PUT", "/api/v1/programme", (JsonObject)victimDoc.DeepClone()),
            new("POST", $"/api/v1/api-keys/{victimKeys[0]!["id"]}/revoke", new JsonObject()),
        };
        // The attacker's own endpoints, which only garbage can reach.
        var own_ = new Target[]
        {
            new("POST", "/api/v1/members", new JsonObject { ["name"] = "New", ["email"] = "new@example.org" }),
            new("PATCH", $"/api/v1/members/{own}", new JsonObject { ["name"] = "Renamed" }),
            new("POST", $"/api/v1/members/{own}/cards", new JsonObject { ["kind"] = "digital" }),
            new("POST", "/api/v1/purchases", Purchase(ownCard)),
            new("POST", $"/api/v1/members/{own}/adjustments", new JsonObject { ["points"] = 10, ["reason"] = "x" }),
            new("POST", $"/api/v1/members/{own}/reward-orders", new JsonObject { ["reward"] = "mug" }),
            new("POST", "/api/v1/api-keys", new JsonObject { ["name"] = "k", ["role"] = "pos" }),
            new("PUT", "/api/v1/programme", (await attacker.Admin.GetFromJsonAsync<JsonObject>("/api/v1/programme"))!),
        };

        var before = (await attacker.CountsAsync(), await victim.CountsAsync(), await attacker.AvailableAsync(own), await victim.AvailableAsync(member));
        var random = new Random(Seed);
        var statuses = new Dictionary<int, int>();
        for (var i = 0; i < requests; i++)
        {
            var useForeign = random.Next(3) == 0;
            var target = useForeign ? foreign[random.Next(foreign.Length)] : own_[random.Next(own_.Length)];
            var (content, headers, kind) = Hostile(random, target.Body, mustBreak: !useForeign);
            using var req = new HttpRequestMessage(new HttpMethod(target.Method), target.Path) { Content = content };
            foreach (var (name, value) in headers) req.Headers.TryAddWithoutValidation(name, value);
            using var res = await attacker.Admin.SendAsync(req);
            var status = (int)res.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var text = await res.Content.ReadAsStringAsync();
            Assert.True(status is >= 400 and < 500, $"seed {Seed}, request {i} ({kind}) {target.Method} {target.Path} got {status}: {text}");
            Assert.True(res.Content.Headers.ContentType?.MediaType == "application/problem+json", $"seed {Seed}, request {i} ({kind}): not a problem response: {text}");
            Assert.NotNull(JsonNode.Parse(text)?["code"]);
        }
        var after = (await attacker.CountsAsync(), await victim.CountsAsync(), await attacker.AvailableAsync(own), await victim.AvailableAsync(member));
        Assert.Equal(before, after);
        await attacker.AssertLedgerInvariantsAsync();
        await victim.AssertLedgerInvariantsAsync();
        TestContext.Current.SendDiagnosticMessage($"{requests} hostile requests, seed {Seed}: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));
    }

    /// <summary>Set TREUE_HOSTILE_SEED to replay a failing run.</summary>
    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("TREUE_HOSTILE_SEED"), out var s) ? s : Environment.TickCount & 0xFFFF;

    private static JsonObject Purchase(string card) => new()
    {
        ["receiptId"] = "h-" + Guid.NewGuid().ToString("N")[..8], ["partner"] = "shop", ["currency"] = "EUR", ["cardNumber"] = card, ["total"] = 10,
        ["lines"] = new JsonArray(new JsonObject { ["sku"] = "a", ["quantity"] = 1, ["unitPrice"] = 10 }),
    };

    private static readonly string[] OddStrings =
    [
        "\u0000", "\u202Eevil", "\u200B\u200B", "e\u0301\u0301\u0301", "\uFEFF", "🧨💥", "a\u0007b", "\r\n", "\\u0000", new string('x', 5000),
    ];

    private static (HttpContent Content, List<(string, string)> Headers, string Kind) Hostile(Random random, JsonObject valid, bool mustBreak)
    {
        var headers = new List<(string, string)>();
        var json = valid.ToJsonString();
        var kind = random.Next(mustBreak ? 11 : 12);
        string body;
        switch (kind)
        {
            case 0: // random bytes
                var bytes = new byte[random.Next(1, 200)];
                random.NextBytes(bytes);
                return (new ByteArrayContent(bytes) { Headers = { ContentType = new("application/json") } }, headers, "random bytes");
            case 1: // truncated
                body = json[..random.Next(1, json.Length - 1)];
                break;
            case 2: // a required field with the wrong type
                body = Mutate(valid, random, (o, k) => o[k] = random.Next(2) == 0 ? new JsonArray(1, 2) : JsonValue.Create(random.Next(2) == 0));
                break;
            case 3: // absurd numbers
                body = Mutate(valid, random, (o, k) => o[k] = JsonValue.Create(random.Next(2) == 0 ? -1e300 : 1e300)).Replace("1E+300", "1e999").Replace("-1E+300", "-1e999");
                break;
            case 4: // odd Unicode together with a control character in a text field
                body = Mutate(valid, random, (o, k) => o[k] = OddStrings[random.Next(OddStrings.Length)] + "\u0001");
                break;
            case 5: // unknown member
                var extra = (JsonObject)valid.DeepClone();
                extra["x" + random.Next(1000)] = "surprise";
                body = extra.ToJsonString();
                break;
            case 6: // deep nesting
                var depth = random.Next(70, 5000);
                body = new string('[', depth) + new string(']', depth);
                break;
            case 7: // oversized body
                body = "{\"name\": \"" + new string('a', 1024 * 1024 + random.Next(1000)) + "\"}";
                break;
            case 8: // oversized headers
                headers.Add(("X-Padding", new string('h', 20_000 + random.Next(10_000))));
                body = "{";
                break;
            case 9: // hostile idempotency key with a broken body
                headers.Add(("Idempotency-Key", random.Next(2) == 0 ? new string('k', 300) : "key-" + random.Next(5)));
                body = json[..^1];
                break;
            case 10: // not JSON at all
                return (new StringContent("name=Mallory&points=1000000", Encoding.UTF8, "application/x-www-form-urlencoded"), headers, "form body");
            default: // the valid body, aimed at another programme's resources
                body = json;
                break;
        }
        return (new StringContent(body, Encoding.UTF8, "application/json"), headers, "kind " + kind);
    }

    private static string Mutate(JsonObject valid, Random random, Action<JsonObject, string> change)
    {
        var copy = (JsonObject)valid.DeepClone();
        var keys = copy.Select(p => p.Key).ToList();
        if (keys.Count == 0)
        {
            copy["name"] = JsonValue.Create(42);
            return copy.ToJsonString();
        }
        change(copy, keys[random.Next(keys.Count)]);
        return copy.ToJsonString();
    }
}

public sealed class HostileInputTestsOnSqlite(SqliteServer server) : HostileInputTests(server, 10_000), IClassFixture<SqliteServer>;

public sealed class HostileInputTestsOnPostgres(PostgresServer server) : HostileInputTests(server, 2_000), IClassFixture<PostgresServer>;
