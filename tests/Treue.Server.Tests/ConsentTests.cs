using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>Consents per purpose, objections and data requests through the API.</summary>
public abstract class ConsentTests(TreueServer server)
{
    private static async Task<JsonObject> ReadAsync(HttpResponseMessage res, HttpStatusCode expected)
    {
        await TestProgramme.Expect(res, expected);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
    }

    private static bool Granted(JsonObject view, string purpose) =>
        (bool)view["consents"]!.AsArray().Single(c => (string)c!["purpose"]! == purpose)!["granted"]!;

    [Fact]
    public async Task Each_grant_and_withdrawal_is_a_record_and_the_state_is_the_latest_one()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync("Consenting Member", profiling: false);
        var start = await ReadAsync(await p.Pos.GetAsync($"/api/v1/members/{member}/consents"), HttpStatusCode.OK);
        Assert.All(start["consents"]!.AsArray(), c => Assert.False((bool)c!["granted"]!));
        Assert.Empty(start["history"]!.AsArray());

        await ReadAsync(await p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/consents", new { purpose = "emailMarketing", granted = true, textVersion = "2026-01" }, TestProgramme.Json), HttpStatusCode.OK);
        server.Clock.Advance(TimeSpan.FromDays(3));
        await ReadAsync(await p.Admin.PostAsJsonAsync($"/api/v1/members/{member}/consents", new { purpose = "profiling", granted = true, source = "import" }, TestProgramme.Json), HttpStatusCode.OK);
        server.Clock.Advance(TimeSpan.FromDays(3));
        var view = await ReadAsync(await p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/consents", new { purpose = "emailMarketing", granted = false, textVersion = "2026-01" }, TestProgramme.Json), HttpStatusCode.OK);

        Assert.False(Granted(view, "emailMarketing"));
        Assert.True(Granted(view, "profiling"));
        Assert.False(Granted(view, "partnerSharing"));
        var history = view["history"]!.AsArray();
        Assert.Equal(3, history.Count);
        Assert.Equal(["withdrawn", "granted", "granted"], history.Select(h => (string)h!["change"]!));
        Assert.Equal(["till", "import", "till"], history.Select(h => (string)h!["source"]!));
        // The programme's current text version when the request names none; the time is the server's clock.
        Assert.Equal("1", (string)history[1]!["textVersion"]!);
        Assert.Equal(server.Clock.GetUtcNow().UtcDateTime, (DateTime)history[0]!["at"]!);

        // Points never depend on consent: the purchase earns the same with every consent withdrawn.
        var bought = await p.BuyAsync(TestProgramme.Purchase("c-" + Guid.NewGuid().ToString("N")[..6], card, ("tea", "drinks", 1, 20m)));
        Assert.Equal(20, (long)bought["pointsEarned"]!);
    }

    [Fact]
    public async Task An_objection_stops_marketing_and_profiling_at_once_until_the_member_grants_again()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync("Objecting Member", profiling: false);
        foreach (var purpose in new[] { "emailMarketing", "profiling", "partnerSharing" })
            await ReadAsync(await p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/consents", new { purpose, granted = true }, TestProgramme.Json), HttpStatusCode.OK);
        server.Clock.Advance(TimeSpan.FromHours(1));
        var objected = await ReadAsync(await p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/objection", new { }, TestProgramme.Json), HttpStatusCode.OK);
        Assert.False(Granted(objected, "emailMarketing"));
        Assert.False(Granted(objected, "profiling"));
        Assert.True(Granted(objected, "partnerSharing"));
        Assert.Equal(server.Clock.GetUtcNow().UtcDateTime, (DateTime)objected["objectedAt"]!);
        Assert.Equal("objected", (string)objected["history"]![0]!["change"]!);
        Assert.Null(objected["history"]![0]!["purpose"]);

        var regranted = await ReadAsync(await p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/consents", new { purpose = "emailMarketing", granted = true }, TestProgramme.Json), HttpStatusCode.OK);
        Assert.True(Granted(regranted, "emailMarketing"));
        Assert.False(Granted(regranted, "profiling"));
        Assert.NotNull(regranted["objectedAt"]);
    }

    [Fact]
    public async Task Bad_consent_input_names_the_field_and_other_programmes_members_are_not_found()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync("Some Member", profiling: false);
        var noPurpose = await p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/consents", new { granted = true }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.BadRequest, noPurpose.StatusCode);
        Assert.Equal("purpose", (string)(await noPurpose.Content.ReadFromJsonAsync<JsonObject>())!["field"]!);
        var longVersion = await p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/consents", new { purpose = "profiling", granted = true, textVersion = new string('v', 40) }, TestProgramme.Json);
        Assert.Equal("textVersion", (string)(await longVersion.Content.ReadFromJsonAsync<JsonObject>())!["field"]!);
        var portal = await p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/consents", new { purpose = "profiling", granted = true, source = "portal" }, TestProgramme.Json);
        Assert.Equal("source", (string)(await portal.Content.ReadFromJsonAsync<JsonObject>())!["field"]!);

        var other = await server.NewProgrammeAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Pos.GetAsync($"/api/v1/members/{member}/consents")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Pos.PostAsJsonAsync($"/api/v1/members/{member}/consents", new { purpose = "profiling", granted = true }, TestProgramme.Json)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Pos.PostAsJsonAsync($"/api/v1/members/{member}/objection", new { }, TestProgramme.Json)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Admin.PostAsJsonAsync("/api/v1/data-requests", new { memberId = member, kind = "access" }, TestProgramme.Json)).StatusCode);
        Assert.Equal(0, await server.WithDbAsync(db => Task.FromResult(db.ConsentRecords.Count(r => r.MemberId == member))));
    }

