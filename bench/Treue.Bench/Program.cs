using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Treue.Server;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Features.Members;
using Treue.Server.Features.Programmes;
using Treue.Storage;
using Treue.Storage.Entities;

// Throughput and latency of the API's hot paths against a trivial endpoint of the same server, in the same run.
// Usage: dotnet run -c Release --project bench/Treue.Bench -- [earn|balance|all] [--seconds N] [--concurrency N] [--connection CS]
var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var seconds = int.Parse(Option("--seconds") ?? "10", CultureInfo.InvariantCulture);
var concurrency = int.Parse(Option("--concurrency") ?? "32", CultureInfo.InvariantCulture);
var folder = Path.Combine(Path.GetTempPath(), "treue-bench-" + Guid.NewGuid().ToString("N")[..8]);
var connection = Option("--connection") ?? StorageSetup.DefaultConnectionString(folder);

var app = TreueApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", "--ConnectionStrings:Treue=" + connection, "--Treue:Jobs:Interval=00:00:00"]);
await app.StartAsync();
var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"Treue bench: {scenario}, {seconds}s per measurement, {concurrency} concurrent clients, {(StorageSetup.Detect(connection) == DatabaseProvider.Sqlite ? "SQLite" : "PostgreSQL")}, {Environment.ProcessorCount} cores");

string key;
string[] cards;
using (var scope = app.Services.CreateScope())
{
    var doc = DemoDoc();
    await scope.ServiceProvider.GetRequiredService<ProgrammeApplier>().ApplyAsync(doc, CancellationToken.None);
    var db = scope.ServiceProvider.GetRequiredService<TreueDb>();
    var programme = db.Programmes.Single(p => p.Code == doc.Code);
    key = (await ApiKeyEndpoints.CreateAsync(db, programme.Id, "bench", ApiRole.Admin, null, DateTime.UtcNow, CancellationToken.None)).Key;
}
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 2 }) { BaseAddress = new Uri(url) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
var members = new List<(Guid Id, string Card)>();
for (var i = 0; i < 1000; i++)
{
    var res = await http.PostAsJsonAsync("/api/v1/members", new { name = "Bench " + i, issueCard = "physical" }, TreueJson.Options);
    var m = (await res.Content.ReadFromJsonAsync<MemberView>(TreueJson.Options))!;
    members.Add((m.Id, m.Cards[0].Number));
}
cards = members.Select(m => m.Card).ToArray();

var trivial = await Measure("GET /health/live (baseline)", _ => new HttpRequestMessage(HttpMethod.Get, "/health/live"));
if (scenario is "earn" or "all")
{
    var earn = await Measure("POST /api/v1/purchases (3 lines, Idempotency-Key)", i =>
    {
        var card = cards[i % cards.Length];
        var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/purchases")
        {
            Content = JsonContent.Create(new
            {
                receiptId = "b-" + i, partner = "shop", store = "s1", currency = "EUR", cardNumber = card, total = 23.37m,
                lines = new[]
                {
                    new { sku = "milk", category = "dairy", quantity = 2m, unitPrice = 1.19m },
                    new { sku = "wine", category = "drinks", quantity = 1m, unitPrice = 8.99m },
                    new { sku = "cheese", category = "dairy", quantity = 3m, unitPrice = 4.00m },
                },
            }, options: TreueJson.Options),
        };
        req.Headers.Add("Idempotency-Key", "bench-" + i);
        return req;
    });
    Console.WriteLine($"  earn / baseline throughput: {earn.Throughput / trivial.Throughput:P1}");
}
if (scenario is "balance" or "all")
{
    var balance = await Measure("GET /api/v1/members/{id}/balance", i => new HttpRequestMessage(HttpMethod.Get, $"/api/v1/members/{members[i % members.Count].Id}/balance"));
    Console.WriteLine($"  balance / baseline throughput: {balance.Throughput / trivial.Throughput:P1}");
}
await app.StopAsync();
try { Directory.Delete(folder, true); } catch (IOException) { }
return 0;

async Task<(double Throughput, double P50, double P99)> Measure(string name, Func<int, HttpRequestMessage> request)
{
    // Warm up, then run closed-loop clients for the measured period.
    for (var w = 0; w < 50; w++) (await http.SendAsync(request(10_000_000 + w))).Dispose();
    var latencies = new List<double>[concurrency];
    var next = 0;
    var failures = 0;
    var stopAt = Stopwatch.GetTimestamp() + (long)(seconds * (double)Stopwatch.Frequency);
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async c =>
    {
        var mine = latencies[c] = [];
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            var i = Interlocked.Increment(ref next);
            var start = Stopwatch.GetTimestamp();
            using var res = await http.SendAsync(request(i));
            if (!res.IsSuccessStatusCode) Interlocked.Increment(ref failures);
            mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }));
    var elapsed = clock.Elapsed.TotalSeconds;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    var result = (all.Length / elapsed, all[all.Length / 2], all[(int)(all.Length * 0.99)]);
    Console.WriteLine($"{name}: {result.Item1:F0} req/s, p50 {result.Item2:F2} ms, p99 {result.Item3:F2} ms, {all.Length} requests, {failures} failed");
    return result;
}

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static ProgrammeDocument DemoDoc() => new()
{
    Code = "bench", Name = "Bench", Currency = "EUR", PendingDays = 14,
    Partners = [new("shop", "Shop", [new("s1", "Store 1")])],
    Rules =
    [
        new("saturday", "2× Saturdays", 10, Treue.Domain.Earning.Stacking.Stack, new Treue.Domain.Earning.RuleConditions { Weekdays = [DayOfWeek.Saturday] },
            new Treue.Domain.Earning.RuleEffect(Treue.Domain.Earning.EffectKind.Multiplier, 2)),
        new("dairy", "+1 on dairy", 5, Treue.Domain.Earning.Stacking.Stack, new Treue.Domain.Earning.RuleConditions { Categories = ["dairy"] },
            new Treue.Domain.Earning.RuleEffect(Treue.Domain.Earning.EffectKind.PointsPerCurrencyUnit, 1)),
    ],
};
