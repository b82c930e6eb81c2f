using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>
/// Thousands of generated malformed and hostile requests against every endpoint: bodies of the state-changing ones,
/// and the path and query parameters of the reading ones (analytics and <c>/culture</c> included). None may cause a
/// 5xx, every refusal is a problem response, and no balance, count or programme setting changes.
/// </summary>
public abstract class HostileInputTests(TreueServer server, int requests)
{
    private sealed record Target(string Method, string Path, JsonObject Body, params string[] Dates);

    /// <summary>A reading endpoint and its parameters; <paramref name="MayAnswer"/> when it has none that can be wrong.</summary>
    private sealed record Query(string Path, string[] Parameters, bool MayAnswer = false, bool Anonymous = false);

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
        var ownPurchase = await attacker.BuyAsync(TestProgramme.Purchase("o-1", ownCard, ("a", "c", 3, 10m)));
        var victimDoc = (await victim.Admin.GetFromJsonAsync<JsonObject>("/api/v1/programme"))!;
        var victimKeys = (await victim.Admin.GetFromJsonAsync<JsonArray>("/api/v1/api-keys"))!;

        // Every state-changing endpoint, aimed at the victim programme's resources with the attacker's admin key.
        var foreign = new Target[]
        {
            new("PATCH", $"/api/v1/members/{member}", new JsonObject { ["name"] = "Mallory" }),
            new("POST", $"/api/v1/members/{member}/cards", new JsonObject { ["kind"] = "physical" }),
            new("POST", $"/api/v1/cards/{card}/block", new JsonObject { ["reason"] = "stolen" }),
            new("POST", $"/api/v1/cards/{card}/replace", new JsonObject()),
            new("POST", "/api/v1/purchases", Purchase(card), "occurredAt"),
            new("POST", "/api/v1/purchases/quote", Purchase(card), "occurredAt"),
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
            new("POST", "/api/v1/members", new JsonObject { ["name"] = "New", ["email"] = "new@example.org", ["birthday"] = "1990-05-01" }, "birthday"),
            new("PATCH", $"/api/v1/members/{own}", new JsonObject { ["name"] = "Renamed", ["birthday"] = "1990-05-01" }, "birthday"),
            new("POST", $"/api/v1/members/{own}/cards", new JsonObject { ["kind"] = "digital" }),
            new("POST", "/api/v1/purchases", Purchase(ownCard), "occurredAt"),
            new("POST", "/api/v1/purchases/quote", Purchase(ownCard), "occurredAt"),
            new("POST", $"/api/v1/purchases/{ownPurchase["id"]}/returns", new JsonObject
            {
                ["returnId"] = "r-1", ["occurredAt"] = "2026-06-01T08:00:00Z", ["lines"] = new JsonArray(new JsonObject { ["lineNo"] = 1, ["quantity"] = 1 }),
            }, "occurredAt"),
            new("POST", $"/api/v1/members/{own}/adjustments", new JsonObject { ["points"] = 10, ["reason"] = "x" }),
            new("POST", $"/api/v1/members/{own}/reward-orders", new JsonObject { ["reward"] = "mug" }),
            new("POST", "/api/v1/api-keys", new JsonObject { ["name"] = "k", ["role"] = "pos" }),
            new("PUT", "/api/v1/programme", (await attacker.Admin.GetFromJsonAsync<JsonObject>("/api/v1/programme"))!),
            new("POST", "/api/v1/analytics/what-if", new JsonObject { ["from"] = "2026-03-01", ["to"] = "2026-05-31", ["baseRate"] = 2 }, "from", "to"),
        };
        // Every reading endpoint with the parameters it takes; the attacker's own resources unless the path names the victim's.
        var queries = new Query[]
        {
            new("/api/v1/members", ["email", "cardNumber", "cardToken", "externalRef", "limit", "cursor"]),
            new($"/api/v1/members/{own}/history", ["limit", "cursor"]),
            new($"/api/v1/members/{own}/purchases", ["limit", "cursor"]),
            new($"/api/v1/members/{own}/reward-orders", ["limit", "cursor"]),
            new($"/api/v1/members/{own}/recommendations", ["by", "top"]),
            new("/api/v1/reward-orders", ["status", "limit", "cursor"]),
            new("/api/v1/analytics/abc", ["a", "b"]),
            new("/api/v1/analytics/rfm", ["asOf", "previous"]),
            new("/api/v1/analytics/rfm/members?segment=champions", ["asOf", "limit", "cursor"]),
            new("/api/v1/analytics/rfm/members", ["segment"]),
            new("/api/v1/analytics/clv", ["model", "horizonMonths", "discountRate", "calibrationEnd", "top"]),
            new("/api/v1/analytics/clv/holdout", ["model", "calibrationEnd", "holdoutEnd"]),
            new("/api/v1/analytics/churn-risk", ["model", "valueShare", "maxAlive", "limit"]),
            new("/api/v1/analytics/retention", ["by", "withinDays"]),
            new("/api/v1/analytics/baskets/rules", ["by", "minSupport", "minConfidence", "since", "top"]),
            new("/api/v1/cards/", ["path"]),
            new("/culture?c=de", ["back"], Anonymous: true),
            // Other programmes' ids: refused whatever the query says.
            new($"/api/v1/members/{member}", ["limit"]),
            new($"/api/v1/members/{member}/balance", ["limit"]),
            new($"/api/v1/members/{member}/history", ["limit", "cursor"]),
            new($"/api/v1/members/{member}/purchases", ["limit", "cursor"]),
            new($"/api/v1/members/{member}/reward-orders", ["limit", "cursor"]),
            new($"/api/v1/members/{member}/recommendations", ["by", "top"]),
            new($"/api/v1/purchases/{purchase["id"]}", ["limit"]),
            new($"/api/v1/cards/{card}", ["limit"]),
            // Endpoints without parameters: whatever is added to their query, they answer without a 5xx.
            new("/api/v1/programme", ["asOf"], MayAnswer: true),
            new("/api/v1/rewards", ["limit"], MayAnswer: true),
            new("/api/v1/api-keys", ["limit"], MayAnswer: true),
            new("/api/v1/analytics/economics", ["asOf"], MayAnswer: true),
            new("/api/v1/analytics/loyalty", ["since"], MayAnswer: true),
            new($"/api/v1/members/{own}", ["limit"], MayAnswer: true),
            new($"/api/v1/members/{own}/balance", ["asOf"], MayAnswer: true),
            new($"/api/v1/purchases/{ownPurchase["id"]}", ["limit"], MayAnswer: true),
            new($"/api/v1/cards/{ownCard}", ["limit"], MayAnswer: true),
        };
        var anonymous = server.Client(null);
        var programmesBefore = (await Document(attacker), await Document(victim));

