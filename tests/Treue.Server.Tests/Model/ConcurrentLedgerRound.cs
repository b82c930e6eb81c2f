using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Domain.Programmes;
using Treue.Server.Features.Programmes;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Tests.Model;

/// <summary>Where one round runs: the programme's API clients (one per server node) and its database.</summary>
public sealed record ConcurrentTarget(Guid ProgrammeId, string ConnectionString, IReadOnlyList<HttpClient> Nodes, Func<DateTime> Now, Action? BeforeJob)
{
    /// <summary>What the servers logged, for a failure message (server processes; the in-memory server logs to the test output).</summary>
    public Func<string>? Logs { get; init; }
}

/// <summary>One request of a stream: what it acts on, and the path, JSON body and Idempotency-Key sent.</summary>
public sealed record ConcurrentRequest(string Subject, string Path, string? Body, string? Key)
{
    public HttpRequestMessage Message()
    {
        var message = new HttpRequestMessage(HttpMethod.Post, Path);
        if (Body is not null) message.Content = new StringContent(Body, Encoding.UTF8, "application/json");
        if (Key is not null) message.Headers.Add("Idempotency-Key", Key);
        return message;
    }
}

/// <summary>What one request of a stream was answered.</summary>
public sealed record ConcurrentAnswer(int Stream, int Index, ConcurrentAct Act, string Subject, HttpStatusCode Status, string? Code, JsonObject? Body, bool Replayed)
{
    /// <summary>The request as it was sent, to send it again unchanged.</summary>
    public required ConcurrentRequest Request { get; init; }

    public long Long(string name) => Body?[name] is { } n ? (long)n : throw new LedgerModelException($"{this}: the answer has no {name}");

    public Guid Id => Guid.Parse((string)Body!["id"]!);

    public override string ToString() =>
        $"stream {Stream} act {Index} {Act} on {Subject}: {(int)Status}{(Code is null ? "" : " " + Code)}{(Replayed ? " (replayed)" : "")}";
}

/// <summary>
/// One round of the concurrent ledger test: the serial set-up, the streams at the same time, then the checks of
/// <see cref="ConcurrentLedgerChecks"/> and the replay of every acknowledged request.
/// </summary>
public sealed class ConcurrentLedgerRound(ConcurrentScenario scenario, ConcurrentTarget target)
{
    public const long Welcome = 500;
    private const string Reason = "concurrent test";

    private readonly ConcurrentBag<ConcurrentAnswer> _answers = [];
    private readonly Guid[] _members = new Guid[ConcurrentScenario.Members];
    private readonly List<Guid> _setupPurchases = [];
    private readonly List<Guid> _setupOrders = [];
    private readonly Dictionary<int, DateTime> _sharedOccurredAt = [];

    public ConcurrentScenario Scenario { get; } = scenario;
    public ConcurrentTarget Target { get; } = target;
    public IReadOnlyList<ConcurrentAnswer> Answers => [.. _answers.OrderBy(a => a.Stream).ThenBy(a => a.Index)];
    public IReadOnlyList<Guid> MemberIds => _members;
    public IReadOnlyList<Guid> SetupOrders => _setupOrders;

    /// <summary>The last ledger transaction of the set-up: what comes after it, the streams wrote.</summary>
    public long SetupBoundary { get; private set; }

    /// <summary>Available plus pending points of all members when the streams start.</summary>
    public long PointsAfterSetup { get; private set; }

