using Treue.Domain.Earning;

namespace Treue.Domain.Promotions;

/// <summary>A code as the store found it in this programme, loaded for a code presented at the till.</summary>
/// <param name="Code">The code, normalised (see <see cref="CouponCodes.Normalise"/>).</param>
/// <param name="CampaignId">Its campaign.</param>
/// <param name="MemberId">For a personal code: its member.</param>
/// <param name="Uses">How often it has been used so far.</param>
public sealed record CodeRecord(string Code, string CampaignId, Guid? MemberId, int Uses)
{
    /// <summary>
    /// For a personal code: it applies to its member's purchases without being presented, as a stamp card's free item at the
    /// next purchase does. The store loads the member's unused codes of this kind with the snapshot. When it does not apply,
    /// it is left for a later purchase, not refused.
    /// </summary>
    public bool ApplyWithoutPresenting { get; init; }
}

/// <summary>A campaign's use so far, loaded with the snapshot.</summary>
/// <param name="CampaignId">The campaign.</param>
/// <param name="MoneySpent">Discount given so far, in the programme currency.</param>
/// <param name="PointsSpent">Points given so far.</param>
/// <param name="MemberUses">How often the purchasing member has used it.</param>
public sealed record CampaignUsage(string CampaignId, decimal MoneySpent, long PointsSpent, int MemberUses);

/// <summary>
/// The promotion state a purchase is decided on, loaded in the same snapshot as the member: the codes presented as the store
/// found them, the campaigns' use so far, the member's memberships and stamp cards. Limits and budgets are checked against
/// these counts; the store makes them hold under concurrency by applying the decision's reservations with guarded updates.
/// </summary>
public sealed record PromotionSnapshot
{
    /// <summary>Nothing loaded: no codes found, nothing used yet, no memberships or stamp cards.</summary>
    public static readonly PromotionSnapshot Empty = new();

    /// <summary>The presented codes that exist in this programme. A code of another programme is never loaded.</summary>
    public IReadOnlyList<CodeRecord> Codes { get; init; } = [];

    /// <summary>The use of the campaigns so far; a campaign not listed has not been used.</summary>
    public IReadOnlyList<CampaignUsage> Usage { get; init; } = [];

    /// <summary>The member's tiers and clubs.</summary>
    public IReadOnlyList<string> Memberships { get; init; } = [];

    /// <summary>The member's stamp cards; a card not listed has no stamps yet.</summary>
    public IReadOnlyList<StampCardState> StampCards { get; init; } = [];
}

/// <summary>What pricing needs to know of a purchase.</summary>
/// <param name="Basket">The basket as the till sent it.</param>
/// <param name="OccurredAtUtc">When the purchase happened: campaigns' validity windows are checked at this instant.</param>
/// <param name="Codes">The codes presented.</param>
/// <param name="MemberId">The member, or null for a guest.</param>
/// <param name="IsFirstPurchase">Whether this is the member's first recorded purchase.</param>
public sealed record PricingRequest(Basket Basket, DateTime OccurredAtUtc, IReadOnlyList<string> Codes, Guid? MemberId, bool IsFirstPurchase);

/// <summary>The discount one step of pricing put on one line.</summary>
/// <param name="LineNo">The line.</param>
/// <param name="Before">The line's net amount before the step.</param>
/// <param name="Discount">The discount the step gave it.</param>
/// <param name="Units">The line's units the step took (offers on units).</param>
public sealed record LineDiscount(int LineNo, decimal Before, decimal Discount, int Units = 0);

/// <summary>One campaign applied, as the explanation shows it.</summary>
/// <param name="Step">The step's number, from 1, in the order the campaigns applied.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Name">Its name.</param>
/// <param name="Code">The code that brought it, or null for an automatic campaign.</param>
/// <param name="Offer">What it gives.</param>
/// <param name="Discount">The discount in all.</param>
/// <param name="Applications">How often it applied (bundles formed, buy-X-get-Y runs).</param>
/// <param name="Lines">The lines it discounted (only lines with a discount or units taken).</param>
/// <param name="Gifts">Articles handed over free that were not in the basket.</param>
public sealed record PricingStep(
    int Step, string CampaignId, string Name, string? Code, Offer Offer, decimal Discount, int Applications,
    IReadOnlyList<LineDiscount> Lines, IReadOnlyList<string> Gifts);

