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
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

// Throughput and latency of the API's hot paths against a trivial endpoint of the same server, in the same run.
// Baselines: GET /health/live (a trivial endpoint) and POST /api/v1/bench/minimal-earn (an earn reduced to its key insert and
// guarded balance update in plain ADO.NET, one durable transaction per request: what the database itself allows).
// Usage: dotnet run -c Release --project bench/Treue.Bench -- [earn|promo|balance|all] [--seconds N] [--concurrency N] [--connection CS]
var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var seconds = int.Parse(Option("--seconds") ?? "10", CultureInfo.InvariantCulture);
var concurrency = int.Parse(Option("--concurrency") ?? "32", CultureInfo.InvariantCulture);
var folder = Path.Combine(Path.GetTempPath(), "treue-bench-" + Guid.NewGuid().ToString("N")[..8]);
var connection = Option("--connection") ?? StorageSetup.DefaultConnectionString(folder);

Console.WriteLine($"Treue bench: {scenario}, {seconds}s per measurement, {concurrency} concurrent clients, {(StorageSetup.Detect(connection) == DatabaseProvider.Sqlite ? "SQLite" : "PostgreSQL")}, {Environment.ProcessorCount} cores");
WebApplication app = null!;
HttpClient http = null!;
List<(Guid Id, string Card)> members = [];

// Figures of this run, printed again together at the end as ratios to the baselines measured in the same run.
var summary = new List<string>();
if (scenario is "earn" or "all")
{
    // The same server twice: first with every request its own transaction, then with group commit (the default).
    await StartAsync(groupCommit: false, "-single");
    var single = await Measure("POST /api/v1/purchases, one transaction per request", Purchase);
    await StopAsync();

    await StartAsync(groupCommit: true, "");
    var trivial = await Measure("GET /health/live (baseline)", _ => new HttpRequestMessage(HttpMethod.Get, "/health/live"));
    // Second baseline: what the database itself allows for an earn, one durable transaction per request.
    var minimal = await Measure("POST /api/v1/bench/minimal-earn (baseline: key insert + guarded update, one transaction per request)", MinimalEarn);
    var groupsBefore = app.Services.GetRequiredService<GroupCommit>().Counts;
    var earn = await Measure("POST /api/v1/purchases, group commit (3 lines, Idempotency-Key)", Purchase);
    var groupsAfter = app.Services.GetRequiredService<GroupCommit>().Counts;
    // How many purchases shared a transaction: near the number of clients when the writer is the bottleneck, near 1 when it waits for requests.
    var meanGroup = (groupsAfter.Requests - groupsBefore.Requests) / (double)Math.Max(1, groupsAfter.Batches - groupsBefore.Batches);
    Console.WriteLine($"  mean group size: {meanGroup:F1} purchases per transaction ({groupsAfter.Batches - groupsBefore.Batches} transactions)");
    Console.WriteLine($"  earn / baseline throughput: {earn.Throughput / trivial.Throughput:P1}");
    Console.WriteLine($"  earn / minimal earn: {earn.Throughput / minimal.Throughput:F2}x");
    Console.WriteLine($"  group commit / one transaction per request: {earn.Throughput / single.Throughput:F2}x");
    var half = await MeasureAtRate("POST /api/v1/purchases at half of peak throughput", Purchase, earn.Throughput / 2);
    Console.WriteLine($"  p99 at half of peak: {half.P99:F2} ms (at {earn.Throughput / 2:F0} req/s offered)");
    summary.Add($"full earn (group commit) / trivial endpoint:   {earn.Throughput / trivial.Throughput:F3} ({earn.Throughput:F0} / {trivial.Throughput:F0} req/s)");
    summary.Add($"full earn (group commit) / minimal earn:       {earn.Throughput / minimal.Throughput:F2} ({earn.Throughput:F0} / {minimal.Throughput:F0} req/s)");
    summary.Add($"full earn, one transaction per request / minimal earn: {single.Throughput / minimal.Throughput:F2} ({single.Throughput:F0} / {minimal.Throughput:F0} req/s)");
    summary.Add($"full earn, group commit / one transaction per request: {earn.Throughput / single.Throughput:F2}");
    summary.Add($"mean group size (group commit): {meanGroup:F1} purchases per transaction");
    summary.Add($"full earn at half of peak ({earn.Throughput / 2:F0} req/s offered): p50 {half.P50:F1} ms, p99 {half.P99:F1} ms");
    if (scenario is "earn") await StopAsync();
}
if (scenario is "promo" or "all")
{
    // The earn with promotions: the basket presents a coupon code and fills a coffee stamp card whose reward is points,
    // against the plain earn and the trivial endpoint measured in the same server.
    if (scenario is "promo") await StartAsync(groupCommit: true, "-promo");
    var trivial = await Measure("GET /health/live (baseline)", _ => new HttpRequestMessage(HttpMethod.Get, "/health/live"));
    var plain = await Measure("POST /api/v1/purchases, group commit (3 lines, no promotions)", i => Purchase(30_000_000 + i));
    await AddPromotionsAsync();
    var promo = await Measure("POST /api/v1/purchases, group commit (4 lines, a coupon code, a stamp card)", PromoPurchase);
    summary.Add($"earn with coupon and stamp card / trivial endpoint: {promo.Throughput / trivial.Throughput:F3} ({promo.Throughput:F0} / {trivial.Throughput:F0} req/s)");
    summary.Add($"earn with coupon and stamp card / plain earn:      {promo.Throughput / plain.Throughput:F2} ({promo.Throughput:F0} / {plain.Throughput:F0} req/s)");
    summary.Add($"earn with coupon and stamp card: p50 {promo.P50:F1} ms, p99 {promo.P99:F1} ms");
    if (scenario is "promo") await StopAsync();
}
if (scenario is "balance" or "all")
{
    if (scenario is "balance") await StartAsync(groupCommit: true, "");
    var trivial = await Measure("GET /health/live (baseline)", _ => new HttpRequestMessage(HttpMethod.Get, "/health/live"));
    var balance = await Measure("GET /api/v1/members/{id}/balance", i => new HttpRequestMessage(HttpMethod.Get, $"/api/v1/members/{members[i % members.Count].Id}/balance"));
    Console.WriteLine($"  balance / baseline throughput: {balance.Throughput / trivial.Throughput:P1}");
    summary.Add($"balance reads / trivial endpoint:              {balance.Throughput / trivial.Throughput:F3} ({balance.Throughput:F0} / {trivial.Throughput:F0} req/s)");
    await StopAsync();
}
Console.WriteLine();
Console.WriteLine($"Ratios to the baselines of this run ({(StorageSetup.Detect(connection) == DatabaseProvider.Sqlite ? "SQLite" : "PostgreSQL")}):");
foreach (var line in summary) Console.WriteLine("  " + line);
try { Directory.Delete(folder, true); } catch (IOException) { }
return 0;

