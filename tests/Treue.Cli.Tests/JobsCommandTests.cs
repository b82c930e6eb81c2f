using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Treue.Cli.Tests.Infrastructure;

namespace Treue.Cli.Tests;

public sealed class JobsCommandTests
{
    [Fact]
    public async Task Jobs_run_makes_pending_points_available_once_the_return_window_has_passed()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 6, 2, 12, 0, 0, TimeSpan.Zero));
        using var cli = new TestCli { Clock = clock };
        var withReturnWindow = Programmes.Shop.Replace("\"currency\": \"EUR\",", "\"currency\": \"EUR\", \"pendingDays\": 14,");
        await cli.SucceedAsync("programme", "apply", cli.Write("shop.json", withReturnWindow));
        await cli.SucceedAsync("import", "purchases", cli.Write("purchases.csv", """
            receipt_id,member_ref,occurred_at,sku,quantity,unit_price
            r1,alice,2025-06-02T09:00:00Z,kettle,1,39.90
            """), "--programme", "shop");
        var ct = TestContext.Current.CancellationToken;

        var early = await cli.SucceedAsync("jobs", "run");
        await using (var db = cli.Db())
        {
            var alice = await db.Members.SingleAsync(ct);
            Assert.Equal((0L, 39L), (alice.Available, alice.Pending));
        }
        clock.Advance(TimeSpan.FromDays(15));
        var due = await cli.SucceedAsync("jobs", "run");
        var again = await cli.SucceedAsync("jobs", "run");

        Assert.Contains("Posted 0 pending lots", early.Out);
        Assert.Contains("Posted 1 pending lot;", due.Out);
        Assert.Contains("Posted 0 pending lots", again.Out);
        await using (var db = cli.Db())
        {
            var alice = await db.Members.SingleAsync(ct);
            Assert.Equal((39L, 0L), (alice.Available, alice.Pending));
            await Ledger.AssertConsistentAsync(db);
        }
    }
}
