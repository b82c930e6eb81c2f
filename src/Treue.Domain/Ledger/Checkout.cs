using Treue.Domain.Programmes;

namespace Treue.Domain.Ledger;

/// <summary>Paying part of a purchase with points.</summary>
public static class Checkout
{
    /// <summary>
    /// Decides whether <paramref name="points"/> may pay for part of a basket, and what money they are worth.
    /// The money value is rounded down to the currency's minor unit, so a programme never pays out more than
    /// the points are worth.
    /// </summary>
    /// <returns>The discount in money, or a refusal naming <c>pointsPayment.points</c>.</returns>
    public static (decimal Discount, Refusal? Refusal) PayWithPoints(
        PayWithPointsPolicy policy, decimal pointValue, Currency currency, decimal basketTotal, long points)
    {
        const string field = "pointsPayment.points";
        if (points <= 0)
            return (0, new Refusal("invalid_points", "Points to pay with must be positive.", field));
        if (points < policy.MinPoints)
            return (0, new Refusal("below_minimum_points", $"At least {policy.MinPoints} points must be used.", field));
        if (policy.MaxPoints is { } max && points > max)
            return (0, new Refusal("above_maximum_points", $"At most {max} points can be used.", field));
        var scale = (decimal)Math.Pow(10, currency.MinorDigits);
        var discount = decimal.Floor(points * pointValue * scale) / scale;
        if (discount <= 0)
            return (0, new Refusal("points_worth_nothing", "These points are worth less than the currency's smallest unit.", field));
        if (discount > basketTotal * policy.MaxShareOfBasket)
            return (0, new Refusal("above_maximum_share", $"Points may pay at most {policy.MaxShareOfBasket:P0} of the basket.", field));
        return (discount, null);
    }
}
