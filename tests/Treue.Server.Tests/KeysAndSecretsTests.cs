using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Infrastructure;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>
/// API keys and the idempotency records: a created key's secret is never stored or replayed, a key never creates a
/// key with more rights than its own, requests that write nothing take no part in idempotency or group commit, and
/// problems carry their own request's trace id.
/// </summary>
public abstract class KeysAndSecretsTests(TreueServer server, KeysAndSecretsTests.Probes probes)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A member name whose enrolment fails with an exception (a bug, so a 500) inside group commit.</summary>
    public const string FailingName = "Fails on save";

    [Fact]
    public async Task A_created_key_is_stored_nowhere_in_clear_and_its_replay_answers_without_the_secret()
    {
        var p = await server.NewProgrammeAsync();
        HttpRequestMessage Create() => new(HttpMethod.Post, "/api/v1/api-keys")
        {
            Headers = { { IdempotencyMiddleware.Header, "create-till-key-1" } },
            Content = JsonContent.Create(new { name = "Till 7", role = "pos", partner = "shop" }),
        };

        var first = await p.Admin.SendAsync(Create(), Ct);
        await TestProgramme.Expect(first, HttpStatusCode.Created);
        var created = (await first.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json, Ct))!;
        var secret = (string)created["key"]!;
        Assert.StartsWith("trk_", secret, StringComparison.Ordinal);

        var records = await server.WithDbAsync(db => db.IdempotencyRecords.AsNoTracking().Where(r => r.ProgrammeId == p.Id).ToListAsync(Ct));
        var record = Assert.Single(records, r => r.Key == "create-till-key-1");
        Assert.DoesNotContain(secret[4..], System.Text.Encoding.UTF8.GetString(record.Body), StringComparison.Ordinal);
        var everything = await server.WithDbAsync(AllStoredTextAsync);
        Assert.DoesNotContain(everything, text => text.Contains(secret[4..], StringComparison.Ordinal));
        Assert.False((bool?)created["secretRedacted"] ?? false);

        var replay = await p.Admin.SendAsync(Create(), Ct);
        await TestProgramme.Expect(replay, HttpStatusCode.Created);
        Assert.Equal("true", replay.Headers.GetValues(IdempotencyMiddleware.ReplayedHeader).Single());
        var replayed = await replay.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(secret[4..], replayed, StringComparison.Ordinal);
        var body = JsonNode.Parse(replayed)!.AsObject();
        Assert.Null(body["key"]);
        Assert.True((bool)body["secretRedacted"]!);
        Assert.Equal((string)created["apiKey"]!["id"]!, (string)body["apiKey"]!["id"]!);
        Assert.Equal(first.Headers.Location, replay.Headers.Location);

        // The key itself works, and exactly one was made.
        var quote = await server.Client(secret).PostAsJsonAsync("/api/v1/purchases/quote", Quote(), TestProgramme.Json, Ct);
        await TestProgramme.Expect(quote, HttpStatusCode.OK);
        Assert.Equal(1, await server.WithDbAsync(db => db.ApiKeys.CountAsync(k => k.ProgrammeId == p.Id && k.Name == "Till 7", Ct)));
    }

    [Fact]
    public async Task A_partner_bound_admin_key_creates_no_key_with_more_rights_than_its_own()
    {
        var p = await server.NewProgrammeAsync();
        var bound = server.Client(await server.WithDbAsync(async db =>
            (await ApiKeyEndpoints.CreateAsync(db, p.Id, "shop admin", ApiRole.Admin, "shop", server.Clock.GetUtcNow().UtcDateTime, Ct)).Key));

        foreach (var wider in new object[] { new { name = "unbound admin", role = "admin" }, new { name = "unbound till", role = "pos" },
                     new { name = "other partner", role = "admin", partner = "fuel" } })
        {
            var refused = await bound.PostAsJsonAsync("/api/v1/api-keys", wider, TestProgramme.Json, Ct);
            await TestProgramme.Expect(refused, HttpStatusCode.Forbidden);
            var problem = (await refused.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json, Ct))!;
            Assert.Equal("forbidden", (string)problem["code"]!);
            Assert.Equal("partner", (string)problem["field"]!);
        }
        foreach (var same in new object[] { new { name = "shop admin 2", role = "admin", partner = "shop" }, new { name = "shop till", role = "pos", partner = "shop" } })
            await TestProgramme.Expect(await bound.PostAsJsonAsync("/api/v1/api-keys", same, TestProgramme.Json, Ct), HttpStatusCode.Created);

        // Nor may it revoke a key wider than itself.
        var unbound = (await server.WithDbAsync(db => db.ApiKeys.AsNoTracking().Where(k => k.ProgrammeId == p.Id && k.PartnerCode == null).ToListAsync(Ct)));
        var revoke = await bound.PostAsync($"/api/v1/api-keys/{unbound[0].Id}/revoke", null, Ct);
        await TestProgramme.Expect(revoke, HttpStatusCode.Forbidden);

        var keys = await server.WithDbAsync(db => db.ApiKeys.AsNoTracking().Where(k => k.ProgrammeId == p.Id).ToListAsync(Ct));
        Assert.Equal(["shop", "shop", "shop"], keys.Where(k => k.PartnerCode is not null).Select(k => k.PartnerCode!).ToArray());
        Assert.Equal(2, keys.Count(k => k.PartnerCode is null)); // the test programme's own two
        Assert.All(keys, k => Assert.Null(k.RevokedAt));

        // An unbound admin key still may.
        await TestProgramme.Expect(await p.Admin.PostAsJsonAsync("/api/v1/api-keys", new { name = "fuel till", role = "pos", partner = "fuel" }, TestProgramme.Json, Ct),
            HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_read_only_post_with_an_idempotency_key_claims_nothing_and_does_not_hold_up_a_purchase()
    {
        var p = await server.NewProgrammeAsync();
        var (_, card) = await p.EnrolAsync();
        probes.HoldQuotes = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probes.QuoteWaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<HttpResponseMessage> quote;
        try
        {
            quote = p.Pos.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/purchases/quote")
            {
                Headers = { { IdempotencyMiddleware.Header, "quote-1" } },
                Content = JsonContent.Create(Quote(card), options: TestProgramme.Json),
            }, Ct);
            // The quote is now held in the middle of its database work (or already done, having needed none).
            await Task.WhenAny(probes.QuoteWaiting.Task, quote).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            var purchase = p.BuyAsync(TestProgramme.Purchase("r-while-quoting", card, ("tea", "food", 1, 10m)));
            await purchase.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        }
        finally
        {
            probes.HoldQuotes.TrySetResult();
        }
        await TestProgramme.Expect(await quote, HttpStatusCode.OK);

        var whatIf = await p.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/analytics/what-if")
        {
            Headers = { { IdempotencyMiddleware.Header, "what-if-1" } },
            Content = JsonContent.Create(new { baseRate = 2m }, options: TestProgramme.Json),
        }, Ct);
        await TestProgramme.Expect(whatIf, HttpStatusCode.OK);
        Assert.False(whatIf.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));

        var keys = await server.WithDbAsync(db => db.IdempotencyRecords.AsNoTracking().Where(r => r.ProgrammeId == p.Id).Select(r => r.Key).ToListAsync(Ct));
        Assert.Empty(keys);
    }

    [Fact]
    public async Task Problems_of_grouped_requests_carry_their_own_trace_id_and_a_500_logs_it()
    {
        var p = await server.NewProgrammeAsync();
        async Task<(string Sent, JsonObject Problem, HttpStatusCode Status)> EnrolAsync(string name)
        {
            var trace = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            var res = await p.Pos.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/members")
            {
                Headers = { { "traceparent", $"00-{trace}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))}-01" } },
                Content = JsonContent.Create(new { name }, options: TestProgramme.Json),
            }, Ct);
            return (trace, (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json, Ct))!, res.StatusCode);
        }

        // Two refusals made inside group commit, one after the other and at the same time.
        var problems = new List<(string Sent, JsonObject Problem, HttpStatusCode Status)> { await EnrolAsync(""), await EnrolAsync("") };
        problems.AddRange(await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => EnrolAsync(""))));
        foreach (var (sent, problem, status) in problems)
        {
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains(sent, (string)problem["traceId"]!, StringComparison.Ordinal);
        }
        Assert.Equal(problems.Count, problems.Select(x => (string)x.Problem["traceId"]!).Distinct().Count());

        var (failedTrace, failure, failedStatus) = await EnrolAsync(FailingName);
        Assert.Equal(HttpStatusCode.InternalServerError, failedStatus);
        var traceId = (string)failure["traceId"]!;
        Assert.Contains(failedTrace, traceId, StringComparison.Ordinal);
        var logged = probes.Logs.Where(e => e.Category == "Treue.Errors" && e.Level == LogLevel.Error).ToList();
        Assert.Contains(logged, e => e.Message.Contains(traceId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sign_in_codes_and_links_are_stored_as_keyed_hashes_and_still_sign_in()
    {
        var p = await server.NewProgrammeAsync();
        var email = $"m-{Guid.NewGuid():N}@example.org";
        var enrol = await p.Pos.PostAsJsonAsync("/api/v1/members", new { name = "Code Member", email }, TestProgramme.Json, Ct);
        await TestProgramme.Expect(enrol, HttpStatusCode.Created);
        var memberId = Guid.Parse((string)(await enrol.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json, Ct))!["id"]!);

        using var scope = server.Services.CreateScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<TreueDb>();
        var sent = new List<Web.Shared.SignInCodeMessage>();
        var portal = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Treue:Portal:Programme"] = p.Code }).Build();
        Web.Portal.MemberAccounts Accounts() => new(db, new Web.Shared.SignInThrottle(server.Clock), new Capture(sent), server.Clock, portal,
            services.GetRequiredService<ServerSecret>(), services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Features.Mail.MailOptions>>());

        Assert.True(await Accounts().RequestCodeAsync(email, new Uri("http://localhost/"), "10.0.0.1", Ct));
        server.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await Accounts().RequestCodeAsync(email, new Uri("http://localhost/"), "10.0.0.1", Ct));
        var (code, link) = (sent[0].Code, sent[1].Link);
        var token = System.Web.HttpUtility.ParseQueryString(link.Query)["token"]!;
        var rows = await db.SignInCodes.AsNoTracking().Where(c => c.MemberId == memberId).OrderBy(c => c.CreatedAt).ToListAsync(Ct);
        Assert.Equal(2, rows.Count);
        static string Sha256(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        Assert.NotEqual(Sha256(code), rows[0].CodeHash);
        Assert.NotEqual(Sha256(token), rows[1].LinkHash);
        Assert.DoesNotContain(rows, r => r.CodeHash.Contains(code, StringComparison.Ordinal) || r.LinkHash.Contains(token, StringComparison.Ordinal));

        // The newest code is the one that counts; the first one's link still signs in once.
        var (outcome, member) = await Accounts().SignInWithCodeAsync(email, sent[1].Code, "10.0.0.1", Ct);
        Assert.Equal(Web.Admin.SignInOutcome.Success, outcome);
        Assert.Equal(memberId, member!.Id);
        var first = System.Web.HttpUtility.ParseQueryString(sent[0].Link.Query)["token"]!;
        Assert.Equal(memberId, (await Accounts().SignInWithLinkAsync(first, Ct))?.Id);
        Assert.Null(await Accounts().SignInWithLinkAsync(first, Ct));
    }

    private sealed class Capture(List<Web.Shared.SignInCodeMessage> sent) : Web.Shared.ISignInCodeSender
    {
        public Task SendAsync(Web.Shared.SignInCodeMessage message, CancellationToken ct)
        {
            sent.Add(message);
            return Task.CompletedTask;
        }
    }

    private static object Quote(string? card = null) => new
    {
        partner = "shop", currency = "EUR", total = 10m, cardNumber = card,
        lines = new[] { new { sku = "tea", category = "food", quantity = 1m, unitPrice = 10m } },
    };

    /// <summary>Every value of every column of every table, as text (binary columns as their bytes read as text).</summary>
    private static async Task<List<string>> AllStoredTextAsync(TreueDb db)
    {
        var texts = new List<string>();
        foreach (var entity in db.Model.GetEntityTypes())
        {
            if (entity.GetTableName() is not { } table) continue;
            var store = StoreObjectIdentifier.Table(table, entity.GetSchema());
            foreach (var property in entity.GetProperties())
            {
                if (property.GetColumnName(store) is not { } column) continue;
                var expression = property.ClrType == typeof(byte[])
                    ? db.IsSqlite ? $"CAST(\"{column}\" AS TEXT)" : $"encode(\"{column}\", 'escape')"
                    : $"CAST(\"{column}\" AS TEXT)";
#pragma warning disable EF1002 // names from the model, not from input
                texts.AddRange(await db.Database.SqlQueryRaw<string>($"SELECT {expression} AS \"Value\" FROM \"{table}\" WHERE \"{column}\" IS NOT NULL").ToListAsync(Ct));
#pragma warning restore EF1002
            }
        }
        Assert.NotEmpty(texts);
        return texts;
    }

    /// <summary>What the tests observe and steer inside the server.</summary>
    public sealed class Probes : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Logs { get; } = new();

        /// <summary>While set and not completed, database commands of a purchase quote wait for it.</summary>
        public TaskCompletionSource? HoldQuotes { get; set; }

        /// <summary>Completed when a quote's command started waiting.</summary>
        public TaskCompletionSource? QuoteWaiting { get; set; }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        /// <summary>Adds the log capture, the failing enrolment and the held quotes to a test server.</summary>
        public void Instrument(IWebHostBuilder builder)
        {
            builder.ConfigureLogging(l => l.AddProvider(this));
            builder.ConfigureTestServices(services =>
            {
                services.AddHttpContextAccessor();
                services.AddSingleton(this);
                services.ConfigureDbContext<TreueDb>((sp, o) => o.AddInterceptors(new FailingSave(), new HeldQuote(this, sp.GetRequiredService<IHttpContextAccessor>())));
            });
        }

        private sealed class Logger(Probes probes, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                probes.Logs.Enqueue((category, logLevel, formatter(state, exception)));
        }

        private sealed class FailingSave : SaveChangesInterceptor
        {
            public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
            {
                if (eventData.Context!.ChangeTracker.Entries<Member>().Any(e => e.State == EntityState.Added && e.Entity.Name == FailingName))
                    throw new InvalidOperationException("A failure the test asked for.");
                return base.SavingChangesAsync(eventData, result, cancellationToken);
            }
        }

        private sealed class HeldQuote(Probes probes, IHttpContextAccessor http) : DbCommandInterceptor
        {
            private async Task HoldAsync(CancellationToken ct)
            {
                if (probes.HoldQuotes is not { } hold || http.HttpContext?.Request.Path.Value?.EndsWith("/quote", StringComparison.Ordinal) != true) return;
                probes.QuoteWaiting?.TrySetResult();
                await hold.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            }

            public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
                InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
            {
                await HoldAsync(cancellationToken);
                return result;
            }

            public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
                InterceptionResult<int> result, CancellationToken cancellationToken = default)
            {
                await HoldAsync(cancellationToken);
                return result;
            }

            public override async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
                InterceptionResult<object> result, CancellationToken cancellationToken = default)
            {
                await HoldAsync(cancellationToken);
                return result;
            }
        }
    }
}

public sealed class KeysAndSecretsTestsOnSqlite(KeysAndSecretsTestsOnSqlite.Server server)
    : KeysAndSecretsTests(server, server.Probes), IClassFixture<KeysAndSecretsTestsOnSqlite.Server>
{
    /// <summary>The API on a SQLite file in a temporary folder, instrumented.</summary>
    public sealed class Server : TreueServer
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "treue-test-" + Guid.NewGuid().ToString("N")[..10]);

        public Server()
        {
            Directory.CreateDirectory(_folder);
            ConnectionString = StorageSetup.DefaultConnectionString(_folder);
        }

        public Probes Probes { get; } = new();

        public override string Provider => "sqlite";

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Treue:DataFolder", _folder);
            Probes.Instrument(builder);
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        }
    }
}

public sealed class KeysAndSecretsTestsOnPostgres(KeysAndSecretsTestsOnPostgres.Server server)
    : KeysAndSecretsTests(server, server.Probes), IClassFixture<KeysAndSecretsTestsOnPostgres.Server>
{
    public sealed class Server(PostgresCluster cluster) : PostgresServer(cluster)
    {
        public Probes Probes { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            Probes.Instrument(builder);
        }
    }
}
