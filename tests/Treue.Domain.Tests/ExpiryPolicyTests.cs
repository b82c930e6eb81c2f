using Treue.Domain.Programmes;
using Xunit;

namespace Treue.Domain.Tests;

public sealed class ExpiryPolicyTests
{
    private static DateTime Utc(int y, int m, int d, int h = 0, int min = 0, int s = 0) => new(y, m, d, h, min, s, DateTimeKind.Utc);

    [Fact]
    public void Points_expire_36_months_after_they_were_earned()
    {
        var policy = new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: 36);
        var expires = policy.ExpiresAt(Utc(2026, 3, 5, 10, 15, 30));
        Assert.Equal(Utc(2029, 3, 5, 10, 15, 30), expires);
        Assert.Equal(DateTimeKind.Utc, expires!.Value.Kind);
    }

    [Fact]
    public void Months_after_earning_clamp_to_the_end_of_a_shorter_month()
    {
        Assert.Equal(Utc(2026, 2, 28, 12), new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: 1).ExpiresAt(Utc(2026, 1, 31, 12)));
        Assert.Equal(Utc(2027, 2, 28), new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: 36).ExpiresAt(Utc(2024, 2, 29)));
        Assert.Equal(Utc(2028, 2, 29), new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: 48).ExpiresAt(Utc(2024, 2, 29)));
    }

    [Fact]
    public void Months_after_earning_cross_year_ends()
    {
        Assert.Equal(Utc(2027, 2, 15), new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: 3).ExpiresAt(Utc(2026, 11, 15)));
    }

    [Fact]
    public void Two_years_means_the_end_of_the_year_after_next()
    {
        var policy = new ExpiryPolicy(ExpiryKind.EndOfYearAfter, Years: 2);
        var expires = policy.ExpiresAt(Utc(2026, 3, 5, 14, 30));
        Assert.Equal(Utc(2029, 1, 1), expires);
        Assert.Equal(DateTimeKind.Utc, expires!.Value.Kind);
    }

    [Fact]
    public void End_of_year_expiry_is_the_same_for_every_day_of_the_earning_year()
    {
        var policy = new ExpiryPolicy(ExpiryKind.EndOfYearAfter, Years: 2);
        Assert.Equal(Utc(2029, 1, 1), policy.ExpiresAt(Utc(2026, 1, 1)));
        Assert.Equal(Utc(2029, 1, 1), policy.ExpiresAt(Utc(2026, 12, 31, 23, 59, 59)));
        Assert.Equal(Utc(2030, 1, 1), policy.ExpiresAt(Utc(2027, 1, 1)));
    }

    [Theory]
    [InlineData(0, 2027)] // end of the earning year
    [InlineData(1, 2028)] // end of next year
    [InlineData(3, 2030)]
    [InlineData(50, 2077)]
    public void End_of_year_after_counts_years_from_the_earning_year(int years, int expiryYear)
    {
        var policy = new ExpiryPolicy(ExpiryKind.EndOfYearAfter, Years: years);
        Assert.Equal(Utc(expiryYear, 1, 1), policy.ExpiresAt(Utc(2026, 7, 1)));
    }

    [Fact]
    public void Points_that_never_expire_have_no_expiry()
    {
        Assert.Null(ExpiryPolicy.Never.ExpiresAt(Utc(2026, 3, 5)));
        Assert.Null(new ExpiryPolicy(ExpiryKind.Never, Months: 36, Years: 2).ExpiresAt(Utc(2026, 3, 5)));
        Assert.Equal(ExpiryKind.Never, ExpiryPolicy.Never.Kind);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(36)]
    [InlineData(600)]
    public void Months_from_1_to_600_are_valid(int months)
    {
        Assert.Null(new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: months).Invalid());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(601)]
    [InlineData(int.MinValue)]
    public void Months_outside_1_to_600_are_invalid(int months)
    {
        Assert.Equal("months", new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: months).Invalid());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(50)]
    public void Years_from_0_to_50_are_valid(int years)
    {
        Assert.Null(new ExpiryPolicy(ExpiryKind.EndOfYearAfter, Years: years).Invalid());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(51)]
    [InlineData(int.MaxValue)]
    public void Years_outside_0_to_50_are_invalid(int years)
    {
        Assert.Equal("years", new ExpiryPolicy(ExpiryKind.EndOfYearAfter, Years: years).Invalid());
    }

    [Fact]
    public void Fields_of_other_kinds_are_not_checked()
    {
        Assert.Null(ExpiryPolicy.Never.Invalid());
        Assert.Null(new ExpiryPolicy(ExpiryKind.Never, Months: -5, Years: 999).Invalid());
        Assert.Null(new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: 12, Years: -3).Invalid());
        Assert.Null(new ExpiryPolicy(ExpiryKind.EndOfYearAfter, Months: 0, Years: 2).Invalid());
    }

    [Fact]
    public void An_undefined_kind_is_invalid()
    {
        // A programme document can carry a kind as a number; validation must catch what ExpiresAt would throw on.
        var policy = new ExpiryPolicy((ExpiryKind)7, Months: 36);
        Assert.Throws<InvalidOperationException>(() => policy.ExpiresAt(Utc(2026, 3, 5)));
        Assert.Equal("kind", policy.Invalid());
    }
}
