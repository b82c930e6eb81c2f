using Microsoft.EntityFrameworkCore;
using Treue.Cli.Tests.Infrastructure;
using Treue.Domain.Earning;

namespace Treue.Cli.Tests;

public sealed class CsvImportTests
{
    private const string Header = "receipt_id,member_ref,card_number,partner,store,channel,occurred_at,currency,line_no,sku,category,quantity,unit_price,discount";

    // r1: alice, two lines, on a Saturday (triple points). r2: anonymous. r3: bob, lines listed out of order.
    // r4: alice again, earlier than r1, so she joined on 2025-02-20.
    private const string Purchases = Header + """

        r1,alice,,main,high-street,store,2025-03-01T10:00:00Z,EUR,1,milk,dairy,2,1.19,0
        r1,alice,,main,high-street,store,2025-03-01T10:00:00Z,EUR,2,wine,drinks,1,8.99,0.50
        r2,,,main,high-street,store,2025-03-02T11:00:00Z,EUR,1,bread,bakery,1,2.89,
        r3,bob,,main,,online,2025-03-03T09:30:00+01:00,EUR,2,cable,electronics,3,4.00,1.00
        r3,bob,,main,,online,2025-03-03T09:30:00+01:00,EUR,1,tv,electronics,1,499.00,
        r4,alice,,,high-street,,2025-02-20,,,coffee,pantry,1,10.00,
        """;

    [Fact]
    public async Task Csv_import_records_multi_line_receipts_and_anonymous_purchases_and_enrols_members_by_reference()
    {
        using var cli = await ShopAsync();

        var run = await cli.SucceedAsync("import", "purchases", cli.Write("purchases.csv", Purchases), "--programme", "shop");

        Assert.Equal(4, Report.Count(run, "New"));
        Assert.Equal(2, Report.Count(run, "Members enrolled"));
        var ct = TestContext.Current.CancellationToken;
        await using var db = cli.Db();
        var purchases = await db.Purchases.Include(p => p.Lines).ToDictionaryAsync(p => p.ReceiptId, ct);
        Assert.Equal(4, purchases.Count);
        Assert.Equal(6, purchases.Values.Sum(p => p.Lines.Count));
        var members = await db.Members.ToDictionaryAsync(m => m.ExternalRef!, ct);
        Assert.Equal(["alice", "bob"], members.Keys.Order());

        // Saturday: milk 2.38 earns 2 + 4, wine 8.49 earns 8 + 16.
        Assert.Equal(30, purchases["r1"].PointsEarned);
        Assert.Equal([6L, 24L], purchases["r1"].Lines.OrderBy(l => l.LineNo).Select(l => l.Points));
        Assert.Equal(members["alice"].Id, purchases["r1"].MemberId);
        Assert.Equal(1087, purchases["r1"].TotalMinor);

        Assert.Null(purchases["r2"].MemberId);
        Assert.Equal(0, purchases["r2"].PointsEarned);

        var r3 = purchases["r3"].Lines.OrderBy(l => l.LineNo).ToList();
        Assert.Equal(["tv", "cable"], r3.Select(l => l.Sku));
        Assert.Equal(Channel.Online, purchases["r3"].Channel);
        Assert.Equal(new DateTime(2025, 3, 3, 8, 30, 0, DateTimeKind.Utc), purchases["r3"].OccurredAt);
        Assert.Equal(510, purchases["r3"].PointsEarned);

        Assert.Equal(new DateTime(2025, 2, 20, 0, 0, 0, DateTimeKind.Utc), members["alice"].EnrolledAt);
        Assert.Equal(40, members["alice"].Available);
        Assert.Equal(510, members["bob"].Available);
        await Ledger.AssertConsistentAsync(db);
    }

    [Fact]
    public async Task Importing_the_same_csv_again_adds_nothing()
    {
        using var cli = await ShopAsync();
        var file = cli.Write("purchases.csv", Purchases);
        await cli.SucceedAsync("import", "purchases", file, "--programme", "shop");

        var again = await cli.SucceedAsync("import", "purchases", file, "--programme", "shop");

        Assert.Equal(0, Report.Count(again, "New"));
        Assert.Equal(4, Report.Count(again, "Already there"));
        Assert.Equal(0, Report.Count(again, "Members enrolled"));
        var ct = TestContext.Current.CancellationToken;
        await using var db = cli.Db();
        Assert.Equal(4, await db.Purchases.CountAsync(ct));
        Assert.Equal(2, await db.Members.CountAsync(ct));
        Assert.Equal(3, await db.LedgerTransactions.CountAsync(ct));
        Assert.Equal(550, await db.Members.SumAsync(m => m.Available, ct));
    }

