using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Treue.Domain;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

public abstract class MemberAndCardTests(TreueServer server)
{
    [Fact]
    public async Task Enrolled_member_is_found_by_id_card_number_card_token_and_email()
    {
        var p = await server.NewProgrammeAsync();
        var res = await p.Pos.PostAsJsonAsync("/api/v1/members", new { name = "Grace Hopper", email = "Grace@Example.org", birthday = "1990-12-09", language = "de" }, TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.Created);
        var member = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = (string)member["id"]!;
        var card = member["cards"]![0]!;
        Assert.Equal("digital", (string)card["kind"]!);
        Assert.True(CardNumbers.IsValid((string)card["number"]!));
        Assert.Equal(22, ((string)card["token"]!).Length);

        foreach (var query in new[] { $"cardNumber={card["number"]}", $"cardToken={card["token"]}", "email=grace@example.org" })
        {
            var found = (await p.Pos.GetFromJsonAsync<JsonObject>($"/api/v1/members?{query}"))!;
            Assert.Equal(id, (string)found["items"]![0]!["id"]!);
        }
        var byId = (await p.Pos.GetFromJsonAsync<JsonObject>($"/api/v1/members/{id}"))!;
        Assert.Equal("Grace Hopper", (string)byId["name"]!);
        var byToken = (await p.Pos.GetFromJsonAsync<JsonObject>($"/api/v1/cards/{card["qrPayload"]}"))!;
        Assert.Equal(id, (string)byToken["memberId"]!);
    }

    [Fact]
    public async Task A_lost_card_is_blocked_and_replaced_and_the_balance_stays_with_the_member()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        await p.BuyAsync(TestProgramme.Purchase("before", card, ("a", "c", 1, 120m)));
        var res = await p.Pos.PostAsJsonAsync($"/api/v1/cards/{card}/replace", new { }, TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.Created);
        var replacement = (string)(await res.Content.ReadFromJsonAsync<JsonObject>())!["number"]!;
        Assert.NotEqual(card, replacement);

        var refused = await p.Pos.PostAsJsonAsync("/api/v1/purchases", TestProgramme.Purchase("old-card", card, ("a", "c", 1, 10m)), TestProgramme.Json);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var problem = (await refused.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("card_blocked", (string)problem["code"]!);
        Assert.Equal("cardNumber", (string)problem["field"]!);

        await p.BuyAsync(TestProgramme.Purchase("new-card", replacement, ("a", "c", 1, 30m)));
        Assert.Equal(150, await p.AvailableAsync(member));
    }

