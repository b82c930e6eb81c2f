using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;
using Treue.Storage.Purchases;

namespace Treue.Server.Tests;

/// <summary>
/// The purchase store of the server's database, called directly: the rows a written purchase leaves, and that a failed
/// guard, a receipt recorded before and a key taken before write nothing, even when the caller commits afterwards.
/// </summary>
public abstract class PurchaseStoreTests(TreueServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Setup(Guid Programme, Partner Partner, Guid Member);

    private async Task<Setup> SetupAsync(long available = 0)
    {
        var programme = await server.NewProgrammeAsync();
        return await server.WithDbAsync(async db =>
        {
            var partner = await db.Partners.AsNoTracking().SingleAsync(p => p.ProgrammeId == programme.Id && p.Code == "shop", Ct);
            var member = new Member { Id = Guid.CreateVersion7(), ProgrammeId = programme.Id, Name = "Ada", Status = MemberStatus.Active, EnrolledAt = server.Clock.GetUtcNow().UtcDateTime };
            db.Members.Add(member);
            await db.SaveChangesAsync(Ct);
            if (available > 0)
            {
                // Points to pay with: a lot, its entries and the cached balance, written the way a purchase earns them.
                var earned = await WriteAsync(Write(programme.Id, partner, member.Id, 0, "seed-" + Guid.NewGuid().ToString("N")[..8], earn: available));
                Assert.Equal(WriteStatus.Written, earned.Status);
            }
            return new Setup(programme.Id, partner, member.Id);
        });
    }

    private PurchaseWrite Write(Guid programme, Partner partner, Guid? member, int seen, string receipt, long earn = 0, long pay = 0, IdempotencyRecord? claim = null)
    {
        var id = Guid.CreateVersion7();
        var now = server.Clock.GetUtcNow().UtcDateTime;
        var at = new DateTime(now.Ticks - now.Ticks % 10, DateTimeKind.Utc);
        var purchase = new Purchase
        {
            Id = id, ProgrammeId = programme, MemberId = member, MemberPurchaseNo = member is null ? null : seen + 1, PartnerId = partner.Id,
            PartnerCode = partner.Code, StoreCode = "s1", ReceiptId = receipt, Fingerprint = new string('a', 64), OccurredAt = at, RecordedAt = at,
            Currency = "EUR", TotalMinor = 1250, PointsEarned = earn, PointsPaid = pay, PointsDiscountMinor = pay,
            Bonuses = earn > 1 ? [new Contribution("bonus", "Bonus", 1)] : [],
        };
        for (var n = 1; n <= 3; n++)
        {
            purchase.Lines.Add(new PurchaseLine
            {
                PurchaseId = id, LineNo = n, ProgrammeId = programme, MemberId = member, Sku = "sku" + n, Category = n == 2 ? null : "food",
                Quantity = n == 3 ? 0.5m : n, UnitPriceMinor = 250, DiscountMinor = 0, NetMinor = 250 * n,
                Points = n == 1 && earn > 1 ? earn - 1 : 0, Contributions = n == 1 && earn > 1 ? [new Contribution("base", "Base rate", earn - 1)] : [],
            });
        }
        return new PurchaseWrite(programme, purchase, member, seen,
            earn > 0 ? new PurchaseCredit("partner:shop:issued", earn, at, null, false, null) : null,
            pay > 0 ? new PurchaseDebit(LedgerAccounts.PaidAtCheckout, pay, pay, [new Contribution("checkout", "Paid at The Shop", -pay)]) : null,
            "test", claim);
    }

    /// <summary>Writes in a transaction of its own and commits it whatever the outcome, so that whatever the store wrote stays.</summary>
    private async Task<PurchaseWritten> WriteAsync(PurchaseWrite write)
    {
        using var scope = server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<TreueDb>();
        var store = scope.ServiceProvider.GetRequiredService<IPurchaseStore>();
        await using var tx = await db.Database.BeginTransactionAsync(Ct);
        await tx.CreateSavepointAsync("w", Ct);
        var written = await store.WriteAsync(db, write, Ct);
        // A database error aborts a PostgreSQL transaction until it is rolled back to before the statement.
        if (written.Status is WriteStatus.DuplicateReceipt or WriteStatus.KeyTaken) await tx.RollbackToSavepointAsync("w", Ct);
        await tx.CommitAsync(Ct);
        return written;
    }

    private async Task<(int Purchases, int Lines, int Transactions, int Entries, int Lots, int Draws, int Claims, Member Member)> StateAsync(Guid member) =>
        await server.WithDbAsync(async db => (
            await db.Purchases.CountAsync(p => p.MemberId == member, Ct),
            await db.PurchaseLines.CountAsync(l => l.MemberId == member, Ct),
            await db.LedgerTransactions.CountAsync(t => t.MemberId == member, Ct),
            await db.LedgerEntries.CountAsync(e => db.LedgerTransactions.Any(t => t.Id == e.TransactionId && t.MemberId == member), Ct),
            await db.PointLots.CountAsync(l => l.MemberId == member, Ct),
            await db.LotDraws.CountAsync(d => d.MemberId == member, Ct),
            await db.IdempotencyRecords.CountAsync(r => r.Location == member.ToString(), Ct),
            await db.Members.AsNoTracking().SingleAsync(m => m.Id == member, Ct)));

    [Fact]
    public async Task A_member_who_joins_with_a_purchase_is_inserted_by_its_write_and_a_stale_one_is_not()
    {
        var s = await SetupAsync();
        var joiner = new Member
        {
            Id = Guid.CreateVersion7(), ProgrammeId = s.Programme, ExternalRef = "ext-7", Name = "ext-7", Status = MemberStatus.Active,
            EnrolledAt = new DateTime(2025, 3, 4, 5, 6, 7, DateTimeKind.Utc), Birthday = new DateOnly(1990, 12, 31), Language = "de",
        };
        var written = await WriteAsync(Write(s.Programme, s.Partner, joiner.Id, 0, "j1", earn: 7) with { Enrol = joiner });

        Assert.Equal(WriteStatus.Written, written.Status);
        var state = await StateAsync(joiner.Id);
        Assert.Equal((1, 3, 1, 2, 1), (state.Purchases, state.Lines, state.Transactions, state.Entries, state.Lots));
        Assert.Equal((7L, 0L, 1), (state.Member.Available, state.Member.Pending, state.Member.PurchaseCount));
        Assert.Equal(("ext-7", joiner.EnrolledAt, new DateOnly(1990, 12, 31), "de", MemberStatus.Active),
            (state.Member.ExternalRef, state.Member.EnrolledAt, state.Member.Birthday, state.Member.Language, state.Member.Status));

        // A write whose member cannot be inserted (the id is taken) fails, and none of it stays.
        var again = Write(s.Programme, s.Partner, joiner.Id, 1, "j2", earn: 3) with { Enrol = joiner };
        await Assert.ThrowsAnyAsync<Exception>(() => WriteAsync(again));
        Assert.Equal(1, (await StateAsync(joiner.Id)).Purchases);
    }

    [Fact]
    public async Task A_purchase_that_earns_writes_its_rows_and_returns_the_balance_it_left()
    {
        var s = await SetupAsync();
        var write = Write(s.Programme, s.Partner, s.Member, 0, "r1", earn: 12);
        var written = await WriteAsync(write);

        Assert.Equal(WriteStatus.Written, written.Status);
        Assert.Equal(12, written.Balance!.Available);
        Assert.Equal(0, written.Balance.Pending);
        Assert.Equal(LotStatus.Available, written.Lot!.Status);
        var state = await StateAsync(s.Member);
        Assert.Equal((1, 3, 1, 2, 1, 0), (state.Purchases, state.Lines, state.Transactions, state.Entries, state.Lots, state.Draws));
        Assert.Equal((12L, 0L, 1), (state.Member.Available, state.Member.Pending, state.Member.PurchaseCount));
        await server.WithDbAsync(async db =>
        {
            var p = await db.Purchases.AsNoTracking().Include(x => x.Lines).SingleAsync(x => x.Id == write.Purchase.Id, Ct);
            Assert.Equal(("r1", "s1", 1250L, 12L, 1), (p.ReceiptId, p.StoreCode, p.TotalMinor, p.PointsEarned, p.MemberPurchaseNo));
            Assert.Equal(write.Purchase.Fingerprint, p.Fingerprint);
            Assert.Equal(write.Purchase.OccurredAt, p.OccurredAt);
            Assert.Equal([new Contribution("bonus", "Bonus", 1)], p.Bonuses);
            Assert.Equal([1m, 2m, 0.5m], p.Lines.OrderBy(l => l.LineNo).Select(l => l.Quantity));
            Assert.Equal(["food", null, "food"], p.Lines.OrderBy(l => l.LineNo).Select(l => l.Category));
            var tx = await db.LedgerTransactions.AsNoTracking().Include(t => t.Entries).SingleAsync(t => t.PurchaseId == p.Id, Ct);
            Assert.Equal(LedgerKind.Earn, tx.Kind);
            Assert.Equal("test", tx.Actor);
            // The explanation is the purchase's own, stored once on the purchase and put back when read.
            Assert.Empty(tx.Explanation);
            Assert.Equal([("partner:shop:issued", -12L), (LedgerAccounts.MemberAvailable, 12L)],
                tx.Entries.OrderBy(e => e.Id).Select(e => (e.Account, e.Amount)));
            var lot = await db.PointLots.AsNoTracking().SingleAsync(l => l.PurchaseId == p.Id, Ct);
            Assert.Equal((12L, 12L, "earn", written.Lot!.Id), (lot.Amount, lot.Remaining, lot.Source, lot.Id));
            return 0;
        });
    }

    [Fact]
    public async Task A_payment_with_points_draws_the_lots_and_the_purchase_keeps_its_transaction()
    {
        var s = await SetupAsync(available: 50);
        var write = Write(s.Programme, s.Partner, s.Member, 1, "r-pay", earn: 5, pay: 30);
        var written = await WriteAsync(write);

        Assert.Equal(WriteStatus.Written, written.Status);
        Assert.Equal(25, written.Balance!.Available);
        await server.WithDbAsync(async db =>
        {
            var p = await db.Purchases.AsNoTracking().SingleAsync(x => x.Id == write.Purchase.Id, Ct);
            var payment = await db.LedgerTransactions.AsNoTracking().Include(t => t.Entries).Include(t => t.Draws)
                .SingleAsync(t => t.PurchaseId == p.Id && t.Kind == LedgerKind.Redeem, Ct);
            Assert.Equal(payment.Id, p.PaymentTransactionId);
            Assert.Equal((30L, 30L), (p.PointsPaid, p.PointsDiscountMinor));
            Assert.Equal([new Contribution("checkout", "Paid at The Shop", -30)], payment.Explanation);
            Assert.Equal([(LedgerAccounts.MemberAvailable, -30L), (LedgerAccounts.PaidAtCheckout, 30L)], payment.Entries.OrderBy(e => e.Id).Select(e => (e.Account, e.Amount)));
            var seed = await db.PointLots.AsNoTracking().Where(l => l.MemberId == s.Member).OrderBy(l => l.Id).FirstAsync(Ct);
            Assert.Equal(20, seed.Remaining);
            Assert.Equal([(seed.Id, 30L)], payment.Draws.Select(d => (d.LotId, d.Points)));
            return 0;
        });
        var state = await StateAsync(s.Member);
        Assert.Equal((25L, 2), (state.Member.Available, state.Member.PurchaseCount));
    }

    [Fact]
    public async Task A_stale_purchase_count_writes_nothing()
    {
        var s = await SetupAsync();
        var written = await WriteAsync(Write(s.Programme, s.Partner, s.Member, seen: 1, "r-stale", earn: 7));

        Assert.Equal(WriteStatus.Stale, written.Status);
        var state = await StateAsync(s.Member);
        Assert.Equal((0, 0, 0, 0, 0), (state.Purchases, state.Lines, state.Transactions, state.Entries, state.Lots));
        Assert.Equal((0L, 0L, 0), (state.Member.Available, state.Member.Pending, state.Member.PurchaseCount));
    }

    [Fact]
    public async Task Paying_more_points_than_are_available_writes_nothing()
    {
        var s = await SetupAsync(available: 20);
        var written = await WriteAsync(Write(s.Programme, s.Partner, s.Member, seen: 1, "r-short", earn: 3, pay: 21));

        Assert.Equal(WriteStatus.Stale, written.Status);
        var state = await StateAsync(s.Member);
        Assert.Equal((1, 3, 1, 2, 1, 0), (state.Purchases, state.Lines, state.Transactions, state.Entries, state.Lots, state.Draws));
        Assert.Equal((20L, 1), (state.Member.Available, state.Member.PurchaseCount));
        var remaining = await server.WithDbAsync(db => db.PointLots.Where(l => l.MemberId == s.Member).SumAsync(l => l.Remaining, Ct));
        Assert.Equal(20, remaining);
    }

    [Fact]
    public async Task A_receipt_recorded_before_is_a_duplicate_and_the_second_write_leaves_nothing()
    {
        var s = await SetupAsync();
        Assert.Equal(WriteStatus.Written, (await WriteAsync(Write(s.Programme, s.Partner, s.Member, 0, "r-dup", earn: 4))).Status);
        var again = await WriteAsync(Write(s.Programme, s.Partner, s.Member, 1, "r-dup", earn: 4));

        Assert.Equal(WriteStatus.DuplicateReceipt, again.Status);
        var state = await StateAsync(s.Member);
        Assert.Equal((1, 3, 1, 1), (state.Purchases, state.Lines, state.Transactions, state.Lots));
        Assert.Equal((4L, 1), (state.Member.Available, state.Member.PurchaseCount));
    }

    [Fact]
    public async Task An_idempotency_key_taken_before_is_reported_and_the_second_write_leaves_nothing()
    {
        var s = await SetupAsync();
        var scope = Guid.NewGuid();
        IdempotencyRecord Claim(string location) => new()
        {
            ProgrammeId = s.Programme, Scope = scope, Key = "key-1", RequestHash = "h", StatusCode = 201, Location = location,
            CreatedAt = server.Clock.GetUtcNow().UtcDateTime,
        };
        Assert.Equal(WriteStatus.Written, (await WriteAsync(Write(s.Programme, s.Partner, s.Member, 0, "r-k1", earn: 4, claim: Claim(s.Member.ToString())))).Status);
        var again = await WriteAsync(Write(s.Programme, s.Partner, s.Member, 1, "r-k2", earn: 4, claim: Claim("other")));

        Assert.Equal(WriteStatus.KeyTaken, again.Status);
        var state = await StateAsync(s.Member);
        Assert.Equal((1, 3, 1, 1, 1), (state.Purchases, state.Lines, state.Transactions, state.Lots, state.Claims));
        Assert.Equal((4L, 1), (state.Member.Available, state.Member.PurchaseCount));
    }

    [Fact]
    public async Task An_anonymous_purchase_writes_the_purchase_and_its_lines_only()
    {
        var s = await SetupAsync();
        var write = Write(s.Programme, s.Partner, null, 0, "r-anon");
        var written = await WriteAsync(write);

        Assert.Equal(WriteStatus.Written, written.Status);
        Assert.Null(written.Balance);
        Assert.Null(written.Lot);
        var lines = await server.WithDbAsync(db => db.PurchaseLines.CountAsync(l => l.PurchaseId == write.Purchase.Id, Ct));
        Assert.Equal(3, lines);
    }
}

public sealed class PurchaseStoreTestsOnSqlite(SqliteServer server) : PurchaseStoreTests(server), IClassFixture<SqliteServer>;

public sealed class PurchaseStoreTestsOnPostgres(PostgresServer server) : PurchaseStoreTests(server), IClassFixture<PostgresServer>;
