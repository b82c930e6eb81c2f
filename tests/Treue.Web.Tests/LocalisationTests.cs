using System.Reflection;
using System.Text.RegularExpressions;
using Treue.Server.Web.Shared;

namespace Treue.Web.Tests;

public sealed partial class LocalisationTests
{
    [GeneratedRegex(@"L(?:\[""|\.Format\("")((?:[^""\\]|\\.)+)""")]
    private static partial Regex Text();

    private static IReadOnlyDictionary<string, string> German() =>
        (IReadOnlyDictionary<string, string>)typeof(Loc).GetField("German", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;

    [Fact]
    public void Every_text_of_the_analytics_pages_has_a_German_translation()
    {
        var folder = Path.Combine(Infrastructure.WebServer.RepositoryRoot(), "src", "Treue.Server", "Web");
        var files = Directory.GetFiles(Path.Combine(folder, "Admin", "Analytics"), "*.razor").Append(Path.Combine(folder, "Shared", "AdminNav.razor"))
            .Append(Path.Combine(folder, "Admin", "AuditPage.razor")).Append(Path.Combine(folder, "Admin", "StaffPage.razor")).ToList();
        Assert.True(files.Count >= 6);
        var german = German();
        var missing = files.SelectMany(f => Text().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value.Replace(@"\\", @"\", StringComparison.Ordinal)))
            .Distinct().Where(t => !german.ContainsKey(t)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "No German text for: " + string.Join(" | ", missing));
    }

    [Fact]
    public void The_segment_names_have_German_translations()
    {
        var german = German();
        foreach (var segment in Enum.GetValues<Treue.Analytics.Segments.RfmSegment>())
            Assert.True(german.ContainsKey(Treue.Server.Web.Admin.Analytics.Charts.SegmentName(segment)), segment.ToString());
    }

    [Fact]
    public void Every_text_of_the_programme_member_order_and_key_pages_has_a_German_translation()
    {
        var folder = Path.Combine(Infrastructure.WebServer.RepositoryRoot(), "src", "Treue.Server", "Web");
        var files = new[]
        {
            "Admin/RuleEditor.razor", "Admin/RewardEditor.razor", "Admin/ProgrammePage.razor", "Admin/QuotePreview.razor", "Admin/MemberPage.razor",
            "Admin/OrdersPage.razor", "Admin/ApiKeysPage.razor", "Shared/FormErrorSummary.razor", "Shared/MoneyField.razor", "Shared/Confirmation.cs",
        }.Select(f => Path.Combine(folder, f)).ToList();
        var german = German();
        var missing = files.SelectMany(f => Text().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value.Replace(@"\\", @"\", StringComparison.Ordinal)))
            .Distinct().Where(t => !german.ContainsKey(t)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "No German text for: " + string.Join(" | ", missing));
    }

    [Fact]
    public void Every_message_of_the_programme_validation_has_a_German_translation()
    {
        var bad = Infrastructure.WebServer.Document with
        {
            Code = "Bad Code", Name = "", Currency = "XXX", TimeZone = "Nowhere/Else", PointValue = 0, BaseRate = -1, PendingDays = 400,
            Partners = [new("p", "P", [new("s", "S")]), new("p", "", [])],
            Rules =
            [
                new("Base", "", 5000, Treue.Domain.Earning.Stacking.Stack,
                    new Treue.Domain.Earning.RuleConditions { Partners = ["nobody"], Stores = ["nowhere"], From = new DateOnly(1800, 1, 1), To = new DateOnly(1799, 1, 1), MinBasket = -1 },
                    new Treue.Domain.Earning.RuleEffect(Treue.Domain.Earning.EffectKind.Multiplier, 500)),
            ],
            Rewards = [new("Mug", "", 0, CoPayment: -1m, Stock: -1), new("mug", "Mug", 10, CoPayment: 1.001m)],
        };
        var invalid = Treue.Server.Features.Programmes.ProgrammeApplier.Validate(bad);
        Assert.NotNull(invalid);
        Assert.True(invalid.Errors.Count >= 15, $"only {invalid.Errors.Count} errors");
        var german = German();
        var missing = invalid.Errors.Select(e => e.Template).Distinct().Where(t => !german.ContainsKey(t)).ToList();
        Assert.True(missing.Count == 0, "No German text for: " + string.Join(" | ", missing));
    }

    [GeneratedRegex(@"\b[lL](?:\[""|\.Format\("")((?:[^""\\]|\\.)+)""")]
    private static partial Regex TextOfHelpers();

    [Fact]
    public void Every_text_of_the_promotion_pages_and_their_words_has_a_German_translation()
    {
        var folder = Path.Combine(Infrastructure.WebServer.RepositoryRoot(), "src", "Treue.Server", "Web");
        var files = Directory.GetFiles(Path.Combine(folder, "Admin", "Promotions")).Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .Append(Path.Combine(folder, "Admin", "DashboardPage.razor")).ToList();
        Assert.True(files.Count >= 9);
        var german = German();
        var missing = files.SelectMany(f => TextOfHelpers().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value.Replace(@"\\", @"\", StringComparison.Ordinal)))
            .Distinct().Where(t => !german.ContainsKey(t)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "No German text for: " + string.Join(" | ", missing));
    }

    [Fact]
    public void Every_text_of_the_privacy_pages_and_their_words_has_a_German_translation()
    {
        var folder = Path.Combine(Infrastructure.WebServer.RepositoryRoot(), "src", "Treue.Server", "Web");
        var files = Directory.GetFiles(Path.Combine(folder, "Admin", "Privacy"), "*.razor")
            .Append(Path.Combine(folder, "Portal", "ConsentsPage.razor")).Append(Path.Combine(folder, "Shared", "ConsentWords.cs")).ToList();
        Assert.True(files.Count >= 5);
        var german = German();
        var missing = files.SelectMany(f => TextOfHelpers().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value.Replace(@"\\", @"\", StringComparison.Ordinal)))
            .Distinct().Where(t => !german.ContainsKey(t)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "No German text for: " + string.Join(" | ", missing));
    }

    [Fact]
    public void Every_message_of_the_campaign_and_stamp_card_validation_has_a_German_translation()
    {
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var offers = new Treue.Domain.Promotions.Offer[]
        {
            new Treue.Domain.Promotions.PercentOffBasket(150, -1), new Treue.Domain.Promotions.AmountOffBasket(-1),
            new Treue.Domain.Promotions.FreeItem("", 0), new Treue.Domain.Promotions.BundlePrice([], -1), new Treue.Domain.Promotions.PointsMultiplier(0, new()),
        };
        var templates = new List<string>();
        foreach (var offer in offers)
        {
            var campaign = new Treue.Domain.Promotions.Campaign("bad id!", "", start, start.AddDays(-1), offer)
            {
                Limits = new Treue.Domain.Promotions.CampaignLimits { UsesPerCode = 0 },
            };
            templates.AddRange(Treue.Server.Features.Promotions.PromotionEndpoints.Check(new(campaign, "bad code!"), "other")!.Errors.Select(e => e.Template));
            templates.AddRange(Treue.Server.Features.Promotions.PromotionEndpoints.Check(new(campaign with { Id = "ok", Codes = Treue.Domain.Promotions.CodeKind.Automatic }, "X"), null)!
                .Errors.Select(e => e.Template));
        }
        var card = new Treue.Domain.Promotions.StampCardDefinition("c", "", 0, Treue.Domain.Promotions.StampBasis.PerAmount,
            new Treue.Domain.Promotions.StampReward(Treue.Domain.Promotions.StampRewardKind.Points, 0)) { AmountPerStamp = 0, MaxStampsPerPurchase = 0 };
        templates.AddRange(Treue.Server.Features.Promotions.PromotionEndpoints.CheckCard(card, "bad id!")!.Errors.Select(e => e.Template));
        Assert.True(templates.Distinct().Count() >= 12, string.Join(" | ", templates.Distinct()));
        var german = German();
        var missing = templates.Distinct().Where(t => !german.ContainsKey(t)).ToList();
        Assert.True(missing.Count == 0, "No German text for: " + string.Join(" | ", missing));
    }

    // The messages of the trigger service's checks: v.Check(ok, "field", "message"...) and v.Add("field", "message").
    [GeneratedRegex(@"v\.(?:Check\([^;]*?|Add\()""[a-zA-Z.]+"",\s*""((?:[^""\\]|\\.)+)""", RegexOptions.Singleline)]
    private static partial Regex CheckMessage();

    [Fact]
    public void Every_text_of_the_trigger_pages_their_words_and_their_validation_has_a_German_translation()
    {
        var folder = Path.Combine(Infrastructure.WebServer.RepositoryRoot(), "src", "Treue.Server");
        var files = Directory.GetFiles(Path.Combine(folder, "Web", "Admin", "Triggers")).Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal)).ToList();
        Assert.True(files.Count >= 4);
        var texts = files.SelectMany(f => TextOfHelpers().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).ToList();
        // The budget's words pick their text by a condition, out of the helpers' reach.
        texts.AddRange(["at most {0} points a month", "at most {0} points a year", "at most {0} gifts a month", "at most {0} gifts a year"]);
        var service = CheckMessage().Matches(File.ReadAllText(Path.Combine(folder, "Features", "Triggers", "TriggerService.cs"))).Select(m => m.Groups[1].Value).ToList();
        Assert.True(service.Count >= 8, string.Join(" | ", service));
        texts.AddRange(service);
        var action = new Treue.Domain.Triggers.AwardPoints(1);
        texts.AddRange(new[]
        {
            new Treue.Domain.Triggers.TriggerDefinition("a:b", Treue.Domain.Triggers.TriggerKind.Enrolment, action),
            new Treue.Domain.Triggers.TriggerDefinition("a", Treue.Domain.Triggers.TriggerKind.Birthday, action) { DaysBefore = -1 },
            new Treue.Domain.Triggers.TriggerDefinition("a", Treue.Domain.Triggers.TriggerKind.WinBack, action),
            new Treue.Domain.Triggers.TriggerDefinition("a", Treue.Domain.Triggers.TriggerKind.NthPurchase, action),
            new Treue.Domain.Triggers.TriggerDefinition("a", Treue.Domain.Triggers.TriggerKind.FixedDate, action) { Month = 2, Day = 30 },
            new Treue.Domain.Triggers.TriggerDefinition("a", Treue.Domain.Triggers.TriggerKind.FixedDate, action) { Month = 2, Day = 1, Year = 1 },
            new Treue.Domain.Triggers.TriggerDefinition("a", Treue.Domain.Triggers.TriggerKind.Enrolment, new Treue.Domain.Triggers.AwardPoints(0)),
            new Treue.Domain.Triggers.TriggerDefinition("a", Treue.Domain.Triggers.TriggerKind.Enrolment, action)
                { Budget = new(Treue.Domain.Triggers.TriggerBudgetUnit.Firings, -1, Treue.Domain.Triggers.TriggerBudgetPeriod.Month) },
        }.Select(t => t.Problem()!.Message));
        var german = German();
        var missing = texts.Select(t => t.Replace(@"\\", @"\", StringComparison.Ordinal)).Distinct().Where(t => !german.ContainsKey(t)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "No German text for: " + string.Join(" | ", missing));
    }
}
