using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Tests.Infrastructure;
using Treue.Storage.Entities;
using Treue.Storage;

namespace Treue.Server.Tests;

/// <summary>A member's data requests through the API: the export holds every row about them, and erasure leaves none of their personal data.</summary>
public abstract class PrivacyTests(TreueServer server)
{
    private sealed record Someone(TestProgramme P, Guid Member, string Card, string Name, string Email, string Birthday, string ReplacementCard, Guid PurchaseId);

    /// <summary>A member with a history: purchases, a return, an adjustment, a reward order, a blocked and replaced card.</summary>
    private async Task<Someone> SomeoneWithAHistoryAsync()
    {
        var p = await server.NewProgrammeAsync();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var name = $"Zacharias Quellenberg {tag}";
        var email = $"zq.{tag}@example.org";
        // A birthday of this member alone: the other tests' members share the database file.
        var birthday = new DateOnly(1950, 1, 1).AddDays(Random.Shared.Next(20_000)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        // A coffee stamp card whose reward is a personal coupon: the member's promotions are part of their data too.
        var campaign = await p.Admin.PostAsJsonAsync("/api/v1/campaigns", new
        {
            campaign = new
            {
                id = "free-coffee", name = "A coffee on us", validFromUtc = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), validToUtc = (DateTime?)null,
                offer = new { kind = "free_item", sku = "coffee", quantity = 1 }, codes = "personal", limits = new { usesPerCode = 1, usesPerMember = 5 },
            },
        }, new System.Text.Json.JsonSerializerOptions(TestProgramme.Json) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never });
        await TestProgramme.Expect(campaign, HttpStatusCode.Created);
        var stampCard = await p.Admin.PutAsJsonAsync("/api/v1/stamp-cards/coffee", new
        {
            id = "coffee", name = "Coffee card", stampsPerCard = 2, basis = "perUnit",
            reward = new { kind = "freeItemNextPurchase", campaignId = "free-coffee", sku = "coffee" }, conditions = new { skus = new[] { "coffee" } },
        }, TestProgramme.Json);
        await TestProgramme.Expect(stampCard, HttpStatusCode.OK);
        // Tiers: the purchases below reach Silver, and staff's reason for a level set by hand names the member.
        var tiers = await p.Admin.PutAsJsonAsync("/api/v1/tiers", new
        {
            measure = "spend", period = "calendarYear", levels = new object[] { new { code = "classic", name = "Classic", threshold = 0 }, new { code = "silver", name = "Silver", threshold = 10 } },
        }, TestProgramme.Json);
        await TestProgramme.Expect(tiers, HttpStatusCode.OK);
        // Referrals: the member enrols with a friend's code and has a code of their own.
        var referralTerms = await p.Admin.PutAsJsonAsync("/api/v1/referrals/settings", new
        {
            enabled = true, codePattern = "FRIEND-#########", qualifyWithinDays = 30, returnWindowDays = 14, minPurchase = 1.00m, maxPerReferrer = 0,
            limitDays = 365, referrer = new { points = 50 }, newMember = new { points = 20 },
        }, TestProgramme.Json);
        await TestProgramme.Expect(referralTerms, HttpStatusCode.OK);
        var (friend, _) = await p.EnrolAsync("Referring Friend");
        var friendCode = (string)(await p.Pos.GetFromJsonAsync<JsonObject>($"/api/v1/members/{friend}/referrals", TestProgramme.Json))!["code"]!;
        var enrolled = await p.Pos.PostAsJsonAsync("/api/v1/members", new { name, email, issueCard = "physical", referralCode = friendCode, paymentReference = "tok-" + tag }, TestProgramme.Json);
        await TestProgramme.Expect(enrolled, HttpStatusCode.Created);
        var enrolledBody = (await enrolled.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
        var (member, card) = (Guid.Parse((string)enrolledBody["id"]!), (string)enrolledBody["cards"]![0]!["number"]!);
        await TestProgramme.Expect(await p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/consents", new { purpose = "profiling", granted = true }, TestProgramme.Json), HttpStatusCode.OK);
        await TestProgramme.Expect(await p.Pos.GetAsync($"/api/v1/members/{member}/referrals"), HttpStatusCode.OK);
        var patch = await p.Admin.PatchAsJsonAsync($"/api/v1/members/{member}", new { birthday }, TestProgramme.Json);
        await TestProgramme.Expect(patch, HttpStatusCode.OK);
        var first = await p.BuyAsync(TestProgramme.Purchase("r1-" + tag, card, ("tea", "drinks", 2, 4.50m), ("cake", "bakery", 1, 3.20m)));
        await p.BuyAsync(TestProgramme.Purchase("r2-" + tag, card, ("coffee", "drinks", 2, 3.00m)));
        var purchaseId = Guid.Parse((string)first["id"]!);
        var ret = await p.Pos.PostAsJsonAsync($"/api/v1/purchases/{purchaseId}/returns", new { returnId = "x1-" + tag, lines = new[] { new { lineNo = 2, quantity = 1m } } }, TestProgramme.Json);
        await TestProgramme.Expect(ret, HttpStatusCode.Created);
        await p.GiveAsync(member, 400);
        var order = await p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/reward-orders", new { reward = "mug" }, TestProgramme.Json);
        await TestProgramme.Expect(order, HttpStatusCode.Created);
        var replaced = await p.Pos.PostAsJsonAsync($"/api/v1/cards/{card}/replace", new { kind = "physical" }, TestProgramme.Json);
        await TestProgramme.Expect(replaced, HttpStatusCode.Created);
        var replacement = (string)(await replaced.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!["number"]!;
        // Consents and a data request belong to the member's data as well.
        var consent = await p.Pos.PostAsJsonAsync($"/api/v1/members/{member}/consents", new { purpose = "profiling", granted = true, textVersion = "2026-01" }, TestProgramme.Json);
        await TestProgramme.Expect(consent, HttpStatusCode.OK);
        var request = await p.Admin.PostAsJsonAsync("/api/v1/data-requests", new { memberId = member, kind = "access", note = $"Letter from {name}" }, TestProgramme.Json);
        await TestProgramme.Expect(request, HttpStatusCode.Created);
        var setTier = await p.Admin.PutAsJsonAsync($"/api/v1/members/{member}/tier", new { level = "silver", reason = $"Goodwill for {name}", until = "2099-12-31" }, TestProgramme.Json);
        await TestProgramme.Expect(setTier, HttpStatusCode.OK);
        var free = await p.BuyAsync(TestProgramme.Purchase("r3-" + tag, replacement, ("bread", "bakery", 1, 2.80m), ("coffee", "drinks", 1, 3.00m)));
        Assert.Equal("free-coffee", (string)free["promotions"]![0]!["campaignId"]!);
        // A birthday gift a trigger gave, and its message in the outbox, whose data names the member.
        await server.WithDbAsync(async db =>
        {
            var now = server.Clock.GetUtcNow().UtcDateTime;
            var message = new OutboxMessage
            {
                ProgrammeId = p.Id, MemberId = member, Template = "birthday", Language = "en", Data = $"{{\"greeting\":\"Dear {name}\"}}",
                Source = "trigger:birthday", State = OutboxState.Queued, NextAttemptAt = now, CreatedAt = now,
            };
            db.Outbox.Add(message);
            await db.SaveChangesAsync();
            db.TriggerFirings.Add(new TriggerFiring
            {
                ProgrammeId = p.Id, TriggerId = "birthday", MemberId = member, Occasion = "birthday:2026", Day = DateOnly.FromDateTime(now), Period = "2026",
                OutboxMessageId = message.Id, FiredAt = now,
            });
            return await db.SaveChangesAsync();
        });
        return new Someone(p, member, card, name, email, birthday, replacement, purchaseId);
    }

    private static async Task<JsonObject> ExportAsync(Someone s)
    {
        var res = await s.P.Admin.GetAsync($"/api/v1/members/{s.Member}/export");
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        Assert.Contains("attachment", res.Content.Headers.ContentDisposition?.ToString() ?? res.Headers.ToString());
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
    }

    private static int Count(JsonNode? array) => array?.AsArray().Count ?? 0;

    [Fact]
    public async Task The_export_holds_every_row_in_the_database_that_carries_the_member()
    {
        var s = await SomeoneWithAHistoryAsync();
        var export = await ExportAsync(s);
        Assert.Equal(s.Name, (string)export["member"]!["name"]!);
        Assert.Equal(s.Email, (string)export["member"]!["email"]!);
        Assert.Equal(s.Birthday, (string)export["member"]!["birthday"]!);
        Assert.DoesNotContain("passwordHash", export.ToJsonString(), StringComparison.OrdinalIgnoreCase);

        // What the export holds of each table that has a member column, counted by the member's rows in it.
        var purchases = export["purchases"]!.AsArray();
        var ledger = export["ledger"]!.AsArray();
        var exported = new Dictionary<string, int>
        {
            ["Member"] = 1,
            ["Card"] = Count(export["cards"]),
            ["Purchase"] = purchases.Count,
            ["PurchaseLine"] = purchases.Sum(p => Count(p!["purchase"]!["lines"])),
            ["PurchaseReturn"] = purchases.Sum(p => Count(p!["returns"])),
            ["LedgerTransaction"] = ledger.Count,
            ["LedgerEntry"] = ledger.Sum(t => t!["entries"]!.AsArray().Count(e => (string?)e!["memberId"] == s.Member.ToString())),
            ["LotDrawRecord"] = ledger.Sum(t => Count(t!["draws"])),
            ["PointLot"] = Count(export["lots"]),
            ["RewardOrder"] = Count(export["rewardOrders"]),
            ["MemberCredential"] = (bool)export["sign_in"]!["passwordSet"]! ? 1 : 0,
            ["SignInCode"] = Count(export["sign_in"]!["codes"]),
            ["AuditEntry"] = Count(export["audit"]),
            ["CouponCode"] = Count(export["promotions"]!["coupons"]),
            ["CampaignMemberUse"] = Count(export["promotions"]!["campaignUses"]),
            ["CouponRedemption"] = Count(export["promotions"]!["redemptions"]),
            ["PurchasePromotion"] = Count(export["promotions"]!["pricedPurchases"]),
            ["MemberStampCard"] = Count(export["promotions"]!["stampCards"]),
            ["ConsentRecord"] = Count(export["privacy"]!["consents"]!["history"]),
            ["DataRequest"] = Count(export["privacy"]!["dataRequests"]),
            ["RetentionWarning"] = Count(export["privacy"]!["retentionWarnings"]),
            ["MemberTier"] = export["tier"]!["standing"] is null ? 0 : 1,
            ["TierActivity"] = Count(export["tier"]!["activity"]),
            ["TierHistoryRecord"] = Count(export["tier"]!["history"]),
            ["MemberReferralCode"] = export["referrals"]!["code"] is null ? 0 : 1,
            ["ReferralRecord"] = export["referrals"]!["referredBy"] is null ? 0 : 1,
            ["OutboxMessage"] = Count(export["messages"]!["messages"]),
            ["TriggerFiring"] = Count(export["messages"]!["gifts"]),
        };
        var inDatabase = await server.WithDbAsync(async db =>
        {
            var counts = new Dictionary<string, int>();
            foreach (var type in db.Model.GetEntityTypes().Where(t => t.FindProperty("MemberId") is not null || t.ClrType.Name == "Member"))
            {
                var method = typeof(PrivacyTests).GetMethod(nameof(RowsOfAsync), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                    .MakeGenericMethod(type.ClrType);
                counts[type.ClrType.Name] = await (Task<int>)method.Invoke(null, [db, s.P.Id, s.Member])!;
            }
            return counts;
        });
        // The audit row of the export itself was written after the export was made.
        inDatabase["AuditEntry"] -= 1;
        foreach (var (table, rows) in inDatabase)
        {
            Assert.True(exported.ContainsKey(table), $"The table of {table} carries the member, but the export has no place for it.");
            Assert.True(rows == exported[table], $"{table}: {rows} rows of the member in the database, {exported[table]} in the export.");
        }
        Assert.All(exported, e => Assert.True(e.Key is "MemberCredential" or "SignInCode" or "RetentionWarning" || e.Value > 0, $"The history has no {e.Key}: the test proves nothing for it."));
    }

    private static async Task<int> RowsOfAsync<T>(TreueDb db, Guid programme, Guid member) where T : class =>
        typeof(T).Name == "Member"
            ? await db.Set<T>().CountAsync(e => EF.Property<Guid>(e, "Id") == member && EF.Property<Guid>(e, "ProgrammeId") == programme)
            : await db.Set<T>().CountAsync(e => EF.Property<Guid?>(e, "MemberId") == member && EF.Property<Guid>(e, "ProgrammeId") == programme);

    [Fact]
    public async Task Erasure_leaves_the_ledger_whole_and_none_of_the_members_personal_data()
    {
        var s = await SomeoneWithAHistoryAsync();
        var before = await LedgerSumsAsync(s.P.Id);
        var balance = await s.P.AvailableAsync(s.Member);

        var noReason = await s.P.Admin.PostAsJsonAsync($"/api/v1/members/{s.Member}/erasure", new { reason = " " }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Contains("reason", await noReason.Content.ReadAsStringAsync());
        var byTill = await s.P.Pos.PostAsJsonAsync($"/api/v1/members/{s.Member}/erasure", new { reason = "asked" }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.Forbidden, byTill.StatusCode);
        var other = await server.NewProgrammeAsync();
        var foreign = await other.Admin.PostAsJsonAsync($"/api/v1/members/{s.Member}/erasure", new { reason = "asked" }, TestProgramme.Json);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(s.Name, (string)(await ExportAsync(s))["member"]!["name"]!);

        var res = await s.P.Admin.PostAsJsonAsync($"/api/v1/members/{s.Member}/erasure", new { reason = "The member asked by letter" }, TestProgramme.Json);
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        var result = (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!;
        Assert.False((bool)result["alreadyErased"]!);
        Assert.Equal(2, (int)result["cardsPseudonymised"]!);
        Assert.True((bool)result["fileScrubbed"]!);

        // The ledger is what it was: the same sums, the same balance, under the member's id.
        Assert.Equal(before, await LedgerSumsAsync(s.P.Id));
        Assert.Equal(balance, await s.P.AvailableAsync(s.Member));
        await s.P.AssertLedgerInvariantsAsync();
        var export = await ExportAsync(s);
        Assert.Equal("Erased member", (string)export["member"]!["name"]!);
        Assert.Null(export["member"]!["email"]);
        Assert.Null(export["member"]!["birthday"]);
        Assert.Equal(3, export["purchases"]!.AsArray().Count);
        Assert.Contains(export["audit"]!.AsArray(), a => (string)a!["action"]! == "member.erased" && (string?)a["details"] == "The member asked by letter");

        // The old cards are unknown at the till, and a second erasure changes nothing.
        var atTill = await s.P.Pos.GetAsync($"/api/v1/cards/{s.ReplacementCard}");
        Assert.Equal(HttpStatusCode.NotFound, atTill.StatusCode);
        var again = await s.P.Admin.PostAsJsonAsync($"/api/v1/members/{s.Member}/erasure", new { reason = "twice" }, TestProgramme.Json);
        await TestProgramme.Expect(again, HttpStatusCode.OK);
        Assert.True((bool)(await again.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json))!["alreadyErased"]!);

        var traces = await TracesAsync([s.Name, s.Email, s.Birthday, s.Card, s.ReplacementCard]);
        Assert.True(traces.Count == 0, "Personal data left after the erasure:\n" + string.Join('\n', traces));
    }

    private Task<Dictionary<string, long>> LedgerSumsAsync(Guid programme) => server.WithDbAsync(async db =>
        (await db.LedgerEntries.Where(e => e.ProgrammeId == programme).Select(e => new { e.Account, e.Amount }).ToListAsync())
            .GroupBy(e => e.Account).ToDictionary(g => g.Key, g => g.Sum(e => e.Amount)));

    /// <summary>Where any of <paramref name="needles"/> is still found: in the database file's bytes on SQLite, in every text and byte column on PostgreSQL.</summary>
    protected abstract Task<List<string>> TracesAsync(IReadOnlyList<string> needles);

    /// <summary>Byte offsets of <paramref name="needle"/> in <paramref name="haystack"/>.</summary>
    protected static IEnumerable<int> Find(byte[] haystack, string needle)
    {
        var n = Encoding.UTF8.GetBytes(needle);
        for (var i = haystack.AsSpan().IndexOf(n); i >= 0;)
        {
            yield return i;
            var next = haystack.AsSpan(i + 1).IndexOf(n);
            i = next < 0 ? -1 : i + 1 + next;
        }
    }
}

public sealed class PrivacyTestsOnSqlite(SqliteServer server) : PrivacyTests(server), IClassFixture<SqliteServer>
{
    protected override Task<List<string>> TracesAsync(IReadOnlyList<string> needles)
    {
        var file = new SqliteConnectionStringBuilder(server.ConnectionString).DataSource;
        var found = new List<string>();
        foreach (var path in new[] { file, file + "-wal", file + "-journal" }.Where(File.Exists))
        {
            // Read while the server still has the file open: what is on disk is what a stolen disk would show.
            byte[] bytes;
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                bytes = new byte[stream.Length];
                stream.ReadExactly(bytes);
            }
            foreach (var needle in needles)
                found.AddRange(Find(bytes, needle).Take(3).Select(at => $"{Path.GetFileName(path)} at byte {at}: {needle}"));
        }
        return Task.FromResult(found);
    }
}

public sealed class PrivacyTestsOnPostgres(PostgresServer server) : PrivacyTests(server), IClassFixture<PostgresServer>
{
    protected override Task<List<string>> TracesAsync(IReadOnlyList<string> needles) => server.WithDbAsync(async db =>
    {
        var found = new List<string>();
        var columns = await db.Database.SqlQueryRaw<ColumnRef>(
            "SELECT table_name AS \"Table\", column_name AS \"Column\", data_type AS \"Type\" FROM information_schema.columns " +
            "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'bytea', 'jsonb', 'date')").ToListAsync();
        foreach (var c in columns)
        {
            foreach (var needle in needles)
            {
                // Table and column names come from the catalogue, the needle is a parameter.
                var test = c.Type == "bytea" ? "position(convert_to({0}, 'UTF8') in \"" + c.Column + "\") > 0" : "\"" + c.Column + "\"::text LIKE '%' || {0} || '%'";
                var sql = "SELECT count(*)::int AS \"Value\" FROM \"" + c.Table + "\" WHERE " + test;
                var count = await db.Database.SqlQueryRaw<int>(sql, needle).SingleAsync();
                if (count > 0) found.Add($"{c.Table}.{c.Column}: {needle} ({count} rows)");
            }
        }
        return found;
    });

    private sealed record ColumnRef(string Table, string Column, string Type);
}
