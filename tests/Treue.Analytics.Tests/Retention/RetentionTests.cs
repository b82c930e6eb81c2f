using System.Globalization;
using Treue.Analytics.Retention;
using Treue.Analytics.Segments;
using Xunit;

namespace Treue.Analytics.Tests.Retention;

public class RetentionTests
{
    private static DateOnly Day(int month, int day) => new(2024, month, day);

    private static readonly PurchaseEvent[] Sample =
    [
        new(0, Day(1, 5), 100),
        new(0, Day(1, 20), 100),
        new(0, Day(2, 1), 100),
        new(0, Day(4, 1), 100),
        new(1, Day(1, 31), 100),
        new(1, Day(3, 1), 100),
        new(2, Day(2, 10), 100),
        new(2, Day(2, 10), 100),
        new(2, Day(3, 10), 100),
    ];

    [Fact]
    public void Cohorts_by_first_purchase_count_active_customers_per_month_since()
    {
        var matrix = Cohorts.ByFirstPurchase(Sample, 4);

        Assert.Equal(2, matrix.Rows.Count);
        var january = matrix.Rows[0];
        Assert.Equal(Day(1, 1), january.CohortMonth);
        Assert.Equal(2, january.Size);
        Assert.Equal([2, 1, 1, 1], january.Active);
        Assert.Equal(0.5, january.Share(1));
        var february = matrix.Rows[1];
        Assert.Equal([1, 1, 0], february.Active);
        Assert.Equal(1, february.Share(0));
        Assert.Equal(0, february.Share(2));
    }

    [Fact]
    public void Cohorts_by_enrolment_count_members_who_never_bought_and_ignore_earlier_purchases()
    {
        DateOnly?[] enrolment = [Day(2, 1), Day(1, 15), null, Day(1, 2)];

        var matrix = Cohorts.ByEnrolment(Sample, enrolment);

        Assert.Equal(2, matrix.Rows.Count);
        Assert.Equal(2, matrix.Rows[0].Size);
        // Customer 1 bought in January and March; customer 3 never bought.
        Assert.Equal([1, 0, 1, 0], matrix.Rows[0].Active);
        // Customer 0 enrolled in February: January purchases are before enrolment.
        Assert.Equal([1, 0, 1], matrix.Rows[1].Active);
    }

    [Fact]
    public void Monthly_activity_counts_new_retained_and_churn()
    {
        var series = Activity.ByMonth(Sample, 4);

        Assert.Equal(
            [
                new MonthlyActivity(Day(1, 1), 2, 2, 0, 0),
                new MonthlyActivity(Day(2, 1), 2, 1, 1, 0.5),
                new MonthlyActivity(Day(3, 1), 2, 0, 1, 0.5),
                new MonthlyActivity(Day(4, 1), 1, 0, 0, 1),
            ],
            series);
    }

    [Fact]
    public void Churn_counts_previous_period_customers_who_did_not_come_back()
    {
        var churn = Activity.Churn(Sample, 4, Day(1, 1), Day(2, 1), Day(3, 1));

        // January: customers 0 and 1; February: 0 and 2 (2 is new and does not count).
        Assert.Equal(new ChurnResult(2, 1, 1, 0.5), churn);
    }

    [Fact]
    public void Repurchase_rate_counts_second_purchases_and_within_a_window()
    {
        var totals = CustomerTotalsAggregator.Aggregate(Sample, 4);

        var stats = Repurchase.Rate(totals, withinDays: 20);

        Assert.Equal(3, stats.Customers);
        Assert.Equal(3, stats.Repeaters);
        Assert.Equal(1, stats.Rate);
        // Customer 0 after 15 days, customer 2 on the same day; customer 1 after 30 days.
        Assert.Equal(2, stats.RepeatersWithin);
        Assert.Equal(2.0 / 3, stats.RateWithin, 12);
    }

    [Fact]
    public void Repurchase_within_a_window_leaves_out_customers_who_had_no_full_window()
    {
        var totals = CustomerTotalsAggregator.Aggregate(Sample, 4);

        var stats = Repurchase.Rate(totals, withinDays: 20, asOf: Day(2, 20));

        // Customer 2 started on 10 Feb, less than 20 days before the as-of day.
        Assert.Equal(2, stats.EligibleWithin);
        Assert.Equal(1, stats.RepeatersWithin);
    }

    [Fact]
    public void Inter_purchase_times_merge_same_day_purchases_and_give_median_mean_and_histogram()
    {
        var times = Repurchase.InterPurchase(Sample, 4);

        // Gaps: customer 0: 15, 12, 60; customer 1: 30; customer 2: 29 (same-day purchase merged).
        Assert.Equal(5, times.Gaps);
        Assert.Equal((15 + 12 + 60 + 30 + 29) / 5.0, times.MeanDays, 12);
        Assert.Equal(29, times.MedianDays);
        Assert.Equal([0, 1, 3, 1, 0, 0, 0, 0], times.Histogram.Select(b => b.Count));
        Assert.Null(times.Histogram[^1].ToDays);
    }

    [Fact]
    public void Median_of_an_even_number_of_gaps_is_the_mean_of_the_middle_two()
    {
        PurchaseEvent[] events = [new(0, Day(1, 1), 1), new(0, Day(1, 3), 1), new(1, Day(1, 1), 1), new(1, Day(1, 6), 1)];

        Assert.Equal(3.5, Repurchase.InterPurchase(events, 2).MedianDays);
    }

    [Fact]
    public void CDNOW_cohorts_are_the_three_first_quarter_months_and_repeat_rate_matches_a_direct_count()
    {
        var events = File.ReadLines(SharedData.File("cdnow", "CDNOW_master.txt")).Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => new PurchaseEvent(
                int.Parse(f[0], CultureInfo.InvariantCulture) - 1,
                DateOnly.ParseExact(f[1], "yyyyMMdd", CultureInfo.InvariantCulture),
                (long)Math.Round(decimal.Parse(f[3], CultureInfo.InvariantCulture) * 100)))
            .ToArray();

        var matrix = Cohorts.ByFirstPurchase(events, 23_570);
        var totals = CustomerTotalsAggregator.Aggregate(events, 23_570);
        var stats = Repurchase.Rate(totals, 365);

        Assert.Equal([new DateOnly(1997, 1, 1), new DateOnly(1997, 2, 1), new DateOnly(1997, 3, 1)], matrix.Rows.Select(r => r.CohortMonth));
        Assert.Equal(23_570, matrix.Rows.Sum(r => r.Size));
        Assert.All(matrix.Rows, r => Assert.Equal(1, r.Share(0)));
        Assert.Equal(18, matrix.Rows[0].Active.Length);
        Assert.Equal(events.GroupBy(e => e.Customer).Count(g => g.Count() >= 2), stats.Repeaters);
        Assert.Equal(23_570, stats.Customers);
    }
}
