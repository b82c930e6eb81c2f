using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Treue.Server.Features.Triggers;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>
/// Triggers through the API and the scheduler on a real database: a birthday gift given exactly once however many runs and
/// nodes, and whichever way the clock jumps; a win-back message in the outbox; a budget that stops a trigger; bad input
/// named by field and other programmes' ids not found.
/// </summary>
public abstract class TriggerTests(TreueServer server)
{
    private static async Task<JsonObject> JsonAsync(HttpResponseMessage res, HttpStatusCode status)
    {
        await TestProgramme.Expect(res, status);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
    }

    private static Task<HttpResponseMessage> PutAsync(TestProgramme p, string id, object trigger) =>
        p.Admin.PutAsJsonAsync($"/api/v1/triggers/{id}", trigger, TestProgramme.Json);

    private async Task<Guid> EnrolAsync(TestProgramme p, string name, DateOnly? birthday = null, string language = "en")
    {
        var body = await JsonAsync(await p.Pos.PostAsJsonAsync("/api/v1/members", new { name, birthday, language, issueCard = "physical" }, TestProgramme.Json),
            HttpStatusCode.Created);
        return Guid.Parse((string)body["id"]!);
    }

    /// <summary>One scheduler with its own connection: a node of its own.</summary>
    private async Task<TriggerRunView> NodeAsync(Guid programmeId, DateTime now)
    {
        using var scope = server.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<TriggerScheduler>().RunAsync(programmeId, now, CancellationToken.None);
    }

    [Fact]
    public async Task A_birthday_gift_is_given_exactly_once_across_two_runs_and_two_nodes_with_a_clock_that_jumps()
    {
        var p = await server.NewProgrammeAsync();
        var now = server.Clock.GetUtcNow().UtcDateTime;
        var today = DateOnly.FromDateTime(now);
        var birthday = today.AddDays(2);
        var member = await EnrolAsync(p, "Birthday Child", new DateOnly(1992, birthday.Month, birthday.Day));
        await JsonAsync(await PutAsync(p, "bday", new { name = "Birthday gift", kind = "birthday", action = new { kind = "award_points", points = 100 } }), HttpStatusCode.OK);

        // Two days early nothing is due, and a run fires nothing.
        var dry = await JsonAsync(await p.Admin.GetAsync("/api/v1/triggers/bday/dry-run"), HttpStatusCode.OK);
        Assert.Equal(0, (int)dry["count"]!);
        Assert.Equal(0, (int)(await p.RunJobAsync("triggers"))["fired"]!);

        // On the day the dry run names the member and the gift.
        server.Clock.Advance(TimeSpan.FromDays(2));
        dry = await JsonAsync(await p.Admin.GetAsync("/api/v1/triggers/bday/dry-run"), HttpStatusCode.OK);
        Assert.Equal(member, Guid.Parse((string)dry["hits"]![0]!["memberId"]!));
        Assert.Equal(100, (long)dry["hits"]![0]!["action"]!["points"]!);

        // The scheduler was down on the day; the clock jumps three days on, and two nodes catch up at once, one of them a day
        // behind, then jump back and forth.
        var later = now.AddDays(5);
        var runs = await Task.WhenAll(NodeAsync(p.Id, later), NodeAsync(p.Id, later.AddDays(-1)), NodeAsync(p.Id, later), NodeAsync(p.Id, later.AddDays(-3)));
        Assert.Equal(1, runs.Sum(r => r.Fired));
        runs = await Task.WhenAll(NodeAsync(p.Id, later.AddDays(1)), NodeAsync(p.Id, now.AddDays(2)));
        Assert.Equal(0, runs.Sum(r => r.Fired));
        server.Clock.Advance(TimeSpan.FromDays(4));
        Assert.Equal(0, (int)(await p.RunJobAsync("triggers"))["fired"]!);
        Assert.Equal(0, (int)(await p.RunJobAsync("triggers"))["fired"]!);

        Assert.Equal(100, await p.AvailableAsync(member));
        var gifts = (await p.Admin.GetFromJsonAsync<JsonArray>($"/api/v1/members/{member}/gifts", TestProgramme.Json))!;
        var gift = Assert.Single(gifts);
        Assert.Equal("birthday:" + birthday.Year.ToString(CultureInfo.InvariantCulture), (string)gift!["occasion"]!);
        Assert.Equal(100, (long)gift["points"]!);
        var firings = await server.WithDbAsync(db => db.TriggerFirings.CountAsync(f => f.ProgrammeId == p.Id));
        Assert.Equal(1, firings);
        var trigger = await JsonAsync(await p.Admin.GetAsync("/api/v1/triggers/bday"), HttpStatusCode.OK);
        Assert.Equal(1, (long)trigger["firings"]!);
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task A_win_back_message_is_queued_in_the_outbox_in_the_members_language_once()
    {
        var p = await server.NewProgrammeAsync();
        await JsonAsync(await PutAsync(p, "winback", new
        {
            name = "We miss you", kind = "winBack", days = 10,
            action = new { kind = "queue_message", template = "win_back", data = new { offer = "10%" } },
        }), HttpStatusCode.OK);
        var res = await p.Pos.PostAsJsonAsync("/api/v1/members", new { name = "Lapsed", language = "de", issueCard = "physical" }, TestProgramme.Json);
        var body = await JsonAsync(res, HttpStatusCode.Created);
        var member = Guid.Parse((string)body["id"]!);
        var card = (string)body["cards"]![0]!["number"]!;
        await p.BuyAsync(TestProgramme.Purchase("wb-1", card, ("sku", "food", 1m, 20m)));
        var bought = DateOnly.FromDateTime(server.Clock.GetUtcNow().UtcDateTime);

        server.Clock.Advance(TimeSpan.FromDays(10));
        Assert.Equal(1, (int)(await JsonAsync(await p.Admin.GetAsync("/api/v1/triggers/winback/dry-run"), HttpStatusCode.OK))["count"]!);
        Assert.Equal(1, (int)(await p.RunJobAsync("triggers"))["fired"]!);
        Assert.Equal(0, (int)(await p.RunJobAsync("triggers"))["fired"]!);
        Assert.Equal(0, (int)(await JsonAsync(await p.Admin.GetAsync("/api/v1/triggers/winback/dry-run"), HttpStatusCode.OK))["count"]!);

        var outbox = await JsonAsync(await p.Admin.GetAsync("/api/v1/outbox?state=queued"), HttpStatusCode.OK);
        var message = Assert.Single(outbox["items"]!.AsArray())!;
        Assert.Equal("win_back", (string)message["template"]!);
        Assert.Equal("de", (string)message["language"]!);
        Assert.Equal("queued", (string)message["state"]!);
        Assert.Equal("10%", (string)message["data"]!["offer"]!);
        Assert.Equal(bought.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), (string)message["data"]!["lastPurchase"]!);
        var mine = await JsonAsync(await p.Admin.GetAsync($"/api/v1/members/{member}/outbox"), HttpStatusCode.OK);
        Assert.Equal((long)message["id"]!, (long)Assert.Single(mine["items"]!.AsArray())!["id"]!);
        Assert.Empty((await JsonAsync(await p.Admin.GetAsync("/api/v1/outbox?state=sent"), HttpStatusCode.OK))["items"]!.AsArray());
    }

