using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Treue.Domain.Earning;
using Treue.Server.Features.Audit;
using Treue.Server.Web.Shared;
using Treue.Storage;
using Treue.Storage.Entities;
using Treue.Web.Tests.Infrastructure;
using static Treue.Web.Tests.Infrastructure.Cultures;

namespace Treue.Web.Tests;

/// <summary>
/// Why points moved, in the reader's language: explanations put into words from their parts, older rows that have
/// only their English name, and the fixed words of the change history and the audit log.
/// </summary>
public sealed class ExplanationTests(WebServer server)
{
    private static string German(Func<Loc, string> text) => In("de-DE", () => text(new Loc()));

    private static string English(Func<Loc, string> text) => In("en-GB", () => text(new Loc()));

    private static readonly Reason Saturday = new(ReasonKeys.Rule) { Subject = "Double points", Effect = EffectKind.Multiplier, Value = 2m };

    /// <summary>A receipt of two lines, each with the base rate and a rule, as the earning explains it.</summary>
    private static readonly Contribution[] Receipt =
    [
        Contribution.Of("base", new Reason(ReasonKeys.BaseRate), 20).OnLine(1),
        Contribution.Of("sat", Saturday, 20).OnLine(1),
        Contribution.Of("base", new Reason(ReasonKeys.BaseRate), 10).OnLine(2),
        Contribution.Of("sat", Saturday, 10).OnLine(2),
    ];

    [Fact]
    public void An_earning_reads_rule_by_rule_in_the_readers_language()
    {
        Assert.Equal("Base rate: +30; Double points: +30", English(l => Explanations.Text(l, Receipt)));
        Assert.Equal("Grundrate: +30; Double points: +30", German(l => Explanations.Text(l, Receipt)));
        // The API's English name is unchanged.
        Assert.Equal(["Base rate (line 1)", "Double points (line 1)", "Base rate (line 2)", "Double points (line 2)"], Receipt.Select(c => c.Name));
    }

    [Theory]
    [InlineData(ReasonKeys.ReturnWindowPassed, "Return window passed", "Rückgabefrist abgelaufen")]
    [InlineData(ReasonKeys.BonusTakenBack, "Purchase bonus taken back (whole purchase returned)", "Einkaufsbonus zurückgenommen (ganzer Einkauf zurückgegeben)")]
    [InlineData(ReasonKeys.PaymentRefunded, "Points paid with come back", "Zum Bezahlen eingesetzte Punkte zurückerstattet")]
    public void Fixed_reasons_are_translated(string key, string english, string german)
    {
        var c = Contribution.Of("x", new Reason(key), 5);
        Assert.Equal(english, English(l => Explanations.Words(l, c)));
        Assert.Equal(german, German(l => Explanations.Words(l, c)));
    }

    [Fact]
    public void Reasons_with_values_format_them_in_the_readers_culture_and_keep_names_as_written()
    {
        var expired = Contribution.Of("expiry", new Reason(ReasonKeys.Expired) { Date = new DateOnly(2026, 3, 1) }, -40);
        Assert.Equal("Points earned on 01/03/2026 expired", English(l => Explanations.Words(l, expired)));
        Assert.Equal("Am 01.03.2026 gesammelte Punkte verfallen", German(l => Explanations.Words(l, expired)));

        var paid = Contribution.Of("checkout", new Reason(ReasonKeys.PaidAtCheckout) { Value = 4.5m, Unit = "EUR", Subject = "Tea House" }, -450);
        Assert.Equal("Paid €4.50 with points at Tea House", English(l => Explanations.Words(l, paid)));
        Assert.Equal("4,50 € mit Punkten bezahlt bei Tea House", German(l => Explanations.Words(l, paid)));

        var returned = Contribution.Of("return", new Reason(ReasonKeys.Returned) { Value = 1.5m, Line = 2 }, -15);
        Assert.Equal("Returned 1.5 × line 2", English(l => Explanations.Words(l, returned)));
        Assert.Equal("1,5 × Position 2 zurückgegeben", German(l => Explanations.Words(l, returned)));

        var cancelled = Contribution.Of("reward:knife", new Reason(ReasonKeys.OrderCancelled) { Subject = "Knife set" }, 1500);
        Assert.Equal("Prämienbestellung storniert: Knife set", German(l => Explanations.Words(l, cancelled)));
        var redeemed = Contribution.Of("reward:knife", new Reason(ReasonKeys.Redeemed) { Subject = "Knife set" }, -1500);
        Assert.Equal("Knife set", German(l => Explanations.Words(l, redeemed)));
        var adjusted = Contribution.Of("adjustment", new Reason(ReasonKeys.Adjusted) { Subject = "Goodwill" }, 10);
        Assert.Equal("Goodwill", German(l => Explanations.Words(l, adjusted)));

        var full = Contribution.Of("stamps:coffee", new Reason(ReasonKeys.StampCardFull) { Subject = "Coffee card", Value = 3 }, 50);
        Assert.Equal("Coffee card: card 3 full", English(l => Explanations.Words(l, full)));
        Assert.Equal("Coffee card: Karte 3 voll", German(l => Explanations.Words(l, full)));
        var back = Contribution.Of("stamps:coffee", new Reason(ReasonKeys.StampCardTakenBack) { Subject = "Coffee card", Value = 3 }, -50);
        Assert.Equal("Coffee card: card 3 taken back", English(l => Explanations.Words(l, back)));
        Assert.Equal("Coffee card: Karte 3 zurückgenommen", German(l => Explanations.Words(l, back)));
    }

