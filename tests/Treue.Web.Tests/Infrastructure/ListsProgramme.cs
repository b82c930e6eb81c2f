using System.Net.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Programmes;
using Treue.Server.Web.Admin;
using Treue.Server.Web.Shared;
using Treue.Storage.Entities;

namespace Treue.Web.Tests.Infrastructure;

/// <summary>What <see cref="ListsProgramme"/> created, with the counts the lists must show.</summary>
public sealed record ListsData(
    Guid ProgrammeId, TestMember Portal, Guid OrdersMember, int PlacedOrders, int FulfilledOrders, int PlacedTeapots, int Members, int BlockedMembers,
    int ApiKeys, int Staff, int PortalOrders, int PortalAdjustments, int OrdersMemberOrders);

/// <summary>
/// A programme of its own, far from UTC (Pacific/Auckland: UTC+13 in March), with more rows in every list than a
/// page holds: 230 open reward orders, 119 members, 61 API keys, 56 staff accounts. The portal serves the test
/// programme only, so its member with 55 fulfilled orders and 55 adjustments is there (nothing in the open queue).
/// Created once per run.
/// </summary>
public static class ListsProgramme
{
    public const string Zone = "Pacific/Auckland";
    public const string AdminEmail = "admin@lists.treue";
    /// <summary>22:30 UTC on 14 March 2026 is 11:30 on 15 March in Auckland.</summary>
    public static readonly DateTime KnownInstant = new(2026, 3, 14, 22, 30, 0, DateTimeKind.Utc);
    public const string KnownOrderMember = "Tom Timezone";
    public const string LastOrderMember = "Zoe Lastorder";
    public const string LastMember = "Zz Last Member";
    public const string KnownKey = "Known key";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static ListsData? _data;

