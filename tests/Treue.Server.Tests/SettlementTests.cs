using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>
/// Coalition settlement through the API: partners' economics, a month run and run again, closed and frozen, a late
/// return that lands in the next period, and statements that a partner's key reads only for itself.
/// </summary>
public abstract class SettlementTests(TreueServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonObject> OkAsync(HttpResponseMessage res)
    {
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json, Ct))!;
    }

    private static async Task ProblemAsync(HttpResponseMessage res, HttpStatusCode status, string code, string field)
    {
        await TestProgramme.Expect(res, status);
        var problem = (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json, Ct))!;
        Assert.Equal(code, (string?)problem["code"]);
        Assert.Equal(field, (string?)problem["field"]);
    }

    private static object At(object purchase, string partner, string store, DateTimeOffset when, long? pay = null)
    {
        var body = System.Text.Json.JsonSerializer.SerializeToNode(purchase, TestProgramme.Json)!;
        body["partner"] = partner;
        body["store"] = store;
        body["occurredAt"] = when;
        if (pay is { } points) body["pointsPayment"] = new JsonObject { ["points"] = points };
        return body;
    }

    private static JsonObject Statement(JsonObject run, string partner) =>
        run["statements"]!.AsArray().Single(s => (string)s!["partnerCode"]! == partner)!.AsObject();

    [Fact]
    public async Task A_closed_month_clears_to_zero_stays_frozen_and_a_late_return_lands_in_the_next_month()
    {
        var p = await server.NewProgrammeAsync();
        await OkAsync(await p.Admin.PutAsJsonAsync("/api/v1/settlement/partners/shop", new { feePercent = 10m, monthlyFee = 20m }, TestProgramme.Json, Ct));
        await OkAsync(await p.Admin.PutAsJsonAsync("/api/v1/settlement/partners/fuel",
            new { issuePrice = 0.012m, redemptionPrice = 0.009m, feePerPoint = 0.001m, breakage = "partner" }, TestProgramme.Json, Ct));
        var (_, card) = await p.EnrolAsync("Clara Coalition");
        var april = new DateTimeOffset(2026, 4, 10, 10, 0, 0, TimeSpan.Zero);
        var shop = await p.BuyAsync(At(TestProgramme.Purchase("s-1", card, ("bread", "food", 2, 123.45m)), "shop", "s1", april));
        var fuel = await p.BuyAsync(At(TestProgramme.Purchase("f-1", card, ("diesel", "fuel", 40, 1.5m)), "fuel", "f1", april.AddDays(2)));
        var paid = await p.BuyAsync(At(TestProgramme.Purchase("f-2", card, ("diesel", "fuel", 30, 1.5m)), "fuel", "f1", april.AddDays(5), pay: 150));
        Assert.Equal(150, (long)paid["pointsPaid"]!);

        var first = await OkAsync(await p.Admin.PostAsJsonAsync("/api/v1/settlement/runs", new { period = "2026-04" }, TestProgramme.Json, Ct));
        Assert.Equal("open", (string)first["status"]!);
        var s = Statement(first, "shop");
        Assert.Equal((long)shop["pointsEarned"]!, (long)s["pointsIssued"]!);
        var issued = (long)shop["pointsEarned"]! * 0.01m;
        Assert.Equal(issued, (decimal)s["issued"]!);
        Assert.Equal(decimal.Round(issued * 0.10m, 2, MidpointRounding.AwayFromZero), (decimal)s["percentFee"]!);
        Assert.Equal(20m, (decimal)s["monthlyFee"]!);
        Assert.Equal(-(decimal)s["issued"]! - (decimal)s["percentFee"]! - 20m, (decimal)s["net"]!);
        var f = Statement(first, "fuel");
        Assert.Equal((long)fuel["pointsEarned"]! + (long)paid["pointsEarned"]!, (long)f["pointsIssued"]!);
        Assert.Equal(150, (long)f["pointsRedeemed"]!);
        Assert.Equal(1.35m, (decimal)f["redeemed"]!);
        Assert.Equal(0m, (decimal)first["clearing"]!);
        Assert.Equal(-((decimal)s["net"]! + (decimal)f["net"]!), (decimal)first["operator"]!["net"]!);

        // Running an open period again gives the same run and the same statements.
        var again = await OkAsync(await p.Admin.PostAsJsonAsync("/api/v1/settlement/runs", new { period = "2026-04" }, TestProgramme.Json, Ct));
        Assert.Equal((string)first["id"]!, (string)again["id"]!);
        Assert.Equal(first["statements"]!.ToJsonString(), again["statements"]!.ToJsonString());

        var closed = await OkAsync(await p.Admin.PostAsync("/api/v1/settlement/runs/2026-04/close", null, Ct));
        Assert.Equal("closed", (string)closed["status"]!);
        Assert.Equal(first["statements"]!.ToJsonString().Replace("\"open\"", "\"closed\"", StringComparison.Ordinal), closed["statements"]!.ToJsonString());

        // A return dated in the closed month changes nothing there: it is settled in May.
        var ret = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{(string)shop["id"]!}/returns",
            new { returnId = "s-1-r", lines = new[] { new { lineNo = 1, quantity = 1m } }, occurredAt = april.AddDays(10) }, TestProgramme.Json, Ct);
        await TestProgramme.Expect(ret, HttpStatusCode.Created);
        var reversed = (long)(await ret.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json, Ct))!["pointsReversed"]!;
        Assert.True(reversed > 0);
        var frozen = await OkAsync(await p.Admin.GetAsync("/api/v1/settlement/runs/2026-04", Ct));
        Assert.Equal(closed.ToJsonString(), frozen.ToJsonString());
        var rerun = await OkAsync(await p.Admin.PostAsJsonAsync("/api/v1/settlement/runs", new { period = "2026-04" }, TestProgramme.Json, Ct));
        Assert.Equal(closed.ToJsonString(), rerun.ToJsonString());
        var may = await OkAsync(await p.Admin.PostAsJsonAsync("/api/v1/settlement/runs", new { period = "2026-05" }, TestProgramme.Json, Ct));
        var mayShop = Statement(may, "shop");
        Assert.Equal((0L, reversed), ((long)mayShop["pointsIssued"]!, (long)mayShop["pointsReturned"]!));
        Assert.Equal(reversed * 0.01m, (decimal)mayShop["returns"]!);
        Assert.Equal(0m, (decimal)may["clearing"]!);

        // A period that has not ended cannot close; an earlier one than a closed period has nothing left to settle.
        await ProblemAsync(await p.Admin.PostAsync("/api/v1/settlement/runs/2026-06/close", null, Ct), HttpStatusCode.UnprocessableEntity,
            "settlement_period_not_over", "period");
        await OkAsync(await p.Admin.PostAsync("/api/v1/settlement/runs/2026-05/close", null, Ct));
        await ProblemAsync(await p.Admin.PostAsJsonAsync("/api/v1/settlement/runs", new { period = "2026-03" }, TestProgramme.Json, Ct),
            HttpStatusCode.Conflict, "settlement_period_settled", "period");
        await ProblemAsync(await p.Admin.PostAsJsonAsync("/api/v1/settlement/runs", new { period = "2026-W20" }, TestProgramme.Json, Ct),
            HttpStatusCode.UnprocessableEntity, "settlement_period_kind", "period");
        await server.WithDbAsync(async db =>
        {
            Assert.Equal(2, db.SettlementRuns.Count(r => r.ProgrammeId == p.Id && r.Status == SettlementRunStatus.Closed));
            return await Task.FromResult(true);
        });
    }

    [Fact]
    public async Task A_partner_s_key_reads_only_its_own_statements_and_other_programmes_find_nothing()
    {
        var p = await server.NewProgrammeAsync();
        var (_, card) = await p.EnrolAsync("Paul Partner");
        var march = new DateTimeOffset(2026, 3, 3, 12, 0, 0, TimeSpan.Zero);
        await p.BuyAsync(At(TestProgramme.Purchase("s-1", card, ("tea", "food", 1, 40m)), "shop", "s1", march));
        await p.BuyAsync(At(TestProgramme.Purchase("f-1", card, ("diesel", "fuel", 20, 1.5m)), "fuel", "f1", march));
        await OkAsync(await p.Admin.PostAsJsonAsync("/api/v1/settlement/runs", new { period = "2026-03" }, TestProgramme.Json, Ct));
        var till = await server.WithDbAsync(async db =>
            (await ApiKeyEndpoints.CreateAsync(db, p.Id, "shop till", ApiRole.Pos, "shop", server.Clock.GetUtcNow().UtcDateTime, Ct)).Key);
        var shopTill = server.Client(till);

        var run = await OkAsync(await shopTill.GetAsync("/api/v1/settlement/runs/2026-03", Ct));
        Assert.Equal(["shop"], run["statements"]!.AsArray().Select(x => (string)x!["partnerCode"]!));
        Assert.Null(run["operator"]);
        var listed = (await shopTill.GetFromJsonAsync<JsonArray>("/api/v1/settlement/runs", TestProgramme.Json, Ct))!;
        Assert.All(listed, r => Assert.Equal(["shop"], r!["statements"]!.AsArray().Select(x => (string)x!["partnerCode"]!)));
        await OkAsync(await shopTill.GetAsync("/api/v1/settlement/runs/2026-03/statements/shop", Ct));
        await ProblemAsync(await shopTill.GetAsync("/api/v1/settlement/runs/2026-03/statements/fuel", Ct), HttpStatusCode.NotFound,
            "statement_not_found", "partnerCode");
        await ProblemAsync(await shopTill.GetAsync("/api/v1/settlement/runs/2026-03/statements/fuel/pdf", Ct), HttpStatusCode.NotFound,
            "statement_not_found", "partnerCode");

        var csv = await shopTill.GetAsync("/api/v1/settlement/runs/2026-03/statements/shop/csv", Ct);
        await TestProgramme.Expect(csv, HttpStatusCode.OK);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var rows = (await csv.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("period,status,partner,line,points,price_per_point,amount,currency", rows[0], StringComparison.Ordinal);
        Assert.Equal(9, rows.Length);
        Assert.Contains("2026-03,open,shop,Points issued,40,0.01,-0.40,EUR", rows[1], StringComparison.Ordinal);
        var pdf = await shopTill.GetAsync("/api/v1/settlement/runs/2026-03/statements/shop/pdf", Ct);
        await TestProgramme.Expect(pdf, HttpStatusCode.OK);
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType!.MediaType);
        var bytes = await pdf.Content.ReadAsByteArrayAsync(Ct);
        var text = System.Text.Encoding.Latin1.GetString(bytes);
        Assert.StartsWith("%PDF-1.4", text, StringComparison.Ordinal);
        Assert.EndsWith("%%EOF\n", text, StringComparison.Ordinal);
        Assert.Contains("(Settlement statement) Tj", text, StringComparison.Ordinal);
        Assert.Contains(@"Partner: The Shop \(shop\)", text, StringComparison.Ordinal);
        // The cross-reference table points at the objects where they are.
        var startxref = int.Parse(text[(text.LastIndexOf("startxref\n", StringComparison.Ordinal) + 10)..].Split('\n')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith("xref", text[startxref..], StringComparison.Ordinal);

        // Another programme's admin finds neither the run nor the partner.
        var other = await server.NewProgrammeAsync();
        await ProblemAsync(await other.Admin.GetAsync("/api/v1/settlement/runs/2026-03", Ct), HttpStatusCode.NotFound, "settlement_run_not_found", "period");
        await ProblemAsync(await other.Admin.GetAsync("/api/v1/settlement/runs/2026-03/statements/shop/csv", Ct), HttpStatusCode.NotFound,
            "settlement_run_not_found", "period");
        Assert.Empty((await other.Admin.GetFromJsonAsync<JsonArray>("/api/v1/settlement/runs", TestProgramme.Json, Ct))!);
    }

    [Fact]
    public async Task Bad_economics_and_periods_are_refused_naming_the_field()
    {
        var p = await server.NewProgrammeAsync();
        await ProblemAsync(await p.Admin.PutAsJsonAsync("/api/v1/settlement/partners/shop", new { feePercent = 150m }, TestProgramme.Json, Ct),
            HttpStatusCode.BadRequest, "validation_failed", "feePercent");
        await ProblemAsync(await p.Admin.PutAsJsonAsync("/api/v1/settlement/partners/shop", new { monthlyFee = 0.001m }, TestProgramme.Json, Ct),
            HttpStatusCode.BadRequest, "validation_failed", "monthlyFee");
        await ProblemAsync(await p.Admin.PutAsJsonAsync("/api/v1/settlement/partners/shop", new { issuePrice = -1m }, TestProgramme.Json, Ct),
            HttpStatusCode.BadRequest, "validation_failed", "issuePrice");
        await ProblemAsync(await p.Admin.PutAsJsonAsync("/api/v1/settlement/partners/nobody", new { }, TestProgramme.Json, Ct),
            HttpStatusCode.UnprocessableEntity, "partner_not_found", "partnerCode");
        await ProblemAsync(await p.Admin.PostAsJsonAsync("/api/v1/settlement/runs", new { period = "2026-13" }, TestProgramme.Json, Ct),
            HttpStatusCode.BadRequest, "validation_failed", "period");
        await ProblemAsync(await p.Admin.PostAsJsonAsync("/api/v1/settlement/runs", new { }, TestProgramme.Json, Ct),
            HttpStatusCode.BadRequest, "validation_failed", "period");
        var economics = (await p.Admin.GetFromJsonAsync<JsonArray>("/api/v1/settlement/partners", TestProgramme.Json, Ct))!;
        Assert.Equal([0.01m, 0.01m], economics.Select(e => (decimal)e!["issuePriceInForce"]!));
    }
}

