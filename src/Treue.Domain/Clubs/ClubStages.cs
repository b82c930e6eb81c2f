using Treue.Domain.Earning;
using Treue.Domain.Purchases;

namespace Treue.Domain.Clubs;

/// <summary>Points a club's own earning rules add for its members.</summary>
/// <param name="Club">The club.</param>
/// <param name="Points">The points added.</param>
/// <param name="Contributions">Rule by rule, with the line each was given to.</param>
public sealed record ClubPoints(string Club, long Points, IReadOnlyList<Contribution> Contributions) : Benefit
{
    /// <inheritdoc />
    public override DecisionStage Stage => DecisionStage.Earning;
}

/// <summary>
/// The earning stage for clubs: the rules of each club the member belongs to (<see cref="MemberSnapshot.Clubs"/>) are
/// evaluated on the priced basket, as the programme's rules are, with the programme's base rate (so a multiplier rule
/// multiplies the base points) but without giving the base points again.
/// </summary>
public sealed class EarnClubRules : IBenefitEvaluator
{
    /// <inheritdoc />
    public DecisionStage Stage => DecisionStage.Earning;

    /// <inheritdoc />
    public Refusal? Evaluate(PurchaseContext context)
    {
        if (context.Terms.Members is not { } members || context.Input.Anonymous || context.Member is not { } member) return null;
        var programme = context.Terms.Scheme;
        foreach (var club in members.Clubs)
        {
            if (club.EarningRules.Count == 0 || !member.Clubs.Contains(club.Code, StringComparer.OrdinalIgnoreCase)) continue;
            var result = new EarningScheme(programme.BaseRate, programme.Rounding, club.EarningRules)
                .Evaluate(context.Basket, new EarningContext(member.IsFirstPurchase));
            var contributions = result.Lines
                .SelectMany(l => l.Contributions.Where(c => c.Rule != EarningScheme.BaseRuleCode).Select(c => c.OnLine(l.LineNo)))
                .Concat(result.Bonuses)
                .ToList();
            var points = contributions.Sum(c => c.Points);
            if (points != 0) context.Grant(new ClubPoints(club.Code, points, contributions));
        }
        return null;
    }
}
