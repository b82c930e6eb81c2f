using Microsoft.EntityFrameworkCore;
using Treue.Domain.Earning;
using Treue.Server.Features.Cards;
using Treue.Server.Features.Demo;
using Treue.Server.Features.Promotions;
using Treue.Server.Features.Purchases;
using Treue.Server.Web.Admin;
using Treue.Server.Web.Portal;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Web;

/// <summary>
/// Sign-ins for the demo: one staff account per role and a member with a portal password and some history, so
/// that console and portal show something at once while the demo's other members are still being generated.
/// </summary>
public static class WebDemo
{
    public const string Password = "treue-demo";
    public const string MemberEmail = "mia.demo@example.org";
    public static readonly (string Email, string Name, StaffRole Role)[] Staff =
    [
        ("admin@demo.treue", "Ada Admin", StaffRole.Admin),
        ("marketer@demo.treue", "Mark Marketer", StaffRole.Marketer),
        ("support@demo.treue", "Sam Support", StaffRole.Support),
        ("analyst@demo.treue", "Ana Analyst", StaffRole.Analyst),
    ];

    public static async Task EnsureAsync(IServiceProvider services, Guid programmeId, Action<string> say, CancellationToken ct)
    {
        var db = services.GetRequiredService<TreueDb>();
        var staff = services.GetRequiredService<StaffAccounts>();
        foreach (var (email, name, role) in Staff)
        {
            if (!await db.StaffUsers.AnyAsync(u => u.ProgrammeId == programmeId && u.EmailKey == email, ct))
                await staff.CreateAsync(programmeId, email, name, role, Password, Features.Audit.AuditActor.System, ct);
        }
        if (!await db.Members.AnyAsync(m => m.ProgrammeId == programmeId && m.EmailKey == MemberEmail, ct))
            await CreateMemberAsync(services, db, programmeId, ct);
        say($"Admin console: /admin  sign in as {Staff[0].Email} (or marketer@, support@, analyst@demo.treue), password '{Password}'. " +
            $"Member portal: /portal  sign in as {MemberEmail}, password '{Password}'.");
    }

    private static async Task CreateMemberAsync(IServiceProvider services, TreueDb db, Guid programmeId, CancellationToken ct)
    {
        var clock = services.GetRequiredService<TimeProvider>();
        var now = clock.GetUtcNow().UtcDateTime;
        var member = new Member
        {
            Id = Guid.CreateVersion7(), ProgrammeId = programmeId, Name = "Mia Demo", Email = MemberEmail, EmailKey = MemberEmail,
            Language = "de", Status = MemberStatus.Active, EnrolledAt = now.AddDays(-120),
        };
        db.Members.Add(member);
        var card = CardEndpoints.NewCard(member, CardKind.Digital, null, member.EnrolledAt);
        db.Cards.Add(card);
        foreach (var purpose in new[] { ConsentPurpose.Profiling, ConsentPurpose.EmailMarketing })
            db.ConsentRecords.Add(new ConsentRecord
            {
                ProgrammeId = programmeId, MemberId = member.Id, Purpose = purpose, Change = ConsentChange.Granted, Source = ConsentSource.Portal,
                At = member.EnrolledAt, TextVersion = "1", RecordedBy = "member",
            });
        await db.SaveChangesAsync(ct);
        await services.GetRequiredService<MemberAccounts>().SetPasswordAsync(programmeId, member.Id, Password, ct);
        var recorder = services.GetRequiredService<PurchaseRecorder>();
        var baskets = new (int DaysAgo, string Partner, string Store, Channel Channel, PurchaseLineRequest[] Lines)[]
        {
            (110, "city-market", "cm-centre", Channel.Store, [new("coffee-500", 2, 6.99m, "pantry"), new("red-wine", 3, 8.99m, "drinks"), new("cheese-gouda", 2, 3.99m, "dairy"),
                new("bread-rye", 1, 2.89m, "bakery")]),
            (90, "fuel-go", "fg-ring", Channel.Store, [new("coffee-cup", 4, 2.80m, "snacks"), new("sandwich", 1, 4.50m, "snacks")]),
            (75, "book-nook", "bn-old-town", Channel.Store, [new("cookbook", 1, 29.95m, "books"), new("novel-hc", 2, 24.00m, "books")]),
            (60, "fuel-go", "fg-airport", Channel.Store, [new("coffee-cup", 3, 2.80m, "snacks")]),
            (40, "fuel-go", "fg-ring", Channel.Store, [new("fuel-e10", 45, 1.79m, "fuel"), new("car-wash", 1, 12.00m, "services"), new("coffee-cup", 3, 2.80m, "snacks")]),
            (30, "fuel-go", "fg-ring", Channel.Store, [new("coffee-cup", 1, 2.80m, "snacks"), new("sandwich", 1, 4.50m, "snacks")]),
            (20, "city-market", "cm-north", Channel.Store, [new("detergent", 2, 11.99m, "household"), new("olive-oil", 2, 7.49m, "pantry"), new("apples-1kg", 2, 2.99m, "produce")]),
            (10, "fuel-go", "fg-airport", Channel.Store, [new("coffee-cup", 2, 2.80m, "snacks")]),
            (3, "book-nook", "bn-web", Channel.Online, [new("novel-pb", 2, 12.99m, "books")]),
        };
        // Mia shows the demo's promotions: the welcome coupon on her first shop, the bread-and-cheese bundle, a coffee card
        // filled once (its free coffee used) and started again, and a thank-you coupon still to use.
        var promotions = await db.Campaigns.AnyAsync(c => c.ProgrammeId == programmeId && c.Id == "welcome10", ct);
        var i = 0;
        foreach (var b in baskets)
        {
            var total = b.Lines.Sum(l => l.Quantity * l.UnitPrice);
            await recorder.RecordAsync(programmeId, null, new PurchaseRequest($"demo-mia-{++i}", b.Partner, "EUR", total, b.Lines, b.Store, b.Channel,
                CardNumber: card.Number, OccurredAt: new DateTimeOffset(now.AddDays(-b.DaysAgo), TimeSpan.Zero),
                Codes: promotions && i == 1 ? [DemoSeeder.WelcomeCode] : null), "demo", ct);
        }
        if (promotions)
            await PromotionEndpoints.PersonalAsync(db, programmeId, DemoSeeder.ThankYouCampaign, new PersonalCodeRequest(member.Id), now, ct);
        var ledger = services.GetRequiredService<PointsLedger>();
        await ledger.PostDueAsync(now, 500, ct, programmeId);
    }
}
