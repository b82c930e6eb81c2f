using Treue.Domain.Earning;
using Treue.Domain.Programmes;
using Treue.Domain.Purchases;
using Treue.Domain.Tiers;

namespace Treue.Domain.Tests.Tiers;

/// <summary>A three-level scheme in Berlin and small builders for tier tests.</summary>
internal static class TierFixtures
{
    public static readonly Guid MemberId = Guid.Parse("0196a4b2-0000-7000-8000-000000000001");

    public static TierScheme Scheme(QualificationPeriod period = QualificationPeriod.CalendarYear, QualifyingMeasure measure = QualifyingMeasure.StatusPoints,
        int graceDays = 0, int maxDown = 1, bool returnUndoes = true) =>
        new("Europe/Berlin", measure, period,
        [
            new TierLevel("classic", "Classic", 0),
            new TierLevel("silver", "Silver", 1000) { EarningMultiplier = 1.25m, ServiceFlags = ["free_express_delivery"] },
            new TierLevel("gold", "Gold", 3000) { EarningMultiplier = 1.5m, ServiceFlags = ["free_express_delivery", "personal_advisor"] },
        ])
        { GraceDays = graceDays, MaxLevelsDown = maxDown, ReturnUndoesUpgrade = returnUndoes };

    public static DateTime Utc(int year, int month, int day, int hour = 12, int minute = 0) => new(year, month, day, hour, minute, 0, DateTimeKind.Utc);

    public static QualifyingEntry Entry(string reference, DateTime atUtc, long statusPoints, decimal spend = 0, int purchases = 1) =>
        new(reference, atUtc, statusPoints, spend, purchases);

    public static TierStanding Standing(string level, DateOnly since, DateOnly heldUntil) => new(level, since, heldUntil);

    public static PurchaseTerms Terms(TierScheme scheme) =>
        new PurchaseTerms(Currency.Find("EUR")!, new EarningScheme(1m, RoundingPolicy.Down, []), 14, ExpiryPolicy.Never,
            new PayWithPointsPolicy(MinPoints: 100, MaxShareOfBasket: 0.5m), 0.01m).WithMembers(new MemberTerms(scheme, []));

    public static Basket Basket(decimal total) =>
        new("acme", "berlin-1", Channel.Store, new DateTime(2026, 3, 4, 15, 30, 0), [new BasketLine(1, "sku-1", null, 1m, total, 0m)]);
}
