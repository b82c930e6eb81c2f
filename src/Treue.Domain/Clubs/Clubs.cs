using System.Globalization;
using Treue.Domain.Earning;

namespace Treue.Domain.Clubs;

/// <summary>The type of an extra profile field a club asks for.</summary>
public enum ProfileFieldType
{
    /// <summary>Free text, up to 200 characters.</summary>
    Text,
    /// <summary>A whole number.</summary>
    Number,
    /// <summary>A list of years separated by commas (the children's birth years), each from 1900 to 2200.</summary>
    Years,
    /// <summary>A day, written yyyy-MM-dd.</summary>
    Date,
    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,
}

/// <summary>An extra profile field a club asks its members for, kept with their consent.</summary>
/// <param name="Name">The field's name, unique in the club.</param>
/// <param name="Type">What it holds.</param>
public sealed record ProfileField(string Name, ProfileFieldType Type)
{
    /// <summary>Whether a member must fill it to join.</summary>
    public bool Required { get; init; }
}

/// <summary>How a paid membership is renewed.</summary>
public enum RenewalMode
{
    /// <summary>Renewed at the end of each term, after a notice, until cancelled.</summary>
    Automatic,
    /// <summary>Renewed only when the member asks; it expires otherwise.</summary>
    Manual,
}

/// <summary>The fee of a paid club.</summary>
/// <param name="Amount">The fee per term, in the programme's currency.</param>
/// <param name="TermMonths">The length of a term in months.</param>
/// <param name="Renewal">How it is renewed.</param>
/// <param name="Partner">The partner the fee is recorded as a purchase at (its points follow that partner's rules).</param>
public sealed record ClubFee(decimal Amount, int TermMonths, RenewalMode Renewal, string Partner)
{
    /// <summary>Days before the end of a term that an automatic renewal is announced.</summary>
    public int NoticeDays { get; init; } = 30;
}

/// <summary>
/// A customer club: free with opt-in, or paid with a fee and a term. Its code is a membership code that campaigns can be
/// reserved for, and its earning rules apply to its members only.
/// </summary>
/// <param name="Code">Stable identifier, unique in the programme.</param>
/// <param name="Name">What members and staff read.</param>
public sealed record ClubDefinition(string Code, string Name)
{
    /// <summary>Extra profile fields the club asks for.</summary>
    public IReadOnlyList<ProfileField> Fields { get; init; } = [];

    /// <summary>The fee, or null for a free club.</summary>
    public ClubFee? Fee { get; init; }

    /// <summary>Earning rules for the club's members only, on top of the programme's rules.</summary>
    public IReadOnlyList<EarningRule> EarningRules { get; init; } = [];
}

/// <summary>Where a membership stands.</summary>
public enum ClubStatus
{
    /// <summary>A member; a paid membership runs to the end of its term and is renewed as configured.</summary>
    Active,
    /// <summary>Cancelled: still a member until the end of the paid term, then expired.</summary>
    Cancelled,
    /// <summary>A paid term ended without renewal.</summary>
    Expired,
    /// <summary>The member left a free club.</summary>
    Left,
}

/// <summary>A member's membership of one club.</summary>
/// <param name="Club">The club's code.</param>
/// <param name="JoinedOn">The day (programme time zone) the member joined; paid terms are counted from it.</param>
/// <param name="Status">Where it stands.</param>
public sealed record ClubMembership(string Club, DateOnly JoinedOn, ClubStatus Status)
{
    /// <summary>The extra profile data, by field name, as validated.</summary>
    public IReadOnlyDictionary<string, string> Profile { get; init; } = new Dictionary<string, string>();

    /// <summary>Whether the member consented to keeping the profile data.</summary>
    public bool Consent { get; init; }

    /// <summary>Terms paid so far (0 for a free club).</summary>
    public int TermsPaid { get; init; }

    /// <summary>The last day paid for, or null for a free club.</summary>
    public DateOnly? PaidUntil { get; init; }

    /// <summary>The end of term the last renewal notice was given for.</summary>
    public DateOnly? NoticeGivenFor { get; init; }

    /// <summary>True when the membership gives the club's benefits on <paramref name="day"/>.</summary>
    public bool IsActive(DateOnly day) =>
        Status is ClubStatus.Active or ClubStatus.Cancelled && day >= JoinedOn && (PaidUntil is not { } until || day <= until);
}