/// <summary>
/// What the store must reserve to write a decision that used a campaign, with guarded updates so concurrent purchases never
/// pass a limit: one use of the code (while its uses stay within <paramref name="CodeLimit"/>), one use by the member
/// (within <paramref name="MemberLimit"/>) and the budget amount (while money or points spent stay within
/// <paramref name="Budget"/>). A guard that fails makes the purchase load and decide again.
/// </summary>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Code">The code used, or null for an automatic campaign.</param>
/// <param name="MemberId">The member, when the use counts against a member limit.</param>
/// <param name="Money">The discount given, in the programme currency (counts against a money budget).</param>
/// <param name="Points">The points given (counts against a points budget).</param>
/// <param name="CodeLimit">The code's use limit, if any.</param>
/// <param name="MemberLimit">The member's use limit, if any.</param>
/// <param name="Budget">The campaign's budget, if any.</param>
public sealed record PromotionReservation(
    string CampaignId, string? Code, Guid? MemberId, decimal Money, long Points, int? CodeLimit, int? MemberLimit, CampaignBudget? Budget);

/// <summary>What pricing decided.</summary>
/// <param name="Basket">The basket with every line's discount added: what the earning stage and the till see.</param>
/// <param name="Steps">Every campaign applied, in order.</param>
/// <param name="Refused">The codes that do not apply, and why.</param>
/// <param name="Reservations">What the store must reserve, one per campaign applied.</param>
public sealed record PricingResult(Basket Basket, IReadOnlyList<PricingStep> Steps, IReadOnlyList<CodeRefusal> Refused, IReadOnlyList<PromotionReservation> Reservations)
{
    /// <summary>The discount of all steps.</summary>
    public decimal Discount => Steps.Sum(s => s.Discount);
}

/// <summary>The pricing stage: which campaigns apply to a basket, in which order, and what they take off which line.</summary>
public static class Pricing
{
    /// <summary>
    /// Prices a basket. Presented codes are looked up in the snapshot (only this programme's codes are ever there); automatic
    /// campaigns need no code. Each candidate is checked for its validity window (at the purchase time), the member it belongs
    /// to, its conditions and limits; then the candidates apply in the programme's order (by offer category, then priority,
    /// then id), each on the prices the earlier ones left, within the stacking groups' rules and the campaign's budget.
    /// An automatic campaign, or a personal code that applies without being presented, that does not apply is left out
    /// silently; a presented code that does not apply is refused with its reason.
    /// </summary>
    public static PricingResult Price(PricingRequest request, PromotionTerms terms, PromotionSnapshot snapshot, Currency currency)
    {
        var basket = request.Basket;
        var facts = new PurchaserFacts(request.IsFirstPurchase, snapshot.Memberships);
        var campaigns = terms.Campaigns.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var usage = snapshot.Usage.ToDictionary(u => u.CampaignId, StringComparer.Ordinal);
        var refused = new List<CodeRefusal>();
        var candidates = new List<(Campaign Campaign, CodeRecord? Code)>();

        foreach (var presented in request.Codes.Select(CouponCodes.Normalise).Distinct(StringComparer.Ordinal))
        {
            var record = snapshot.Codes.FirstOrDefault(c => string.Equals(CouponCodes.Normalise(c.Code), presented, StringComparison.Ordinal));
            if (record is null || !campaigns.TryGetValue(record.CampaignId, out var campaign) || campaign.Codes == CodeKind.Automatic)
            {
                refused.Add(new CodeRefusal(presented, CodeRefusalReason.Unknown, []));
                continue;
            }
            if (candidates.Any(c => c.Campaign.Id == campaign.Id))
            {
                refused.Add(new CodeRefusal(presented, CodeRefusalReason.NotCombinable, []));
                continue;
            }
            if (Check(campaign, record, request, facts, usage) is { } refusal) refused.Add(refusal with { Code = presented });
            else candidates.Add((campaign, record with { Code = presented }));
        }
        var unasked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in snapshot.Codes.Where(c => c.ApplyWithoutPresenting && c.MemberId is not null && c.MemberId == request.MemberId))
        {
            var code = CouponCodes.Normalise(record.Code);
            if (candidates.Any(c => c.Code?.Code == code) || refused.Any(r => r.Code == code)) continue;
            if (!campaigns.TryGetValue(record.CampaignId, out var campaign) || campaign.Codes != CodeKind.Personal) continue;
            if (candidates.Any(c => c.Campaign.Id == campaign.Id)) continue;
            if (Check(campaign, record, request, facts, usage) is not null) continue;
            candidates.Add((campaign, record with { Code = code }));
            unasked.Add(code);
        }
        foreach (var campaign in terms.Campaigns.Where(c => c.Codes == CodeKind.Automatic))
        {
            if (Check(campaign, null, request, facts, usage) is null) candidates.Add((campaign, null));
        }

        var ordered = candidates
            .OrderBy(c => terms.Rank(c.Campaign.Offer.Category))
            .ThenByDescending(c => c.Campaign.Priority)
            .ThenBy(c => c.Campaign.Id, StringComparer.Ordinal)
            .ToList();
        var groups = terms.Groups.ToDictionary(g => g.Name, StringComparer.Ordinal);
        var lines = new PricingLines(currency, basket.Lines);
        var steps = new List<PricingStep>();
        var reservations = new List<PromotionReservation>();
        var usedGroups = new HashSet<string>(StringComparer.Ordinal);
        var alone = false;

