using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Domain.Programmes;
using Treue.Server.Features.Programmes;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Tests.Infrastructure;

/// <summary>A programme created for one test, with an admin client, a till client and helpers for common calls.</summary>
public sealed record TestProgramme(TreueServer Server, Guid Id, string Code, HttpClient Admin, HttpClient Pos)
{
    /// <summary>EUR, one point per euro rounded down, no return window, no expiry; one partner with two stores and a 300-point reward.</summary>
    public static ProgrammeDocument DefaultDocument => new()
    {
        Code = "placeholder", Name = "Test programme", Currency = "EUR", TimeZone = "UTC", PointValue = 0.01m, BaseRate = 1m,
        Rounding = RoundingPolicy.Down, PendingDays = 0, Expiry = ExpiryPolicy.Never,
        PayWithPoints = new PayWithPointsPolicy(MinPoints: 100, MaxPoints: null, MaxShareOfBasket: 0.5m),
        Partners = [new("shop", "The Shop", [new("s1", "Shop One"), new("s2", "Shop Two")]), new("fuel", "Fuel Co", [new("f1", "Fuel One")])],
        Rules = [],
        Rewards = [new("mug", "Mug", 300, Stock: 1000), new("knife-set", "Knife set", 1500, CoPayment: 9.99m, Stock: 2)],
    };

    public static readonly JsonSerializerOptions Json = TreueJson.Options;

    /// <summary>
    /// Enrols a member with a physical card; returns the member id and the card number. The member consents to profiling
    /// at the till unless <paramref name="profiling"/> is false, so analyses may show them one by one.
    /// </summary>
    public async Task<(Guid Member, string Card)> EnrolAsync(string name = "Ada Lovelace", string? email = null, bool profiling = true)
    {
        var res = await Pos.PostAsJsonAsync("/api/v1/members", new { name, email, issueCard = "physical" }, Json);
        await Expect(res, HttpStatusCode.Created);
        var body = await res.Content.ReadFromJsonAsync<JsonObject>(Json);
        var member = Guid.Parse((string)body!["id"]!);
        if (profiling)
            await Expect(await Pos.PostAsJsonAsync($"/api/v1/members/{member}/consents", new { purpose = "profiling", granted = true }, Json), HttpStatusCode.OK);
        return (member, (string)body["cards"]![0]!["number"]!);
    }

    /// <summary>A purchase body with lines of (sku, category, quantity, unit price).</summary>
    public static object Purchase(string receipt, string card, params (string Sku, string Category, decimal Qty, decimal Price)[] lines) => new
    {
        receiptId = receipt, partner = "shop", store = "s1", channel = "store", currency = "EUR", cardNumber = card,
        total = lines.Sum(l => l.Qty * l.Price),
        lines = lines.Select(l => new { sku = l.Sku, category = l.Category, quantity = l.Qty, unitPrice = l.Price }).ToArray(),
    };

    /// <summary>Records a purchase and returns its JSON.</summary>
    public async Task<JsonObject> BuyAsync(object purchase, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var res = await Pos.PostAsJsonAsync("/api/v1/purchases", purchase, Json);
        await Expect(res, expected);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(Json))!;
    }

    public async Task<JsonObject> BalanceAsync(Guid member)
    {
        var res = await Pos.GetAsync($"/api/v1/members/{member}/balance");
        await Expect(res, HttpStatusCode.OK);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(Json))!;
    }

    public async Task<long> AvailableAsync(Guid member) => (long)(await BalanceAsync(member))["available"]!;

    public async Task GiveAsync(Guid member, long points)
    {
        var res = await Admin.PostAsJsonAsync($"/api/v1/members/{member}/adjustments", new { points, reason = "test credit" }, Json);
        await Expect(res, HttpStatusCode.Created);
    }

    public async Task<JsonObject> RunJobAsync(string job)
    {
        var res = await Admin.PostAsync($"/api/v1/jobs/{job}", null);
        await Expect(res, HttpStatusCode.OK);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(Json))!;
    }

    /// <summary>Fails with the response body when the status is not the expected one.</summary>
    public static async Task Expect(HttpResponseMessage res, HttpStatusCode expected)
    {
        if (res.StatusCode != expected)
            Assert.Fail($"Expected {(int)expected} but got {(int)res.StatusCode}: {await res.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// Checks the ledger's invariants for this programme: every transaction sums to zero; every member's cached
    /// balances equal the sums of their entries and of their lots' remaining points; no balance is negative.
    /// </summary>
    public Task AssertLedgerInvariantsAsync() => Server.WithDbAsync(async db =>
    {
        await LedgerInvariants.AssertAsync(db, Id);
        return true;
    });

    /// <summary>Counts rows that a refused request must not have written.</summary>
    public Task<(int Purchases, int Transactions, int Members)> CountsAsync() => Server.WithDbAsync(async db => (
        await db.Purchases.CountAsync(p => p.ProgrammeId == Id),
        await db.LedgerTransactions.CountAsync(t => t.ProgrammeId == Id),
        await db.Members.CountAsync(m => m.ProgrammeId == Id)));
}
