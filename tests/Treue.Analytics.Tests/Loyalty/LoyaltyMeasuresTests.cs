using Treue.Analytics.Loyalty;

namespace Treue.Analytics.Tests.Loyalty;

public sealed class LoyaltyMeasuresTests
{
    private static ReceiptFact R(int customer, string day, long cents, int items, int partner, params int[] categories) =>
        new(customer, DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture), cents, items, partner, categories);

    [Fact]
    public void Cross_buying_counts_distinct_categories_and_partners_per_active_member_and_month()
    {
        var receipts = new[]
        {
            R(0, "2026-01-03", 1_000, 2, 0, 1, 2),
            R(0, "2026-01-20", 500, 1, 1, 2),
            R(1, "2026-01-21", 700, 3, 0, 3),
            R(-1, "2026-01-22", 300, 1, 0, 1),
            R(1, "2026-02-02", 900, 1, 0, 1, 1, 3),
        };
        var r = LoyaltyMeasures.Compute(receipts, [new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 1)]);

        Assert.Equal(2, r.CrossBuying.Count);
        // January: member 0 bought categories {1,2} at partners {0,1}; member 1 category {3} at partner {0}.
        Assert.Equal((2L, 1.5, 1.5), (r.CrossBuying[0].ActiveMembers, r.CrossBuying[0].CategoriesPerMember, r.CrossBuying[0].PartnersPerMember));
        Assert.Equal((1L, 2.0, 1.0), (r.CrossBuying[1].ActiveMembers, r.CrossBuying[1].CategoriesPerMember, r.CrossBuying[1].PartnersPerMember));
        Assert.Equal(1, r.MembersByPartners[1]);
        Assert.Equal(1, r.MembersByPartners[2]);
    }

    [Fact]
    public void Members_and_anonymous_buyers_are_compared_by_basket_and_frequency()
    {
        var receipts = new[]
        {
            R(0, "2026-01-03", 1_000, 2, 0),
            R(0, "2026-01-04", 3_000, 4, 0),
            R(-1, "2026-01-05", 500, 1, 0),
            R(1, "2026-02-01", 2_000, 3, 0),
            R(-1, "2026-02-05", 1_500, 3, 0),
        };
        var r = LoyaltyMeasures.Compute(receipts, [new DateOnly(2026, 1, 1), new DateOnly(2026, 2, 1)]);

        Assert.Equal(3, r.Members.Receipts);
        Assert.Equal(20.00m, r.Members.AverageBasket);
        Assert.Equal(3.0, r.Members.AverageItems, 12);
        Assert.Equal(1.5, r.Members.ReceiptsPerMonth, 12);
        Assert.Equal(1.5, r.Members.ReceiptsPerCustomerMonth!.Value, 12); // 3 receipts over 2 member-months
        Assert.Equal(2, r.Anonymous.Receipts);
        Assert.Equal(10.00m, r.Anonymous.AverageBasket);
        Assert.Null(r.Anonymous.ReceiptsPerCustomerMonth);
    }

    [Fact]
    public void Revenue_around_enrolment_only_counts_members_whose_months_the_data_covers()
    {
        var receipts = new[]
        {
            R(0, "2026-01-10", 1_000, 1, 0), // member 0 enrols in February: month -1
            R(0, "2026-02-10", 4_000, 1, 0),
            R(1, "2026-03-10", 2_000, 1, 0), // member 1 enrols in March: month 0
        };
        var r = LoyaltyMeasures.Compute(receipts, [new DateOnly(2026, 2, 1), new DateOnly(2026, 3, 1)], window: 2);

        var byOffset = r.AroundEnrolment.ToDictionary(m => m.MonthsFromEnrolment);
        Assert.Equal(5, byOffset.Count);
        Assert.Equal((1L, 0m), (byOffset[-2].Members, byOffset[-2].RevenuePerMember)); // only member 1's January is in the data
        Assert.Equal((2L, 5.00m), (byOffset[-1].Members, byOffset[-1].RevenuePerMember));
        Assert.Equal((2L, 30.00m), (byOffset[0].Members, byOffset[0].RevenuePerMember));
        Assert.Equal((1L, 0m), (byOffset[1].Members, byOffset[1].RevenuePerMember));
        Assert.Equal(0, byOffset[2].Members);
    }

    [Fact]
    public void Receipts_out_of_order_are_refused()
    {
        var receipts = new[] { R(0, "2026-02-01", 1, 1, 0), R(0, "2026-01-01", 1, 1, 0) };
        Assert.Throws<ArgumentException>(() => LoyaltyMeasures.Compute(receipts, [new DateOnly(2026, 1, 1)]));
    }
}