        var before = (await attacker.CountsAsync(), await victim.CountsAsync(), await attacker.AvailableAsync(own), await victim.AvailableAsync(member));
        var random = new Random(Seed);
        var statuses = new Dictionary<int, int>();
        for (var i = 0; i < requests; i++)
        {
            var useForeign = random.Next(3) == 0;
            var target = useForeign ? foreign[random.Next(foreign.Length)] : own_[random.Next(own_.Length)];
            var (content, headers, kind) = Hostile(random, target, mustBreak: !useForeign);
            using var req = new HttpRequestMessage(new HttpMethod(target.Method), target.Path) { Content = content };
            foreach (var (name, value) in headers) req.Headers.TryAddWithoutValidation(name, value);
            using var res = await attacker.Admin.SendAsync(req);
            var status = (int)res.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var text = await res.Content.ReadAsStringAsync();
            Assert.True(status is >= 400 and < 500, $"seed {Seed}, request {i} ({kind}) {target.Method} {target.Path} got {status}: {Shorten(text)}");
            Assert.True(res.Content.Headers.ContentType?.MediaType == "application/problem+json", $"seed {Seed}, request {i} ({kind}): not a problem response: {Shorten(text)}");
            Assert.NotNull(JsonNode.Parse(text)?["code"]);
        }
        for (var i = 0; i < requests / 5; i++)
        {
            var query = queries[random.Next(queries.Length)];
            var name = query.Parameters[random.Next(query.Parameters.Length)];
            var value = HostileValue(random, name);
            var url = name == "path" ? query.Path + value : query.Path + (query.Path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + name + "=" + value;
            using var res = await (query.Anonymous ? anonymous : attacker.Admin).GetAsync(url);
            var status = (int)res.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var text = await res.Content.ReadAsStringAsync();
            Assert.True(status < 500 && (query.MayAnswer || status >= 400), $"seed {Seed}, query {i} GET {Shorten(url)} got {status}: {Shorten(text)}");
            if (status < 400) continue;
            Assert.True(res.Content.Headers.ContentType?.MediaType == "application/problem+json", $"seed {Seed}, query {i} GET {Shorten(url)}: not a problem response: {Shorten(text)}");
            Assert.NotNull(JsonNode.Parse(text)?["code"]);
        }
        var after = (await attacker.CountsAsync(), await victim.CountsAsync(), await attacker.AvailableAsync(own), await victim.AvailableAsync(member));
        Assert.Equal(before, after);
        Assert.Equal(programmesBefore, (await Document(attacker), await Document(victim)));
        await attacker.AssertLedgerInvariantsAsync();
        await victim.AssertLedgerInvariantsAsync();
        TestContext.Current.SendDiagnosticMessage($"{requests} hostile bodies and {requests / 5} hostile queries, seed {Seed}: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));
    }

    private static async Task<string> Document(TestProgramme p) => await p.Admin.GetStringAsync("/api/v1/programme");

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;

    // Values that are wrong for every parameter of their kind, so that no hostile query can succeed.
    private static readonly string[] HostileDates = ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01", "2026-02-30", "yesterday", "-1", "99999-01-01", "%01"];
    private static readonly string[] HostileWholeNumbers = ["-1", "-2147483649", "2147483648", "9223372036854775808", "-9223372036854775809", "100000", "1e3", "abc", "0x10", "NaN", "%00"];
    private static readonly string[] HostileNumbers = ["NaN", "Infinity", "-Infinity", "1e309", "-1e309", "-1", "2", "-0.5", "abc", "1e-400x", "%01"];
    private static readonly string[] HostileTexts = ["%00", "a%01b", "%7F", "%E2%80%AEevil%01", new string('x', 5000), "%0D%0ASet-Cookie:%20a=b"];
    private static readonly string[] HostileChoices = ["bogus", "-1", "999", "%01", "%00", new string('z', 3000)];
    private static readonly string[] HostileCursors = ["!!!", "@@@@", "%00", "zz", "a", "%01%02", new string('/', 4000)];
    private static readonly string[] HostilePaths = ["/%01", "/%0D%0ALocation:%20http://evil", "/%7F", "/%C3%A4", "/" + new string('a', 3000)];

    private static string HostileValue(Random random, string parameter)
    {
        var values = parameter switch
        {
            "asOf" or "previous" or "calibrationEnd" or "holdoutEnd" or "since" => HostileDates,
            "limit" or "top" or "horizonMonths" or "withinDays" => HostileWholeNumbers,
            "a" or "b" or "discountRate" or "minSupport" or "minConfidence" or "valueShare" or "maxAlive" => HostileNumbers,
            "model" or "by" or "status" or "segment" => HostileChoices,
            "cursor" => HostileCursors,
            "back" => HostilePaths,
            // A NUL in a path never reaches the application: the server refuses it while reading the request line.
            "path" => HostileTexts[1..],
            _ => HostileTexts,
        };
        return values[random.Next(values.Length)];
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

    private static readonly string[] HostileBodyDates =
        ["0001-01-01", "9999-12-31", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1899-12-31", "2201-01-01T00:00:00+14:00", "2026-02-30", "+10000-01-01"];

    private static readonly string[] HugeNumbers =
        ["-9223372036854775808", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e20", "-1e20", "2147483648", "-2147483649"];

    private static readonly string[] HostileZones = ["America", "Etc", "../etc", "Europe/../../../etc/passwd", "/etc/passwd", "Europe", "", "Europe/Berlin\u0000", "Etc/", "posixrules/x"];

    private static (HttpContent Content, List<(string, string)> Headers, string Kind) Hostile(Random random, Target target, bool mustBreak)
    {
        var valid = target.Body;
        var headers = new List<(string, string)>();
        var json = valid.ToJsonString();
        var kind = random.Next(mustBreak ? 16 : 17);
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
            case 11: // a number sent as a string
                var numbers = Numeric(valid);
                var copy = (JsonObject)valid.DeepClone();
                if (numbers.Count == 0) copy["points"] = "10";
                else
                {
                    var (path, key) = numbers[random.Next(numbers.Count)];
                    var holder = path(copy);
                    holder[key] = holder[key]!.ToJsonString();
                }
                body = copy.ToJsonString();
                break;
            case 12: // a member given twice
                var first = valid.FirstOrDefault();
                body = first.Key is null
                    ? "{\"reason\": \"a\", \"reason\": \"b\"}"
                    : "{" + JsonValue.Create(first.Key).ToJsonString() + ": " + (first.Value?.ToJsonString() ?? "null") + ", " + json[1..];
                break;
            case 13: // a date at the edge of the calendar, or no date at all
                var dated = (JsonObject)valid.DeepClone();
                dated[target.Dates.Length > 0 ? target.Dates[random.Next(target.Dates.Length)] : "occurredAt"] = HostileBodyDates[random.Next(HostileBodyDates.Length)];
                body = dated.ToJsonString();
                break;
            case 14: // a number beyond every bound
                var huge = JsonNode.Parse(HugeNumbers[random.Next(HugeNumbers.Length)]);
                var numeric = Numeric(valid);
                if (numeric.Count == 0) body = Mutate(valid, random, (o, k) => o[k] = huge);
                else
                {
                    var changed = (JsonObject)valid.DeepClone();
                    var (path, key) = numeric[random.Next(numeric.Count)];
                    path(changed)[key] = huge;
                    body = changed.ToJsonString();
                }
                break;
            case 15: // a time zone that is a directory or a path of the zone database
                var zoned = (JsonObject)valid.DeepClone();
                if (zoned.ContainsKey("timeZone")) zoned["timeZone"] = HostileZones[random.Next(HostileZones.Length)];
                else zoned["timeZone"] = "America";
                body = zoned.ToJsonString();
                break;
            default: // the valid body, aimed at another programme's resources
                body = json;
                break;
        }
        return (new StringContent(body, Encoding.UTF8, "application/json"), headers, "kind " + kind);
    }

    /// <summary>Where the body holds numbers: a way to find the object holding each in a copy, and its key.</summary>
    private static List<(Func<JsonObject, JsonObject> Holder, string Key)> Numeric(JsonObject body)
    {
        var found = new List<(Func<JsonObject, JsonObject>, string)>();
        foreach (var (key, value) in body)
        {
            if (value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number) found.Add((o => o, key));
            if (value is JsonArray { Count: > 0 } array && array[0] is JsonObject line)
            {
                var k = key;
                foreach (var (inner, innerValue) in line)
                    if (innerValue is JsonValue iv && iv.GetValueKind() == System.Text.Json.JsonValueKind.Number)
                        found.Add((o => (JsonObject)o[k]![0]!, inner));
            }
        }
        return found;
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
