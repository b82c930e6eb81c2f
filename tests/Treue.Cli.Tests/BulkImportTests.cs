using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Treue.Cli.Tests.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Cli.Tests;

public sealed class BulkImportTests
{
    private const string Header = "receipt_id,member_ref,card_number,partner,store,channel,occurred_at,currency,line_no,sku,category,quantity,unit_price,discount";

    // A programme whose earning depends on the order of purchases (a welcome bonus), on the weekday and on categories,
    // with a return window and expiry, so that lots are pending or available depending on the purchase's time.
    private const string Programme = """
        {
          "code": "club",
          "name": "Club",
          "currency": "EUR",
          "pendingDays": 14,
          "expiry": { "kind": "monthsAfterEarning", "months": 24 },
          "partners": [
            { "code": "main", "name": "Main", "stores": [ { "code": "north", "name": "North" }, { "code": "south", "name": "South" } ] },
            { "code": "fuel", "name": "Fuel", "stores": [ { "code": "a1", "name": "A1" } ] }
          ],
          "rules": [
            { "code": "saturday", "name": "3x on Saturdays", "priority": 10, "stacking": "stack",
              "conditions": { "weekdays": ["saturday"] }, "effect": { "kind": "multiplier", "value": 3 } },
            { "code": "welcome", "name": "Welcome", "priority": 5, "stacking": "stack",
              "conditions": { "firstPurchaseOnly": true }, "effect": { "kind": "fixedBonus", "value": 50 } },
            { "code": "dairy", "name": "Dairy extra", "priority": 3, "stacking": "stack",
              "conditions": { "categories": ["dairy"] }, "effect": { "kind": "pointsPerCurrencyUnit", "value": 0.5 } }
          ]
        }
        """;

    private const string CardOfCarla = "2890526984849";
    private const string BlockedCard = "OLD-CARD-7";

    /// <summary>Old purchases (available), recent ones (pending), several members, cards, anonymous, and rows to refuse.</summary>
    private static string File()
    {
        var recent = DateTime.UtcNow.AddDays(-3).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var rows = new List<string>
        {
            Header,
            "r1,alice,,main,north,store,2025-03-01T10:00:00Z,EUR,1,milk,dairy,2,1.19,0",
            "r1,alice,,main,north,store,2025-03-01T10:00:00Z,EUR,2,wine,drinks,1,8.99,0.50",
            "r2,,,main,north,store,2025-03-02T11:00:00Z,EUR,1,bread,bakery,1,2.89,",
            "r3,bob,,main,,online,2025-03-03T09:30:00+01:00,EUR,2,cable,electronics,3,4.00,1.00",
            "r3,bob,,main,,online,2025-03-03T09:30:00+01:00,EUR,1,tv,electronics,1,499.00,",
            "r4,alice,,main,north,,2025-02-20,,,coffee,pantry,1,10.00,",
            $"r5,,{CardOfCarla},fuel,a1,store,2025-04-05T08:00:00Z,EUR,1,diesel,fuel,40,1.65,",
            $"r6,alice,,main,south,store,{recent},EUR,1,cheese,dairy,3,4.00,",
            $"r7,dora,,fuel,a1,app,{recent},EUR,1,coffee,,2,2.50,",
            "r8,bob,,main,north,store,2025-03-08T12:00:00Z,EUR,1,butter,dairy,1,2.49,",
            // Refused: a price with a comma, a store of another partner, an unknown card, a blocked card, a blocked member,
            // a discount larger than the line, a time in the future. Their members must not be enrolled.
            "bad-price,erik,,main,north,store,2025-03-04T10:00:00Z,EUR,1,milk,dairy,1,1.19,0",
            "bad-price,erik,,main,north,store,2025-03-04T10:00:00Z,EUR,2,wine,drinks,1,\"8,99\",0",
            "bad-store,fay,,main,a1,store,2025-03-04T10:00:00Z,EUR,1,milk,dairy,1,1.19,0",
            "bad-card,,9999999999994,main,north,store,2025-03-04T10:00:00Z,EUR,1,milk,dairy,1,1.19,0",
            $"blocked-card,,{BlockedCard},main,north,store,2025-03-04T10:00:00Z,EUR,1,milk,dairy,1,1.19,0",
            "blocked-member,gus,,main,north,store,2025-03-04T10:00:00Z,EUR,1,milk,dairy,1,1.19,0",
            "too-cheap,hal,,main,north,store,2025-03-04T10:00:00Z,EUR,1,milk,dairy,1,1.19,2.00",
            "future,ida,,main,north,store,2999-01-01T00:00:00Z,EUR,1,milk,dairy,1,1.19,0",
            "r9,dora,,main,north,store,2025-01-15T10:00:00Z,EUR,1,yoghurt,dairy,4,0.99,",
        };
        return string.Join('\n', rows) + "\n";
    }