/// <summary>A club fee to record as a purchase at the club's partner.</summary>
/// <param name="Club">The club.</param>
/// <param name="Partner">The partner.</param>
/// <param name="Amount">The fee.</param>
/// <param name="CoversFrom">The first day of the term paid for.</param>
/// <param name="CoversUntil">The last day of the term paid for.</param>
public sealed record ClubFeePurchase(string Club, string Partner, decimal Amount, DateOnly CoversFrom, DateOnly CoversUntil)
{
    /// <summary>The fee as a basket of one line (SKU <c>club-fee:{club}</c>, category <c>club-fee</c>) at the partner.</summary>
    /// <param name="localTime">When it is paid, in the programme's local time.</param>
    public Basket ToBasket(DateTime localTime) =>
        new(Partner, null, Channel.Online, localTime, [new BasketLine(1, "club-fee:" + Club, "club-fee", 1, Amount, 0)]);
}

/// <summary>What happens to a paid membership with time.</summary>
public enum ClubEventKind
{
    /// <summary>The member is told the membership renews at the end of the term.</summary>
    RenewalNotice,
    /// <summary>A new term began and its fee is due.</summary>
    Renewed,
    /// <summary>The term ended without renewal.</summary>
    Expired,
}

/// <summary>One thing that happened to a membership on a day.</summary>
/// <param name="Kind">What.</param>
/// <param name="Day">The day it is due.</param>
/// <param name="Fee">The fee of a renewal.</param>
public sealed record ClubEvent(ClubEventKind Kind, DateOnly Day, ClubFeePurchase? Fee = null);

/// <summary>The transitions of club memberships, as pure functions of the club, the membership and the day.</summary>
public static class ClubRules
{
    /// <summary>
    /// Joins a club: validates the profile data (each value by its field's type; a field the club does not ask for is
    /// refused), requires consent when data is given, and for a paid club starts the first term and gives its fee.
    /// </summary>
    /// <param name="club">The club.</param>
    /// <param name="current">The member's membership of the club so far, if any; an active one refuses.</param>
    /// <param name="profile">The extra profile data.</param>
    /// <param name="consent">Whether the member consents to keeping it.</param>
    /// <param name="today">The day of joining (programme time zone).</param>
    public static (ClubMembership? Membership, ClubFeePurchase? Fee, Refusal? Refusal) Join(
        ClubDefinition club, ClubMembership? current, IReadOnlyDictionary<string, string> profile, bool consent, DateOnly today)
    {
        if (current is not null && current.IsActive(today))
            return (null, null, new Refusal("already_member", $"The member already belongs to '{club.Name}'.", "club"));
        if (ValidateProfile(club, profile) is { } refusal) return (null, null, refusal);
        if (profile.Count > 0 && !consent)
            return (null, null, new Refusal("consent_required", "Profile data is kept only with the member's consent.", "consent"));
        var membership = new ClubMembership(club.Code, today, ClubStatus.Active)
        {
            Profile = profile.ToDictionary(p => p.Key, p => p.Value.Trim(), StringComparer.Ordinal),
            Consent = consent,
        };
        if (club.Fee is not { } fee) return (membership, null, null);
        var until = TermEnd(today, fee, 1);
        return (membership with { TermsPaid = 1, PaidUntil = until }, new ClubFeePurchase(club.Code, fee.Partner, fee.Amount, today, until), null);
    }