    [Fact]
    public async Task A_budget_stops_the_trigger_when_it_is_reached()
    {
        var p = await server.NewProgrammeAsync();
        await JsonAsync(await PutAsync(p, "welcome", new
        {
            name = "Welcome", kind = "enrolment", action = new { kind = "award_points", points = 50 },
            budget = new { unit = "points", amount = 100, period = "month" },
        }), HttpStatusCode.OK);
        var members = new List<Guid>();
        for (var i = 0; i < 3; i++) members.Add(await EnrolAsync(p, "New " + i));

        var dry = await JsonAsync(await p.Admin.GetAsync("/api/v1/triggers/welcome/dry-run"), HttpStatusCode.OK);
        Assert.Equal(2, (int)dry["count"]!);
        Assert.Equal(1, dry["hits"]!.AsArray().Count(h => (bool)h!["overBudget"]!));
        var run = await p.RunJobAsync("triggers");
        Assert.Equal(2, (int)run["fired"]!);
        Assert.Equal(1, (int)run["overBudget"]!);
        long total = 0;
        foreach (var m in members) total += await p.AvailableAsync(m);
        Assert.Equal(100, total);
    }

    [Fact]
    public async Task Bad_input_names_the_field_and_other_programmes_ids_are_not_found()
    {
        var p = await server.NewProgrammeAsync();
        var other = await server.NewProgrammeAsync();
        var problem = await JsonAsync(await PutAsync(p, "wb", new { name = "W", kind = "winBack", days = 0, action = new { kind = "award_points", points = 5 } }),
            HttpStatusCode.BadRequest);
        Assert.Equal("days", (string)problem["field"]!);
        problem = await JsonAsync(await PutAsync(p, "c", new { name = "C", kind = "enrolment", action = new { kind = "issue_coupon", campaignId = "nope" } }),
            HttpStatusCode.BadRequest);
        Assert.Equal("action.campaignId", (string)problem["field"]!);
        problem = await JsonAsync(await PutAsync(p, "Bad:Id", new { name = "C", kind = "enrolment", action = new { kind = "award_points", points = 5 } }),
            HttpStatusCode.BadRequest);
        Assert.Equal("id", (string)problem["field"]!);

        await JsonAsync(await PutAsync(p, "hello", new { name = "Hello", kind = "enrolment", action = new { kind = "queue_message", template = "welcome" } }), HttpStatusCode.OK);
        var member = await EnrolAsync(p, "Mine");
        problem = await JsonAsync(await other.Admin.GetAsync("/api/v1/triggers/hello"), HttpStatusCode.NotFound);
        Assert.Equal("trigger_not_found", (string)problem["code"]!);
        await JsonAsync(await other.Admin.DeleteAsync("/api/v1/triggers/hello"), HttpStatusCode.NotFound);
        await JsonAsync(await other.Admin.GetAsync($"/api/v1/members/{member}/outbox"), HttpStatusCode.NotFound);
        await JsonAsync(await other.Admin.GetAsync($"/api/v1/members/{member}/gifts"), HttpStatusCode.NotFound);
        Assert.Equal(0, (int)(await other.RunJobAsync("triggers"))["fired"]!);
        Assert.Empty((await JsonAsync(await other.Admin.GetAsync("/api/v1/outbox"), HttpStatusCode.OK))["items"]!.AsArray());
        Assert.Equal(HttpStatusCode.NoContent, (await p.Admin.DeleteAsync("/api/v1/triggers/hello")).StatusCode);
    }
}

public sealed class TriggerTestsOnSqlite(SqliteServer server) : TriggerTests(server), IClassFixture<SqliteServer>;

public sealed class TriggerTestsOnPostgres(PostgresServer server) : TriggerTests(server), IClassFixture<PostgresServer>;
