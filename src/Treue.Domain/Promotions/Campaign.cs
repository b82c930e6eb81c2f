namespace Treue.Domain.Promotions;

/// <summary>How a campaign's codes come about.</summary>
public enum CodeKind
{
    /// <summary>No code: the campaign applies to every purchase that meets its conditions (a bundle price on the shelf).</summary>
    Automatic,
    /// <summary>One code for everyone (<c>SUMMER10</c>).</summary>
    Generic,
    /// <summary>A batch of unique codes generated from a pattern, each usable on its own (printed or sent by e-mail).</summary>
    UniqueBatch,
    /// <summary>Codes bound to one member each.</summary>
    Personal,
}

/// <summary>What a campaign's budget is counted in.</summary>
public enum BudgetUnit
{
    /// <summary>The discount given, in the programme currency.</summary>
    Money,
    /// <summary>The points given.</summary>
    Points,
}

/// <summary>A campaign's total budget.</summary>
/// <param name="Unit">Money or points.</param>
/// <param name="Amount">The budget: an amount in the programme currency, or points.</param>
public sealed record CampaignBudget(BudgetUnit Unit, decimal Amount);

/// <summary>How often and how much a campaign may give. Null means no limit.</summary>
public sealed record CampaignLimits
{
    /// <summary>Uses of one code (a generic code in all; each unique or personal code on its own).</summary>
    public int? UsesPerCode { get; init; }
    /// <summary>Uses of the campaign by one member.</summary>
    public int? UsesPerMember { get; init; }
    /// <summary>The campaign's total budget.</summary>
    public CampaignBudget? Budget { get; init; }
}

/// <summary>A campaign: a benefit with its conditions, validity, limits and place in the stacking order.</summary>
/// <param name="Id">Stable identifier, unique in the programme.</param>
/// <param name="Name">The name members and staff read ("Summer: 10 % off").</param>
/// <param name="ValidFromUtc">When it starts (UTC, inclusive).</param>
/// <param name="ValidToUtc">When it ends (UTC, exclusive), or null if open-ended.</param>
/// <param name="Offer">What it gives.</param>
/// <param name="Codes">How its codes come about.</param>
public sealed record Campaign(string Id, string Name, DateTime ValidFromUtc, DateTime? ValidToUtc, Offer Offer, CodeKind Codes = CodeKind.Generic)
{
    /// <summary>When it applies.</summary>
    public CampaignConditions Conditions { get; init; } = new();

    /// <summary>How often and how much it may give.</summary>
    public CampaignLimits Limits { get; init; } = new();

    /// <summary>The stacking group it belongs to (see <see cref="StackingGroup"/>); null puts it in no group.</summary>
    public string? Group { get; init; }

    /// <summary>Among campaigns of the same offer category, higher priorities apply first.</summary>
    public int Priority { get; init; }

    /// <summary>Whether a code used on a purchase becomes usable again when the whole purchase is returned.</summary>
    public bool ReleaseCodeOnReturn { get; init; }
}

/// <summary>How the campaigns of a group combine with each other and with the rest.</summary>
/// <param name="Name">The group's name, as campaigns refer to it.</param>
/// <param name="OneOnly">At most one campaign of the group applies to a purchase: the first in the pricing order.</param>
/// <param name="Alone">A campaign of the group applies only when no other campaign has applied before it, and once it
/// has applied, no campaign of another group applies after it.</param>
public sealed record StackingGroup(string Name, bool OneOnly = true, bool Alone = false);

/// <summary>
/// How a programme's campaigns stack: the order in which offer categories apply and the groups that say which campaigns
/// combine. Set by the programme; <see cref="Default"/> until it is.
/// </summary>
/// <param name="Order">Offer categories in the order they apply; categories not listed apply after them, in their natural order.</param>
/// <param name="Groups">The stacking groups campaigns refer to.</param>
public sealed record PromotionStacking(IReadOnlyList<OfferCategory> Order, IReadOnlyList<StackingGroup> Groups)
{
    /// <summary>The most stacking groups a programme may have.</summary>
    public const int MaxGroups = 50;

    /// <summary>Bundles, buy X get Y, free items, line discounts, basket discounts, points; no groups.</summary>
    public static PromotionStacking Default { get; } = new(new PromotionTerms().Order, []);

    /// <summary>
    /// What is wrong with these settings, as (field, message) pairs naming the JSON field: an order that names a category
    /// twice or one that does not exist, a group without a name or with one taken, too many groups.
    /// </summary>
    public IReadOnlyList<(string Field, string Message)> Problems()
    {
        var problems = new List<(string, string)>();
        if (Order is null) problems.Add(("order", "is required"));
        else
        {
            for (var i = 0; i < Order.Count; i++)
            {
                if (!Enum.IsDefined(Order[i])) problems.Add(($"order[{i}]", "is not an offer category"));
                else if (Order.Take(i).Contains(Order[i])) problems.Add(($"order[{i}]", "names a category already in the order"));
            }
        }
        if (Groups is null) return problems;
        if (Groups.Count > MaxGroups) problems.Add(("groups", $"at most {MaxGroups} groups are allowed"));
        for (var i = 0; i < Groups.Count && i < MaxGroups; i++)
        {
            var name = Groups[i]?.Name;
            if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || name.Any(char.IsControl))
                problems.Add(($"groups[{i}].name", "is required, at most 64 characters"));
            else if (Groups.Take(i).Any(g => g?.Name == name)) problems.Add(($"groups[{i}].name", "names a group already listed"));
        }
        return problems;
    }
}

/// <summary>The programme's promotion terms, compiled with its configuration version.</summary>
public sealed record PromotionTerms
{
    /// <summary>The programme's campaigns.</summary>
    public IReadOnlyList<Campaign> Campaigns { get; init; } = [];

    /// <summary>The order in which offer categories apply; each sees the prices the earlier ones left. Categories not listed
    /// apply after the listed ones, in their natural order.</summary>
    public IReadOnlyList<OfferCategory> Order { get; init; } =
        [OfferCategory.Bundles, OfferCategory.MultiBuy, OfferCategory.FreeItems, OfferCategory.LineDiscounts, OfferCategory.BasketDiscounts, OfferCategory.Points];

    /// <summary>The stacking groups; a campaign in a group not listed here combines freely.</summary>
    public IReadOnlyList<StackingGroup> Groups { get; init; } = [];

    /// <summary>The programme's stamp cards.</summary>
    public IReadOnlyList<StampCardDefinition> StampCards { get; init; } = [];

    /// <summary>The evaluators of the offer kinds.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public OfferEvaluators Evaluators { get; init; } = OfferEvaluators.Default;

    /// <summary>The position of a category in the pricing order.</summary>
    public int Rank(OfferCategory category)
    {
        var index = Order.ToList().IndexOf(category);
        return index >= 0 ? index : Order.Count + (int)category;
    }
}
