namespace Treue.Analytics;

/// <summary>
/// One purchase as the analyses see it: a customer, the day it happened in the programme's
/// time zone, and what it was worth after returns, in minor currency units.
/// </summary>
/// <remarks>
/// Customers are dense indexes (0..n-1) so that per-customer state fits in flat arrays; the
/// caller keeps the mapping to member ids. Analyses read purchases as a stream and require
/// only that each customer's purchases arrive in chronological order, which both an
/// <c>ORDER BY occurred_at</c> and an <c>ORDER BY member, occurred_at</c> read satisfy.
/// </remarks>
/// <param name="Customer">Dense customer index, 0 or greater.</param>
/// <param name="Day">Day of the purchase in the programme's time zone.</param>
/// <param name="AmountMinor">Net amount in minor units (cents); may be 0 after a full return.</param>
public readonly record struct PurchaseEvent(int Customer, DateOnly Day, long AmountMinor);
