using Treue.Analytics.Loyalty;
using Xunit;

namespace Treue.Analytics.Tests.Loyalty;

public sealed class ReferralMeasuresTests
{
    private static readonly DateOnly March = new(2026, 3, 1);

    [Fact]
    public void The_referral_rate_counts_referred_members_among_new_members_by_month_of_enrolment()
    {
        Enrolment[] enrolments =
        [
            new(March, Referred: true, Converted: true),
            new(March.AddDays(10), Referred: true, Converted: false),
            new(March.AddDays(20), Referred: false, Converted: false),
            new(March.AddDays(30), Referred: false, Converted: false),
            // Not referred, so a conversion does not count.
            new(March.AddDays(35), Referred: false, Converted: true),
            // After the day of the report: not counted.
            new(March.AddDays(90), Referred: true, Converted: true),
        ];

        var figures = ReferralMeasures.Compute(enrolments, March.AddDays(60));

        Assert.Equal((5L, 2L, 1L), (figures.NewMembers, figures.Referred, figures.Converted));
        Assert.Equal(0.4, figures.ReferralRate);
        Assert.Equal(0.5, figures.ConversionRate);
        Assert.Equal([March, new DateOnly(2026, 4, 1)], figures.Months.Select(m => m.Month));
        Assert.Equal(0.5, figures.Months[0].ReferralRate);
        Assert.Equal(0.0, figures.Months[1].ReferralRate);
    }

    [Fact]
    public void Without_members_there_is_no_rate()
    {
        var figures = ReferralMeasures.Compute([], March);
        Assert.Null(figures.ReferralRate);
        Assert.Null(figures.ConversionRate);
        Assert.Empty(figures.Months);
    }
}
