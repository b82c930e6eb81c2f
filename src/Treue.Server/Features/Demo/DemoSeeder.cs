using Microsoft.EntityFrameworkCore;
using Treue.Domain.Earning;
using Treue.Domain.Programmes;
using Treue.Domain.Promotions;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Features.Programmes;
using Treue.Server.Features.Promotions;
using Treue.Server.Features.Purchases;
using Treue.Server.Features.Rewards;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Demo;

/// <summary>The API keys of the demo programme, kept in the data folder so that a restarted demo can show them again.</summary>
public sealed record DemoKeys(string Admin, string Pos);

/// <summary>
/// Seeds a demo coalition programme: three partners with stores, earning rules, a reward catalogue, a coupon campaign, a
/// bundle price and a coffee stamp card, a few thousand members and eighteen months of synthetic purchases (some with the
/// coupon, the bundle or coffees), returns and redemptions, so a new user sees a living programme at once.
/// The data is generated from a fixed seed: every demo looks the same.
/// </summary>
public sealed class DemoSeeder(TreueDb db, ProgrammeApplier applier, PurchaseRecorder recorder, PointsLedger ledger, TimeProvider clock, ProgrammeCache programmes)
{
    public const string Code = "demo";

    /// <summary>The demo programme as a document (also shipped as <c>docs/examples/demo-programme.json</c>).</summary>
    public static ProgrammeDocument Document => new()
    {
        Code = Code, Name = "Treue Demo Coalition", Currency = "EUR", TimeZone = "Europe/Berlin", PointValue = 0.01m, BaseRate = 1m,
        Rounding = RoundingPolicy.Down, PendingDays = 14, Expiry = new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: 12),
        PayWithPoints = new PayWithPointsPolicy(MinPoints: 100, MaxPoints: 50_000, MaxShareOfBasket: 0.5m),
        Partners =
        [
            new("city-market", "City Market", [new("cm-centre", "City Market Centre"), new("cm-north", "City Market North")]),
            new("fuel-go", "FuelGo", [new("fg-ring", "FuelGo Ring Road"), new("fg-airport", "FuelGo Airport")]),
            new("book-nook", "Book Nook", [new("bn-old-town", "Book Nook Old Town"), new("bn-web", "Book Nook Online")]),
        ],
        Rules =
        [
            new("double-saturday", "2× points on Saturdays", 10, Stacking.Stack, new RuleConditions { Weekdays = [DayOfWeek.Saturday] }, new RuleEffect(EffectKind.Multiplier, 2)),
            new("welcome", "Welcome bonus on the first purchase", 20, Stacking.Stack, new RuleConditions { FirstPurchaseOnly = true }, new RuleEffect(EffectKind.FixedBonus, 500)),
            new("books-extra", "+2 points per euro on books", 5, Stacking.Stack, new RuleConditions { Categories = ["books"] }, new RuleEffect(EffectKind.PointsPerCurrencyUnit, 2)),
            new("big-basket", "100 bonus points from 100 EUR", 1, Stacking.Stack, new RuleConditions { MinBasket = 100, Partners = ["city-market"] }, new RuleEffect(EffectKind.FixedBonus, 100)),
        ],
        Rewards =
        [
            new("tote-bag", "Cotton tote bag", 300, Stock: 500, Description: "A sturdy bag for the weekly shop."),
            new("coffee", "Coffee to go", 500, Description: "One hot drink at any FuelGo station."),
            new("knife-set", "Chef's knife set", 1500, CoPayment: 9.99m, Stock: 250, Description: "Three forged knives with a block."),
            new("cinema", "Two cinema tickets", 2500, Stock: 200, Description: "Valid in all city cinemas."),
        ],
    };

    private static readonly (string Partner, string[] Stores, Channel Channel, (string Sku, string Category, decimal Price)[] Items)[] Shops =
    [
        ("city-market", ["cm-centre", "cm-north"], Channel.Store,
        [
            ("milk-1l", "dairy", 1.19m), ("butter-250", "dairy", 2.49m), ("cheese-gouda", "dairy", 3.99m), ("bread-rye", "bakery", 2.89m),
            ("croissant", "bakery", 0.99m), ("apples-1kg", "produce", 2.99m), ("bananas", "produce", 1.79m), ("coffee-500", "pantry", 6.99m),
            ("pasta-500", "pantry", 1.29m), ("olive-oil", "pantry", 7.49m), ("red-wine", "drinks", 8.99m), ("beer-6", "drinks", 5.49m),
            ("detergent", "household", 11.99m), ("chocolate", "sweets", 1.89m),
        ]),
        ("fuel-go", ["fg-ring", "fg-airport"], Channel.Store,
        [
            ("fuel-e10", "fuel", 1.79m), ("car-wash", "services", 12.00m), ("coffee-cup", "snacks", 2.80m), ("sandwich", "snacks", 4.50m),
            ("screen-wash", "car-care", 6.99m),
        ]),
        ("book-nook", ["bn-old-town", "bn-web"], Channel.Online,
        [
            ("novel-pb", "books", 12.99m), ("novel-hc", "books", 24.00m), ("cookbook", "books", 29.95m), ("kids-book", "books", 9.99m),
            ("notebook", "stationery", 4.50m), ("pen-set", "stationery", 7.95m),
        ]),
    ];

    private static readonly string[] FirstNames = ["Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hannes", "Ida", "Jonas", "Karla", "Luca", "Mia", "Noah", "Olga", "Paul", "Rosa", "Samir", "Tilda", "Uwe", "Vera", "Willi", "Yara", "Zoe"];
    private static readonly string[] LastNames = ["Bauer", "Becker", "Fischer", "Hoffmann", "Klein", "Koch", "Krüger", "Lange", "Meyer", "Müller", "Neumann", "Richter", "Schmidt", "Schneider", "Schulz", "Wagner", "Weber", "Wolf", "Yilmaz", "Zimmermann"];

    /// <summary>Creates the demo programme and its keys if it is missing. Returns the keys, or null when the demo already existed.</summary>
    public async Task<(Guid ProgrammeId, DemoKeys? Keys)> EnsureProgrammeAsync(CancellationToken ct)
    {
        var existing = await db.Programmes.AsNoTracking().Where(p => p.Code == Code).Select(p => (Guid?)p.Id).SingleOrDefaultAsync(ct);
        if (existing is { } id) return (id, null);
        var (result, _) = await applier.ApplyAsync(Document, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var admin = await ApiKeyEndpoints.CreateAsync(db, result!.ProgrammeId, "Demo admin", ApiRole.Admin, null, now, ct);
        var pos = await ApiKeyEndpoints.CreateAsync(db, result.ProgrammeId, "Demo till", ApiRole.Pos, null, now, ct);
        await CreatePromotionsAsync(result.ProgrammeId, now, ct);
        await CreateTiersAsync(result.ProgrammeId, now, ct);
        return (result.ProgrammeId, new DemoKeys(admin.Key, pos.Key));
    }

    /// <summary>The demo's generic coupon code: 10 % off, once per member.</summary>
    public const string WelcomeCode = "WELCOME10";

    /// <summary>The demo's coffee: one stamp each on the coffee card.</summary>
    public const string CoffeeSku = "coffee-cup";

    /// <summary>The demo's personal thank-you campaign (5 EUR off), whose codes are given to single members.</summary>
    public const string ThankYouCampaign = "thank-you";

    /// <summary>
    /// The demo's campaigns and stamp card, created as the API creates them. They start before the demo's history, so the
    /// generated purchases use them.
    /// </summary>
    private async Task CreatePromotionsAsync(Guid programmeId, DateTime now, CancellationToken ct)
    {
        var from = now.Date.AddDays(-HistoryDays - 1);
        CampaignRequest[] campaigns =
        [
            new(new Campaign("welcome10", "Welcome: 10 % off", from, null, new PercentOffBasket(10m), CodeKind.Generic)
                { Limits = new CampaignLimits { UsesPerMember = 1 } }, WelcomeCode),
            new(new Campaign("bread-and-cheese", "Bread and cheese for 5.99", from, null,
                new BundlePrice([new BundleItem(["bread-rye"]), new BundleItem(["cheese-gouda"])], 5.99m), CodeKind.Automatic)
                { Conditions = new CampaignConditions { Purchase = new RuleConditions { Partners = ["city-market"] } } }),
            new(new Campaign("free-coffee", "A coffee on us", from, null, new FreeItem(CoffeeSku), CodeKind.Personal)
                { Limits = new CampaignLimits { UsesPerCode = 1 } }),
            new(new Campaign(ThankYouCampaign, "Thank you: 5 EUR off", from, null, new AmountOffBasket(5m), CodeKind.Personal)
                { Limits = new CampaignLimits { UsesPerCode = 1 } }),
        ];
        foreach (var c in campaigns)
        {
            var (_, invalid, problem) = await PromotionEndpoints.CreateAsync(db, programmes, programmeId, c, now, ct);
            if ((invalid?.Problem() ?? problem) is { } refused)
                throw new InvalidOperationException($"The demo campaign {c.Campaign.Id} was refused: {refused.ProblemDetails.Detail}");
        }
        var cardRefused = await PromotionEndpoints.PutCardAsync(db, programmeId, "coffee", new StampCardDefinition("coffee", "Coffee card", 10, StampBasis.PerUnit,
            new StampReward(StampRewardKind.FreeItemNextPurchase, CampaignId: "free-coffee", Sku: CoffeeSku))
        {
            Conditions = new RuleConditions { Skus = [CoffeeSku] },
        }, now, ct);
        if (cardRefused is not null) throw new InvalidOperationException("The demo's coffee card was refused: " + cardRefused.Problem().ProblemDetails.Detail);
    }

    /// <summary>
    /// The demo's tiers, set as the API sets them: Classic, Silver from 250 EUR and Gold from 750 EUR spent in a calendar
    /// year, 1.25× and 1.5× points and services for the higher levels, a month's grace and one level down at a time.
    /// </summary>
    private async Task CreateTiersAsync(Guid programmeId, DateTime now, CancellationToken ct)
    {
        var (_, invalid) = await Tiers.TierService.PutAsync(db, programmeId, DemoTiers, Audit.AuditActor.System, now, ct);
        if (invalid is not null) throw new InvalidOperationException("The demo's tiers were refused: " + invalid.Problem().ProblemDetails.Detail);
    }

    /// <summary>The demo's tier definition (see docs/tiers.md).</summary>
    public static readonly Tiers.TierDefinitionRequest DemoTiers = new(Domain.Tiers.QualifyingMeasure.Spend, Domain.Tiers.QualificationPeriod.CalendarYear,
    [
        new Domain.Tiers.TierLevel("classic", "Classic", 0),
        new Domain.Tiers.TierLevel("silver", "Silver", 250) { EarningMultiplier = 1.25m, ServiceFlags = ["free_express_delivery"] },
        new Domain.Tiers.TierLevel("gold", "Gold", 750) { EarningMultiplier = 1.5m, ServiceFlags = ["free_express_delivery", "personal_advisor"] },
    ], GraceDays: 30, MaxLevelsDown: 1);

    /// <summary>True when the demo programme already has members.</summary>
    public Task<bool> HasMembersAsync(Guid programmeId, CancellationToken ct) => db.Members.AnyAsync(m => m.ProgrammeId == programmeId, ct);

    /// <summary>How far back the demo's activity goes: longer than the points live, so that some have expired (breakage).</summary>
    public const int HistoryDays = 548;

    /// <summary>
    /// Enrols <paramref name="members"/> members and generates eighteen months of their activity: purchases, returns,
    /// rewards ordered when a member has saved enough (spread over the whole period, most of them fulfilled a few days
    /// later), and, at the end, the expiry of points older than the programme's twelve months that nobody spent.
    /// </summary>
    /// <param name="programmeId">The demo programme.</param>
    /// <param name="members">How many members to enrol.</param>
    /// <param name="progress">Receives the number of members done so far.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="yieldBetweenBatches">Pause briefly between transactions so a running server's requests get the database.</param>
    public async Task<int> SeedActivityAsync(Guid programmeId, int members, IProgress<int>? progress, CancellationToken ct, bool yieldBetweenBatches = true)
    {
        var random = new Random(20261123);
        var now = clock.GetUtcNow().UtcDateTime;
        var start = now.AddDays(-HistoryDays);
        var purchases = 0;
        // Short transactions: the server keeps answering writes while the demo fills (SQLite has one writer at a time).
        const int batch = 2;
        for (var done = 0; done < members; done += batch)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            for (var i = done; i < Math.Min(members, done + batch); i++)
                purchases += await SeedMemberAsync(programmeId, i, random, start, now, ct);
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
            progress?.Report(Math.Min(members, done + batch));
            // SQLite's lock is not fair: without a pause the generator would win it again and again over live requests.
            if (yieldBetweenBatches) await Task.Delay(25, ct);
        }
        // Anonymous shoppers, for comparing members with non-members.
        for (var i = 0; i < members / 4; i++)
        {
            var at = start.AddMinutes(random.Next(0, HistoryDays * 24 * 60));
            var r = await recorder.RecordAsync(programmeId, null, Basket(random, $"anon-{i}", at, null) with { Anonymous = true }, "demo", ct);
            if (r.View is not null) purchases++;
        }
        // Points past their twelve months lapse now, as the server's ledger job would have let them lapse on the way.
        while ((await ledger.ExpireDueAsync(now, 500, ct, programmeId)).Lots > 0) { }
        return purchases;
    }

    private async Task<int> SeedMemberAsync(Guid programmeId, int i, Random random, DateTime start, DateTime now, CancellationToken ct)
    {
        var enrolled = start.AddMinutes(random.Next(0, (HistoryDays - 35) * 24 * 60));
        var first = FirstNames[random.Next(FirstNames.Length)];
        var last = LastNames[random.Next(LastNames.Length)];
        var member = new Member
        {
            Id = Guid.CreateVersion7(), ProgrammeId = programmeId, Name = $"{first} {last}", Email = $"{first}.{last}.{i}@example.org".ToLowerInvariant(),
            Language = random.NextDouble() < 0.7 ? "de" : "en", Status = MemberStatus.Active, EnrolledAt = enrolled,
            Birthday = new DateOnly(1950 + random.Next(55), 1 + random.Next(12), 1 + random.Next(28)),
        };
        member.EmailKey = member.Email;
        db.Members.Add(member);
        var card = Cards.CardEndpoints.NewCard(member, random.NextDouble() < 0.6 ? CardKind.Digital : CardKind.Physical, null, enrolled);
        db.Cards.Add(card);
        // Consents given at the till on enrolment, drawn from a generator of their own so the demo's purchases stay as they were.
        var asked = new Random(i);
        foreach (var (purpose, share) in new[] { (ConsentPurpose.Profiling, 0.8), (ConsentPurpose.EmailMarketing, 0.5), (ConsentPurpose.PartnerSharing, 0.3) })
            if (asked.NextDouble() < share)
                db.ConsentRecords.Add(new ConsentRecord
                {
                    ProgrammeId = programmeId, MemberId = member.Id, Purpose = purpose, Change = ConsentChange.Granted, Source = ConsentSource.Till,
                    At = enrolled, TextVersion = "1", RecordedBy = "demo",
                });
        await db.SaveChangesAsync(ct);

        // Purchase rates differ a lot between customers (a gamma-like spread): a few shop weekly, many rarely.
        var rate = -Math.Log(1 - random.NextDouble()) * 1.5 / 30.0; // purchases per day
        // And customers drift away: after each purchase some never come back, as in the BG/NBD story, so the
        // retention and lifetime-value pages have churn to show.
        var u = random.NextDouble();
        var dropout = 0.01 + 0.15 * u * u;
        var count = 0;
        var at = enrolled;
        while (true)
        {
            at = at.AddDays(-Math.Log(1 - random.NextDouble()) / Math.Max(rate, 0.004));
            if (at >= now.AddHours(-1)) break;
            var req = Basket(random, $"m{i}-{count}", at, card.Number);
            // Many new members use the welcome coupon on their first shop (it is good once per member).
            if (count == 0 && random.NextDouble() < 0.4) req = req with { Codes = [WelcomeCode] };
            var recorded = await recorder.RecordAsync(programmeId, null, req, "demo", ct);
            if (recorded.View is null) continue;
            count++;
            if (random.NextDouble() < 0.04)
            {
                var line = recorded.View.Lines[random.Next(recorded.View.Lines.Count)];
                var returnedAt = at.AddDays(random.Next(1, 10));
                if (returnedAt > now) returnedAt = now;
                await recorder.ReturnAsync(programmeId, null, recorded.View.Id,
                    new ReturnRequest($"r-{i}-{count}", [new ReturnLineRequest(line.LineNo, line.Quantity)], new DateTimeOffset(returnedAt, TimeSpan.Zero)),
                    "demo", ct);
            }
            // Now and then a member who has saved enough orders a reward, soon after shopping, and it is usually handed
            // over a few days later; so redemptions happen all through the period, as they would.
            if (random.NextDouble() < 0.15) await RedeemAsync(programmeId, member.Id, random, at.AddHours(1 + random.Next(48)), now, ct);
            if (random.NextDouble() < dropout) break;
        }
        return count;
    }

    private async Task RedeemAsync(Guid programmeId, Guid memberId, Random random, DateTime at, DateTime now, CancellationToken ct)
    {
        if (at >= now) return;
        var available = await db.Members.AsNoTracking().Where(m => m.Id == memberId).Select(m => m.Available).SingleAsync(ct);
        if (available < 300) return;
        var reward = available >= 2500 && random.NextDouble() < 0.3 ? "cinema" : available >= 1500 && random.NextDouble() < 0.3 ? "knife-set"
            : available >= 500 && random.NextDouble() < 0.5 ? "coffee" : "tote-bag";
        var (order, _) = await RewardEndpoints.PlaceAsync(db, ledger, programmeId, memberId, reward, "demo", at, ct);
        var handedOver = at.AddDays(1 + random.Next(4));
        if (order is not null && handedOver < now && random.NextDouble() < 0.85)
            await RewardEndpoints.FulfilAsync(db, programmeId, order.Id, handedOver, ct);
    }

    private static PurchaseRequest Basket(Random random, string receipt, DateTime at, string? card)
    {
        var shop = Shops[random.NextDouble() switch { < 0.6 => 0, < 0.85 => 1, _ => 2 }];
        var lines = new List<PurchaseLineRequest>();
        var n = 1 + random.Next(shop.Partner == "fuel-go" ? 2 : 6);
        foreach (var item in shop.Items.OrderBy(_ => random.Next()).Take(n))
        {
            var qty = item.Category == "fuel" ? 20 + random.Next(40) : 1 + random.Next(3);
            lines.Add(new PurchaseLineRequest(item.Sku, qty, item.Price, item.Category));
        }
        var store = shop.Stores[random.Next(shop.Stores.Length)];
        return new PurchaseRequest(receipt, shop.Partner, "EUR", lines.Sum(l => l.Quantity * l.UnitPrice), lines,
            Store: store, Channel: store == "bn-web" ? Channel.Online : Channel.Store, CardNumber: card, OccurredAt: new DateTimeOffset(at, TimeSpan.Zero));
    }
}