// Starts the server on a fresh database (a new SQLite file, or a new programme on the given PostgreSQL), with 1,000 members.
async Task StartAsync(bool groupCommit, string suffix)
{
    var cs = Option("--connection") ?? StorageSetup.DefaultConnectionString(Path.Combine(folder, "db" + suffix));
    app = TreueApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", "--ConnectionStrings:Treue=" + cs,
        "--Treue:Jobs:Interval=00:00:00", "--Treue:GroupCommit:Enabled=" + groupCommit, "--Treue:Bench:MinimalEarn=true"]);
    await app.StartAsync();
    var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    string key;
    using (var scope = app.Services.CreateScope())
    {
        var doc = DemoDoc() with { Code = "bench-" + Guid.NewGuid().ToString("N")[..8] };
        await scope.ServiceProvider.GetRequiredService<ProgrammeApplier>().ApplyAsync(doc, CancellationToken.None);
        var db = scope.ServiceProvider.GetRequiredService<TreueDb>();
        var programme = db.Programmes.Single(p => p.Code == doc.Code);
        key = (await ApiKeyEndpoints.CreateAsync(db, programme.Id, "bench", ApiRole.Admin, null, DateTime.UtcNow, CancellationToken.None)).Key;
    }
    http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 4 }) { BaseAddress = new Uri(url) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    members = [];
    for (var i = 0; i < 1000; i++)
    {
        var res = await http.PostAsJsonAsync("/api/v1/members", new { name = "Bench " + i, issueCard = "physical" }, TreueJson.Options);
        var m = (await res.Content.ReadFromJsonAsync<MemberView>(TreueJson.Options))!;
        members.Add((m.Id, m.Cards[0].Number));
    }
}

