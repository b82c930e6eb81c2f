using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Treue.Cli.Tests.Infrastructure;
using Treue.Server.Infrastructure;
using Treue.Storage.Entities;

namespace Treue.Cli.Tests;

public sealed class DemoCommandTests
{
    [Fact]
    public async Task Demo_enrols_members_and_prints_keys_that_the_server_accepts()
    {
        using var cli = new TestCli();
        var ct = TestContext.Current.CancellationToken;

        var run = await cli.SucceedAsync("demo", "--members", "30");

        Assert.Contains("Enrolled 30 members", run.Out);
        var admin = Key(run, "Admin API key");
        var pos = Key(run, "Till (pos) API key");
        await using (var db = cli.Db())
        {
            var programme = await db.Programmes.SingleAsync(p => p.Code == "demo", ct);
            Assert.Equal(30, await db.Members.CountAsync(m => m.ProgrammeId == programme.Id, ct));
            Assert.True(await db.Purchases.CountAsync(ct) > 30);
            var keys = await db.ApiKeys.Where(k => k.ProgrammeId == programme.Id).ToListAsync(ct);
            Assert.Equal(2, keys.Count);
            Assert.Equal(ApiRole.Admin, keys.Single(k => k.Hash == ApiKeyAuthentication.Hash(admin)).Role);
            Assert.Equal(ApiRole.Pos, keys.Single(k => k.Hash == ApiKeyAuthentication.Hash(pos)).Role);
            await Ledger.AssertConsistentAsync(db);
        }

        var rerun = await cli.SucceedAsync("demo", "--members", "30");
        Assert.Contains("already has members", rerun.Out);
        Assert.Equal(admin, Key(rerun, "Admin API key"));

        // The keys work against the server that 'treue serve' runs on the same data folder.
        var url = $"http://127.0.0.1:{FreePort()}";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var serve = cli.RunAsync(["serve", "--urls", url], stop.Token);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            await WaitUntilUpAsync(http, serve, ct);

            using var members = new HttpRequestMessage(HttpMethod.Get, "/api/v1/members?limit=100");
            members.Headers.Authorization = new AuthenticationHeaderValue("Bearer", pos);
            using var membersResponse = await http.SendAsync(members, ct);
            Assert.Equal(HttpStatusCode.OK, membersResponse.StatusCode);
            using var page = JsonDocument.Parse(await membersResponse.Content.ReadAsStringAsync(ct));
            Assert.Equal(30, page.RootElement.GetProperty("items").GetArrayLength());

            using var keys = new HttpRequestMessage(HttpMethod.Get, "/api/v1/api-keys");
            keys.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            using var keysResponse = await http.SendAsync(keys, ct);
            Assert.Equal(HttpStatusCode.OK, keysResponse.StatusCode);

            using var forged = new HttpRequestMessage(HttpMethod.Get, "/api/v1/members");
            forged.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "trk_" + new string('0', 64));
            using var forgedResponse = await http.SendAsync(forged, ct);
            Assert.Equal(HttpStatusCode.Unauthorized, forgedResponse.StatusCode);
        }
        finally
        {
            await stop.CancelAsync();
        }
        var served = await serve;
        Assert.True(served.ExitCode == 0, served.ToString());
        Assert.Contains("Treue is running on " + url, served.Out);
    }

    [Fact]
    public async Task The_demo_redeems_all_through_its_eighteen_months_and_lets_unspent_old_points_expire()
    {
        using var cli = new TestCli();
        var ct = TestContext.Current.CancellationToken;

        await cli.SucceedAsync("demo", "--members", "80");

        await using var db = cli.Db();
        var programme = await db.Programmes.SingleAsync(p => p.Code == "demo", ct);
        var now = DateTime.UtcNow;
        var orders = await db.RewardOrders.Where(o => o.ProgrammeId == programme.Id).Select(o => new { o.PlacedAt, o.FulfilledAt }).ToListAsync(ct);
        // Not all in the last month: orders fall in most of the eighteen months, and most are handed over later.
        var months = orders.Select(o => (o.PlacedAt.Year, o.PlacedAt.Month)).Distinct().Count();
        Assert.True(months >= 10, $"orders fall in {months} months: {string.Join(", ", orders.Select(o => o.PlacedAt.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order())}");
        Assert.True(orders.Count(o => o.PlacedAt < now.AddDays(-60)) > orders.Count / 2, $"{orders.Count} orders, most of them recent");
        Assert.True(orders.Count(o => o.FulfilledAt is not null) > orders.Count / 2);
        Assert.All(orders.Where(o => o.FulfilledAt is not null), o => Assert.True(o.FulfilledAt > o.PlacedAt));
        // Points older than twelve months that nobody spent have expired: breakage is not zero.
        var expired = await db.LedgerTransactions.CountAsync(t => t.ProgrammeId == programme.Id && t.Kind == Treue.Domain.Ledger.LedgerKind.Expire, ct);
        Assert.True(expired > 0, "no points expired");
        Assert.False(await db.PointLots.AnyAsync(l => l.ProgrammeId == programme.Id && l.Status == LotStatus.Available && l.Remaining > 0 && l.ExpiresAt <= now, ct));
        await Ledger.AssertConsistentAsync(db);
    }

    [Fact]
    public async Task The_demo_has_welcome_birthday_and_win_back_triggers_whose_catch_up_fills_the_outbox_once()
    {
        using var cli = new TestCli();
        var ct = TestContext.Current.CancellationToken;

        await cli.SucceedAsync("demo", "--members", "80");

        await using var db = cli.Db();
        var programme = await db.Programmes.SingleAsync(p => p.Code == "demo", ct);
        var triggers = await db.Triggers.Where(t => t.ProgrammeId == programme.Id).OrderBy(t => t.Id).Select(t => t.Id).ToListAsync(ct);
        Assert.Equal(["birthday", "welcome", "win-back"], triggers);
        var messages = await db.Outbox.Where(m => m.ProgrammeId == programme.Id).ToListAsync(ct);
        Assert.Contains(messages, m => m.Template == "birthday");
        Assert.Contains(messages, m => m.Template == "win_back");
        Assert.All(messages, m => Assert.Equal(OutboxState.Queued, m.State));
        // One message per firing, each firing once per trigger, member and occasion.
        var firings = await db.TriggerFirings.Where(f => f.ProgrammeId == programme.Id).ToListAsync(ct);
        Assert.Equal(messages.Count, firings.Count);
        Assert.Equal(firings.Count, firings.Select(f => (f.TriggerId, f.MemberId, f.Occasion)).Distinct().Count());
        Assert.All(firings, f => Assert.Contains(messages, m => m.Id == f.OutboxMessageId && m.MemberId == f.MemberId));
    }

    [Fact]
    public async Task Serve_with_demo_fills_the_demo_programme_beside_the_console_demo_member()
    {
        using var cli = new TestCli();
        var ct = TestContext.Current.CancellationToken;
        var url = $"http://127.0.0.1:{FreePort()}";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var serve = cli.RunAsync(["serve", "--demo", "--urls", url, "--Treue:DemoMembers=25"], stop.Token);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            await WaitUntilUpAsync(http, serve, ct);
            // The console's demo member exists at once; the 25 synthetic members follow in the background.
            var members = 0;
            for (var i = 0; i < 600 && members < 26; i++)
            {
                await Task.Delay(200, ct);
                await using var db = cli.Db();
                members = await db.Members.CountAsync(ct);
            }
            Assert.Equal(26, members);
        }
        finally
        {
            await stop.CancelAsync();
        }
        var served = await serve;
        Assert.True(served.ExitCode == 0, served.ToString());
    }

    private static string Key(CliRun run, string label)
    {
        var at = run.Out.IndexOf(label, StringComparison.Ordinal);
        Assert.True(at >= 0, $"No '{label}' in the output: {run}");
        var key = ProgrammeCommandTests.ApiKey().Match(run.Out, at).Value;
        Assert.NotEmpty(key);
        return key;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilUpAsync(HttpClient http, Task<CliRun> serve, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (serve.IsCompleted) Assert.Fail("The server stopped: " + await serve);
            try
            {
                using var health = await http.GetAsync("/health", ct);
                if (health.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, ct);
        }
        Assert.Fail("The server did not answer /health within 30 seconds.");
    }
}