    [Fact]
    public void Stored_rows_written_before_reasons_existed_still_read_and_their_fixed_words_are_translated()
    {
        var old = StoredContributions.Read("""[["base","Base rate (line 1)",8],["sat","Double points (line 1)",8],["reward","Reward",-5]]""");
        Assert.All(old, c => Assert.Null(c.Reason));
        Assert.Equal("Grundrate: +8; Double points: +8; Reward: −5", German(l => Explanations.Text(l, old)));
        Assert.Equal("Base rate: +8; Double points: +8; Reward: −5", English(l => Explanations.Text(l, old)));
    }

    [Fact]
    public void A_stored_list_keeps_every_part_and_stores_no_English_it_can_derive()
    {
        Contribution[] list =
        [
            .. Receipt,
            Contribution.Of("expiry", new Reason(ReasonKeys.Expired) { Date = new DateOnly(2026, 3, 1) }, -40),
            Contribution.Of("checkout", new Reason(ReasonKeys.PaidAtCheckout) { Value = 4.5m, Unit = "EUR", Subject = "Tea House" }, -450),
            Contribution.Of("return", new Reason(ReasonKeys.Returned) { Value = 1.5m, Line = 2 }, -15),
            new Contribution("promo", "A name from elsewhere", 3),
        ];
        var text = StoredContributions.Write(list);
        Assert.Equal(list, StoredContributions.Read(text));
        Assert.DoesNotContain("Base rate", text, StringComparison.Ordinal);
        Assert.StartsWith("""[["base","",20,"base_rate",{"l":1}]""", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Change_history_lines_read_in_German_and_unknown_texts_stay_as_they_are()
    {
        Assert.Equal("Programm angelegt: Partner tea-house hinzugefügt; Regel welcome hinzugefügt",
            German(l => ChangeWords.Change(l, "programme created", ["partner tea-house added", "rule welcome added"])));
        Assert.Equal("Einstellungen gespeichert: Grundrate geändert; Zeitzone geändert",
            German(l => ChangeWords.Change(l, "settings saved", ["baseRate changed", "timeZone changed"])));
        Assert.Equal("Regel sat gespeichert: Prämie knife: Zuzahlung geändert",
            German(l => ChangeWords.Change(l, "rule sat saved", ["reward knife co-payment changed"])));
        Assert.Equal("3 Änderungen übernommen", German(l => ChangeWords.Summary(l, "3 change(s) applied")));
        Assert.Equal("treue programme apply demo.json", German(l => ChangeWords.Summary(l, "treue programme apply demo.json")));
        Assert.Equal("Rule sat saved", English(l => ChangeWords.Summary(l, "rule sat saved")));
    }

    [Fact]
    public void Audit_details_read_in_German_and_keep_reasons_as_written()
    {
        static AuditEntry Entry(string action, string details, string? target = null) => new()
        {
            ProgrammeId = Guid.Empty, Action = action, Actor = "a", Details = details, Target = target,
        };
        Assert.Equal("Status von Aktiv auf Gesperrt geändert: Betrug", German(l => ChangeWords.Details(l, Entry(AuditActions.MemberStatusChanged, "active -> blocked: Betrug"))!));
        Assert.Equal("Ersetzt durch 123: lost", German(l => ChangeWords.Details(l, Entry(AuditActions.CardReplaced, "replaced by 123: lost", "100"))!));
        Assert.Equal("+50 Punkte: Kulanz", German(l => ChangeWords.Details(l, Entry(AuditActions.PointsAdjusted, "+50 points: Kulanz"))!));
        Assert.Equal("Gesperrt", German(l => ChangeWords.Details(l, Entry(AuditActions.CardBlocked, "blocked", "100"))!));
        Assert.Equal("Plastikkarte", German(l => ChangeWords.Details(l, Entry(AuditActions.CardIssued, "physical", "100"))!));
        Assert.Equal("Alice Admin, Administration", German(l => ChangeWords.Details(l, Entry(AuditActions.StaffCreated, "Alice Admin, admin"))!));
        Assert.Equal("Rolle von Kundenservice auf Analyse geändert", German(l => ChangeWords.Details(l, Entry(AuditActions.StaffRoleChanged, "support -> analyst"))!));
        Assert.Equal("Programm angelegt: Regel welcome hinzugefügt",
            German(l => ChangeWords.Details(l, Entry(AuditActions.ProgrammeChanged, "programme created: rule welcome added"))!));
    }

    [Fact]
    public void Every_text_of_the_explanations_has_a_German_translation()
    {
        var german = (IReadOnlyDictionary<string, string>)typeof(Loc).GetField("German", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        foreach (var file in new[] { "Explanations.cs", "ChangeWords.cs" })
        {
            var source = File.ReadAllText(Path.Combine(WebServer.RepositoryRoot(), "src", "Treue.Server", "Web", "Shared", file));
            var keys = System.Text.RegularExpressions.Regex.Matches(source, @"(?:l(?:\[""|\.Format\("")|=> "")([^""]+)""").Select(m => m.Groups[1].Value)
                .Where(k => k.Any(char.IsUpper) || k.Contains('{', StringComparison.Ordinal)).Distinct().ToList();
            Assert.True(keys.Count >= 5, file);
            var missing = keys.Where(k => !german.ContainsKey(k)).ToList();
            Assert.True(missing.Count == 0, $"No German text in {file} for: " + string.Join(" | ", missing));
        }
    }

    [Fact]
    public async Task In_German_the_member_ledger_and_the_portal_history_explain_points_in_German()
    {
        var email = $"expl-{Guid.NewGuid():N}"[..13] + "@test.treue";
        var member = await server.AddMemberAsync(server.ProgrammeId, "Erna Erklärung", email);
        await using (var db = server.Db())
            await db.Members.Where(m => m.Id == member.Id).ExecuteUpdateAsync(u => u.SetProperty(m => m.Language, "de"), TestContext.Current.CancellationToken);
        await server.PurchaseAsync(member.CardNumber, $"expl-{member.Id:N}", "tea-house", "green-tea", "tea", 2, 40.00m, DateTimeOffset.UtcNow.AddDays(-1));

        var staff = await server.NewPageAsync("de-DE");
        await staff.StaffSignInByIdAsync(WebServer.SupportEmail);
        await staff.OpenAsync($"/admin/members/{member.Id}");
        var ledger = staff.Locator("#ledger-history");
        await Assertions.Expect(ledger).ToContainTextAsync("Grundrate: +80");
        await Assertions.Expect(ledger).ToContainTextAsync("Welcome bonus: +50");
        Assert.DoesNotContain("Base rate", await ledger.InnerTextAsync(), StringComparison.Ordinal);

        // The member prefers German, so the portal opens in German after signing in.
        var portal = await server.NewPageAsync(width: 390, height: 844);
        await portal.MemberSignInAsync(email);
        await portal.OpenAsync("/portal/history");
        var history = portal.Locator("#history");
        await Assertions.Expect(history).ToContainTextAsync("Grundrate: +80");
        Assert.DoesNotContain("Base rate", await history.InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_German_the_quote_preview_names_the_base_rate_in_German()
    {
        var page = await server.NewPageAsync("de-DE");
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/programme/rules/new");
        await Assertions.Expect(page.Locator("tr[data-rule='base']")).ToContainTextAsync("Grundrate");
        Assert.DoesNotContain("Base rate", await page.Locator("#quote-result").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_German_the_change_history_and_the_audit_log_show_no_fixed_English_words()
    {
        var reason = "Kulanz " + Guid.NewGuid().ToString("N")[..6];
        var member = await server.AddMemberAsync(server.ProgrammeId, "Karl Kulanz", $"kulanz-{Guid.NewGuid():N}"[..15] + "@test.treue");
        await server.AdjustAsync(member.Id, 25, reason);
        var page = await server.NewPageAsync("de-DE");
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);

        await page.OpenAsync("/admin/programme");
        var changes = page.Locator("#change-history");
        await Assertions.Expect(changes).ToContainTextAsync("Partner tea-house hinzugefügt");
        var text = await changes.InnerTextAsync();
        foreach (var english in new[] { " added", " created", "programme created", " changed", "change(s)" })
            Assert.DoesNotContain(english, text, StringComparison.Ordinal);

        await page.OpenAsync("/admin/audit");
        var adjusted = page.Locator("#audit tr[data-action='points.adjusted']").Filter(new() { HasText = reason });
        await Assertions.Expect(adjusted).ToContainTextAsync("+25 Punkte: " + reason);
        Assert.DoesNotContain("points:", await page.Locator("#audit").InnerTextAsync(), StringComparison.Ordinal);
    }
}