    /// <summary>Why the profile data does not fit the club's fields (naming <c>profile.{field}</c>), or null.</summary>
    public static Refusal? ValidateProfile(ClubDefinition club, IReadOnlyDictionary<string, string> profile)
    {
        foreach (var name in profile.Keys)
            if (!club.Fields.Any(f => f.Name == name))
                return new Refusal("unknown_field", $"The club does not ask for '{name}'.", "profile." + name);
        foreach (var field in club.Fields)
        {
            var at = "profile." + field.Name;
            if (!profile.TryGetValue(field.Name, out var value) || string.IsNullOrWhiteSpace(value))
            {
                if (field.Required) return new Refusal("field_required", $"The club needs '{field.Name}'.", at);
                continue;
            }
            value = value.Trim();
            var valid = field.Type switch
            {
                ProfileFieldType.Text => value.Length <= 200,
                ProfileFieldType.Number => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
                ProfileFieldType.Years => value.Split(',').All(y =>
                    int.TryParse(y.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var year) && year >= DateBounds.Min.Year && year <= DateBounds.Max.Year),
                ProfileFieldType.Date => DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) && DateBounds.Contains(day),
                _ => value is "true" or "false",
            };
            if (!valid) return new Refusal("invalid_field", $"'{field.Name}' is not a valid {field.Type.ToString().ToLowerInvariant()}.", at);
        }
        return null;
    }

    /// <summary>
    /// Leaves a free club at once, or cancels a paid membership with the end of its term (it stays active until then and
    /// is not renewed).
    /// </summary>
    public static (ClubMembership? Membership, Refusal? Refusal) Cancel(ClubDefinition club, ClubMembership membership, DateOnly today)
    {
        if (membership.Status != ClubStatus.Active || !membership.IsActive(today))
            return (null, new Refusal("not_member", $"The member does not belong to '{club.Name}'.", "club"));
        return (membership with { Status = club.Fee is null ? ClubStatus.Left : ClubStatus.Cancelled }, null);
    }

    /// <summary>
    /// Renews a paid membership by hand before its term ends (also one cancelled, which becomes active again): the next
    /// term follows the paid one. An expired membership is joined again instead.
    /// </summary>
    public static (ClubMembership? Membership, ClubFeePurchase? Fee, Refusal? Refusal) Renew(ClubDefinition club, ClubMembership membership, DateOnly today)
    {
        if (club.Fee is not { } fee) return (null, null, new Refusal("free_club", $"'{club.Name}' has no fee to renew.", "club"));
        if (!membership.IsActive(today)) return (null, null, new Refusal("not_member", $"The membership of '{club.Name}' has ended; join again.", "club"));
        return Next(membership, fee, ClubStatus.Active);
    }

    /// <summary>
    /// Brings a paid membership up to <paramref name="today"/>: the renewal notice <see cref="ClubFee.NoticeDays"/> before
    /// the end of a term (automatic renewal only), the automatic renewal the day after a term (with its fee), or the expiry
    /// of a term that is not renewed. A scheduler that ran late catches up term by term; each event carries its own day.
    /// </summary>
    public static (ClubMembership Membership, IReadOnlyList<ClubEvent> Events) Advance(ClubDefinition club, ClubMembership membership, DateOnly today)
    {
        var events = new List<ClubEvent>();
        if (club.Fee is not { } fee) return (membership, events);
        while (membership.Status is ClubStatus.Active or ClubStatus.Cancelled && membership.PaidUntil is { } until)
        {
            var automatic = fee.Renewal == RenewalMode.Automatic && membership.Status == ClubStatus.Active;
            var noticeDay = until.AddDays(-fee.NoticeDays);
            if (automatic && membership.NoticeGivenFor != until && today >= noticeDay)
            {
                events.Add(new ClubEvent(ClubEventKind.RenewalNotice, noticeDay < membership.JoinedOn ? membership.JoinedOn : noticeDay));
                membership = membership with { NoticeGivenFor = until };
            }
            if (today <= until) break;
            if (automatic)
            {
                var (renewed, renewal, _) = Next(membership, fee, ClubStatus.Active);
                membership = renewed!;
                events.Add(new ClubEvent(ClubEventKind.Renewed, until.AddDays(1), renewal));
            }
            else
            {
                membership = membership with { Status = ClubStatus.Expired };
                events.Add(new ClubEvent(ClubEventKind.Expired, until.AddDays(1)));
            }
        }
        return (membership, events);
    }

    private static (ClubMembership?, ClubFeePurchase?, Refusal?) Next(ClubMembership membership, ClubFee fee, ClubStatus status)
    {
        var from = membership.PaidUntil!.Value.AddDays(1);
        var terms = membership.TermsPaid + 1;
        var until = TermEnd(membership.JoinedOn, fee, terms);
        return (membership with { Status = status, TermsPaid = terms, PaidUntil = until },
            new ClubFeePurchase(membership.Club, fee.Partner, fee.Amount, from, until), null);
    }

    // Terms are counted from the day of joining, so a membership from 31 January does not drift to the 28th.
    private static DateOnly TermEnd(DateOnly joinedOn, ClubFee fee, int terms) => joinedOn.AddMonths(fee.TermMonths * terms).AddDays(-1);

    /// <summary>
    /// The membership codes of a member on a day: the tier that applies and every club they are an active member of. The
    /// store puts them into the promotion snapshot (<c>PromotionSnapshot.Memberships</c>) and the member snapshot, so
    /// campaigns reserved for a tier or club and club-only earning rules apply.
    /// </summary>
    public static IReadOnlyList<string> MembershipCodes(string? tier, IEnumerable<ClubMembership> clubs, DateOnly day)
    {
        var codes = new List<string>();
        if (tier is not null) codes.Add(tier);
        codes.AddRange(clubs.Where(c => c.IsActive(day)).Select(c => c.Club));
        return codes;
    }
}
