namespace Treue.Analytics.Loyalty;

/// <summary>A receipt as the loyalty measures see it.</summary>
/// <param name="Customer">Dense customer index of the member, or -1 for an anonymous purchase.</param>
/// <param name="Day">Day of the purchase in the programme's time zone.</param>
/// <param name="AmountMinor">Net amount after returns, in minor units.</param>
/// <param name="Items">Units on the receipt (sum of line quantities, rounded).</param>
/// <param name="Partner">Dense index of the partner that sold.</param>
/// <param name="Categories">Dense indexes of the categories on the receipt; duplicates are allowed.</param>
public readonly record struct ReceiptFact(int Customer, DateOnly Day, long AmountMinor, int Items, int Partner, ReadOnlyMemory<int> Categories);

/// <summary>How broadly members bought in one month.</summary>
/// <param name="Month">First day of the month.</param>
/// <param name="ActiveMembers">Members with a purchase in the month.</param>
/// <param name="CategoriesPerMember">Mean number of distinct categories an active member bought from.</param>
/// <param name="PartnersPerMember">Mean number of distinct partners an active member bought from.</param>
public sealed record CrossBuyingMonth(DateOnly Month, long ActiveMembers, double CategoriesPerMember, double PartnersPerMember);

/// <summary>Purchases of one group of customers: members, or anonymous buyers.</summary>
/// <param name="Receipts">Number of receipts.</param>
/// <param name="AverageBasket">Mean receipt amount in money.</param>
/// <param name="AverageItems">Mean units per receipt.</param>
/// <param name="ReceiptsPerMonth">Mean receipts per month over the months with data.</param>
/// <param name="ReceiptsPerCustomerMonth">
/// For members: mean receipts per active member per month (how often a member comes back). Null for anonymous buyers,
/// who cannot be told apart.
/// </param>
public sealed record GroupFigures(long Receipts, decimal AverageBasket, double AverageItems, double ReceiptsPerMonth, double? ReceiptsPerCustomerMonth);

/// <summary>Mean revenue per member in a month counted from the member's enrolment.</summary>
/// <param name="MonthsFromEnrolment">Negative before the month of enrolment, 0 in it.</param>
/// <param name="Members">Members whose history covers that month.</param>
/// <param name="RevenuePerMember">Mean revenue in money per such member.</param>
public sealed record EnrolmentMonth(int MonthsFromEnrolment, long Members, decimal RevenuePerMember);

/// <summary>The loyalty measures the programme's own receipts allow.</summary>
/// <param name="CrossBuying">Categories and partners per active member, per month.</param>
/// <param name="MembersByPartners">Members by how many distinct partners they ever bought from (index 1 = one partner; the last bucket is that many or more).</param>
/// <param name="Members">Member receipts.</param>
/// <param name="Anonymous">Anonymous receipts.</param>
/// <param name="AroundEnrolment">Revenue per member in the months around enrolment.</param>
public sealed record LoyaltyReport(
    IReadOnlyList<CrossBuyingMonth> CrossBuying, IReadOnlyList<long> MembersByPartners,
    GroupFigures Members, GroupFigures Anonymous, IReadOnlyList<EnrolmentMonth> AroundEnrolment)
{
    /// <summary>The referral rate and conversion of the members' enrolments (see <see cref="ReferralMeasures"/>), when counted.</summary>
    public ReferralFigures? Referrals { get; init; }
}

/// <summary>Cross-buying, members against anonymous buyers, and revenue around enrolment.</summary>
public static class LoyaltyMeasures
{
    private const int PartnerBuckets = 5;