    [Fact]
    public async Task A_data_request_is_due_a_month_after_receipt_and_is_completed_through_the_export_or_the_erasure()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync("Requesting Member", $"rm.{Guid.NewGuid():N}@example.org");
        var received = new DateTimeOffset(server.Clock.GetUtcNow().UtcDateTime.AddDays(-2));
        var access = await ReadAsync(await p.Admin.PostAsJsonAsync("/api/v1/data-requests", new { memberId = member, kind = "access", receivedAt = received, note = "by letter" }, TestProgramme.Json), HttpStatusCode.Created);
        Assert.Equal(received.UtcDateTime.AddMonths(1), (DateTime)access["dueAt"]!);
        Assert.False((bool)access["overdue"]!);
        var byTill = await p.Pos.PostAsJsonAsync("/api/v1/data-requests", new { memberId = member, kind = "access" }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.Forbidden, byTill.StatusCode);
        var future = await p.Admin.PostAsJsonAsync("/api/v1/data-requests", new { memberId = member, kind = "access", receivedAt = received.AddDays(30) }, TestProgramme.Json);
        Assert.Equal("receivedAt", (string)(await future.Content.ReadFromJsonAsync<JsonObject>())!["field"]!);
        var erasure = await ReadAsync(await p.Admin.PostAsJsonAsync("/api/v1/data-requests", new { memberId = member, kind = "erasure" }, TestProgramme.Json), HttpStatusCode.Created);

        // A minute after the first one's due date, the first is overdue and the second, received two days later, is not.
        server.Clock.Advance((DateTime)access["dueAt"]! - server.Clock.GetUtcNow().UtcDateTime + TimeSpan.FromMinutes(1));
        var open = (await p.Admin.GetFromJsonAsync<JsonArray>("/api/v1/data-requests", TestProgramme.Json))!;
        Assert.Equal([(string)access["id"]!, (string)erasure["id"]!], open.Select(r => (string)r!["id"]!));
        Assert.True((bool)open[0]!["overdue"]!);
        Assert.False((bool)open[1]!["overdue"]!);

        var done = await ReadAsync(await p.Admin.PostAsync($"/api/v1/data-requests/{access["id"]}/completion", null), HttpStatusCode.OK);
        Assert.Equal("Requesting Member", (string)done["export"]!["member"]!["name"]!);
        Assert.Equal(2, done["export"]!["privacy"]!["dataRequests"]!.AsArray().Count);
        Assert.NotNull(done["request"]!["completedAt"]);
        var twice = await p.Admin.PostAsync($"/api/v1/data-requests/{access["id"]}/completion", null);
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);

        var erased = await ReadAsync(await p.Admin.PostAsync($"/api/v1/data-requests/{erasure["id"]}/completion", null), HttpStatusCode.OK);
        Assert.False((bool)erased["erasure"]!["alreadyErased"]!);
        Assert.Equal("Erased member", (string)erased["request"]!["memberName"]!);
        Assert.Empty((await p.Admin.GetFromJsonAsync<JsonArray>("/api/v1/data-requests", TestProgramme.Json))!);
        var all = (await p.Admin.GetFromJsonAsync<JsonArray>("/api/v1/data-requests?open=false", TestProgramme.Json))!;
        Assert.Equal(2, all.Count);
        Assert.All(all, r => Assert.Null(r!["note"]));

        var other = await server.NewProgrammeAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Admin.PostAsync($"/api/v1/data-requests/{erasure["id"]}/completion", null)).StatusCode);
    }
}

public sealed class ConsentTestsOnSqlite(SqliteServer server) : ConsentTests(server), IClassFixture<SqliteServer>;

public sealed class ConsentTestsOnPostgres(PostgresServer server) : ConsentTests(server), IClassFixture<PostgresServer>;