    [Fact]
    public async Task Rows_that_cannot_be_imported_are_reported_by_line_and_column_and_the_others_are_imported()
    {
        using var cli = await ShopAsync();
        var file = cli.Write("mixed.csv", Header + """

            ok-1,dora,,main,high-street,store,2025-03-04T10:00:00Z,EUR,1,milk,dairy,1,1.19,0
            bad-price,erik,,main,high-street,store,2025-03-04T10:00:00Z,EUR,1,milk,dairy,1,1.19,0
            bad-price,erik,,main,high-street,store,2025-03-04T10:00:00Z,EUR,2,wine,drinks,1,"8,99",0
            bad-store,fay,,main,low-street,store,2025-03-04T10:00:00Z,EUR,1,milk,dairy,1,1.19,0
            bad-time,gus,,main,high-street,store,yesterday,EUR,1,milk,dairy,1,1.19,0
            too-cheap,hal,,main,high-street,store,2025-03-04T10:00:00Z,EUR,1,milk,dairy,1,1.19,2.00
            ok-2,dora,,main,high-street,store,2025-03-05T10:00:00Z,EUR,1,milk,dairy,1,1.19,0
            """);

        var run = await cli.RunAsync("import", "purchases", file, "--programme", "shop");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(2, Report.Count(run, "New"));
        Assert.Contains("line 4 (receipt bad-price), unit_price: '8,99' is not a number", run.Error);
        Assert.Contains("line 5 (receipt bad-store), store:", run.Error);
        Assert.Contains("line 6 (receipt bad-time), occurred_at: 'yesterday'", run.Error);
        Assert.Contains("line 7 (receipt too-cheap), discount:", run.Error);
        var ct = TestContext.Current.CancellationToken;
        await using var db = cli.Db();
        Assert.Equal(["ok-1", "ok-2"], await db.Purchases.Select(p => p.ReceiptId).OrderBy(r => r).ToListAsync(ct));
        // Members are enrolled only together with a purchase that was recorded.
        Assert.Equal(["dora"], await db.Members.Select(m => m.ExternalRef!).ToListAsync(ct));
    }

    [Fact]
    public async Task A_file_without_a_required_column_is_refused_with_exit_code_2()
    {
        using var cli = await ShopAsync();
        var file = cli.Write("short.csv", "receipt_id,occurred_at,sku,quantity\nr1,2025-03-01,milk,1\n");

        var run = await cli.RunAsync("import", "purchases", file, "--programme", "shop");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("lacks the column unit_price", run.Error);
    }

    [Fact]
    public async Task Exported_purchases_and_members_round_trip_into_another_database()
    {
        using var source = await ShopAsync();
        await source.SucceedAsync("import", "purchases", source.Write("purchases.csv", Purchases), "--programme", "shop");
        var purchases = Path.Combine(source.Folder, "exported-purchases.csv");
        var members = Path.Combine(source.Folder, "exported-members.csv");
        var ledger = Path.Combine(source.Folder, "exported-ledger.csv");

        await source.SucceedAsync("export", "purchases", "--programme", "shop", "--out", purchases);
        await source.SucceedAsync("export", "members", "--programme", "shop", "--out", members);
        await source.SucceedAsync("export", "ledger", "--programme", "shop", "--out", ledger);
        var toStdout = await source.SucceedAsync("export", "purchases", "--programme", "shop");
        var again = await source.SucceedAsync("import", "purchases", purchases, "--programme", "shop");

        var ct = TestContext.Current.CancellationToken;
        var purchaseRows = await File.ReadAllLinesAsync(purchases, ct);
        Assert.StartsWith("purchase_id,receipt_id,member_ref,", purchaseRows[0]);
        Assert.Equal(1 + 6, purchaseRows.Length);
        Assert.Equal(purchaseRows, toStdout.Out.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')));
        Assert.Equal(1 + 2, (await File.ReadAllLinesAsync(members, ct)).Length);
        Assert.Equal(1 + 2 * 3, (await File.ReadAllLinesAsync(ledger, ct)).Length);
        // The exported file is the same purchases: importing it where they came from finds them all.
        Assert.Equal((0, 4), (Report.Count(again, "New"), Report.Count(again, "Already there")));

        using var target = await ShopAsync();
        var imported = await target.SucceedAsync("import", "purchases", purchases, "--programme", "shop");
        Assert.Equal(4, Report.Count(imported, "New"));
        await using var a = source.Db();
        await using var b = target.Db();
        Assert.Equal(await a.Purchases.CountAsync(ct), await b.Purchases.CountAsync(ct));
        Assert.Equal(await a.PurchaseLines.CountAsync(ct), await b.PurchaseLines.CountAsync(ct));
        Assert.Equal(await a.Purchases.SumAsync(p => p.TotalMinor, ct), await b.Purchases.SumAsync(p => p.TotalMinor, ct));
        Assert.Equal(await a.Purchases.SumAsync(p => p.PointsEarned, ct), await b.Purchases.SumAsync(p => p.PointsEarned, ct));
        Assert.Equal(await a.Members.Select(m => m.ExternalRef).OrderBy(r => r).ToListAsync(ct),
            await b.Members.Select(m => m.ExternalRef).OrderBy(r => r).ToListAsync(ct));
        await Ledger.AssertConsistentAsync(b);
    }

    private static async Task<TestCli> ShopAsync()
    {
        var cli = new TestCli();
        await cli.SucceedAsync("programme", "apply", cli.Write("shop.json", Programmes.Shop));
        return cli;
    }
}