    [Fact]
    public async Task Unknown_cards_and_cards_of_another_programme_are_refused_alike()
    {
        var p = await server.NewProgrammeAsync();
        var other = await server.NewProgrammeAsync();
        var (_, foreignCard) = await other.EnrolAsync();
        foreach (var number in new[] { foreignCard, CardNumbers.Create(), "1234567890123" })
        {
            var res = await p.Pos.PostAsJsonAsync("/api/v1/purchases", TestProgramme.Purchase("r-" + number, number, ("a", "c", 1, 10m)), TestProgramme.Json);
            Assert.Equal(HttpStatusCode.NotFound, res.StatusCode);
            var problem = (await res.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal("card_not_found", (string)problem["code"]!);
            Assert.Equal("cardNumber", (string)problem["field"]!);
        }
        Assert.Equal(0, (await p.CountsAsync()).Purchases);
    }

    [Fact]
    public async Task A_member_of_another_programme_cannot_be_read_or_changed()
    {
        var p = await server.NewProgrammeAsync();
        var other = await server.NewProgrammeAsync();
        var (foreign, _) = await other.EnrolAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await p.Pos.GetAsync($"/api/v1/members/{foreign}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await p.Pos.GetAsync($"/api/v1/members/{foreign}/balance")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await p.Pos.GetAsync($"/api/v1/members/{foreign}/history")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await p.Admin.PostAsJsonAsync($"/api/v1/members/{foreign}/adjustments", new { points = 100, reason = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await p.Admin.PatchAsJsonAsync($"/api/v1/members/{foreign}", new { status = "blocked", reason = "test" })).StatusCode);
        var res = await p.Pos.PostAsJsonAsync("/api/v1/purchases", new { receiptId = "x", partner = "shop", currency = "EUR", memberId = foreign, total = 5m,
            lines = new[] { new { sku = "a", quantity = 1m, unitPrice = 5m } } }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.NotFound, res.StatusCode);
        Assert.Equal(0, await other.AvailableAsync(foreign));
    }

    [Fact]
    public async Task A_blocked_member_earns_nothing_and_only_an_admin_may_block()
    {
        var p = await server.NewProgrammeAsync();
        var (member, card) = await p.EnrolAsync();
        var byTill = await p.Pos.PatchAsJsonAsync($"/api/v1/members/{member}", new { status = "blocked" }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.Forbidden, byTill.StatusCode);
        var byAdmin = await p.Admin.PatchAsJsonAsync($"/api/v1/members/{member}", new { status = "blocked", reason = "Card fraud" }, TestProgramme.Json);
        await TestProgramme.Expect(byAdmin, HttpStatusCode.OK);
        var res = await p.Pos.PostAsJsonAsync("/api/v1/purchases", TestProgramme.Purchase("b", card, ("a", "c", 1, 10m)), TestProgramme.Json);
        Assert.Equal("member_not_active", (string)(await res.Content.ReadFromJsonAsync<JsonObject>())!["code"]!);
    }

    [Fact]
    public async Task Enrolment_with_bad_profile_data_names_each_field_and_writes_nothing()
    {
        var p = await server.NewProgrammeAsync();
        var res = await p.Pos.PostAsJsonAsync("/api/v1/members", new { name = "", email = "not-an-email", birthday = "1850-01-01", language = "english!" }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        var errors = (await res.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("name") && errors.ContainsKey("email") && errors.ContainsKey("birthday") && errors.ContainsKey("language"));
        var dup1 = await p.Pos.PostAsJsonAsync("/api/v1/members", new { name = "A", email = "a@example.org" }, TestProgramme.Json);
        await TestProgramme.Expect(dup1, HttpStatusCode.Created);
        var dup2 = await p.Pos.PostAsJsonAsync("/api/v1/members", new { name = "B", email = "A@example.org" }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.Conflict, dup2.StatusCode);
        Assert.Equal(1, (await p.CountsAsync()).Members);
    }

    [Fact]
    public async Task Member_lists_page_with_a_cursor_and_refuse_oversized_pages()
    {
        var p = await server.NewProgrammeAsync();
        for (var i = 0; i < 5; i++) await p.EnrolAsync("M" + i);
        var seen = new HashSet<string>();
        string? cursor = null;
        do
        {
            var page = (await p.Pos.GetFromJsonAsync<JsonObject>("/api/v1/members?limit=2" + (cursor is null ? "" : "&cursor=" + cursor)))!;
            Assert.True(page["items"]!.AsArray().Count <= 2);
            foreach (var item in page["items"]!.AsArray()) Assert.True(seen.Add((string)item!["id"]!));
            cursor = (string?)page["nextCursor"];
        } while (cursor is not null);
        Assert.Equal(5, seen.Count);
        var huge = await p.Pos.GetAsync("/api/v1/members?limit=100000");
        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
        Assert.Equal("limit", (string)(await huge.Content.ReadFromJsonAsync<JsonObject>())!["field"]!);
        var junk = await p.Pos.GetAsync("/api/v1/members?cursor=%%%");
        Assert.Equal(HttpStatusCode.BadRequest, junk.StatusCode);
    }
}

public sealed class MemberAndCardTestsOnSqlite(SqliteServer server) : MemberAndCardTests(server), IClassFixture<SqliteServer>;

public sealed class MemberAndCardTestsOnPostgres(PostgresServer server) : MemberAndCardTests(server), IClassFixture<PostgresServer>;
