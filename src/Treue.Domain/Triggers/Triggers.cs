using System.Globalization;
using System.Text.Json.Serialization;

namespace Treue.Domain.Triggers;

/// <summary>What makes a trigger fire.</summary>
public enum TriggerKind
{
    /// <summary>The member enrolled (a welcome).</summary>
    Enrolment,
    /// <summary>The member's birthday, on the day or <see cref="TriggerDefinition.DaysBefore"/> days before; once a year.</summary>
    Birthday,
    /// <summary>The anniversary of the member's enrolment, from the first year on.</summary>
    Anniversary,
    /// <summary>The member's n-th purchase (every n-th when <see cref="TriggerDefinition.Repeat"/>).</summary>
    NthPurchase,
    /// <summary>An upgrade to a higher tier (to <see cref="TriggerDefinition.Tier"/> only, if set).</summary>
    TierUpgrade,
    /// <summary>No purchase for <see cref="TriggerDefinition.Days"/> days after the last one (win-back).</summary>
    WinBack,
    /// <summary>Points that expire within <see cref="TriggerDefinition.Days"/> days (a reminder).</summary>
    PointsExpiring,
    /// <summary>A fixed day of the year for every member (a Christmas greeting), or one date when a year is given.</summary>
    FixedDate,
}

/// <summary>What a trigger does for the member when it fires.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(AwardPoints), "award_points")]
[JsonDerivedType(typeof(IssueCoupon), "issue_coupon")]
[JsonDerivedType(typeof(QueueMessage), "queue_message")]
public abstract record TriggerAction;

/// <summary>Awards points.</summary>
/// <param name="Points">The points.</param>
public sealed record AwardPoints(long Points) : TriggerAction;

/// <summary>Issues a personal coupon of a campaign (one with personal codes).</summary>
/// <param name="CampaignId">The campaign.</param>
public sealed record IssueCoupon(string CampaignId) : TriggerAction;

/// <summary>Queues a message to the member: a template and its data, for the outbox.</summary>
/// <param name="Template">The message template.</param>
public sealed record QueueMessage(string Template) : TriggerAction
{
    /// <summary>Fixed data for the template; the occasion adds its own (the day, the points expiring...).</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a budget counts.</summary>
public enum TriggerBudgetUnit
{
    /// <summary>Firings.</summary>
    Firings,
    /// <summary>Points awarded.</summary>
    Points,
}

/// <summary>The period a budget is counted in (programme time zone).</summary>
public enum TriggerBudgetPeriod
{
    /// <summary>A calendar month.</summary>
    Month,
    /// <summary>A calendar year.</summary>
    Year,
}

/// <summary>A cap on a trigger per period; occasions beyond it do not fire.</summary>
/// <param name="Unit">What is counted.</param>
/// <param name="Amount">How much per period.</param>
/// <param name="Period">The period.</param>
public sealed record TriggerBudget(TriggerBudgetUnit Unit, long Amount, TriggerBudgetPeriod Period)
{
    /// <summary>The period a day belongs to: <c>2026-03</c> for a month, <c>2026</c> for a year.</summary>
    public string PeriodOf(DateOnly day) => Period == TriggerBudgetPeriod.Month
        ? day.ToString("yyyy-MM", CultureInfo.InvariantCulture)
        : day.Year.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A trigger: when it fires, and what it does.</summary>
/// <param name="Id">Stable identifier, unique in the programme; the first part of every occasion key.</param>
/// <param name="Kind">When it fires.</param>
/// <param name="Action">What it does.</param>
public sealed record TriggerDefinition(string Id, TriggerKind Kind, TriggerAction Action)
{
    /// <summary>For a birthday: how many days before it the gift comes (0: on the day).</summary>
    public int DaysBefore { get; init; }

    /// <summary>For a win-back: days without a purchase; for points expiring: how many days ahead.</summary>
    public int Days { get; init; }

