using System.Text.Json;
using System.Text.Json.Serialization;
using Xunit;
using Treue.Domain.Promotions;
using static Treue.Domain.Tests.Promotions.PromotionFixtures;

namespace Treue.Domain.Tests.Promotions;

/// <summary>The example configurations in docs/promotions.md are read as the programme reads them, and mean what the page says.</summary>
public sealed class PromotionDocsTests
{
    private static readonly JsonSerializerOptions Options = DocExamples.Options;

    private static List<string> Examples() => DocExamples.Of("promotions.md");

    [Fact]
    public void Every_example_on_the_page_reads_without_unknown_fields()
    {
        var examples = Examples();
        Assert.True(examples.Count >= 8, $"only {examples.Count} examples found");
        foreach (var json in examples)
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            object? read = root.TryGetProperty("stampsPerCard", out _) ? JsonSerializer.Deserialize<StampCardDefinition>(json, Options)
                : root.TryGetProperty("kind", out _) ? JsonSerializer.Deserialize<Offer>(json, Options)
                : root.TryGetProperty("order", out _) ? JsonSerializer.Deserialize<PromotionTerms>(json, Options)
                // A what-if request: the campaign it replays is read as a campaign.
                : root.TryGetProperty("campaign", out var draft) ? JsonSerializer.Deserialize<Campaign>(draft.GetRawText(), Options)
                : JsonSerializer.Deserialize<Campaign>(json, Options);
            Assert.NotNull(read);
        }
    }

    [Fact]
    public void The_documented_menu_forms_two_menus_for_four_euros_off()
    {
        var menu = JsonSerializer.Deserialize<Campaign>(Examples().Single(j => j.Contains("\"id\": \"menu\"", StringComparison.Ordinal)), Options)!;
        var basket = Basket(Line(1, "burger", 6.50m, 3), Line(2, "fries", 2.90m, 2), Line(3, "cola", 2.50m), Line(4, "water", 2.50m));

        var result = Pricing.Price(new PricingRequest(basket, menu.ValidFromUtc.AddDays(1), [], null, false), Terms(menu), PromotionSnapshot.Empty, Eur);

        Assert.Equal(4.00m, result.Discount);
        Assert.Equal(2, result.Steps.Single().Applications);
    }

    [Fact]
    public void The_documented_coupon_and_coffee_card_read_as_described()
    {
        var examples = Examples();
        var summer = JsonSerializer.Deserialize<Campaign>(examples.Single(j => j.Contains("\"summer-10\"", StringComparison.Ordinal)), Options)!;
        var coffee = examples.Where(j => j.Contains("stampsPerCard", StringComparison.Ordinal)).Select(j => JsonSerializer.Deserialize<StampCardDefinition>(j, Options)!).Single();

        Assert.Equal(new PercentOffBasket(10, 20.00m), summer.Offer);
        Assert.Equal(30.00m, summer.Conditions.Purchase.MinBasket);
        Assert.Equal(new CampaignBudget(BudgetUnit.Money, 5000), summer.Limits.Budget);
        Assert.True(summer.ReleaseCodeOnReturn);
        Assert.Equal(StampRewardKind.FreeItemNextPurchase, coffee.Reward.Kind);
        Assert.Equal(10, coffee.StampsPerCard);
        Assert.Equal(365, coffee.StampValidDays);
    }
}
