using System.Text.RegularExpressions;
using Treue.Server.Web.Shared;

namespace Treue.Server.Web.Admin;

/// <summary>
/// Where the field paths of the programme validation (<c>rules[3].effect.value</c>) are on the console's forms, so
/// that an error the API would answer is shown at the input it concerns.
/// </summary>
public static partial class ProgrammeFields
{
    private static readonly Dictionary<string, FormField> RuleFields = new(StringComparer.Ordinal)
    {
        ["code"] = new("rule-code", "Code"),
        ["name"] = new("rule-name", "Name shown to members"),
        ["priority"] = new("rule-priority", "Priority (higher first)"),
        ["effect"] = new("rule-effect-value", "Value"),
        ["effect.value"] = new("rule-effect-value", "Value"),
        ["conditions.partners"] = new("rule-partners", "Partners (codes, comma-separated)"),
        ["conditions.stores"] = new("rule-stores", "Stores (codes, comma-separated)"),
        ["conditions.categories"] = new("rule-categories", "Categories (comma-separated)"),
        ["conditions.skus"] = new("rule-skus", "SKUs (comma-separated)"),
        ["conditions.from"] = new("rule-from", "From"),
        ["conditions.to"] = new("rule-to", "To"),
        ["conditions.minBasket"] = new("rule-min-basket", "Minimum basket"),
    };

    private static readonly Dictionary<string, FormField> RewardFields = new(StringComparer.Ordinal)
    {
        ["code"] = new("reward-code", "Code"),
        ["name"] = new("reward-name", "Name"),
        ["description"] = new("reward-description", "Description"),
        ["imageUrl"] = new("reward-image", "Image URL"),
        ["points"] = new("reward-points", "Points"),
        ["coPayment"] = new("reward-copayment", "Co-payment"),
        ["stock"] = new("reward-stock", "Stock (empty: unlimited)"),
        ["validFrom"] = new("reward-from", "Valid from"),
        ["validTo"] = new("reward-to", "Valid to"),
    };

    private static readonly Dictionary<string, FormField> SettingsFields = new(StringComparer.Ordinal)
    {
        ["name"] = new("set-name", "Name"),
        ["pointValue"] = new("set-point-value", "Value of one point"),
        ["baseRate"] = new("set-base-rate", "Base rate (points per currency unit)"),
        ["pendingDays"] = new("set-pending", "Pending period (days)"),
        ["expiry.months"] = new("set-months", "Months"),
        ["expiry.years"] = new("set-years", "Years"),
        ["expiry.kind"] = new("set-expiry", "Expiry"),
    };

    [GeneratedRegex(@"^(rules|rewards)\[(\d+)\](?:\.(.+))?$")]
    private static partial Regex Indexed();

    /// <summary>The field of the rule at <paramref name="index"/> in the document that <paramref name="path"/> names, or null.</summary>
    public static FormField? Rule(string path, int index) => Part(path, "rules", index, RuleFields, new("rule-code", "Rule"));

    /// <summary>The field of the reward at <paramref name="index"/> in the document that <paramref name="path"/> names, or null.</summary>
    public static FormField? Reward(string path, int index) => Part(path, "rewards", index, RewardFields, new("reward-code", "Reward"));

    /// <summary>The settings field <paramref name="path"/> names, or null.</summary>
    public static FormField? Settings(string path) => SettingsFields.GetValueOrDefault(path);

    /// <summary>The label of a rule's field (for a path inside the rule list), as the rule editor names it; null for other paths.</summary>
    public static (int Index, string? Label)? RulePart(string path)
    {
        var m = Indexed().Match(path);
        if (!m.Success || m.Groups[1].Value != "rules") return null;
        var rest = m.Groups[3].Success ? m.Groups[3].Value : "";
        return (int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), RuleFields.GetValueOrDefault(rest)?.Label);
    }

    private static FormField? Part(string path, string list, int index, Dictionary<string, FormField> fields, FormField whole)
    {
        var m = Indexed().Match(path);
        if (!m.Success || m.Groups[1].Value != list || !int.TryParse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture, out var i) || i != index)
            return null;
        if (!m.Groups[3].Success) return whole;
        var rest = m.Groups[3].Value;
        // Paths below a mapped field (conditions.skus[3]) belong to it.
        return fields.GetValueOrDefault(rest) ?? fields.FirstOrDefault(f => rest.StartsWith(f.Key + "[", StringComparison.Ordinal)).Value;
    }

    /// <summary>The rule editor's field for the path <paramref name="name"/> within a rule (<c>code</c>, <c>conditions.from</c>).</summary>
    public static FormField RuleField(string name) => RuleFields[name];

    /// <summary>The reward editor's field for the path <paramref name="name"/> within a reward.</summary>
    public static FormField RewardField(string name) => RewardFields[name];

    /// <summary>The "rules" list error about duplicate codes concerns the code field of the edited rule.</summary>
    public static FormField? RuleList(string path) => path == "rules" ? RuleFields["code"] : null;

    /// <summary>The "rewards" list error about duplicate codes concerns the code field of the edited reward.</summary>
    public static FormField? RewardList(string path) => path == "rewards" ? RewardFields["code"] : null;
}
