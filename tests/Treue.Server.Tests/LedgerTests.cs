using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Treue.Domain.Programmes;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

public abstract class LedgerTests(TreueServer server)
{
    [Fact]
    public async Task Pending_points_become_available_after_the_return_window()
    {
        var p = await server.NewProgrammeAsync(TestProgramme.DefaultDocument with { PendingDays = 14 });
        var (member, card) = await p.EnrolAsync();
        var purchase = await p.BuyAsync(TestProgramme.Purchase("r", card, ("a", "c", 1, 75m)));
        Assert.Equal("pending", (string)purchase["pointsStatus"]!);
        var balance = await p.BalanceAsync(member);
        Assert.Equal(0, (long)balance["available"]!);
        Assert.Equal(75, (long)balance["pending"]!);

        server.Clock.Advance(TimeSpan.FromDays(13));
        Assert.Equal(0, (int)(await p.RunJobAsync("post-pending"))["lots"]!);
        Assert.Equal(0, await p.AvailableAsync(member));

        server.Clock.Advance(TimeSpan.FromDays(1.5));
        Assert.Equal(1, (int)(await p.RunJobAsync("post-pending"))["lots"]!);
        Assert.Equal(0, (int)(await p.RunJobAsync("post-pending"))["lots"]!);
        balance = await p.BalanceAsync(member);
        Assert.Equal(75, (long)balance["available"]!);
        Assert.Equal(0, (long)balance["pending"]!);
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task A_return_inside_the_window_voids_pending_points()
    {
        var p = await server.NewProgrammeAsync(TestProgramme.DefaultDocument with { PendingDays = 30 });
        var (member, card) = await p.EnrolAsync();
        var purchase = await p.BuyAsync(TestProgramme.Purchase("r", card, ("a", "c", 2, 50m)));
        var res = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{purchase["id"]}/returns", new { returnId = "x", lines = new[] { new { lineNo = 1, quantity = 1m } } }, TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.Created);
        var balance = await p.BalanceAsync(member);
        Assert.Equal(50, (long)balance["pending"]!);
        server.Clock.Advance(TimeSpan.FromDays(31));
        await p.RunJobAsync("post-pending");
        Assert.Equal(50, await p.AvailableAsync(member));
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task Expiry_consumes_the_oldest_points_first_and_running_it_twice_changes_nothing()
    {
        var p = await server.NewProgrammeAsync(TestProgramme.DefaultDocument with { Expiry = new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: 12) });
        var (member, card) = await p.EnrolAsync();
        await p.BuyAsync(TestProgramme.Purchase("old", card, ("a", "c", 1, 100m)));
        server.Clock.Advance(TimeSpan.FromDays(200));
        await p.BuyAsync(TestProgramme.Purchase("new", card, ("a", "c", 1, 300m)));
        // Spending 150 takes the 100 old points first, then 50 of the new ones.
        await p.Admin.PostAsJsonAsync($"/api/v1/members/{member}/adjustments", new { points = -150, reason = "spend" }, TestProgramme.Json);
        Assert.Equal(250, await p.AvailableAsync(member));

        server.Clock.Advance(TimeSpan.FromDays(200)); // the old lot (empty) expires; the new one is 200 days old
        var first = await p.RunJobAsync("expire");
        Assert.Equal(0, (long)first["points"]!);
        Assert.Equal(250, await p.AvailableAsync(member));
        var balance = await p.BalanceAsync(member);
        Assert.Equal(0, (long)balance["expiring"]!["in90Days"]!);

        server.Clock.Advance(TimeSpan.FromDays(170)); // new lot is 370 days old: expired
        var second = await p.RunJobAsync("expire");
        Assert.Equal(250, (long)second["points"]!);
        var again = await p.RunJobAsync("expire");
        Assert.Equal(0, (long)again["points"]!);
        Assert.Equal(0, await p.AvailableAsync(member));
        await p.AssertLedgerInvariantsAsync();
    }

    [Fact]
    public async Task Balance_shows_points_expiring_in_30_60_and_90_days()
    {
        var p = await server.NewProgrammeAsync(TestProgramme.DefaultDocument with { Expiry = new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: 3) });
        var (member, card) = await p.EnrolAsync();
        await p.BuyAsync(TestProgramme.Purchase("a", card, ("a", "c", 1, 10m)));
        server.Clock.Advance(TimeSpan.FromDays(40));
        await p.BuyAsync(TestProgramme.Purchase("b", card, ("a", "c", 1, 20m)));
        server.Clock.Advance(TimeSpan.FromDays(40));
        await p.BuyAsync(TestProgramme.Purchase("c", card, ("a", "c", 1, 40m)));
        var expiring = (await p.BalanceAsync(member))["expiring"]!;
        Assert.Equal(10, (long)expiring["in30Days"]!);
        Assert.Equal(30, (long)expiring["in60Days"]!);
        Assert.Equal(30, (long)expiring["in90Days"]!); // the newest lot expires in 92 days
    }