    public static async Task<ListsData> EnsureAsync(WebServer server)
    {
        await Gate.WaitAsync();
        try
        {
            return _data ??= await SeedAsync(server);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<ListsData> SeedAsync(WebServer server)
    {
        Guid programmeId;
        await using (var db = server.Db())
        {
            var (applied, refusal) = await new ProgrammeApplier(db, TimeProvider.System)
                .ApplyAsync(WebServer.Document with { Code = "lists-club", Name = "Lists Club", TimeZone = Zone }, CancellationToken.None);
            if (refusal is not null) throw new InvalidOperationException(refusal.Message);
            programmeId = applied!.ProgrammeId;
            var config = new ConfigurationBuilder().Build();
            var staff = new StaffAccounts(db, new SignInThrottle(TimeProvider.System), TimeProvider.System, config, NullLogger<StaffAccounts>.Instance);
            await staff.CreateAsync(programmeId, AdminEmail, "Lena Lists", StaffRole.Admin, WebServer.Password, AuditActor.System, CancellationToken.None);
        }
        var portal = await server.AddMemberAsync(server.ProgrammeId, "Pia Portal", "pia@lists.example.org");

        await using var data = server.Db();
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        // Members: the portal member, the ones the orders tests look for, and generic ones; every 16th generic one blocked.
        var members = new List<Member>();
        Member New(string name, string email, DateTime enrolled, MemberStatus status = MemberStatus.Active)
        {
            var m = new Member
            {
                Id = Guid.CreateVersion7(), ProgrammeId = programmeId, Name = name, Email = email, EmailKey = email, Status = status, EnrolledAt = enrolled, Language = "en",
            };
            members.Add(m);
            return m;
        }
        var olivia = New("Olivia Orders", "olivia@lists.example.org", start);
        var tom = New(KnownOrderMember, "tom@lists.example.org", start);
        var zoe = New(LastOrderMember, "zoe@lists.example.org", start);
        New(LastMember, "zz@lists.example.org", start);
        var generic = new List<Member>();
        var blocked = 0;
        for (var i = 1; i <= 115; i++)
        {
            var status = i % 16 == 0 ? MemberStatus.Blocked : MemberStatus.Active;
            if (status == MemberStatus.Blocked) blocked++;
            generic.Add(New($"Member {i:D3}", $"m{i:D3}@lists.example.org", start.AddDays(-i), status));
        }
        data.Members.AddRange(members);

        var rewards = data.Rewards.Where(r => r.ProgrammeId == programmeId).ToDictionary(r => r.Code);
        var testRewards = data.Rewards.Where(r => r.ProgrammeId == server.ProgrammeId).ToDictionary(r => r.Code);
        var orders = new List<RewardOrder>();
        var teapots = 0;
        void Order(Guid member, DateTime at, RewardOrderStatus status = RewardOrderStatus.Placed, bool testProgramme = false)
        {
            var reward = (testProgramme ? testRewards : rewards)[orders.Count % 3 == 0 ? "teapot" : "mug"];
            if (status == RewardOrderStatus.Placed && reward.Code == "teapot" && !testProgramme) teapots++;
            orders.Add(new RewardOrder
            {
                Id = Guid.CreateVersion7(), ProgrammeId = reward.ProgrammeId, MemberId = member, RewardId = reward.Id, RewardCode = reward.Code, RewardName = reward.Name,
                Points = reward.PointsPrice, CoPaymentMinor = reward.CoPaymentMinor, Status = status, PlacedAt = at,
                FulfilledAt = status == RewardOrderStatus.Fulfilled ? at.AddDays(1) : null,
            });
        }
        var hour = 0;
        for (var i = 0; i < 70; i++) Order(olivia.Id, start.AddHours(hour++));
        for (var i = 0; i < 55; i++) Order(portal.Id, start.AddHours(i), RewardOrderStatus.Fulfilled, testProgramme: true);
        for (var i = 0; i < 158; i++) Order(generic[i % generic.Count].Id, start.AddHours(hour++));
        Order(tom.Id, KnownInstant);
        Order(zoe.Id, new DateTime(2026, 3, 20, 9, 0, 0, DateTimeKind.Utc));
        for (var i = 0; i < 12; i++) Order(generic[i].Id, start.AddHours(hour++), RewardOrderStatus.Fulfilled);
        data.RewardOrders.AddRange(orders);

        // Staff without a password of their own: the list only has to show them.
        for (var i = 1; i <= 55; i++)
            data.StaffUsers.Add(new StaffUser
            {
                Id = Guid.CreateVersion7(), ProgrammeId = programmeId, Email = $"staff{i:D2}@lists.treue", EmailKey = $"staff{i:D2}@lists.treue", Name = $"Staff {i:D2}",
                Role = StaffRole.Support, PasswordHash = "-", CreatedAt = start,
            });
        await data.SaveChangesAsync();

        for (var i = 0; i < 59; i++)
            await ApiKeyEndpoints.CreateAsync(data, programmeId, $"Till {i:D2}", ApiRole.Pos, null, start.AddHours(i), CancellationToken.None);
        await ApiKeyEndpoints.CreateAsync(data, programmeId, KnownKey, ApiRole.Pos, null, KnownInstant, CancellationToken.None);
        await ApiKeyEndpoints.CreateAsync(data, programmeId, "Lists admin", ApiRole.Admin, null, DateTime.UtcNow, CancellationToken.None);

        // Adjustments through the API: real ledger transactions and audit entries for the portal member.
        var api = server.AdminApi;
        for (var i = 1; i <= 55; i++)
        {
            var response = await api.PostAsJsonAsync($"/api/v1/members/{portal.Id}/adjustments", new { points = i, reason = $"Goodwill {i:D2}" });
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException("Adjustment failed: " + await response.Content.ReadAsStringAsync());
        }

        return new ListsData(programmeId, portal, olivia.Id, PlacedOrders: 230, FulfilledOrders: 12, PlacedTeapots: teapots, Members: members.Count,
            BlockedMembers: blocked, ApiKeys: 61, Staff: 56, PortalOrders: 55, PortalAdjustments: 55, OrdersMemberOrders: 70);
    }
}
