using Treue.Domain.Programmes;

namespace Treue.Domain.Earning;

/// <summary>
/// A programme's earning rules, compiled once: sorted by priority and with their lookups prepared,
/// so that quoting a basket touches no storage and allocates little.
/// </summary>
public sealed class EarningScheme
{
    /// <summary>The rule code under which base-rate points are explained.</summary>
    public const string BaseRuleCode = "base";

    private readonly CompiledRule[] _rules;

    /// <summary>Compiles a scheme.</summary>
    /// <param name="baseRate">Points per currency unit that every line earns.</param>
    /// <param name="rounding">How each contribution is rounded to whole points.</param>
    /// <param name="rules">The programme's earning rules, in any order.</param>
    public EarningScheme(decimal baseRate, RoundingPolicy rounding, IEnumerable<EarningRule> rules)
    {
        BaseRate = baseRate;
        Rounding = rounding;
        _rules = rules
            .OrderByDescending(r => r.Priority)
            .ThenBy(r => r.Code, StringComparer.Ordinal)
            .Select(r => new CompiledRule(r))
            .ToArray();
    }

    /// <summary>Points per currency unit on every line.</summary>
    public decimal BaseRate { get; }

    /// <summary>How contributions are rounded.</summary>
    public RoundingPolicy Rounding { get; }

    /// <summary>
    /// Computes what a basket earns. The base rate applies to every line; then rules are applied from the
    /// highest priority down. A rule applies when all its purchase conditions hold and, if it selects lines,
    /// at least one line matches. An exclusive rule that applies ends the evaluation. Every contribution is
    /// rounded on its own by the scheme's rounding policy, so the explanation adds up exactly.
    /// </summary>
    public EarningResult Evaluate(Basket basket, EarningContext context)
    {
        var total = basket.Total;
        var lineCount = basket.Lines.Count;
        var exactBase = new decimal[lineCount];
        var contributions = new List<Contribution>[lineCount];
        for (var i = 0; i < lineCount; i++)
        {
            var line = basket.Lines[i];
            exactBase[i] = BaseRate * line.Net;
            contributions[i] = [];
            var basePoints = Round(exactBase[i]);
            if (basePoints != 0)
                contributions[i].Add(Contribution.Of(BaseRuleCode, new Reason(ReasonKeys.BaseRate), basePoints));
        }

        var bonuses = new List<Contribution>();
        var applied = new List<string>();
        foreach (var rule in _rules)
        {
            if (!rule.AppliesToPurchase(basket, total, context)) continue;
            var fired = false;
            var gave = false;
            for (var i = 0; i < lineCount; i++)
            {
                var line = basket.Lines[i];
                if (!rule.MatchesLine(line)) continue;
                fired = true;
                var exact = rule.Rule.Effect.Kind switch
                {
                    EffectKind.PointsPerCurrencyUnit => rule.Rule.Effect.Value * line.Net,
                    EffectKind.Multiplier => (rule.Rule.Effect.Value - 1m) * exactBase[i],
                    _ => 0m,
                };
                var points = Round(exact);
                if (points != 0)
                {
                    contributions[i].Add(Contribution.Of(rule.Rule.Code, rule.Reason, points));
                    gave = true;
                }
            }
            if (fired && rule.Rule.Effect.Kind == EffectKind.FixedBonus)
            {
                var points = Round(rule.Rule.Effect.Value);
                if (points != 0)
                {
                    bonuses.Add(Contribution.Of(rule.Rule.Code, rule.Reason, points));
                    gave = true;
                }
            }
            if (gave) applied.Add(rule.Rule.Code);
            if (fired && rule.Rule.Stacking == Stacking.Exclusive) break;
        }

        var lines = new LineEarning[lineCount];
        long sum = 0;
        for (var i = 0; i < lineCount; i++)
        {
            var linePoints = contributions[i].Sum(c => c.Points);
            lines[i] = new LineEarning(basket.Lines[i].LineNo, linePoints, contributions[i]);
            sum += linePoints;
        }
        sum += bonuses.Sum(b => b.Points);
        return new EarningResult(sum, lines, bonuses) { RulesApplied = applied };
    }

    private long Round(decimal exact) => Rounding switch
    {
        RoundingPolicy.Down => (long)decimal.Floor(exact),
        RoundingPolicy.Up => (long)decimal.Ceiling(exact),
        _ => (long)decimal.Round(exact, 0, MidpointRounding.AwayFromZero),
    };

    private sealed class CompiledRule(EarningRule rule)
    {
        private readonly HashSet<string> _partners = new(rule.Conditions.Partners, StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _stores = new(rule.Conditions.Stores, StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _skus = new(rule.Conditions.Skus, StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _categories = new(rule.Conditions.Categories, StringComparer.OrdinalIgnoreCase);

        public EarningRule Rule { get; } = rule;

        /// <summary>How the rule's contributions are explained: its name, and what it gives.</summary>
        public Reason Reason { get; } = new(ReasonKeys.Rule) { Subject = rule.Name, Effect = rule.Effect.Kind, Value = rule.Effect.Value };

        public bool AppliesToPurchase(Basket basket, decimal total, EarningContext context)
        {
            var c = Rule.Conditions;
            if (_partners.Count > 0 && !_partners.Contains(basket.Partner)) return false;
            if (_stores.Count > 0 && (basket.Store is null || !_stores.Contains(basket.Store))) return false;
            if (c.Channels.Count > 0 && !c.Channels.Contains(basket.Channel)) return false;
            var day = DateOnly.FromDateTime(basket.LocalTime);
            if (c.From is { } from && day < from) return false;
            if (c.To is { } to && day > to) return false;
            if (c.Weekdays.Count > 0 && !c.Weekdays.Contains(basket.LocalTime.DayOfWeek)) return false;
            if (c.MinBasket is { } min && total < min) return false;
            if (c.FirstPurchaseOnly && !context.IsFirstPurchase) return false;
            return true;
        }

        public bool MatchesLine(BasketLine line)
        {
            if (_skus.Count == 0 && _categories.Count == 0) return true;
            return _skus.Contains(line.Sku) || (line.Category is not null && _categories.Contains(line.Category));
        }
    }
}
