using Treue.Domain.Earning;

namespace Treue.Domain.Promotions;

/// <summary>Selects receipt lines by SKU or category; an empty selector selects every line.</summary>
public sealed record LineSelector
{
    /// <summary>SKUs of the selected lines.</summary>
    public IReadOnlyList<string> Skus { get; init; } = [];
    /// <summary>Categories of the selected lines.</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Every line.</summary>
    public static readonly LineSelector All = new();

    /// <summary>The lines of the given SKUs.</summary>
    public static LineSelector OfSkus(params string[] skus) => new() { Skus = skus };

    /// <summary>The lines of the given categories.</summary>
    public static LineSelector OfCategories(params string[] categories) => new() { Categories = categories };

    /// <summary>True when the line is selected.</summary>
    public bool Matches(BasketLine line) =>
        (Skus.Count == 0 && Categories.Count == 0)
        || Skus.Contains(line.Sku, StringComparer.OrdinalIgnoreCase)
        || (line.Category is not null && Categories.Contains(line.Category, StringComparer.OrdinalIgnoreCase));
}

/// <summary>
/// When a campaign applies: the conditions of an earning rule (partner, store, channel, dates, weekdays, minimum basket,
/// first purchase; SKUs and categories mean the basket must hold such a line), a time-of-day window and the member's
/// memberships (tiers and clubs) the campaign is reserved for.
/// </summary>
public sealed record CampaignConditions
{
    /// <summary>The purchase conditions, read as for an earning rule.</summary>
    public RuleConditions Purchase { get; init; } = new();

    /// <summary>Earliest time of day (programme local time) at which the campaign applies.</summary>
    public TimeOnly? FromTime { get; init; }

    /// <summary>Time of day (programme local time, exclusive) from which the campaign no longer applies. Earlier than
    /// <see cref="FromTime"/> means a window across midnight (22:00 to 02:00).</summary>
    public TimeOnly? ToTime { get; init; }

    /// <summary>Tiers or clubs of which the member must hold at least one; empty means every member and guest.</summary>
    public IReadOnlyList<string> Memberships { get; init; } = [];
}

/// <summary>What a condition check knows of the purchaser.</summary>
/// <param name="IsFirstPurchase">Whether this is the member's first recorded purchase.</param>
/// <param name="Memberships">The member's tiers and clubs (codes).</param>
public sealed record PurchaserFacts(bool IsFirstPurchase, IReadOnlyCollection<string> Memberships)
{
    /// <summary>A returning purchaser without memberships.</summary>
    public static readonly PurchaserFacts Returning = new(false, []);
}

/// <summary>Checks conditions and names those that do not hold.</summary>
public static class ConditionCheck
{
    /// <summary>The names of the conditions the purchase does not meet (empty when all hold), in a stable order:
    /// <c>partner</c>, <c>store</c>, <c>channel</c>, <c>date</c>, <c>weekday</c>, <c>time_of_day</c>, <c>min_basket</c>,
    /// <c>articles</c>, <c>first_purchase</c>, <c>membership</c>.</summary>
    public static IReadOnlyList<string> Unmet(CampaignConditions conditions, Basket basket, PurchaserFacts facts)
    {
        var unmet = Unmet(conditions.Purchase, basket, facts).ToList();
        if (!InWindow(TimeOnly.FromDateTime(basket.LocalTime), conditions.FromTime, conditions.ToTime))
            unmet.Insert(CountBeforeTimeOfDay(unmet), "time_of_day");
        if (conditions.Memberships.Count > 0 && !conditions.Memberships.Any(m => facts.Memberships.Contains(m, StringComparer.OrdinalIgnoreCase)))
            unmet.Add("membership");
        return unmet;
    }

    /// <summary>The names of the rule conditions the purchase does not meet; SKUs and categories require a matching line.</summary>
    public static IReadOnlyList<string> Unmet(RuleConditions c, Basket basket, PurchaserFacts facts)
    {
        var unmet = new List<string>();
        if (c.Partners.Count > 0 && !c.Partners.Contains(basket.Partner, StringComparer.OrdinalIgnoreCase)) unmet.Add("partner");
        if (c.Stores.Count > 0 && (basket.Store is null || !c.Stores.Contains(basket.Store, StringComparer.OrdinalIgnoreCase))) unmet.Add("store");
        if (c.Channels.Count > 0 && !c.Channels.Contains(basket.Channel)) unmet.Add("channel");
        var day = DateOnly.FromDateTime(basket.LocalTime);
        if ((c.From is { } from && day < from) || (c.To is { } to && day > to)) unmet.Add("date");
        if (c.Weekdays.Count > 0 && !c.Weekdays.Contains(basket.LocalTime.DayOfWeek)) unmet.Add("weekday");
        if (c.MinBasket is { } min && basket.Total < min) unmet.Add("min_basket");
        if (c.HasLineFilter)
        {
            var selector = new LineSelector { Skus = c.Skus, Categories = c.Categories };
            if (!basket.Lines.Any(l => l.Quantity > 0 && selector.Matches(l))) unmet.Add("articles");
        }
        if (c.FirstPurchaseOnly && !facts.IsFirstPurchase) unmet.Add("first_purchase");
        return unmet;
    }

    private static readonly string[] BeforeTimeOfDay = ["partner", "store", "channel", "date", "weekday"];

    private static int CountBeforeTimeOfDay(List<string> unmet) => unmet.Count(BeforeTimeOfDay.Contains);

    private static bool InWindow(TimeOnly time, TimeOnly? from, TimeOnly? to)
    {
        if (from is null && to is null) return true;
        var start = from ?? TimeOnly.MinValue;
        if (to is not { } end) return time >= start;
        return start <= end ? time >= start && time < end : time >= start || time < end;
    }
}
