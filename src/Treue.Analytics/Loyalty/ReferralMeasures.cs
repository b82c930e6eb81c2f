namespace Treue.Analytics.Loyalty;

/// <summary>One new member, for the referral measures.</summary>
/// <param name="EnrolledOn">The day they enrolled.</param>
/// <param name="Referred">Whether they enrolled with a referral code that was accepted.</param>
/// <param name="Converted">Whether their referral's qualifying purchase came (pending or rewarded).</param>
public readonly record struct Enrolment(DateOnly EnrolledOn, bool Referred, bool Converted);

/// <summary>The referral measures of one month of enrolments.</summary>
/// <param name="Month">The first day of the month.</param>
/// <param name="NewMembers">Members who enrolled in it.</param>
/// <param name="Referred">Of them, those who enrolled with an accepted referral code.</param>
/// <param name="Converted">Of those, the ones whose qualifying purchase came.</param>
public sealed record ReferralMonth(DateOnly Month, long NewMembers, long Referred, long Converted)
{
    /// <summary>The share of new members who were referred, or null without new members.</summary>
    public double? ReferralRate => NewMembers == 0 ? null : (double)Referred / NewMembers;
}

/// <summary>The referral rate and conversion over all enrolments, and per month.</summary>
/// <param name="NewMembers">All members counted.</param>
/// <param name="Referred">Those who enrolled with an accepted referral code.</param>
/// <param name="Converted">Those of them whose qualifying purchase came.</param>
/// <param name="Months">Per month of enrolment, oldest first.</param>
public sealed record ReferralFigures(long NewMembers, long Referred, long Converted, IReadOnlyList<ReferralMonth> Months)
{
    /// <summary>The share of members who were referred (0 to 1), or null without members.</summary>
    public double? ReferralRate => NewMembers == 0 ? null : (double)Referred / NewMembers;

    /// <summary>The share of referred members who made their qualifying purchase, or null without referred members.</summary>
    public double? ConversionRate => Referred == 0 ? null : (double)Converted / Referred;
}

/// <summary>How many members come through referrals: the referral rate, a loyalty measure of word of mouth.</summary>
public static class ReferralMeasures
{
    /// <summary>Counts the enrolments up to and including <paramref name="asOf"/>, in total and per month.</summary>
    public static ReferralFigures Compute(IEnumerable<Enrolment> enrolments, DateOnly asOf)
    {
        ArgumentNullException.ThrowIfNull(enrolments);
        var months = new SortedDictionary<DateOnly, (long New, long Referred, long Converted)>();
        foreach (var e in enrolments)
        {
            if (e.EnrolledOn > asOf) continue;
            var month = new DateOnly(e.EnrolledOn.Year, e.EnrolledOn.Month, 1);
            var m = months.GetValueOrDefault(month);
            months[month] = (m.New + 1, m.Referred + (e.Referred ? 1 : 0), m.Converted + (e.Referred && e.Converted ? 1 : 0));
        }
        var list = months.Select(m => new ReferralMonth(m.Key, m.Value.New, m.Value.Referred, m.Value.Converted)).ToList();
        return new ReferralFigures(list.Sum(m => m.NewMembers), list.Sum(m => m.Referred), list.Sum(m => m.Converted), list);
    }
}