    /// <summary>The programme document of a round: the welcome bonus on a first purchase, points paid down to one, two rewards.</summary>
    public static ProgrammeDocument Document(ConcurrentScenario s) => TestProgramme.DefaultDocument with
    {
        PendingDays = s.PendingDays,
        Expiry = s.ExpireAfterAMonth ? new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: 1) : ExpiryPolicy.Never,
        PayWithPoints = new PayWithPointsPolicy(MinPoints: 1, MaxPoints: null, MaxShareOfBasket: 1m),
        Rules = [new("welcome", "Welcome", 9, Stacking.Stack, new RuleConditions { FirstPurchaseOnly = true }, new RuleEffect(EffectKind.FixedBonus, Welcome))],
        Rewards =
        [
            new(ConcurrentScenario.Rewards[0].Code, "Mug", ConcurrentScenario.Rewards[0].Points, Stock: s.MugStock),
            new(ConcurrentScenario.Rewards[1].Code, "Pen", ConcurrentScenario.Rewards[1].Points),
        ],
    };

    public static TreueDb Db(string connectionString)
    {
        var options = new DbContextOptionsBuilder<TreueDb>();
        options.UseTreueDatabase(connectionString);
        return new TreueDb(options.Options);
    }

    public async Task RunAsync()
    {
        await SetUpAsync();
        // Every stream waits at the gate, so that their first acts (most of them first purchases) leave together.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var streams = Enumerable.Range(0, Scenario.Streams.Count).Select(s => Task.Run(async () =>
        {
            await gate.Task;
            await StreamAsync(s);
        })).ToList();
        gate.SetResult();
        await Task.WhenAll(streams);
    }

    // ---------------------------------------------------------------- set-up, one request after another

    private async Task SetUpAsync()
    {
        // Members are enrolled side by side, then the purchases, then the orders: the set-up is serial only where it must be.
        var api = Target.Nodes[0];
        await Task.WhenAll(Enumerable.Range(0, ConcurrentScenario.Members).Select(async m =>
        {
            var res = await api.PostAsJsonAsync("/api/v1/members", new { name = "Member " + m.ToString(CultureInfo.InvariantCulture) }, TestProgramme.Json);
            _members[m] = IdOf(await SetupAnswerAsync(res, HttpStatusCode.Created, "enrol"));
            await SetupAnswerAsync(await api.PostAsJsonAsync($"/api/v1/members/{_members[m]}/adjustments",
                new { points = Scenario.StartingPoints[m], reason = Reason }, TestProgramme.Json), HttpStatusCode.Created, "starting points");
        }));
        _setupPurchases.AddRange(await Task.WhenAll(Enumerable.Range(0, ConcurrentScenario.SetupPurchases).Select(async k =>
        {
            var res = await api.PostAsJsonAsync("/api/v1/purchases", PurchaseBody("setup-" + k.ToString(CultureInfo.InvariantCulture), ConcurrentScenario.Members - 1,
                ConcurrentScenario.UnitsPerSetupPurchase, ConcurrentScenario.SetupUnitCents, 0, null), TestProgramme.Json);
            return IdOf(await SetupAnswerAsync(res, HttpStatusCode.Created, "set-up purchase"));
        })));
        // Every member starts with at least 300 points and the set-up places at most three orders of at most 100.
        _setupOrders.AddRange(await Task.WhenAll(Scenario.SetupOrders.Select(async o =>
        {
            var res = await api.PostAsJsonAsync($"/api/v1/members/{_members[o.Member]}/reward-orders", new { reward = ConcurrentScenario.Rewards[o.Reward].Code }, TestProgramme.Json);
            return IdOf(await SetupAnswerAsync(res, HttpStatusCode.Created, "set-up order"));
        })));
        var now = Target.Now();
        foreach (var (receipt, k) in Scenario.SharedReceipts.Select((r, k) => (r, k)))
            _sharedOccurredAt[k] = OccurredAt(receipt.Backdate, now);

        await using var db = Db(Target.ConnectionString);
        SetupBoundary = await db.LedgerTransactions.Where(t => t.ProgrammeId == Target.ProgrammeId).MaxAsync(t => t.Id);
        PointsAfterSetup = await db.Members.Where(m => m.ProgrammeId == Target.ProgrammeId).SumAsync(m => m.Available + m.Pending);
    }

    private static Guid IdOf(JsonObject body) => Guid.Parse((string)body["id"]!);

    private static async Task<JsonObject> SetupAnswerAsync(HttpResponseMessage res, HttpStatusCode expected, string what)
    {
        if (res.StatusCode != expected)
            throw new InvalidOperationException($"The set-up's {what} was answered {(int)res.StatusCode}: {await res.Content.ReadAsStringAsync()}");
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
    }

    private DateTime OccurredAt(BackdateKind backdate, DateTime now) => backdate switch
    {
        BackdateKind.AlmostDue => now.AddDays(-Scenario.PendingDays).AddSeconds(2),
        BackdateKind.FortyDays => now.AddDays(-40),
        _ => now,
    };

    private object PurchaseBody(string receipt, int member, int units, long unitCents, long pay, DateTime? occurredAt) => new
    {
        receiptId = receipt, partner = "shop", currency = "EUR", total = units * unitCents / 100m, memberId = _members[member],
        lines = new[] { new { sku = "item", quantity = (decimal)units, unitPrice = unitCents / 100m } },
        occurredAt = occurredAt is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : (DateTimeOffset?)null,
        pointsPayment = pay > 0 ? new { points = pay } : null,
    };

    // ---------------------------------------------------------------- the streams

    private async Task StreamAsync(int s)
    {
        var ownPurchases = new List<Guid>();
        var ownOrders = new List<Guid>();
        var acts = Scenario.Streams[s];
        for (var i = 0; i < acts.Count; i++)
        {
            // Each act goes to the next node, so that one stream's acts, and every contended object, meet on all nodes.
            var api = Target.Nodes[(s + i) % Target.Nodes.Count];
            var request = Request(s, i, acts[i], ownPurchases, ownOrders);
            if (request is null) continue;
            var res = await api.SendAsync(request.Message());
            var text = await res.Content.ReadAsStringAsync();
            var body = text.Length > 0 && text[0] == '{' ? JsonNode.Parse(text) as JsonObject : null;
            var answer = new ConcurrentAnswer(s, i, acts[i], request.Subject, res.StatusCode, body?["code"]?.GetValue<string>(), body,
                res.Headers.Contains("Idempotent-Replayed")) { Request = request };
            _answers.Add(answer);
            if (acts[i] is BuyAct && res.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK) ownPurchases.Add(answer.Id);
            if (acts[i] is RedeemAct && res.StatusCode == HttpStatusCode.Created) ownOrders.Add(answer.Id);
        }
    }

    private ConcurrentRequest? Request(int s, int i, ConcurrentAct act, List<Guid> ownPurchases, List<Guid> ownOrders)
    {
        switch (act)
        {
            case BuyAct b:
            {
                var receipt = b.Shared is { } k ? "shared-" + k.ToString(CultureInfo.InvariantCulture) : ConcurrentScenario.Receipt(s, i);
                var at = b.Shared is { } shared ? _sharedOccurredAt[shared] : OccurredAt(b.Backdate, Target.Now());
                return Post(receipt, "/api/v1/purchases", PurchaseBody(receipt, b.Member, b.Units, b.UnitCents, b.PayPoints,
                    b.Backdate == BackdateKind.None && b.Shared is null ? null : at), null);
            }
            case ReturnAct r:
            {
                Guid purchase;
                if (r.SetupPurchase is { } sp) purchase = _setupPurchases[sp];
                else if (ownPurchases.Count > 0) purchase = ownPurchases[r.OwnPurchase % ownPurchases.Count];
                else return null;
                var returnId = r.Shared is { } k ? "shared-x" + k.ToString(CultureInfo.InvariantCulture) : "x" + ConcurrentScenario.Receipt(s, i);
                return Post(purchase + "/" + returnId, $"/api/v1/purchases/{purchase}/returns",
                    new { returnId, lines = new[] { new { lineNo = 1, quantity = (decimal)r.Units } } }, null);
            }
            case RedeemAct r:
                return Post(_members[r.Member].ToString(), $"/api/v1/members/{_members[r.Member]}/reward-orders",
                    new { reward = ConcurrentScenario.Rewards[r.Reward].Code }, Key(r.Shared));
            case SettleAct c:
            {
                Guid order;
                if (c.SetupOrder is { } so) order = _setupOrders[so];
                else if (ownOrders.Count > 0) order = ownOrders[c.OwnOrder % ownOrders.Count];
                else return null;
                return Post(order.ToString(), $"/api/v1/reward-orders/{order}/{(c.Cancel ? "cancel" : "fulfil")}", null, null);
            }
            case AdjustAct a:
                return Post(_members[a.Member].ToString(), $"/api/v1/members/{_members[a.Member]}/adjustments", new { points = a.Points, reason = Reason }, Key(a.Shared));
            case JobAct j:
                Target.BeforeJob?.Invoke();
                return Post(j.Expire ? "expire" : "post-pending", "/api/v1/jobs/" + (j.Expire ? "expire" : "post-pending"), null, null);
            default:
                throw new InvalidOperationException("Unknown act " + act);
        }
    }

    private static string? Key(int? shared) => shared is { } k ? "concurrent-key-" + k.ToString(CultureInfo.InvariantCulture) : null;

    private static ConcurrentRequest Post(string subject, string path, object? body, string? idempotencyKey) =>
        new(subject, path, body is null ? null : System.Text.Json.JsonSerializer.Serialize(body, TestProgramme.Json), idempotencyKey);

    /// <summary>
    /// Sends every acknowledged purchase, return and keyed request again, all at once: each must be answered as the first
    /// time (the same purchase, return, order or adjustment) and nothing in the database may change.
    /// </summary>
    public async Task<List<string>> ReplayAcknowledgedAsync()
    {
        var failures = new List<string>();
        var before = await SnapshotAsync();
        var firsts = Answers.Where(a => a.Status == HttpStatusCode.Created && (a.Act is BuyAct or ReturnAct || a.Act is RedeemAct { Shared: not null } || a.Act is AdjustAct { Shared: not null }))
            .GroupBy(a => (a.Request.Path, a.Request.Body, a.Request.Key)).Select(g => g.First()).ToList();
        var replays = await Task.WhenAll(firsts.Select(async (a, n) =>
        {
            var res = await Target.Nodes[n % Target.Nodes.Count].SendAsync(a.Request.Message());
            var body = await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json);
            return (First: a, Status: res.StatusCode, Body: body);
        }));
        foreach (var (first, status, body) in replays)
        {
            var keyed = first.Act is RedeemAct or AdjustAct;
            var expected = keyed ? HttpStatusCode.Created : HttpStatusCode.OK;
            var sameId = first.Act is AdjustAct ? (long?)body?["id"] == first.Long("id") : (string?)body?["id"] == first.Id.ToString();
            if (status != expected || !sameId)
                failures.Add($"replay of {first}: answered {(int)status} {body?.ToJsonString()}, expected {(int)expected} with the first answer's id");
        }
        var after = await SnapshotAsync();
        if (before != after) failures.Add($"replaying {firsts.Count} acknowledged requests changed the database: before {before}, after {after}");
        return failures;
    }

    private async Task<string> SnapshotAsync()
    {
        await using var db = Db(Target.ConnectionString);
        var pid = Target.ProgrammeId;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"transactions {await db.LedgerTransactions.CountAsync(t => t.ProgrammeId == pid)}, ");
        sb.Append(CultureInfo.InvariantCulture, $"purchases {await db.Purchases.CountAsync(p => p.ProgrammeId == pid)}, ");
        sb.Append(CultureInfo.InvariantCulture, $"returns {await db.Returns.CountAsync(r => r.ProgrammeId == pid)}, ");
        sb.Append(CultureInfo.InvariantCulture, $"orders {await db.RewardOrders.CountAsync(o => o.ProgrammeId == pid)}, ");
        sb.Append(CultureInfo.InvariantCulture, $"stock {string.Join("/", await db.Rewards.Where(r => r.ProgrammeId == pid).OrderBy(r => r.Code).Select(r => r.StockIssued).ToListAsync())}, ");
        sb.Append(CultureInfo.InvariantCulture, $"balances {string.Join("/", await db.Members.Where(m => m.ProgrammeId == pid).OrderBy(m => m.Id).Select(m => m.Available + ":" + m.Pending + ":" + m.PurchaseCount).ToListAsync())}");
        return sb.ToString();
    }
}
