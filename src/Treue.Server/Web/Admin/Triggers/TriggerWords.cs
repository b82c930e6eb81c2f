using System.Globalization;
using Treue.Domain.Triggers;
using Treue.Server.Web.Shared;

namespace Treue.Server.Web.Admin.Triggers;

/// <summary>Triggers as staff read them, in their language.</summary>
public static class TriggerWords
{
    /// <summary>The name of a kind of trigger.</summary>
    public static string Kind(Loc l, TriggerKind kind) => kind switch
    {
        TriggerKind.Enrolment => l["Enrolment (welcome)"],
        TriggerKind.Birthday => l["Birthday"],
        TriggerKind.Anniversary => l["Membership anniversary"],
        TriggerKind.NthPurchase => l["The n-th purchase"],
        TriggerKind.TierUpgrade => l["A tier upgrade"],
        TriggerKind.WinBack => l["No purchase for some days (win-back)"],
        TriggerKind.PointsExpiring => l["Points expiring soon"],
        _ => l["A fixed date"],
    };

    /// <summary>When a trigger fires, in words.</summary>
    public static string When(Loc l, TriggerDefinition t) => t.Kind switch
    {
        TriggerKind.Enrolment => l["when a member enrols"],
        TriggerKind.Birthday when t.DaysBefore > 0 => l.Format("{0} days before the member's birthday", Loc.Points(t.DaysBefore)),
        TriggerKind.Birthday => l["on the member's birthday"],
        TriggerKind.Anniversary => l["on the anniversary of the enrolment"],
        TriggerKind.NthPurchase when t.Repeat => l.Format("at every {0}th purchase", Loc.Points(t.N)),
        TriggerKind.NthPurchase => l.Format("at the {0}th purchase", Loc.Points(t.N)),
        TriggerKind.TierUpgrade when t.Tier is not null => l.Format("on an upgrade to {0}", t.Tier),
        TriggerKind.TierUpgrade => l["on any tier upgrade"],
        TriggerKind.WinBack => l.Format("{0} days after the last purchase, if no other followed", Loc.Points(t.Days)),
        TriggerKind.PointsExpiring => l.Format("{0} days before points expire", Loc.Points(t.Days)),
        _ => t.Year is { } year
            ? l.Format("on {0}", new DateOnly(year, t.Month, t.Day).ToString("d", CultureInfo.CurrentCulture))
            : l.Format("every year on {0}", new DateOnly(2000, t.Month, t.Day).ToString(CultureInfo.CurrentCulture.Name.StartsWith("de", StringComparison.Ordinal) ? "d. MMMM" : "MMMM d", CultureInfo.CurrentCulture)),
    };

    /// <summary>What a trigger does, in words.</summary>
    public static string Action(Loc l, TriggerAction action) => action switch
    {
        AwardPoints p => l.Format("{0} points", Loc.Points(p.Points)),
        IssueCoupon c => l.Format("a personal coupon of the campaign {0}", c.CampaignId),
        QueueMessage m => l.Format("the message {0}", m.Template),
        _ => "–",
    };

    /// <summary>A trigger's budget in words, or "no cap".</summary>
    public static string Budget(Loc l, TriggerBudget? budget) => budget is null
        ? l["no cap"]
        : budget.Unit == TriggerBudgetUnit.Points
            ? l.Format(budget.Period == TriggerBudgetPeriod.Month ? "at most {0} points a month" : "at most {0} points a year", Loc.Points(budget.Amount))
            : l.Format(budget.Period == TriggerBudgetPeriod.Month ? "at most {0} gifts a month" : "at most {0} gifts a year", Loc.Points(budget.Amount));

    /// <summary>An outbox message's state.</summary>
    public static string State(Loc l, Storage.Entities.OutboxState state) => state switch
    {
        Storage.Entities.OutboxState.Queued => l["queued"],
        Storage.Entities.OutboxState.Sent => l["sent"],
        Storage.Entities.OutboxState.Failed => l["failed"],
        _ => l["bounced"],
    };
}