        foreach (var (campaign, code) in ordered)
        {
            var group = campaign.Group is { } name && groups.TryGetValue(name, out var g) ? g : null;
            var blocked = alone
                || (group is { OneOnly: true } && usedGroups.Contains(group.Name))
                || (group is { Alone: true } && steps.Count > 0);
            if (blocked)
            {
                if (code is not null && !unasked.Contains(code.Code)) refused.Add(new CodeRefusal(code.Code, CodeRefusalReason.NotCombinable, []));
                continue;
            }

            var evaluator = terms.Evaluators.For(campaign.Offer);
            var outcome = evaluator.Price(campaign.Offer, lines);
            if (outcome.Applications == 0)
            {
                if (code is not null && !unasked.Contains(code.Code)) refused.Add(new CodeRefusal(code.Code, CodeRefusalReason.ConditionsNotMet, ["offer"]));
                continue;
            }
            var discount = currency.FromMinor(outcome.Total);
            if (campaign.Limits.Budget is { Unit: BudgetUnit.Money } budget)
            {
                var spent = usage.TryGetValue(campaign.Id, out var u) ? u.MoneySpent : 0m;
                if (spent + discount > budget.Amount)
                {
                    if (code is not null && !unasked.Contains(code.Code)) refused.Add(new CodeRefusal(code.Code, CodeRefusalReason.BudgetExhausted, []));
                    continue;
                }
            }

            var explained = new List<LineDiscount>();
            for (var i = 0; i < lines.Count; i++)
            {
                if (outcome.Discounts[i] == 0 && outcome.UnitsUsed[i] == 0) continue;
                explained.Add(new LineDiscount(basket.Lines[i].LineNo, currency.FromMinor(lines.Net(i)), currency.FromMinor(outcome.Discounts[i]), outcome.UnitsUsed[i]));
            }
            lines.Apply(outcome);
            steps.Add(new PricingStep(steps.Count + 1, campaign.Id, campaign.Name, code?.Code, campaign.Offer, discount, outcome.Applications, explained, outcome.Gifts));
            reservations.Add(new PromotionReservation(campaign.Id, code?.Code, campaign.Limits.UsesPerMember is null ? null : request.MemberId,
                discount, 0, campaign.Limits.UsesPerCode, campaign.Limits.UsesPerMember, campaign.Limits.Budget));
            if (group is not null) usedGroups.Add(group.Name);
            if (group is { Alone: true }) alone = true;
        }

        var priced = basket with
        {
            Lines = basket.Lines.Select((l, i) => l with { Discount = l.Discount + currency.FromMinor(MinorUnits.NetMinor(currency, l.Net) - lines.Net(i)) }).ToList(),
        };
        return new PricingResult(priced, steps, refused, reservations);
    }

    /// <summary>Why a campaign does not apply to this purchase before its offer is tried, or null if it may.</summary>
    private static CodeRefusal? Check(Campaign campaign, CodeRecord? code, PricingRequest request, PurchaserFacts facts, Dictionary<string, CampaignUsage> usage)
    {
        var name = code?.Code ?? campaign.Id;
        if (campaign.Codes == CodeKind.Personal && (code?.MemberId is null || code.MemberId != request.MemberId))
            return new CodeRefusal(name, CodeRefusalReason.NotThisMembersCode, []);
        if (request.OccurredAtUtc < campaign.ValidFromUtc) return new CodeRefusal(name, CodeRefusalReason.NotYetValid, []);
        if (campaign.ValidToUtc is { } end && request.OccurredAtUtc >= end) return new CodeRefusal(name, CodeRefusalReason.Expired, []);
        if (code is not null && campaign.Limits.UsesPerCode is { } perCode && code.Uses >= perCode)
            return new CodeRefusal(name, CodeRefusalReason.CodeLimitReached, []);
        usage.TryGetValue(campaign.Id, out var used);
        if (campaign.Limits.UsesPerMember is { } perMember && (request.MemberId is null || (used?.MemberUses ?? 0) >= perMember))
            return new CodeRefusal(name, CodeRefusalReason.MemberLimitReached, []);
        if (campaign.Limits.Budget is { } budget && budget.Amount <= (budget.Unit == BudgetUnit.Money ? used?.MoneySpent ?? 0 : used?.PointsSpent ?? 0))
            return new CodeRefusal(name, CodeRefusalReason.BudgetExhausted, []);
        var unmet = ConditionCheck.Unmet(campaign.Conditions, request.Basket, facts);
        return unmet.Count > 0 ? new CodeRefusal(name, CodeRefusalReason.ConditionsNotMet, unmet) : null;
    }
}