    [Fact]
    public async Task Bulk_import_writes_exactly_the_ledger_of_the_normal_import()
    {
        using var normal = await ClubAsync();
        using var bulk = await ClubAsync();
        var file = File();

        var a = await normal.RunAsync("import", "purchases", normal.Write("p.csv", file), "--programme", "club");
        var b = await bulk.RunAsync("import", "purchases", bulk.Write("p.csv", file), "--programme", "club", "--bulk", "--batch-size", "3");

        Assert.Equal(2, a.ExitCode);
        Assert.Equal(2, b.ExitCode);
        foreach (var label in new[] { "New", "Already there", "Rejected", "Rows rejected", "Members enrolled", "Points earned" })
            Assert.Equal(Report.Count(a, label), Report.Count(b, label));
        Assert.Equal(9, Report.Count(b, "New"));
        Assert.Equal(Errors(a), Errors(b));

        await using var dbA = normal.Db();
        await using var dbB = bulk.Db();
        var expected = await SnapshotAsync(dbA);
        Assert.Equal(expected, await SnapshotAsync(dbB));
        // The file has both kinds of lots, so the comparison covers pending and available points.
        Assert.Contains(expected, l => l.Contains("|Pending|", StringComparison.Ordinal));
        Assert.Contains(expected, l => l.Contains("|Available|", StringComparison.Ordinal));
        await Ledger.AssertConsistentAsync(dbB);
    }

    [Fact]
    public async Task Importing_again_adds_nothing_whichever_path_imported_first()
    {
        using var cli = await ClubAsync();
        var path = cli.Write("p.csv", File());
        await cli.RunAsync("import", "purchases", path, "--programme", "club", "--bulk");
        await using var db = cli.Db();
        var before = await SnapshotAsync(db);

        var bulkAgain = await cli.RunAsync("import", "purchases", path, "--programme", "club", "--bulk");
        var normalAgain = await cli.RunAsync("import", "purchases", path, "--programme", "club");

        foreach (var run in new[] { bulkAgain, normalAgain })
        {
            Assert.Equal((0, 9, 0), (Report.Count(run, "New"), Report.Count(run, "Already there"), Report.Count(run, "Members enrolled")));
        }
        Assert.Equal(before, await SnapshotAsync(db));
        await Ledger.AssertConsistentAsync(db);

        // And the other way round: what the normal import recorded, the bulk import finds.
        using var other = await ClubAsync();
        var otherPath = other.Write("p.csv", File());
        await other.RunAsync("import", "purchases", otherPath, "--programme", "club");
        var bulkAfterNormal = await other.RunAsync("import", "purchases", otherPath, "--programme", "club", "--bulk");
        Assert.Equal((0, 9), (Report.Count(bulkAfterNormal, "New"), Report.Count(bulkAfterNormal, "Already there")));
    }

    [Fact]
    public async Task Refused_receipts_leave_nothing_behind_and_are_reported_by_line_and_column()
    {
        using var cli = await ClubAsync();

        var run = await cli.RunAsync("import", "purchases", cli.Write("p.csv", File()), "--programme", "club", "--bulk");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(6, Report.Count(run, "Rejected"));
        Assert.Contains("line 13 (receipt bad-price), unit_price: '8,99' is not a number", run.Error);
        Assert.Contains("line 14 (receipt bad-store), store: The store is not a store of this partner.", run.Error);
        Assert.Contains("line 16 (receipt blocked-card), card_number: The card is blocked.", run.Error);
        Assert.Contains("line 17 (receipt blocked-member), member_ref: The member's account is blocked.", run.Error);
        Assert.Contains("line 18 (receipt too-cheap), discount:", run.Error);
        var ct = TestContext.Current.CancellationToken;
        await using var db = cli.Db();
        Assert.Empty(await db.Purchases.Where(p => !p.ReceiptId.StartsWith('r')).ToListAsync(ct));
        Assert.Equal(11, await db.PurchaseLines.CountAsync(ct));
        Assert.Equal(["alice", "bob", "carla", "dora", "gus"], await db.Members.Select(m => m.ExternalRef!).OrderBy(r => r).ToListAsync(ct));
        await Ledger.AssertConsistentAsync(db);

        // A receipt id already recorded with other content is refused, and nothing of it is written.
        var changed = cli.Write("changed.csv", Header + "\nr2,,,main,north,store,2025-03-02T11:00:00Z,EUR,1,bread,bakery,2,2.89,\n");
        var again = await cli.RunAsync("import", "purchases", changed, "--programme", "club", "--bulk");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("line 2 (receipt r2), receipt_id: This receipt id was already recorded with different content.", again.Error);
        Assert.Equal(11, await db.PurchaseLines.CountAsync(ct));
    }

