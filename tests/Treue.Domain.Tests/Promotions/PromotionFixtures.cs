using Treue.Domain.Earning;
using Treue.Domain.Promotions;

namespace Treue.Domain.Tests.Promotions;

/// <summary>Small builders so each promotion test shows only the facts that matter to it.</summary>
internal static class PromotionFixtures
{
    public static readonly Currency Eur = Currency.Find("EUR")!;
    public static readonly Currency Jpy = Currency.Find("JPY")!;

    /// <summary>A purchase instant inside every test campaign's window; 2026-03-04 was a Wednesday.</summary>
    public static readonly DateTime At = new(2026, 3, 4, 14, 30, 0, DateTimeKind.Utc);

    public static readonly Guid Anna = Guid.Parse("0196a4b2-0000-7000-8000-0000000000a1");
    public static readonly Guid Ben = Guid.Parse("0196a4b2-0000-7000-8000-0000000000b2");

    public static BasketLine Line(int lineNo, string sku, decimal unitPrice, decimal quantity = 1m, string? category = null) =>
        new(lineNo, sku, category, quantity, unitPrice, 0m);

    public static Basket Basket(params BasketLine[] lines) =>
        new("acme", "berlin-1", Channel.Store, new DateTime(2026, 3, 4, 15, 30, 0), lines);

    public static Campaign Auto(string id, Offer offer, int priority = 0) =>
        new(id, "Campaign " + id, At.AddDays(-30), At.AddDays(30), offer, CodeKind.Automatic) { Priority = priority };

    public static Campaign WithCode(string id, Offer offer, CodeKind kind = CodeKind.Generic) =>
        new(id, "Campaign " + id, At.AddDays(-30), At.AddDays(30), offer, kind);

    public static PromotionTerms Terms(params Campaign[] campaigns) => new() { Campaigns = campaigns };

    public static PricingResult Price(Basket basket, PromotionTerms terms, Currency? currency = null, PromotionSnapshot? snapshot = null,
        Guid? member = null, params string[] codes) =>
        Pricing.Price(new PricingRequest(basket, At, codes, member, false), terms, snapshot ?? PromotionSnapshot.Empty, currency ?? Eur);

    /// <summary>The discount each line got, by line number.</summary>
    public static decimal[] Discounts(PricingResult result) => result.Basket.Lines.Select(l => l.Discount).ToArray();
}