async Task StopAsync()
{
    http.Dispose();
    await app.StopAsync();
    await app.DisposeAsync();
}

HttpRequestMessage Purchase(int i)
{
    var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/purchases")
    {
        Content = JsonContent.Create(new
        {
            receiptId = "b-" + i, partner = "shop", store = "s1", currency = "EUR", cardNumber = members[i % members.Count].Card, total = 23.37m,
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
}

// A campaign with a generic code and no limit (10 % off the basket), and a coffee card: one stamp per coffee, 10 stamps
// give 50 points. Every purchase of the promotion scenario uses both, so a tenth of them fills a card.
async Task AddPromotionsAsync()
{
    var campaign = await http.PostAsJsonAsync("/api/v1/campaigns", new
    {
        campaign = new
        {
            id = "bench10", name = "Bench 10 %", validFromUtc = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), validToUtc = (DateTime?)null,
            offer = new { kind = "percent_off_basket", percent = 10m }, codes = "generic",
        },
        code = "BENCH10",
    }, new System.Text.Json.JsonSerializerOptions(TreueJson.Options) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never });
    campaign.EnsureSuccessStatusCode();
    var card = await http.PutAsJsonAsync("/api/v1/stamp-cards/coffee", new
    {
        id = "coffee", name = "Coffee card", stampsPerCard = 10, basis = "perUnit", reward = new { kind = "points", points = 50 },
        conditions = new { categories = new[] { "coffee" } },
    }, TreueJson.Options);
    card.EnsureSuccessStatusCode();
}

HttpRequestMessage PromoPurchase(int i)
{
    var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/purchases")
    {
        Content = JsonContent.Create(new
        {
            receiptId = "p-" + i, partner = "shop", store = "s1", currency = "EUR", cardNumber = members[i % members.Count].Card, total = 25.87m,
            codes = new[] { "BENCH10" },
            lines = new[]
            {
                new { sku = "milk", category = "dairy", quantity = 2m, unitPrice = 1.19m },
                new { sku = "wine", category = "drinks", quantity = 1m, unitPrice = 8.99m },
                new { sku = "cheese", category = "dairy", quantity = 3m, unitPrice = 4.00m },
                new { sku = "latte", category = "coffee", quantity = 1m, unitPrice = 2.50m },
            },
        }, options: TreueJson.Options),
    };
    req.Headers.Add("Idempotency-Key", "promo-" + i);
    return req;
}

// The minimal earn takes its idempotency key in the body: the server's idempotency middleware stays out of it.
HttpRequestMessage MinimalEarn(int i) => new(HttpMethod.Post, "/api/v1/bench/minimal-earn")
{
    Content = JsonContent.Create(new { idempotencyKey = "min-" + i, memberId = members[i % members.Count].Id, points = 23 }, options: TreueJson.Options),
};

// Open loop: requests leave on a fixed schedule whatever the answers do, and latency counts from the scheduled moment,
// so a stall shows in the figures instead of slowing the load down.
async Task<(double Throughput, double P50, double P99)> MeasureAtRate(string name, Func<int, HttpRequestMessage> request, double rate)
{
    var total = (int)(rate * seconds);
    var latencies = new double[total];
    var failures = 0;
    var start = Stopwatch.GetTimestamp();
    var tasks = new List<Task>(total);
    for (var n = 0; n < total; n++)
    {
        var due = start + (long)(n / rate * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < due)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.FromMilliseconds(2)) await Task.Delay(wait - TimeSpan.FromMilliseconds(1));
            else Thread.SpinWait(50);
        }
        var k = n;
        tasks.Add(Task.Run(async () =>
        {
            using var res = await http.SendAsync(request(20_000_000 + k));
            if (!res.IsSuccessStatusCode) Interlocked.Increment(ref failures);
            latencies[k] = Stopwatch.GetElapsedTime(due).TotalMilliseconds;
        }));
    }
    await Task.WhenAll(tasks);
    var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
    var all = latencies.Order().ToArray();
    var result = (total / elapsed, all[all.Length / 2], all[(int)(all.Length * 0.99)]);
    Console.WriteLine($"{name}: {result.Item1:F0} req/s, p50 {result.Item2:F2} ms, p99 {result.Item3:F2} ms, {total} requests, {failures} failed");
    return result;
}

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
