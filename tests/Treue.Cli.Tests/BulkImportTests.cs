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
        // The file covers what the comparison must cover: pending and available lots, a welcome bonus by member
        // reference (alice) and by card (carla), an anonymous purchase, and a member enrolled at a purchase that is
        // earlier than their first recorded one (alice's r4 follows r1 in the file and precedes it in time).
        Assert.Contains(expected, l => l.StartsWith("point_lots|", StringComparison.Ordinal) && l.Contains($"|status={(int)LotStatus.Pending}", StringComparison.Ordinal));
        Assert.Contains(expected, l => l.StartsWith("point_lots|", StringComparison.Ordinal) && l.Contains($"|status={(int)LotStatus.Available}", StringComparison.Ordinal));
        Assert.Contains(expected, l => l.StartsWith("purchases|", StringComparison.Ordinal) && l.Contains("member_id=member:alice", StringComparison.Ordinal)
            && l.Contains("receipt_id=r1|", StringComparison.Ordinal) && l.Contains("bonus_points=50|", StringComparison.Ordinal));
        Assert.Contains(expected, l => l.StartsWith("purchases|", StringComparison.Ordinal) && l.Contains("card_number=" + CardOfCarla, StringComparison.Ordinal)
            && l.Contains("bonus_points=50|", StringComparison.Ordinal));
        Assert.Contains(expected, l => l.StartsWith("purchases|", StringComparison.Ordinal) && l.Contains("receipt_id=r4|", StringComparison.Ordinal)
            && l.Contains("bonus_points=0|", StringComparison.Ordinal));
        Assert.Contains(expected, l => l.StartsWith("purchases|", StringComparison.Ordinal) && l.Contains("member_id=null", StringComparison.Ordinal));
        Assert.Contains(expected, l => l.StartsWith("members|", StringComparison.Ordinal) && l.Contains("enrolled_at=2025-02-20", StringComparison.Ordinal)
            && l.Contains("external_ref=alice", StringComparison.Ordinal));
        await Ledger.AssertConsistentAsync(dbB);

        // A second file on top: members with purchases and balances already (read from the database, not enrolled),
        // a card whose member is no longer at their first purchase, a receipt of the first file, and a new member.
        var recent = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var more = string.Join('\n',
            Header,
            "r1,alice,,main,north,store,2025-03-01T10:00:00Z,EUR,1,milk,dairy,2,1.19,0",
            "r1,alice,,main,north,store,2025-03-01T10:00:00Z,EUR,2,wine,drinks,1,8.99,0.50",
            $"s1,alice,,main,north,store,{recent},EUR,1,cheese,dairy,1,4.00,",
            $"s2,,{CardOfCarla},fuel,a1,store,2025-05-03T08:00:00Z,EUR,1,diesel,fuel,20,1.65,",
            "s3,jan,,main,south,online,2025-06-07T10:00:00Z,EUR,1,milk,dairy,1,1.19,",
            "s4,jan,,main,south,online,2025-06-01T10:00:00Z,EUR,1,wine,drinks,2,8.99,",
            "s5,,,fuel,a1,store,2025-06-02T10:00:00Z,EUR,1,diesel,fuel,30,1.65,",
            "s6,dora,,main,north,store,2025-06-07T10:00:00Z,EUR,1,bread,bakery,1,2.89,") + "\n";
        var c = await normal.RunAsync("import", "purchases", normal.Write("more.csv", more), "--programme", "club");
        var d = await bulk.RunAsync("import", "purchases", bulk.Write("more.csv", more), "--programme", "club", "--bulk", "--batch-size", "2");
        Assert.Equal(0, c.ExitCode);
        Assert.Equal(0, d.ExitCode);
        foreach (var label in new[] { "New", "Already there", "Rejected", "Members enrolled", "Points earned" })
            Assert.Equal(Report.Count(c, label), Report.Count(d, label));
        Assert.Equal((6, 1, 1), (Report.Count(d, "New"), Report.Count(d, "Already there"), Report.Count(d, "Members enrolled")));
        Assert.Equal(await SnapshotAsync(dbA), await SnapshotAsync(dbB));
        await Ledger.AssertConsistentAsync(dbB);
    }

    [Fact]
    public async Task Importing_again_adds_nothing_whichever_path_imported_first()
    {
        using var cli = await ClubAsync();
        var path = cli.Write("p.csv", File());
        await cli.RunAsync("import", "purchases", path, "--programme", "club", "--bulk");
        await using var db = cli.Db();
        var before = await SnapshotAsync(db, generated: true);

        var bulkAgain = await cli.RunAsync("import", "purchases", path, "--programme", "club", "--bulk");
        var normalAgain = await cli.RunAsync("import", "purchases", path, "--programme", "club");

        foreach (var run in new[] { bulkAgain, normalAgain })
        {
            Assert.Equal((0, 9, 0), (Report.Count(run, "New"), Report.Count(run, "Already there"), Report.Count(run, "Members enrolled")));
        }
        Assert.Equal(before, await SnapshotAsync(db, generated: true));
        await Ledger.AssertConsistentAsync(db);

        // And the other way round: what the normal import recorded, the bulk import finds.
        using var other = await ClubAsync();
        var otherPath = other.Write("p.csv", File());
        await other.RunAsync("import", "purchases", otherPath, "--programme", "club");
        var bulkAfterNormal = await other.RunAsync("import", "purchases", otherPath, "--programme", "club", "--bulk");
        Assert.Equal((0, 9), (Report.Count(bulkAfterNormal, "New"), Report.Count(bulkAfterNormal, "Already there")));
    }

    [Fact]
    public async Task After_a_bulk_import_the_database_closes_whole_and_leaves_no_write_ahead_log()
    {
        using var cli = await ClubAsync();
        var run = await cli.RunAsync("import", "purchases", cli.Write("p.csv", File()), "--programme", "club", "--bulk");
        Assert.Equal(9, Report.Count(run, "New"));

        // When the last connection closes, SQLite checkpoints the log into the database and removes it, unless a
        // statement prepared on a connection was never finalized: then the handle stays open and the log stays behind.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var database = Path.Combine(cli.DataFolder, "treue.db");
        Assert.True(System.IO.File.Exists(database));
        Assert.False(System.IO.File.Exists(database + "-wal"), "the write-ahead log is still there");
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

    // The tables a purchase writes, every column of them: a column added to the model is compared without a change here.
    private static readonly string[] Tables = ["purchases", "purchase_lines", "ledger_transactions", "ledger_entries", "point_lots", "members"];

    /// <summary>
    /// Every row of the tables a purchase writes, every column as the database stores it (its text form), so that two
    /// databases compare row for row. With <paramref name="generated"/> false, what differs by nature between two
    /// databases is left out: generated ids (references to them are named by receipt, member reference or partner code),
    /// recording times, and the fingerprint of a member's purchase (it hashes the member's generated id).
    /// </summary>
    private static async Task<List<string>> SnapshotAsync(TreueDb db, bool generated = false)
    {
        var ct = TestContext.Current.CancellationToken;
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(ct);
        var rows = new Dictionary<string, List<Dictionary<string, string>>>();
        foreach (var table in Tables.Concat(["partners"]))
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = $"SELECT * FROM {table}";
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            var list = rows[table] = [];
            while (await reader.ReadAsync(ct))
            {
                var row = new Dictionary<string, string>(StringComparer.Ordinal);
                for (var i = 0; i < reader.FieldCount; i++)
                    row[reader.GetName(i)] = reader.IsDBNull(i) ? "null"
                        : reader.GetValue(i) is byte[] blob ? Convert.ToHexStringLower(blob) // ids and fingerprints are stored as blobs
                        // Times are stored as Unix microseconds; shown as UTC times so that a difference reads as one.
                        : reader.GetName(i).EndsWith("_at", StringComparison.Ordinal) && reader.GetValue(i) is long micros
                            ? DateTime.UnixEpoch.AddTicks(micros * 10).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture)
                        : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)!;
                list.Add(row);
            }
        }
        var names = new Dictionary<string, Dictionary<string, string>>
        {
            ["member_id"] = rows["members"].ToDictionary(r => r["id"], r => "member:" + (r["external_ref"] is "null" ? r["name"] : r["external_ref"])),
            ["purchase_id"] = rows["purchases"].ToDictionary(r => r["id"], r => "receipt:" + r["receipt_id"]),
            ["partner_id"] = rows["partners"].ToDictionary(r => r["id"], r => "partner:" + r["code"]),
        };
        names["transaction_id"] = names["payment_transaction_id"] = rows["ledger_transactions"]
            .ToDictionary(r => r["id"], r => $"tx:{r["kind"]}:{Name("purchase_id", r["purchase_id"])}:{Name("member_id", r["member_id"])}");
        names["lot_id"] = rows["point_lots"].ToDictionary(r => r["id"], r => $"lot:{Name("purchase_id", r["purchase_id"])}:{r["source"]}");

        string Name(string column, string value) => value == "null" ? value : names[column].TryGetValue(value, out var name) ? name : "unknown:" + value;

        var lines = new List<string>();
        foreach (var table in Tables)
        {
            foreach (var row in rows[table])
            {
                var values = new List<string>();
                foreach (var (column, value) in row.OrderBy(c => c.Key, StringComparer.Ordinal))
                {
                    if (generated) values.Add($"{column}={value}");
                    else if (column is "id" or "recorded_at" or "programme_id") continue;
                    else if (column == "fingerprint" && row.GetValueOrDefault("member_id", "null") != "null") continue;
                    else if (names.ContainsKey(column)) values.Add($"{column}={Name(column, value)}");
                    else values.Add($"{column}={value}");
                }
                lines.Add(table + "|" + string.Join("|", values));
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }
}
