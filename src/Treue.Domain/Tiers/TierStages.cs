using Treue.Domain.Clubs;
using Treue.Domain.Earning;
using Treue.Domain.Programmes;
using Treue.Domain.Purchases;

namespace Treue.Domain.Tiers;

/// <summary>The programme's tiers and clubs, as a purchase decision applies them.</summary>
/// <param name="Tiers">The tier scheme, or null when the programme has no tiers.</param>
/// <param name="Clubs">The programme's clubs.</param>
public sealed record MemberTerms(TierScheme? Tiers, IReadOnlyList<ClubDefinition> Clubs);

/// <summary>The member's tier as loaded with the member: their standing and their qualifying entries.</summary>
/// <param name="Standing">The standing before the purchase.</param>
/// <param name="Activity">The qualifying entries of (at least) the longest window the scheme counts.</param>
public sealed record TierSnapshot(TierStanding Standing, IReadOnlyList<QualifyingEntry> Activity);

/// <summary>Points a tier's earning multiplier adds to what the rules earned.</summary>
/// <param name="Tier">The level that applied.</param>
/// <param name="Multiplier">Its multiplier.</param>
/// <param name="Contribution">The points added, explained with <see cref="ReasonKeys.TierMultiplier"/>.</param>
public sealed record TierPoints(string Tier, decimal Multiplier, Contribution Contribution) : Benefit
{
    /// <inheritdoc />
    public override DecisionStage Stage => DecisionStage.Earning;

    /// <summary>The points added.</summary>
    public long Points => Contribution.Points;

    /// <summary>
    /// The earned points with these added to the lines, in proportion to each line's points (largest remainders first, so
    /// the parts add up exactly), each line explained with the multiplier. A return then takes back a returned line's share
    /// of them as it does the line's other points. Earnings whose lines have no points take them as a purchase bonus.
    /// </summary>
    public EarnedPoints AddTo(EarnedPoints earned)
    {
        var total = earned.Points;
        var linePoints = earned.Lines.Sum(l => Math.Max(l.Points, 0));
        if (Points == 0) return earned;
        if (linePoints <= 0 || total <= 0)
            return earned with { Points = earned.Points + Points, Bonuses = [.. earned.Bonuses, Contribution] };
        var shares = new long[earned.Lines.Count];
        var remainders = new decimal[earned.Lines.Count];
        long given = 0;
        for (var i = 0; i < shares.Length; i++)
        {
            var exact = (decimal)Points * Math.Max(earned.Lines[i].Points, 0) / linePoints;
            shares[i] = (long)decimal.Floor(exact);
            remainders[i] = exact - shares[i];
            given += shares[i];
        }
        foreach (var i in Enumerable.Range(0, shares.Length).OrderByDescending(i => remainders[i]).ThenBy(i => i))
        {
            if (given == Points) break;
            shares[i]++;
            given++;
        }
        var lines = earned.Lines.Select((l, i) => shares[i] == 0 ? l
            : l with { Points = l.Points + shares[i], Contributions = [.. l.Contributions, Contribution with { Points = shares[i] }] }).ToList();
        return earned with { Points = earned.Points + Points, Lines = lines };
    }
}

/// <summary>What a purchase adds to the member's qualifying measures (status points are kept apart from spendable points).</summary>
/// <param name="Entry">The entry to write.</param>
public sealed record StatusEarned(QualifyingEntry Entry) : Benefit
{
    /// <inheritdoc />
    public override DecisionStage Stage => DecisionStage.AfterPurchase;
}

/// <summary>A change of tier a purchase brought, written in the same transaction as the purchase.</summary>
/// <param name="Change">The new standing and its history entry.</param>
public sealed record TierChanged(TierChange Change) : Benefit
{
    /// <inheritdoc />
    public override DecisionStage Stage => DecisionStage.AfterPurchase;
}

/// <summary>
/// The earning stage for tiers: the level that applies on the purchase's day multiplies the points the rules earned; the
/// difference is added as its own contribution, so the explanation shows it, and the decision's earned points include it
/// (see <see cref="TierPoints.AddTo"/>). Runs after <see cref="EarnByRules"/>. The
/// level is the one held before the purchase: an upgrade the purchase brings applies from the next purchase.
/// </summary>
public sealed class EarnTierMultiplier : IBenefitEvaluator
{
    /// <inheritdoc />
    public DecisionStage Stage => DecisionStage.Earning;

    /// <inheritdoc />
    public Refusal? Evaluate(PurchaseContext context)
    {
        if (context.Terms.Members?.Tiers is not { } scheme || context.Member?.Tier is not { } tier) return null;
        if (context.Benefits.OfType<EarnedPoints>().SingleOrDefault() is not { } earned) return null;
        var level = scheme.Level(tier.Standing.EffectiveLevel(scheme.LocalDay(context.Input.OccurredAtUtc)));
        if (level.EarningMultiplier == 1m) return null;
        var exact = (level.EarningMultiplier - 1m) * earned.Points;
        var points = context.Terms.Scheme.Rounding switch
        {
            RoundingPolicy.Down => (long)decimal.Floor(exact),
            RoundingPolicy.Up => (long)decimal.Ceiling(exact),
            _ => (long)decimal.Round(exact, 0, MidpointRounding.AwayFromZero),
        };
        if (points == 0) return null;
        var reason = new Reason(ReasonKeys.TierMultiplier) { Subject = level.Name, Value = level.EarningMultiplier };
        context.Grant(new TierPoints(level.Code, level.EarningMultiplier, Contribution.Of("tier:" + level.Code, reason, points)));
        return null;
    }
}

/// <summary>
/// The after-purchase stage for tiers: the purchase's qualifying entry (status points are the points the rules earned,
/// spend the total after pricing, one purchase) and the upgrade or requalification it brings, at once.
/// </summary>
public sealed class QualifyForTier : IBenefitEvaluator
{
    /// <inheritdoc />
    public DecisionStage Stage => DecisionStage.AfterPurchase;

    /// <inheritdoc />
    public Refusal? Evaluate(PurchaseContext context)
    {
        if (context.Terms.Members?.Tiers is not { } scheme || context.Input.Anonymous || context.Member?.Tier is not { } tier) return null;
        var earned = context.Benefits.OfType<EarnedPoints>().SingleOrDefault()?.Points ?? 0;
        var reference = context.Input.Reference ?? context.Input.OccurredAtUtc.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var entry = new QualifyingEntry(reference, context.Input.OccurredAtUtc, earned, context.Basket.Total, 1);
        context.Grant(new StatusEarned(entry));
        if (TierRules.AfterPurchase(scheme, tier.Standing, tier.Activity.Append(entry), reference, context.Input.OccurredAtUtc) is { } change)
            context.Grant(new TierChanged(change));
        return null;
    }
}
