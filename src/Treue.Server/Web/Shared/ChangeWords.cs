using System.Globalization;
using System.Text.RegularExpressions;
using Treue.Server.Features.Audit;
using Treue.Storage.Entities;

namespace Treue.Server.Web.Shared;

/// <summary>
/// The change history of a programme and the details of the audit log in the reader's language. Both are stored as
/// the fixed English texts the programme applier and the audited acts write ("rule double-sat added", "active ->
/// blocked: reason"), so they are read back into their parts here and put into words; codes, names and reasons stay
/// as they were written, and a text of another form is shown as it is.
/// </summary>
public static partial class ChangeWords
{
    /// <summary>One line of a programme change ("rule double-sat added", "baseRate changed").</summary>
    public static string Line(Loc l, string text)
    {
        if (ThingPattern().Match(text) is { Success: true } thing)
        {
            var template = (thing.Groups[1].Value, thing.Groups[3].Value) switch
            {
                ("programme", "created") => "Programme {0} created",
                ("partner", "added") => "Partner {0} added",
                ("partner", "retired") => "Partner {0} retired",
                ("store", "added") => "Store {0} added",
                ("store", "retired") => "Store {0} retired",
                ("rule", "added") => "Rule {0} added",
                ("rule", "changed") => "Rule {0} changed",
                ("rule", "saved") => "Rule {0} saved",
                ("rule", "retired") => "Rule {0} retired",
                ("reward", "added") => "Reward {0} added",
                ("reward", "saved") => "Reward {0} saved",
                ("reward", "retired") => "Reward {0} retired",
                _ => null,
            };
            if (template is not null) return l.Format(template, thing.Groups[2].Value);
        }
        if (PartPattern().Match(text) is { Success: true } part && Field(part.Groups[3].Value) is { } field)
        {
            var template = part.Groups[1].Value switch
            {
                "partner" => "Partner {0}: {1} changed",
                "store" => "Store {0}: {1} changed",
                _ => "Reward {0}: {1} changed",
            };
            return l.Format(template, part.Groups[2].Value, l[field]);
        }
        if (SettingPattern().Match(text) is { Success: true } setting && Field(setting.Groups[1].Value) is { } name)
            return l.Format("{0} changed", l[name]);
        return text;
    }

    /// <summary>What a programme change was ("settings saved", "3 change(s) applied"), or its lines' form ("rule x saved").</summary>
    public static string Summary(Loc l, string text) => text switch
    {
        "settings saved" => l["Settings saved"],
        "applied through the API" => l["Applied through the API"],
        "programme created" => l["Programme created"],
        _ when CountPattern().Match(text) is { Success: true } m => Count(l, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)),
        _ => Line(l, text),
    };

    private static string Count(Loc l, int n) => n == 1 ? l["1 change applied"] : l.Format("{0} changes applied", Loc.Points(n));

    /// <summary>A programme change as one text: its summary, then its lines.</summary>
    public static string Change(Loc l, string summary, IEnumerable<string> lines) =>
        Summary(l, summary) + ": " + string.Join("; ", lines.Select(x => Line(l, x)));

    /// <summary>The details of an audit entry in the reader's words.</summary>
    public static string? Details(Loc l, AuditEntry e)
    {
        var details = e.Details;
        if (string.IsNullOrEmpty(details)) return details;
        switch (e.Action)
        {
            case AuditActions.ProgrammeChanged:
            {
                // "summary: line; line", as the programme applier writes it.
                var at = details.IndexOf(": ", StringComparison.Ordinal);
                return at < 0 ? Summary(l, details) : Change(l, details[..at], details[(at + 2)..].Split("; "));
            }
            case AuditActions.MemberStatusChanged:
            case AuditActions.CardReplaced:
            case AuditActions.CardIssued:
            case AuditActions.CardBlocked:
            case AuditActions.PointsAdjusted:
            {
                var h = MemberHistory.Read(e);
                var what = e.Action switch
                {
                    AuditActions.MemberStatusChanged when h.Previous is not null => l.Format("Status changed from {0} to {1}", Status(l, h.Previous), Status(l, h.Other)),
                    AuditActions.CardReplaced when h.Other is not null => l.Format("Replaced by {0}", h.Other),
                    AuditActions.CardIssued => Enum.TryParse<CardKind>(details, true, out var kind) ? l[kind.ToString()] : details,
                    AuditActions.CardBlocked => h.Reason is null ? l["Blocked"] : null,
                    AuditActions.PointsAdjusted when h.Points is { } points => l.Format("{0} points", Loc.SignedPoints(points)),
                    _ => null,
                };
                if (what is null) return h.Reason ?? details;
                return e.Action == AuditActions.CardIssued || h.Reason is null ? what : what + ": " + h.Reason;
            }
            case AuditActions.StaffCreated when StaffPattern().Match(details) is { Success: true } m:
                return m.Groups[1].Value + ", " + Role(l, m.Groups[2].Value);
            case AuditActions.StaffRoleChanged when RolesPattern().Match(details) is { Success: true } m:
                return l.Format("Role changed from {0} to {1}", Role(l, m.Groups[1].Value), Role(l, m.Groups[2].Value));
            case AuditActions.StaffSignInFailed:
                return details switch { "wrong password" => l["Wrong password"], "account disabled" => l["Account disabled"], _ => details };
            default:
                return details;
        }
    }

    private static string? Field(string field) => field switch
    {
        "name" => "Name",
        "timeZone" => "Time zone",
        "pointValue" => "Point value",
        "baseRate" => "Base rate",
        "rounding" => "Rounding",
        "pendingDays" => "Pending period (days)",
        "expiry" => "Expiry",
        "payWithPoints" => "Paying with points",
        "active" => "Active",
        "partner" => "Partner",
        "description" => "Description",
        "image" => "Image",
        "points" => "Points",
        "co-payment" => "Co-payment",
        "stock" => "Stock",
        "validFrom" => "Valid from",
        "validTo" => "Valid to",
        _ => null,
    };

    private static string Status(Loc l, string? lower) => Enum.TryParse<MemberStatus>(lower, true, out var s) ? l[s.ToString()] : lower ?? "";

    private static string Role(Loc l, string lower) => Enum.TryParse<StaffRole>(lower, true, out var r) ? l[r.ToString()] : lower;

    [GeneratedRegex(@"^(programme|partner|store|rule|reward) (\S+) (created|added|retired|changed|saved)$")]
    private static partial Regex ThingPattern();

    [GeneratedRegex(@"^(partner|store|reward) (\S+) (\S+) changed$")]
    private static partial Regex PartPattern();

    [GeneratedRegex(@"^(\w+) changed$")]
    private static partial Regex SettingPattern();

    [GeneratedRegex(@"^(\d+) change\(s\) applied$")]
    private static partial Regex CountPattern();

    [GeneratedRegex(@"^(.*), (\w+)$", RegexOptions.Singleline)]
    private static partial Regex StaffPattern();

    [GeneratedRegex(@"^(\w+) -> (\w+)$")]
    private static partial Regex RolesPattern();
}