    [Fact]
    public async Task A_file_whose_receipts_are_split_is_refused_before_anything_is_written()
    {
        using var cli = await ClubAsync();
        var path = cli.Write("split.csv", Header + """

            r1,alice,,main,north,store,2025-03-01T10:00:00Z,EUR,1,milk,dairy,2,1.19,0
            r2,bob,,main,north,store,2025-03-01T10:00:00Z,EUR,1,milk,dairy,2,1.19,0
            r1,alice,,main,north,store,2025-03-01T10:00:00Z,EUR,2,wine,drinks,1,8.99,0.50
            """);

        var run = await cli.RunAsync("import", "purchases", path, "--programme", "club", "--bulk");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("receipt 'r1' start on line 2 and continue on line 4", run.Error);
        await using var db = cli.Db();
        Assert.Equal(0, await db.Purchases.CountAsync(TestContext.Current.CancellationToken));
    }

    private static string[] Errors(CliRun run) =>
        [.. run.Error.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("  line ", StringComparison.Ordinal))];

    /// <summary>The programme, and two members the file cannot enrol: carla with two cards (one blocked), and gus, who is blocked.</summary>
    private static async Task<TestCli> ClubAsync()
    {
        var cli = new TestCli();
        await cli.SucceedAsync("programme", "apply", cli.Write("club.json", Programme));
        await using var db = cli.Db();
        var programme = await db.Programmes.SingleAsync(TestContext.Current.CancellationToken);
        var enrolled = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var carla = new Member { Id = Guid.CreateVersion7(), ProgrammeId = programme.Id, ExternalRef = "carla", Name = "Carla", EnrolledAt = enrolled };
        var gus = new Member { Id = Guid.CreateVersion7(), ProgrammeId = programme.Id, ExternalRef = "gus", Name = "Gus", EnrolledAt = enrolled, Status = MemberStatus.Blocked };
        db.Members.AddRange(carla, gus);
        db.Cards.AddRange(
            new Card { Id = Guid.CreateVersion7(), ProgrammeId = programme.Id, MemberId = carla.Id, Number = CardOfCarla, IssuedAt = enrolled },
            new Card { Id = Guid.CreateVersion7(), ProgrammeId = programme.Id, MemberId = carla.Id, Number = BlockedCard, IssuedAt = enrolled, Status = CardStatus.Blocked });
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return cli;
    }

    /// <summary>
    /// Everything the import wrote, as text without the generated ids and recording times: purchases and lines,
    /// ledger transactions with their entries, lots and members, each named by receipt and member reference.
    /// </summary>
    private static async Task<List<string>> SnapshotAsync(TreueDb db)
    {
        var ct = TestContext.Current.CancellationToken;
        var members = await db.Members.AsNoTracking().ToListAsync(ct);
        var refs = members.ToDictionary(m => m.Id, m => m.ExternalRef ?? m.Name);
        string Ref(Guid? id) => id is { } x ? refs[x] : "-";
        var purchases = await db.Purchases.AsNoTracking().Include(p => p.Lines).ToListAsync(ct);
        var receipts = purchases.ToDictionary(p => p.Id, p => p.ReceiptId);
        string Receipt(Guid? id) => id is { } x ? receipts[x] : "-";
        var lines = new List<string>();
        foreach (var p in purchases)
        {
            lines.Add($"purchase|{p.ReceiptId}|{Ref(p.MemberId)}|{p.CardNumber}|{p.PartnerCode}|{p.StoreCode}|{p.Channel}|{p.OccurredAt:O}|{p.Currency}|" +
                $"{p.TotalMinor}|{p.PointsEarned}|{p.BonusPoints}|{string.Join(";", p.Bonuses)}" + (p.MemberId is null ? "|" + p.Fingerprint : ""));
            foreach (var l in p.Lines)
            {
                lines.Add($"line|{p.ReceiptId}|{l.LineNo}|{Ref(l.MemberId)}|{l.Sku}|{l.Category}|{l.Quantity}|{l.UnitPriceMinor}|{l.DiscountMinor}|" +
                    $"{l.NetMinor}|{l.Points}|{string.Join(";", l.Contributions)}|{l.ReturnedQuantity}");
            }
        }
        foreach (var t in await db.LedgerTransactions.AsNoTracking().Include(t => t.Entries).ToListAsync(ct))
        {
            var entries = t.Entries.Select(e => $"{Ref(e.MemberId)}:{e.Account}:{e.Amount}").Order(StringComparer.Ordinal);
            lines.Add($"transaction|{Receipt(t.PurchaseId)}|{Ref(t.MemberId)}|{t.Kind}|{t.OccurredAt:O}|{t.Actor}|{t.IdempotencyKey}|" +
                $"{string.Join(";", t.Explanation)}|{string.Join(",", entries)}");
        }
        foreach (var l in await db.PointLots.AsNoTracking().ToListAsync(ct))
        {
            lines.Add($"lot|{Receipt(l.PurchaseId)}|{Ref(l.MemberId)}|{l.Source}|{l.EarnedAt:O}|{l.AvailableAt:O}|{l.ExpiresAt:O}|{l.Amount}|{l.Remaining}|{l.Status}|");
        }
        foreach (var m in members)
        {
            lines.Add($"member|{m.ExternalRef}|{m.Name}|{m.Status}|{m.EnrolledAt:O}|{m.Available}|{m.Pending}|{m.PurchaseCount}|{m.Language}");
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }
}
