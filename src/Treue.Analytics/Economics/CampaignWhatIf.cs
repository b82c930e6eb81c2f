using Treue.Domain;
using Treue.Domain.Promotions;

namespace Treue.Analytics.Economics;

/// <summary>One month of a campaign's replay.</summary>
/// <param name="Month">First day of the month (programme time).</param>
/// <param name="Redemptions">Purchases it would have applied to.</param>
/// <param name="Discount">The discount it would have given, in the programme currency.</param>
public sealed record CampaignWhatIfMonth(DateOnly Month, long Redemptions, decimal Discount);

/// <summary>
/// What a campaign would have given on a period's recorded purchases, had every purchase that meets its conditions used it.
/// </summary>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Name">Its name.</param>
/// <param name="Purchases">Purchases replayed.</param>
/// <param name="Redemptions">Purchases it would have applied to.</param>
/// <param name="Members">Distinct members among them.</param>
/// <param name="Discount">The discount in all, in the programme currency: the campaign's money cost.</param>
/// <param name="BonusPoints">Bonus points it would have given (bonus-points offers only).</param>
/// <param name="Revenue">The replayed purchases' revenue before the campaign's discount.</param>
/// <param name="BudgetExhausted">True when its budget ran out during the period, so later purchases got nothing.</param>
/// <param name="Months">Per month, oldest first.</param>
public sealed record CampaignWhatIfResult(
    string CampaignId, string Name, long Purchases, long Redemptions, long Members, decimal Discount, long BonusPoints, decimal Revenue, bool BudgetExhausted,
    IReadOnlyList<CampaignWhatIfMonth> Months)
{
    /// <summary>The discount as a share of the revenue, or null without revenue.</summary>
    public double? DiscountShareOfRevenue => Revenue > 0 ? (double)(Discount / Revenue) : null;
}

/// <summary>
/// Replays recorded purchases through the pricing stage with one campaign, as if every customer had presented its code: the
/// upper bound of what it costs. Its limits hold as they would at the till (uses per member, uses of a generic code, budget),
/// counted through the replay. Read-only by construction: it sees baskets, never storage.
/// </summary>
public static class CampaignWhatIf
{
    /// <summary>Replays the purchases with the campaign.</summary>
    /// <param name="purchases">The period's member purchases, in time order.</param>
    /// <param name="campaign">The campaign, existing or a draft; its code kind and validity window are ignored (every basket of
    /// the period is offered it).</param>
    /// <param name="currency">The programme currency, for rounding.</param>
    public static CampaignWhatIfResult Simulate(IEnumerable<ReplayedPurchase> purchases, Campaign campaign, Currency currency)
    {
        ArgumentNullException.ThrowIfNull(purchases);
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(currency);
        // The replayed period stands for the campaign's window: a draft meant to start next month is tried on last quarter.
        var asAutomatic = campaign with { Codes = CodeKind.Automatic, Group = null, ValidFromUtc = DateTime.MinValue, ValidToUtc = null };
        var terms = new PromotionTerms { Campaigns = [asAutomatic] };
        long count = 0, redemptions = 0, points = 0, uses = 0;
        decimal discount = 0, revenue = 0;
        var exhausted = false;
        var memberUses = new Dictionary<int, int>();
        var months = new SortedDictionary<DateOnly, (long N, decimal Discount)>();
        foreach (var p in purchases)
        {
            count++;
            revenue += p.Basket.Total;
            var at = p.OccurredAtUtc ?? DateTime.SpecifyKind(p.Basket.LocalTime, DateTimeKind.Utc);
            // A generic code's uses count for everyone; the replay stops giving once they are used up, as the till would.
            if (campaign.Codes == CodeKind.Generic && campaign.Limits.UsesPerCode is { } perCode && uses >= perCode) continue;
            var snapshot = new PromotionSnapshot
            {
                Usage = [new CampaignUsage(campaign.Id, discount, points, memberUses.GetValueOrDefault(p.Customer))],
            };
            // Pricing knows members by id; the replay's members are dense indexes, which are unique just as well.
            var member = new Guid(p.Customer + 1, 0, 0, new byte[8]);
            var priced = Pricing.Price(new PricingRequest(p.Basket, at, [], member, p.IsFirstPurchase), terms, snapshot, currency);
            var step = priced.Steps.FirstOrDefault(s => s.CampaignId == campaign.Id);
            if (step is null)
            {
                if (campaign.Limits.Budget is { Unit: BudgetUnit.Money } budget && discount >= budget.Amount) exhausted = true;
                continue;
            }
            var bonus = step.Offer is BonusPoints b ? Math.Max(b.Points, 0) : 0;
            if (campaign.Limits.Budget is { Unit: BudgetUnit.Points } pointsBudget && points + bonus > pointsBudget.Amount)
            {
                exhausted = true;
                continue;
            }
            redemptions++;
            uses++;
            discount += step.Discount;
            points += bonus;
            memberUses[p.Customer] = memberUses.GetValueOrDefault(p.Customer) + 1;
            var month = new DateOnly(p.Basket.LocalTime.Year, p.Basket.LocalTime.Month, 1);
            var m = months.GetValueOrDefault(month);
            months[month] = (m.N + 1, m.Discount + step.Discount);
        }
        return new CampaignWhatIfResult(campaign.Id, campaign.Name, count, redemptions, memberUses.Count, discount, points, revenue, exhausted,
            months.Select(kv => new CampaignWhatIfMonth(kv.Key, kv.Value.N, kv.Value.Discount)).ToList());
    }
}
