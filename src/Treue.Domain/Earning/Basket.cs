namespace Treue.Domain.Earning;

/// <summary>One line of a receipt.</summary>
/// <param name="LineNo">The line's number on the receipt, from 1.</param>
/// <param name="Sku">The article's stock-keeping unit.</param>
/// <param name="Category">The article's category, if known.</param>
/// <param name="Quantity">Units bought (may be fractional for goods sold by weight).</param>
/// <param name="UnitPrice">Price of one unit in the programme currency.</param>
/// <param name="Discount">Discount on the whole line.</param>
public sealed record BasketLine(int LineNo, string Sku, string? Category, decimal Quantity, decimal UnitPrice, decimal Discount)
{
    /// <summary>What the line costs after its discount.</summary>
    public decimal Net => Quantity * UnitPrice - Discount;
}

/// <summary>A purchase as the earning rules see it.</summary>
/// <param name="Partner">Code of the partner (merchant) selling.</param>
/// <param name="Store">Code of the store, if any.</param>
/// <param name="Channel">Where the purchase happened.</param>
/// <param name="LocalTime">When it happened, in the programme's local time (weekday and date conditions use it).</param>
/// <param name="Lines">The receipt lines.</param>
public sealed record Basket(string Partner, string? Store, Channel Channel, DateTime LocalTime, IReadOnlyList<BasketLine> Lines)
{
    /// <summary>The receipt total: the sum of the lines' net amounts.</summary>
    public decimal Total => Lines.Sum(l => l.Net);
}

/// <summary>Facts about the member that rules can depend on.</summary>
/// <param name="IsFirstPurchase">True when the member has no earlier purchase in the programme.</param>
public sealed record EarningContext(bool IsFirstPurchase);

/// <summary>Points given by one rule (or the base rate) to one line or to the whole purchase.</summary>
/// <param name="Rule">The rule's code, or <c>"base"</c> for the programme's base rate.</param>
/// <param name="Name">The explanation in English (a rule's name, "Base rate"), as the API has always given it.</param>
/// <param name="Points">The points given.</param>
public sealed record Contribution(string Rule, string Name, long Points)
{
    /// <summary>
    /// The explanation in parts, for readers in other languages; null for a contribution known only by its English
    /// <see cref="Name"/> (as older rows are).
    /// </summary>
    public Reason? Reason { get; init; }

    /// <summary>A contribution explained by <paramref name="reason"/>, with the English words of the reason as its name.</summary>
    public static Contribution Of(string rule, Reason reason, long points) => new(rule, reason.English(), points) { Reason = reason };

    /// <summary>The same contribution, named with the receipt line it was given to ("Base rate (line 2)").</summary>
    public Contribution OnLine(int lineNo) =>
        this with { Name = $"{Name} (line {lineNo})", Reason = Reason is null ? null : Reason with { Line = lineNo } };
}

/// <summary>The points one receipt line earns, rule by rule.</summary>
/// <param name="LineNo">The line's number.</param>
/// <param name="Points">The sum of <paramref name="Contributions"/>.</param>
/// <param name="Contributions">What each rule gave to this line.</param>
public sealed record LineEarning(int LineNo, long Points, IReadOnlyList<Contribution> Contributions);

/// <summary>What a purchase earns, explained per rule and per line.</summary>
/// <param name="Points">All points earned: the lines' points plus the purchase bonuses.</param>
/// <param name="Lines">Points attributed to each line.</param>
/// <param name="Bonuses">Points given to the purchase as a whole (fixed bonuses).</param>
public sealed record EarningResult(long Points, IReadOnlyList<LineEarning> Lines, IReadOnlyList<Contribution> Bonuses)
{
    /// <summary>The codes of the rules that gave points, in the order they were applied.</summary>
    public IReadOnlyList<string> RulesApplied { get; init; } = [];
}
