using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Treue.Server.Tests.Infrastructure;
using Treue.Server.Web.Admin;

namespace Treue.Server.Tests;

/// <summary>The console's dashboard figures, computed by the database on both providers.</summary>
public abstract class WebDashboardTests(TreueServer server)
{
    [Fact]
    public async Task Dashboard_counts_members_points_rewards_and_partners_per_month()
    {
        var p = await server.NewProgrammeAsync();
        var (ada, adaCard) = await p.EnrolAsync("Ada");
        var (bob, bobCard) = await p.EnrolAsync("Bob");
        await p.BuyAsync(TestProgramme.Purchase("r1", adaCard, ("tea", "drinks", 1, 25.00m)));
        await p.BuyAsync(TestProgramme.Purchase("r2", bobCard, ("cake", "bakery", 2, 5.00m)));
        await p.GiveAsync(ada, 500);
        await TestProgramme.Expect(await p.Pos.PostAsJsonAsync($"/api/v1/members/{ada}/reward-orders", new { reward = "mug" }), HttpStatusCode.Created);
        _ = bob;

        using var scope = server.Services.CreateScope();
        var dashboard = scope.ServiceProvider.GetRequiredService<Dashboard>();
        var months = await dashboard.MonthsAsync(p.Id, new DateOnly(2026, 5, 1), new DateOnly(2026, 6, 30), CancellationToken.None);
        Assert.Equal(2, months.Count);
        Assert.Equal(new MonthFigures(new DateOnly(2026, 5, 1), 0, 0, 0, 0, 0, 0), months[0]);
        Assert.Equal(new MonthFigures(new DateOnly(2026, 6, 1), Enrolled: 2, Active: 2, Issued: 35, Redeemed: 300, Expired: 0, Pending: 0), months[1]);

        var liability = await dashboard.LiabilityAsync(p.Id, CancellationToken.None);
        Assert.Equal(new Liability(25 + 10 + 500 - 300, 0, 2.35m, "EUR"), liability);

        var rewards = await dashboard.TopRewardsAsync(p.Id, new DateOnly(2026, 6, 1), new DateOnly(2026, 6, 30), 5, CancellationToken.None);
        Assert.Equal([new Ranked("Mug", 1, 300)], rewards);
        var partners = await dashboard.PurchasesByPartnerAsync(p.Id, new DateOnly(2026, 6, 1), new DateOnly(2026, 6, 30), CancellationToken.None);
        Assert.Equal([new Ranked("The Shop", 2, 35.00m)], partners);
        Assert.Empty(await dashboard.PurchasesByPartnerAsync(p.Id, new DateOnly(2026, 5, 1), new DateOnly(2026, 5, 31), CancellationToken.None));
    }

    [Fact]
    public async Task Dashboard_days_and_months_are_the_programme_s()
    {
        // Auckland is 12 hours ahead of UTC in winter: 13:00 UTC on 31 May is 01:00 on 1 June there, 11:00 UTC is 23:00 on 31 May.
        var p = await server.NewProgrammeAsync(TestProgramme.DefaultDocument with { TimeZone = "Pacific/Auckland" });
        var (_, card) = await p.EnrolAsync("Nikau");
        object At(string receipt, decimal price, string utc) => new
        {
            receiptId = receipt, partner = "shop", store = "s1", channel = "store", currency = "EUR", cardNumber = card, total = price,
            occurredAt = DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture),
            lines = new[] { new { sku = "tea", category = "drinks", quantity = 1m, unitPrice = price } },
        };
        await p.BuyAsync(At("late-may", 20m, "2026-05-31T11:00:00Z"));
        await p.BuyAsync(At("early-june", 10m, "2026-05-31T13:00:00Z"));

        using var scope = server.Services.CreateScope();
        var dashboard = scope.ServiceProvider.GetRequiredService<Dashboard>();
        var months = await dashboard.MonthsAsync(p.Id, new DateOnly(2026, 5, 1), new DateOnly(2026, 6, 30), CancellationToken.None);
        Assert.Equal([(new DateOnly(2026, 5, 1), 1L, 20L), (new DateOnly(2026, 6, 1), 1L, 10L)], months.Select(m => (m.Month, m.Active, m.Issued)).ToList());
        // The member enrolled at 09:00 UTC on 1 June, 21:00 there: June either way.
        Assert.Equal([0L, 1L], months.Select(m => m.Enrolled).ToList());

        var june = await dashboard.MonthsAsync(p.Id, new DateOnly(2026, 6, 1), new DateOnly(2026, 6, 1), CancellationToken.None);
        Assert.Equal((1L, 10L), (june.Single().Active, june.Single().Issued));
        Assert.Equal([new Ranked("The Shop", 1, 10m)], await dashboard.PurchasesByPartnerAsync(p.Id, new DateOnly(2026, 6, 1), new DateOnly(2026, 6, 1), CancellationToken.None));
        Assert.Equal([new Ranked("The Shop", 1, 20m)], await dashboard.PurchasesByPartnerAsync(p.Id, new DateOnly(2026, 5, 31), new DateOnly(2026, 5, 31), CancellationToken.None));
    }
}

public sealed class WebDashboardTestsOnSqlite(SqliteServer server) : WebDashboardTests(server), IClassFixture<SqliteServer>;

public sealed class WebDashboardTestsOnPostgres(PostgresServer server) : WebDashboardTests(server), IClassFixture<PostgresServer>;