    [Fact]
    public async Task Manual_adjustments_need_an_admin_and_a_reason_and_cannot_overdraw()
    {
        var p = await server.NewProgrammeAsync();
        var (member, _) = await p.EnrolAsync();
        var byTill = await p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/adjustments", new { points = 100, reason = "goodwill" }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.Forbidden, byTill.StatusCode);
        Assert.Equal("application/problem+json", byTill.Content.Headers.ContentType?.MediaType);
        var noReason = await p.Admin.PostAsJsonAsync($"/api/v1/members/{member}/adjustments", new { points = 100, reason = " " }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal("reason", (string)(await noReason.Content.ReadFromJsonAsync<JsonObject>())!["field"]!);
        await p.GiveAsync(member, 100);
        var overdraw = await p.Admin.PostAsJsonAsync($"/api/v1/members/{member}/adjustments", new { points = -101, reason = "correction" }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, overdraw.StatusCode);
        Assert.Equal(100, await p.AvailableAsync(member));
        var history = (await p.Pos.GetFromJsonAsync<JsonObject>($"/api/v1/members/{member}/history"))!;
        Assert.Equal("test credit", (string)history["items"]![0]!["reason"]!);
    }

    [Fact]
    public async Task History_explanations_keep_their_English_name_and_give_the_reason_in_parts()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        await p.BuyAsync(TestProgramme.Purchase("r1", card, ("a", "c", 1, 10m)));
        var history = (await p.Pos.GetFromJsonAsync<JsonObject>($"/api/v1/members/{member}/history"))!;
        var first = history["items"]![0]!["explanation"]![0]!;
        Assert.Equal("Base rate (line 1)", (string)first["name"]!);
        Assert.Equal("base_rate", (string)first["reason"]!["key"]!);
        Assert.Equal(1, (int)first["reason"]!["line"]!);
    }

    [Fact]
    public async Task History_is_paginated_newest_first_with_explanations()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        for (var i = 1; i <= 5; i++) await p.BuyAsync(TestProgramme.Purchase("r" + i, card, ("a", "c", 1, i * 10m)));
        var first = (await p.Pos.GetFromJsonAsync<JsonObject>($"/api/v1/members/{member}/history?limit=3"))!;
        var items = first["items"]!.AsArray();
        Assert.Equal(3, items.Count);
        Assert.Equal(50, (long)items[0]!["available"]!);
        Assert.Equal("base", (string)items[0]!["explanation"]![0]!["rule"]!);
        var second = (await p.Pos.GetFromJsonAsync<JsonObject>($"/api/v1/members/{member}/history?limit=3&cursor={first["nextCursor"]}"))!;
        Assert.Equal(new long[] { 20, 10 }, second["items"]!.AsArray().Select(i => (long)i!["available"]!));
        Assert.Null(second["nextCursor"]);
    }
}

public sealed class LedgerTestsOnSqlite(SqliteServer server) : LedgerTests(server), IClassFixture<SqliteServer>;

public sealed class LedgerTestsOnPostgres(PostgresServer server) : LedgerTests(server), IClassFixture<PostgresServer>;