public sealed class SettlementTestsOnSqlite(SqliteServer server) : SettlementTests(server), IClassFixture<SqliteServer>;

public sealed class SettlementTestsOnPostgres(PostgresServer server) : SettlementTests(server), IClassFixture<PostgresServer>;

/// <summary>The demo coalition settles: its last full month is closed, and its statements and the operator's side add up to zero.</summary>
public sealed class DemoSettlementTests(SqliteServer server) : IClassFixture<SqliteServer>
{
    [Fact]
    public async Task The_demo_has_a_closed_month_whose_statements_and_operator_fees_add_up_to_zero()
    {
        Guid id;
        Treue.Server.Features.Demo.DemoKeys keys;
        using (var scope = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.CreateScope(server.Services))
        {
            var seeder = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Treue.Server.Features.Demo.DemoSeeder>(scope.ServiceProvider);
            (id, var created) = await seeder.EnsureProgrammeAsync(CancellationToken.None);
            keys = created!;
            await seeder.SeedActivityAsync(id, 60, null, CancellationToken.None, yieldBetweenBatches: false);
        }
        var admin = server.Client(keys.Admin);
        var runs = (await admin.GetFromJsonAsync<JsonArray>("/api/v1/settlement/runs", TestProgramme.Json, TestContext.Current.CancellationToken))!;
        Assert.Equal("open", (string)runs[0]!["status"]!);
        var lastMonth = runs[1]!.AsObject();
        Assert.Equal("closed", (string)lastMonth["status"]!);
        var statements = lastMonth["statements"]!.AsArray();
        Assert.Equal(["book-nook", "city-market", "fuel-go"], statements.Select(s => (string)s!["partnerCode"]!));
        Assert.True((decimal)lastMonth["operator"]!["fees"]! >= 125m, "the monthly fees of City Market and Book Nook");
        Assert.True(statements.Sum(s => (long)s!["pointsIssued"]!) > 0);
        Assert.Equal(0m, statements.Sum(s => (decimal)s!["net"]!) + (decimal)lastMonth["operator"]!["net"]!);
        Assert.Equal(0m, (decimal)lastMonth["clearing"]!);
        Assert.All(runs.Skip(1), r => Assert.Equal("closed", (string)r!["status"]!));
        Assert.All(runs, r => Assert.Equal(0m, (decimal)r!["clearing"]!));
    }
}