    /// <summary>Computes the measures in one pass.</summary>
    /// <param name="receipts">Receipts in chronological order.</param>
    /// <param name="enrolledOn">Each member's enrolment day, indexed by customer.</param>
    /// <param name="window">Months before and after enrolment to report.</param>
    /// <param name="minorPerUnit">Minor units per currency unit.</param>
    public static LoyaltyReport Compute(IEnumerable<ReceiptFact> receipts, IReadOnlyList<DateOnly> enrolledOn, int window = 6, int minorPerUnit = 100)
    {
        ArgumentNullException.ThrowIfNull(receipts);
        ArgumentNullException.ThrowIfNull(enrolledOn);
        ArgumentOutOfRangeException.ThrowIfNegative(window);
        var months = new List<CrossBuyingMonth>();
        var current = DateOnly.MinValue;
        // Per month: distinct (member, category) and (member, partner) pairs, packed into longs.
        var categoryPairs = new HashSet<long>();
        var partnerPairs = new HashSet<long>();
        var activeThisMonth = new HashSet<int>();
        var partnersEver = new HashSet<long>();
        var memberMonths = new HashSet<long>();
        var anonymousMonths = new HashSet<int>();
        var memberMonthSet = new HashSet<int>();
        long mReceipts = 0, mMinor = 0, mItems = 0, aReceipts = 0, aMinor = 0, aItems = 0;
        var relative = new long[2 * window + 1];
        DateOnly? first = null, last = null;
        var ordered = true;

        void Close()
        {
            if (activeThisMonth.Count == 0) return;
            months.Add(new CrossBuyingMonth(current, activeThisMonth.Count,
                (double)categoryPairs.Count / activeThisMonth.Count, (double)partnerPairs.Count / activeThisMonth.Count));
            categoryPairs.Clear();
            partnerPairs.Clear();
            activeThisMonth.Clear();
        }

        foreach (var r in receipts)
        {
            if (last is { } previous && r.Day < previous) ordered = false;
            first ??= r.Day;
            last = r.Day;
            var month = new DateOnly(r.Day.Year, r.Day.Month, 1);
            var monthNo = r.Day.Year * 12 + r.Day.Month - 1;
            if (month != current)
            {
                Close();
                current = month;
            }
            if (r.Customer < 0)
            {
                aReceipts++;
                aMinor += r.AmountMinor;
                aItems += r.Items;
                anonymousMonths.Add(monthNo);
                continue;
            }
            mReceipts++;
            mMinor += r.AmountMinor;
            mItems += r.Items;
            memberMonthSet.Add(monthNo);
            memberMonths.Add((long)r.Customer << 20 | (uint)monthNo);
            activeThisMonth.Add(r.Customer);
            partnerPairs.Add((long)r.Customer << 24 | (uint)r.Partner);
            partnersEver.Add((long)r.Customer << 24 | (uint)r.Partner);
            foreach (var c in r.Categories.Span)
                categoryPairs.Add((long)r.Customer << 24 | (uint)c);
            if (r.Customer < enrolledOn.Count)
            {
                var e = enrolledOn[r.Customer];
                var offset = monthNo - (e.Year * 12 + e.Month - 1);
                if (offset >= -window && offset <= window) relative[offset + window] += r.AmountMinor;
            }
        }
        Close();
        if (!ordered) throw new ArgumentException("Receipts must arrive in chronological order.", nameof(receipts));

        var byPartners = new long[PartnerBuckets + 1];
        foreach (var g in partnersEver.GroupBy(p => p >> 24))
            byPartners[Math.Min(g.Count(), PartnerBuckets)]++;

        var around = new List<EnrolmentMonth>();
        if (first is { } start && last is { } end)
        {
            var firstMonth = start.Year * 12 + start.Month - 1;
            var lastMonth = end.Year * 12 + end.Month - 1;
            for (var k = -window; k <= window; k++)
            {
                // A member counts for month k only if the data covers that month of theirs, so early and late
                // enrolments do not pull the curve down with months nobody could have observed.
                long covered = 0;
                foreach (var e in enrolledOn)
                {
                    var m = e.Year * 12 + e.Month - 1 + k;
                    if (m >= firstMonth && m <= lastMonth) covered++;
                }
                around.Add(new EnrolmentMonth(k, covered,
                    covered == 0 ? 0 : decimal.Round((decimal)relative[k + window] / minorPerUnit / covered, 2)));
            }
        }

        var activeMemberMonths = memberMonths.Count;
        return new LoyaltyReport(months, byPartners,
            Figures(mReceipts, mMinor, mItems, memberMonthSet.Count, activeMemberMonths),
            Figures(aReceipts, aMinor, aItems, anonymousMonths.Count, null),
            around);

        GroupFigures Figures(long n, long minor, long items, int monthCount, long? customerMonths) => new(
            n,
            n == 0 ? 0 : decimal.Round((decimal)minor / minorPerUnit / n, 2),
            n == 0 ? 0 : (double)items / n,
            monthCount == 0 ? 0 : (double)n / monthCount,
            customerMonths is { } cm ? (cm == 0 ? 0 : (double)n / cm) : null);
    }
}
