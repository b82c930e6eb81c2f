using System.Globalization;
using Xunit;

namespace Treue.Domain.Tests;

public sealed class PointsTests
{
    [Fact]
    public void Points_add_subtract_and_negate()
    {
        Assert.Equal(new Points(150), new Points(100) + new Points(50));
        Assert.Equal(new Points(-50), new Points(100) - new Points(150));
        Assert.Equal(new Points(-7), -new Points(7));
        Assert.Equal(new Points(0), Points.Zero);
    }

    [Fact]
    public void Points_that_overflow_throw_instead_of_wrapping()
    {
        Assert.Throws<OverflowException>(() => new Points(long.MaxValue) + new Points(1));
        Assert.Throws<OverflowException>(() => new Points(long.MinValue) - new Points(1));
    }

    [Fact]
    public void Points_compare_by_value()
    {
        var few = new Points(10);
        var many = new Points(20);
        Assert.True(few < many);
        Assert.True(many > few);
        Assert.True(few <= new Points(10));
        Assert.True(few >= new Points(10));
        Assert.False(few > many);
        Assert.False(many <= few);
        Assert.True(few.CompareTo(many) < 0);
        Assert.Equal(0, few.CompareTo(new Points(10)));
        Assert.Equal([new Points(-1), few, many], new[] { many, new Points(-1), few }.Order());
    }

    [Fact]
    public void Points_print_without_group_separators_in_any_culture()
    {
        var before = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal("1234567", new Points(1_234_567).ToString());
            Assert.Equal("-15", new Points(-15).ToString());
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }
}
