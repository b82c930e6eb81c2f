using System.Globalization;
using System.Text.RegularExpressions;
using Treue.Domain.Earning;

namespace Treue.Server.Web.Shared;

/// <summary>
/// The explanation of a ledger entry or a quote as people read it, in their language: one line per rule ("Base rate:
/// +120"). It is put into words from the contributions' <see cref="Reason"/>; names and reasons a person wrote (of a
/// rule, a reward, a partner, an adjustment) are shown as they were written. A contribution stored before reasons
/// existed has only its English name, which is shown as it is (translated when it is one of the fixed texts).
/// </summary>
public static partial class Explanations
{
    /// <summary>Adds up the contributions that read the same (a rule over the lines of a receipt), in the order they first appear.</summary>
    public static IReadOnlyList<(string Name, long Points)> ByRule(Loc l, IEnumerable<Contribution> contributions) =>
        contributions.GroupBy(c => (c.Rule, Name: Words(l, c))).Select(g => (g.Key.Name, g.Sum(c => c.Points))).ToList();

    /// <summary>The whole explanation on one line: "Base rate: +120; Double points: +120".</summary>
    public static string Text(Loc l, IEnumerable<Contribution> contributions) =>
        string.Join("; ", ByRule(l, contributions).Select(x => $"{x.Name}: {Loc.SignedPoints(x.Points)}"));

    /// <summary>What one contribution is, in the reader's words, without the receipt line it was given to.</summary>
    public static string Words(Loc l, Contribution c)
    {
        if (c.Reason is not { } r) return Legacy(l, c);
        return r.Key switch
        {
            ReasonKeys.BaseRate => l["Base rate"],
            ReasonKeys.Rule => r.Subject ?? Legacy(l, c),
            ReasonKeys.ReturnWindowPassed => l["Return window passed"],
            ReasonKeys.Expired when r.Date is { } day => l.Format("Points earned on {0} expired", day.ToString("d", CultureInfo.CurrentCulture)),
            ReasonKeys.PaidAtCheckout when r.Value is { } money && r.Unit is not null =>
                l.Format("Paid {0} with points at {1}", Loc.Money(money, r.Unit), r.Subject ?? ""),
            ReasonKeys.Returned when r.Value is { } quantity && r.Line is { } line =>
                l.Format("Returned {0} × line {1}", quantity.ToString("0.###", CultureInfo.CurrentCulture), line),
            ReasonKeys.BonusTakenBack => l["Purchase bonus taken back (whole purchase returned)"],
            ReasonKeys.PaymentRefunded => l["Points paid with come back"],
            ReasonKeys.Redeemed => r.Subject ?? Legacy(l, c),
            ReasonKeys.OrderCancelled => l.Format("Reward order cancelled: {0}", r.Subject ?? ""),
            ReasonKeys.Adjusted => r.Subject ?? Legacy(l, c),
            ReasonKeys.StampCardFull when r.Value is { } card =>
                l.Format("{0}: card {1} full", r.Subject ?? "", card.ToString("0", CultureInfo.CurrentCulture)),
            ReasonKeys.StampCardTakenBack when r.Value is { } card =>
                l.Format("{0}: card {1} taken back", r.Subject ?? "", card.ToString("0", CultureInfo.CurrentCulture)),
            ReasonKeys.TierMultiplier when r.Value is { } factor =>
                l.Format("{0} tier: {1}× points", r.Subject ?? "", factor.ToString("0.##", CultureInfo.CurrentCulture)),
            ReasonKeys.ReferralReward => l["Referral reward"],
            ReasonKeys.ReferralCancelled => l["Referral reward taken back (qualifying purchase returned)"],
            _ => Legacy(l, c),
        };
    }

    // The fixed English texts of older rows are the translations' keys; a rule's own name is never looked up, so a rule
    // named like a word of the console keeps its name.
    private static string Legacy(Loc l, Contribution c)
    {
        var name = LineSuffix().Replace(c.Name, "");
        return c.Rule is EarningScheme.BaseRuleCode or "pending" or "return" ? l[name] : name;
    }

    [GeneratedRegex(@" \(line \d+\)$")]
    private static partial Regex LineSuffix();
}