    /// <summary>For the n-th purchase: which one.</summary>
    public int N { get; init; }

    /// <summary>For the n-th purchase: every n-th, not only the first.</summary>
    public bool Repeat { get; init; }

    /// <summary>For a tier upgrade: the tier it must reach; null for any upgrade.</summary>
    public string? Tier { get; init; }

    /// <summary>For a fixed date: the month (1–12).</summary>
    public int Month { get; init; }

    /// <summary>For a fixed date: the day of the month.</summary>
    public int Day { get; init; }

    /// <summary>For a fixed date: the year, or null for every year.</summary>
    public int? Year { get; init; }

    /// <summary>A cap per period, or null for none.</summary>
    public TriggerBudget? Budget { get; init; }

    /// <summary>Why the trigger cannot be used, naming the field at fault, or null when it can.</summary>
    public Refusal? Problem()
    {
        if (string.IsNullOrWhiteSpace(Id) || Id.Contains(':', StringComparison.Ordinal)) return Invalid("id", "A trigger needs an id without ':'.");
        if (DaysBefore is < 0 or > 365) return Invalid("daysBefore", "Days before must be from 0 to 365.");
        if (Kind is TriggerKind.WinBack or TriggerKind.PointsExpiring && Days is < 1 or > 3650) return Invalid("days", "Days must be from 1 to 3650.");
        if (Kind == TriggerKind.NthPurchase && N < 1) return Invalid("n", "The purchase number is at least 1.");
        if (Kind == TriggerKind.FixedDate && (Month is < 1 or > 12 || Day < 1 || Day > DateTime.DaysInMonth(Year ?? 2000, Month)))
            return Invalid("day", "The fixed date is not a day of the calendar.");
        if (Kind == TriggerKind.FixedDate && Year is { } year && (year < DateBounds.Min.Year || year > DateBounds.Max.Year)) return Invalid("year", "The year " + DateBounds.Message + ".");
        if (Action is AwardPoints { Points: <= 0 }) return Invalid("action.points", "A trigger awards at least one point.");
        if (Budget is { Amount: < 0 }) return Invalid("budget.amount", "A budget cannot be negative.");
        return null;
    }

    private static Refusal Invalid(string field, string message) => new("invalid_trigger", message, field);
}

/// <summary>
/// What a trigger needs to know of a member, every day in the programme's time zone. The store reads it; the scheduler and
/// the dry run hand it to <see cref="TriggerRules.Due"/>.
/// </summary>
/// <param name="Member">The member.</param>
/// <param name="EnrolledOn">The day of enrolment.</param>
public sealed record MemberFacts(Guid Member, DateOnly EnrolledOn)
{
    /// <summary>The member's birthday, if known (the year is not used).</summary>
    public DateOnly? Birthday { get; init; }

    /// <summary>The days of the member's purchases, in the order they were recorded (a day may repeat).</summary>
    public IReadOnlyList<DateOnly> PurchaseDays { get; init; } = [];

    /// <summary>The member's tier upgrades: the day and the tier reached.</summary>
    public IReadOnlyList<(DateOnly Day, string Tier)> Upgrades { get; init; } = [];

    /// <summary>The member's points by the day they expire.</summary>
    public IReadOnlyList<(DateOnly ExpiresOn, long Points)> Expiring { get; init; } = [];
}

/// <summary>One firing of a trigger for a member.</summary>
/// <param name="Key">The occasion key, <c>{trigger}:{member}:{occasion}</c> (<c>bday:3f2a…:birthday:2026</c>): a store
/// that keeps it under a unique index fires each occasion exactly once, however often and on however many nodes the
/// scheduler runs.</param>
/// <param name="TriggerId">The trigger.</param>
/// <param name="Member">The member.</param>
/// <param name="Name">The occasion, unique for the trigger and member (<c>birthday:2026</c>, <c>purchase:10</c>).</param>
/// <param name="Day">The day it is due (programme time zone).</param>
/// <param name="Action">What it does.</param>
public sealed record Occasion(string Key, string TriggerId, Guid Member, string Name, DateOnly Day, TriggerAction Action)
{
    /// <summary>Data for the message template: the occasion's own values (the day, the tier, the points expiring).</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = new Dictionary<string, string>();

