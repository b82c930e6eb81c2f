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
using Microsoft.Extensions.DependencyInjection;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage;

namespace Treue.Server.Tests;

/// <summary>
/// A presented code is looked up the same way whether it exists in the programme, only in another programme or nowhere:
/// the same database commands, in the same order, and a refusal that reads the same for a code of another programme as for
/// a code that never existed. Timing is not measured; the path that makes it is.
/// </summary>
public abstract class CodeLookupTests(TreueServer server, CodeLookupTests.Commands commands)
{
    private static readonly DateTime Started = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static readonly System.Text.Json.JsonSerializerOptions WithNulls =
        new(TestProgramme.Json) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never };

    /// <summary>The commands each request marked with <see cref="Header"/> sent to the database, by the header's value.</summary>
    public sealed class Commands
    {
        public const string Header = "X-Lookup-Probe";

        public ConcurrentDictionary<string, ConcurrentQueue<string>> ByProbe { get; } = new();

        public void Instrument(IWebHostBuilder builder) => builder.ConfigureTestServices(services =>
        {
            services.AddHttpContextAccessor();
            services.ConfigureDbContext<TreueDb>((sp, o) => o.AddInterceptors(new Recorder(this, sp.GetRequiredService<IHttpContextAccessor>())));
        });

        private sealed class Recorder(Commands commands, IHttpContextAccessor http) : DbCommandInterceptor
        {
            private void Record(DbCommand command)
            {
                if (http.HttpContext?.Request.Headers[Header].ToString() is { Length: > 0 } probe)
                    commands.ByProbe.GetOrAdd(probe, _ => new()).Enqueue(command.CommandText);
            }

            public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
                InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
            {
                Record(command);
                return ValueTask.FromResult(result);
            }

            public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
                InterceptionResult<int> result, CancellationToken cancellationToken = default)
            {
                Record(command);
                return ValueTask.FromResult(result);
            }

            public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
                InterceptionResult<object> result, CancellationToken cancellationToken = default)
            {
                Record(command);
                return ValueTask.FromResult(result);
            }
        }
    }

    private static async Task CreateCampaignAsync(TestProgramme p, string id, string code, DateTime? validTo = null)
    {
        var res = await p.Admin.PostAsJsonAsync("/api/v1/campaigns", new
        {
            campaign = new
            {
                id, name = id, validFromUtc = Started, validToUtc = validTo, offer = new { kind = "percent_off_basket", percent = 10m }, codes = "generic",
            },
            code,
        }, WithNulls);
        await TestProgramme.Expect(res, HttpStatusCode.Created);
    }

    private async Task<(HttpStatusCode Status, JsonObject Body, string[] Commands)> QuoteAsync(TestProgramme p, string probe, string code)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/purchases/quote")
        {
            Content = JsonContent.Create(new { partner = "shop", currency = "EUR", total = 10m, codes = new[] { code }, lines = new[] { new { sku = "tea", quantity = 1m, unitPrice = 10m } } },
                options: TestProgramme.Json),
        };
        request.Headers.Add(Commands.Header, probe);
        var res = await p.Pos.SendAsync(request);
        var body = (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
        return (res.StatusCode, body, commands.ByProbe.TryGetValue(probe, out var list) ? [.. list] : []);
    }

    [Fact]
    public async Task A_code_is_looked_up_by_the_same_commands_whether_it_exists_here_elsewhere_or_nowhere()
    {
        var other = await server.NewProgrammeAsync();
        await CreateCampaignAsync(other, "elsewhere", "ELSEWHERE7");
        var p = await server.NewProgrammeAsync();
        await CreateCampaignAsync(p, "valid", "VALID7");
        await CreateCampaignAsync(p, "ended", "ENDED7", new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc));
        var plain = await server.NewProgrammeAsync();
        // The first request of a programme compiles its terms; the look-ups compared are those after it.
        await QuoteAsync(p, "", "WARM7");
        await QuoteAsync(plain, "", "WARM7");

        var id = Guid.NewGuid().ToString("N")[..8];
        var valid = await QuoteAsync(p, id + "-valid", "VALID7");
        var ended = await QuoteAsync(p, id + "-ended", "ENDED7");
        var elsewhere = await QuoteAsync(p, id + "-elsewhere", "ELSEWHERE7");
        var nowhere = await QuoteAsync(p, id + "-nowhere", "NOWHERE7");
        var plainElsewhere = await QuoteAsync(plain, id + "-plain-elsewhere", "ELSEWHERE7");
        var plainNowhere = await QuoteAsync(plain, id + "-plain-nowhere", "NOWHERE7");

        Assert.Equal(HttpStatusCode.OK, valid.Status);
        Assert.Equal("coupon_expired", (string)ended.Body["code"]!);
        Assert.NotEmpty(valid.Commands);
        Assert.Contains(valid.Commands, c => c.Contains("coupon_codes", StringComparison.Ordinal));
        // Every refusal, whatever its reason, runs the same commands (the look-up and the count of refused attempts); a code
        // that applies runs the same look-up and counts no refusal.
        foreach (var refused in new[] { elsewhere, nowhere, plainElsewhere, plainNowhere })
            Assert.Equal(ended.Commands, refused.Commands);
        Assert.Contains(ended.Commands, c => c.Contains("code_attempts", StringComparison.Ordinal) && c.Contains("INSERT", StringComparison.Ordinal));
        foreach (var lookup in new[] { ended, elsewhere, nowhere, plainElsewhere, plainNowhere })
            Assert.Equal(Lookups(valid.Commands), Lookups(lookup.Commands));

        // A code of another programme is refused exactly as one that never existed, with or without campaigns here.
        foreach (var (existing, unknown) in new[] { (elsewhere, nowhere), (plainElsewhere, plainNowhere) })
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, existing.Status);
            Assert.Equal(unknown.Status, existing.Status);
            var expected = unknown.Body.ToJsonString().Replace("NOWHERE7", "ELSEWHERE7", StringComparison.Ordinal);
            Assert.Equal(Without(expected, "traceId"), Without(existing.Body.ToJsonString(), "traceId"));
        }
    }

    /// <summary>The commands that read the programme, the member and the codes: all but the counting of refused attempts.</summary>
    private static string[] Lookups(string[] commands) =>
        [.. commands.Where(c => !(c.Contains("code_attempts", StringComparison.Ordinal) && !c.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase)))];

    private static string Without(string json, string property)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node.Remove(property);
        return node.ToJsonString();
    }
}

public sealed class CodeLookupTestsOnSqlite(CodeLookupTestsOnSqlite.Server server) : CodeLookupTests(server, server.Probe), IClassFixture<CodeLookupTestsOnSqlite.Server>
{
    public sealed class Server : SqliteServer
    {
        public Commands Probe { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            Probe.Instrument(builder);
        }
    }
}

public sealed class CodeLookupTestsOnPostgres(CodeLookupTestsOnPostgres.Server server) : CodeLookupTests(server, server.Probe), IClassFixture<CodeLookupTestsOnPostgres.Server>
{
    public sealed class Server(PostgresCluster cluster) : PostgresServer(cluster)
    {
        public Commands Probe { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            Probe.Instrument(builder);
        }
    }
}
