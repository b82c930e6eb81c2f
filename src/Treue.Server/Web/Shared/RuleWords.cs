using System.Globalization;
using Treue.Domain.Earning;
using Treue.Domain.Programmes;
using Treue.Server.Features.Programmes;

namespace Treue.Server.Web.Shared;

/// <summary>
/// Earning rules and the rounding policy in words of the reader's language ("2× points on Saturdays at City Market"),
/// built from the rule's parts so that a support agent sees when a rule holds without opening its editor. Partners and
/// stores are named, not given by code; a code that no longer exists is shown as it is.
/// </summary>
public sealed class RuleWords(Loc l, string currency, IReadOnlyDictionary<string, string> partners, IReadOnlyDictionary<string, string> stores)
{
    private readonly Loc L = l;

    /// <summary>Words for the rules of a programme document (its partners and stores give the names).</summary>
    public static RuleWords For(Loc l, ProgrammeDocument doc) => new(l, doc.Currency,
        doc.Partners.GroupBy(p => p.Code).ToDictionary(g => g.Key, g => g.First().Name),
        doc.Partners.SelectMany(p => p.Stores ?? []).GroupBy(s => s.Code).ToDictionary(g => g.Key, g => g.First().Name));

    /// <summary>Words for the rules of a compiled programme.</summary>
    public static RuleWords For(Loc l, CompiledProgramme programme) => new(l, programme.Currency.Code,
        programme.Partners.ToDictionary(p => p.Key, p => p.Value.Name), programme.Stores.ToDictionary(s => s.Key, s => s.Value.Name));

    /// <summary>The whole rule: what it gives, then when it holds.</summary>
    public string Describe(EarningRule rule)
    {
        var conditions = Conditions(rule.Conditions);
        return conditions.Length == 0 ? Effect(rule.Effect) : Effect(rule.Effect) + " " + conditions;
    }

    /// <summary>What a rule gives ("2× points", "500 bonus points", "3 points per EUR").</summary>
    public string Effect(RuleEffect effect) => effect.Kind switch
    {
        EffectKind.Multiplier => L.Format("{0}× points", Number(effect.Value)),
        EffectKind.FixedBonus => L.Format("{0} bonus points", Number(effect.Value)),
        EffectKind.PointsPerCurrencyUnit => L.Format("{0} points per {1}", Number(effect.Value), currency),
        _ => effect.Kind.ToString(),
    };

    /// <summary>When a rule holds, as phrases joined by spaces; empty for a rule that always holds.</summary>
    public string Conditions(RuleConditions c)
    {
        var parts = new List<string>();
        if (c.Categories.Count > 0) parts.Add(L.Format("on items in {0}", Either(c.Categories)));
        if (c.Skus.Count > 0) parts.Add(L.Format("on the items {0}", Either(c.Skus)));
        if (c.FirstPurchaseOnly) parts.Add(L["on the first purchase"]);
        if (c.Weekdays.Count > 0) parts.Add(Either(c.Weekdays.OrderBy(d => ((int)d + 6) % 7).Select(Weekday)));
        if (c.Partners.Count > 0) parts.Add(L.Format("at {0}", Either(c.Partners.Select(p => partners.GetValueOrDefault(p, p)))));
        if (c.Stores.Count > 0) parts.Add(L.Format("in the store {0}", Either(c.Stores.Select(s => stores.GetValueOrDefault(s, s)))));
        if (c.Channels.Count > 0) parts.Add(Either(c.Channels.Select(Channel)));
        if (c.MinBasket is { } min) parts.Add(L.Format("for purchases of at least {0}", Loc.Money(min, currency)));
        if (c.From is { } from && c.To is { } to) parts.Add(L.Format("from {0} to {1}", Day(from), Day(to)));
        else if (c.From is { } start) parts.Add(L.Format("from {0}", Day(start)));
        else if (c.To is { } end) parts.Add(L.Format("until {0}", Day(end)));
        return string.Join(" ", parts);
    }

    /// <summary>How fractions of a point are treated ("rounded down").</summary>
    public string Rounding(RoundingPolicy rounding) => rounding switch
    {
        RoundingPolicy.Down => L["fractions of a point are dropped"],
        RoundingPolicy.Nearest => L["rounded to the nearest point"],
        RoundingPolicy.Up => L["fractions of a point count as a whole point"],
        _ => rounding.ToString(),
    };

    private string Weekday(DayOfWeek day) => day switch
    {
        DayOfWeek.Monday => L["on Mondays"],
        DayOfWeek.Tuesday => L["on Tuesdays"],
        DayOfWeek.Wednesday => L["on Wednesdays"],
        DayOfWeek.Thursday => L["on Thursdays"],
        DayOfWeek.Friday => L["on Fridays"],
        DayOfWeek.Saturday => L["on Saturdays"],
        _ => L["on Sundays"],
    };

    private string Channel(Channel channel) => channel switch
    {
        Domain.Earning.Channel.Store => L["in stores"],
        Domain.Earning.Channel.Online => L["online"],
        _ => L["in the app"],
    };

    /// <summary>"A", "A or B", "A, B or C".</summary>
    private string Either(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count <= 1 ? string.Concat(list) : string.Join(", ", list.Take(list.Count - 1)) + " " + L["or"] + " " + list[^1];
    }

    private static string Number(decimal value) => value.ToString("0.##", CultureInfo.CurrentCulture);

    private static string Day(DateOnly day) => day.ToString("d", CultureInfo.CurrentCulture);
}
