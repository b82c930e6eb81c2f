using CsCheck;
using Xunit;
using Treue.Domain.Tiers;
using static Treue.Domain.Tests.Tiers.TierFixtures;

namespace Treue.Domain.Tests.Tiers;

public sealed class TierPropertyTests
{
    private static TierScheme Levels(int count, int maxDown, bool calendar, int grace) =>
        new("Europe/Berlin", QualifyingMeasure.StatusPoints, calendar ? QualificationPeriod.CalendarYear : QualificationPeriod.RollingWindow,
            Enumerable.Range(0, count).Select(i => new TierLevel("l" + i, "Level " + i, i * 1000)).ToList())
        { MaxLevelsDown = maxDown, GraceDays = grace, WindowDays = 365 };

    // Purchases of 0 to 2,500 status points on days of 2024 to 2028.
    private static readonly Gen<QualifyingEntry[]> Activity =
        Gen.Select(Gen.Int[0, 5 * 365], Gen.Int[0, 2500]).Array[0, 12]
            .Select(es => es.Select((e, i) => Entry("r" + i, Utc(2024, 1, 1).AddDays(e.Item1), e.Item2)).ToArray());

    [Fact]
    public void A_review_never_falls_more_than_the_configured_levels_nor_below_the_level_reached()
    {
        var gen = Gen.Select(Gen.Int[2, 6], Gen.Int[1, 3], Gen.Bool, Gen.Int[0, 60], Gen.Int[0, 5], Activity, Gen.Int[0, 4 * 365]);
        Check.Sample(gen, t =>
        {
            var (count, maxDown, calendar, grace, startLevel, activity, todayOffset) = t;
            var scheme = Levels(count, maxDown, calendar, grace);
            var level = Math.Min(startLevel, count - 1);
            var standing = new TierStanding("l" + level, new DateOnly(2024, 1, 1), calendar ? new DateOnly(2024, 12, 31) : new DateOnly(2024, 12, 31));
            var today = new DateOnly(2024, 6, 1).AddDays(todayOffset);
            var previous = level;
            foreach (var change in TierRules.Review(scheme, standing, activity, today, Utc(2024, 6, 1)))
            {
                var now = scheme.IndexOf(change.Standing.Level);
                Assert.True(now <= previous && previous - now <= maxDown, $"fell from {previous} to {now}");
                Assert.True(today > change.Standing.Since.AddDays(-1));
                previous = now;
            }
        });
    }

    [Fact]
    public void An_upgrade_reaches_exactly_the_highest_level_whose_threshold_the_measure_reaches()
    {
        Check.Sample(Gen.Select(Gen.Int[2, 6], Activity, Gen.Bool), t =>
        {
            var (count, activity, calendar) = t;
            if (activity.Length == 0) return;
            var scheme = Levels(count, 1, calendar, 0);
            var last = activity[^1];
            var change = TierRules.AfterPurchase(scheme, new TierStanding("l0", new DateOnly(2020, 1, 1), new DateOnly(2020, 12, 31)), activity, last.Reference, last.OccurredAtUtc);
            var (from, to) = scheme.WindowEnding(scheme.LocalDay(last.OccurredAtUtc));
            var expected = Math.Min((int)(scheme.Measured(activity, from, to) / 1000), count - 1);
            Assert.Equal(expected, change is null ? 0 : scheme.IndexOf(change.Standing.Level));
        });
    }
}