    /// <summary>The points the occasion awards (0 unless it awards points).</summary>
    public long Points => Action is AwardPoints award ? award.Points : 0;
}

/// <summary>
/// When triggers are due. One function serves the scheduler, its catch-up after downtime and the dry run: given a
/// trigger, a member's facts and the days since the last run, it lists the occasions due, each with its key.
/// </summary>
public static class TriggerRules
{
    /// <summary>The day an instant falls on in the programme's time zone: the scheduler's "today".</summary>
    public static DateOnly Today(DateTime utcNow, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utcNow, DateTimeKind.Utc), zone));

    /// <summary>
    /// The day a yearly date falls on in <paramref name="year"/>: the same month and day, except that 29 February falls
    /// on 28 February in a year that has none.
    /// </summary>
    public static DateOnly InYear(DateOnly date, int year) =>
        new(year, date.Month, Math.Min(date.Day, DateTime.DaysInMonth(year, date.Month)));

    /// <summary>
    /// The occasions of <paramref name="trigger"/> for a member due on the days after <paramref name="lastRun"/> up to and
    /// including <paramref name="today"/>, in order of their day. A run that follows another lists nothing twice, and a
    /// late run lists everything the missed days would have; the store's unique key on <see cref="Occasion.Key"/> keeps the
    /// firing exactly once even when runs overlap. No occasion is due before the member enrolled. With
    /// <paramref name="lastRun"/> equal to yesterday it is also the dry run of today.
    /// </summary>
    public static IReadOnlyList<Occasion> Due(TriggerDefinition trigger, MemberFacts member, DateOnly lastRun, DateOnly today)
    {
        var due = new List<Occasion>();
        if (today <= lastRun) return due;
        void Add(string occasion, DateOnly day, IReadOnlyDictionary<string, string>? data = null)
        {
            if (day <= lastRun || day > today || day < member.EnrolledOn) return;
            due.Add(new Occasion($"{trigger.Id}:{member.Member:N}:{occasion}", trigger.Id, member.Member, occasion, day, trigger.Action)
            {
                Data = data ?? new Dictionary<string, string> { ["day"] = Iso(day) },
            });
        }
        var from = lastRun.AddDays(1);
        switch (trigger.Kind)
        {
            case TriggerKind.Enrolment:
                Add("enrolment", member.EnrolledOn);
                break;
            case TriggerKind.Birthday when member.Birthday is { } birthday:
                // The key names the birthday's year, so a gift given days before a birthday in January counts for that year.
                for (var year = from.Year; year <= today.Year + 1 && year <= DateBounds.Max.Year; year++)
                {
                    var on = InYear(birthday, year);
                    Add("birthday:" + year.ToString(CultureInfo.InvariantCulture), on.AddDays(-trigger.DaysBefore),
                        new Dictionary<string, string> { ["birthday"] = Iso(on) });
                }
                break;
            case TriggerKind.Anniversary:
                for (var year = Math.Max(from.Year, member.EnrolledOn.Year + 1); year <= today.Year; year++)
                {
                    var years = year - member.EnrolledOn.Year;
                    Add("anniversary:" + year.ToString(CultureInfo.InvariantCulture), InYear(member.EnrolledOn, year),
                        new Dictionary<string, string> { ["years"] = years.ToString(CultureInfo.InvariantCulture) });
                }
                break;
            case TriggerKind.NthPurchase when trigger.N >= 1:
                for (var n = trigger.N; n <= member.PurchaseDays.Count; n += trigger.N)
                {
                    Add("purchase:" + n.ToString(CultureInfo.InvariantCulture), member.PurchaseDays[n - 1],
                        new Dictionary<string, string> { ["purchases"] = n.ToString(CultureInfo.InvariantCulture) });
                    if (!trigger.Repeat) break;
                }
                break;
            case TriggerKind.TierUpgrade:
                foreach (var (day, tier) in member.Upgrades)
                {
                    if (trigger.Tier is not null && !string.Equals(trigger.Tier, tier, StringComparison.OrdinalIgnoreCase)) continue;
                    Add($"tier:{tier}:{Iso(day)}", day, new Dictionary<string, string> { ["tier"] = tier });
                }
                break;
            case TriggerKind.WinBack when trigger.Days >= 1:
                var days = member.PurchaseDays.Distinct().Order().ToList();
                for (var i = 0; i < days.Count; i++)
                {
                    var lapse = days[i].AddDays(trigger.Days);
                    if (i + 1 < days.Count && days[i + 1] <= lapse) continue;
                    Add("winback:" + Iso(lapse), lapse, new Dictionary<string, string> { ["lastPurchase"] = Iso(days[i]) });
                }
                break;
            case TriggerKind.PointsExpiring when trigger.Days >= 1:
                foreach (var lot in member.Expiring.Where(e => e.Points > 0).GroupBy(e => e.ExpiresOn).OrderBy(g => g.Key))
                {
                    var points = lot.Sum(e => e.Points);
                    Add("expiring:" + Iso(lot.Key), lot.Key.AddDays(-trigger.Days), new Dictionary<string, string>
                    {
                        ["expiresOn"] = Iso(lot.Key),
                        ["points"] = points.ToString(CultureInfo.InvariantCulture),
                    });
                }
                break;
            case TriggerKind.FixedDate when trigger.Month is >= 1 and <= 12 && trigger.Day >= 1:
                for (var year = trigger.Year ?? from.Year; year <= (trigger.Year ?? today.Year); year++)
                {
                    var on = InYear(new DateOnly(2000, trigger.Month, Math.Min(trigger.Day, DateTime.DaysInMonth(2000, trigger.Month))), year);
                    Add("date:" + Iso(on), on);
                }
                break;
        }
        return due.OrderBy(o => o.Day).ThenBy(o => o.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>The dry run: every member the trigger would hit today, and with what.</summary>
    public static IReadOnlyList<Occasion> DryRun(TriggerDefinition trigger, IEnumerable<MemberFacts> members, DateOnly today) =>
        members.SelectMany(m => Due(trigger, m, today.AddDays(-1), today)).ToList();

    /// <summary>
    /// Applies the trigger's budget to occasions in the order given: those that fit their period's remaining budget fire,
    /// the others are held back (and are not fired later: the trigger stops when its cap is reached).
    /// </summary>
    /// <param name="trigger">The trigger.</param>
    /// <param name="due">The occasions due, in order.</param>
    /// <param name="used">What the trigger has used of its budget in a period (<see cref="TriggerBudget.PeriodOf"/>) so far.</param>
    public static (IReadOnlyList<Occasion> Fire, IReadOnlyList<Occasion> OverBudget) WithinBudget(
        TriggerDefinition trigger, IEnumerable<Occasion> due, Func<string, long> used)
    {
        var fire = new List<Occasion>();
        var over = new List<Occasion>();
        if (trigger.Budget is not { } budget)
        {
            fire.AddRange(due);
            return (fire, over);
        }
        var spent = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var occasion in due)
        {
            var period = budget.PeriodOf(occasion.Day);
            if (!spent.TryGetValue(period, out var sofar)) sofar = used(period);
            var cost = budget.Unit == TriggerBudgetUnit.Firings ? 1 : occasion.Points;
            if (sofar + cost > budget.Amount)
            {
                over.Add(occasion);
                spent[period] = sofar;
                continue;
            }
            spent[period] = sofar + cost;
            fire.Add(occasion);
        }
        return (fire, over);
    }

    private static string Iso(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
