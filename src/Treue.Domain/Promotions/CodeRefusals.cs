namespace Treue.Domain.Promotions;

/// <summary>Why a code presented at the till does not apply.</summary>
public enum CodeRefusalReason
{
    /// <summary>No such code in this programme. Said the same way whether or not the code exists elsewhere.</summary>
    Unknown,
    /// <summary>The campaign has not started yet.</summary>
    NotYetValid,
    /// <summary>The campaign has ended.</summary>
    Expired,
    /// <summary>The code has been used as often as it may be.</summary>
    CodeLimitReached,
    /// <summary>The member has used the campaign as often as they may.</summary>
    MemberLimitReached,
    /// <summary>The campaign's budget would be exceeded.</summary>
    BudgetExhausted,
    /// <summary>The purchase does not meet the campaign's conditions (named in <see cref="CodeRefusal.Unmet"/>).</summary>
    ConditionsNotMet,
    /// <summary>A personal code presented for someone other than its member, or without a member.</summary>
    NotThisMembersCode,
    /// <summary>The campaign does not combine with a campaign already applied.</summary>
    NotCombinable,
}

/// <summary>A code that does not apply, and why.</summary>
/// <param name="Code">The code as presented (normalised).</param>
/// <param name="Reason">Why it does not apply.</param>
/// <param name="Unmet">For <see cref="CodeRefusalReason.ConditionsNotMet"/>: the conditions that do not hold
/// (see <see cref="ConditionCheck.Unmet(CampaignConditions, Earning.Basket, PurchaserFacts)"/>; <c>offer</c> when the basket
/// holds nothing the offer applies to).</param>
public sealed record CodeRefusal(string Code, CodeRefusalReason Reason, IReadOnlyList<string> Unmet)
{
    /// <summary>The stable machine-readable code of the reason, for problem details.</summary>
    public string ReasonCode => Reason switch
    {
        CodeRefusalReason.Unknown => "coupon_unknown",
        CodeRefusalReason.NotYetValid => "coupon_not_yet_valid",
        CodeRefusalReason.Expired => "coupon_expired",
        CodeRefusalReason.CodeLimitReached => "coupon_limit_reached",
        CodeRefusalReason.MemberLimitReached => "coupon_member_limit_reached",
        CodeRefusalReason.BudgetExhausted => "coupon_budget_exhausted",
        CodeRefusalReason.ConditionsNotMet => "coupon_conditions_not_met",
        CodeRefusalReason.NotThisMembersCode => "coupon_not_for_member",
        CodeRefusalReason.NotCombinable => "coupon_not_combinable",
        _ => "coupon_refused",
    };

    /// <summary>The refusal of a purchase that presented this code, naming the code's field.</summary>
    /// <param name="field">The request field of the code, for example <c>codes[1]</c>.</param>
    public Refusal ToRefusal(string field) => new(ReasonCode, Reason switch
    {
        CodeRefusalReason.Unknown => $"The code {Code} is not valid.",
        CodeRefusalReason.NotYetValid => $"The code {Code} is not valid yet.",
        CodeRefusalReason.Expired => $"The code {Code} has expired.",
        CodeRefusalReason.CodeLimitReached => $"The code {Code} has been used as often as it may be.",
        CodeRefusalReason.MemberLimitReached => $"The member has used the code {Code} as often as they may.",
        CodeRefusalReason.BudgetExhausted => $"The campaign of the code {Code} has no budget left.",
        CodeRefusalReason.ConditionsNotMet => $"The purchase does not meet the conditions of the code {Code}: {string.Join(", ", Unmet)}.",
        CodeRefusalReason.NotThisMembersCode => $"The code {Code} belongs to another member.",
        CodeRefusalReason.NotCombinable => $"The code {Code} does not combine with the promotions already applied.",
        _ => $"The code {Code} is refused.",
    }, field);
}
