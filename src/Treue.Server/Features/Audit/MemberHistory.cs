using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Audit;

/// <summary>One change to a member as its history shows it: when, who, what and why.</summary>
/// <param name="Action">The audit action code (<see cref="AuditActions"/>).</param>
/// <param name="Card">The card concerned, for card acts.</param>
/// <param name="Other">The second value of the act: the new status, the replacement card, the kind of an issued card.</param>
/// <param name="Previous">The status before a status change.</param>
/// <param name="Points">The points of an adjustment.</param>
/// <param name="Reason">Why, as the person who did it said; null when no reason was given.</param>
public sealed record MemberHistoryEntry(DateTime At, AuditActorKind ActorKind, string Actor, string Action, string? Card, string? Previous, string? Other,
    long? Points, string? Reason);

/// <summary>
/// A member's history of changes (status, cards, adjustments) from the audit log, which every path that changes a
/// member writes in the same transaction as the change. The detail texts of those entries are written and read here.
/// </summary>
public static partial class MemberHistory
{
    /// <summary>The audit details of a status change: <c>active -> blocked: reason</c>.</summary>
    public static string StatusDetails(MemberStatus from, MemberStatus to, string? reason) =>
        $"{from.ToString().ToLowerInvariant()} -> {to.ToString().ToLowerInvariant()}" + (string.IsNullOrWhiteSpace(reason) ? "" : ": " + reason.Trim());

    /// <summary>The audit details of a card replacement: <c>replaced by NUMBER: reason</c>.</summary>
    public static string ReplacedDetails(string newNumber, string? reason) =>
        "replaced by " + newNumber + (string.IsNullOrWhiteSpace(reason) ? "" : ": " + reason.Trim());

    private static readonly string[] Actions =
        [AuditActions.MemberStatusChanged, AuditActions.CardIssued, AuditActions.CardBlocked, AuditActions.CardReplaced, AuditActions.PointsAdjusted];

    /// <summary>The newest <paramref name="take"/> changes to the member, newest first.</summary>
    /// <summary>The audit entries of the member's history, newest first, for a caller that counts and pages them.</summary>
    public static IQueryable<AuditEntry> Query(TreueDb db, Guid programmeId, Guid memberId) =>
        db.AuditEntries.AsNoTracking()
            .Where(e => e.ProgrammeId == programmeId && e.MemberId == memberId && Actions.Contains(e.Action))
            .OrderByDescending(e => e.Id);

    public static async Task<List<MemberHistoryEntry>> ReadAsync(TreueDb db, Guid programmeId, Guid memberId, int take, CancellationToken ct)
    {
        var rows = await db.AuditEntries.AsNoTracking()
            .Where(e => e.ProgrammeId == programmeId && e.MemberId == memberId && Actions.Contains(e.Action))
            .OrderByDescending(e => e.Id).Take(take).ToListAsync(ct);
        return rows.Select(Read).ToList();
    }

    /// <summary>Reads one audit entry's details into their parts.</summary>
    public static MemberHistoryEntry Read(AuditEntry e)
    {
        var entry = new MemberHistoryEntry(e.At, e.ActorKind, e.Actor, e.Action, null, null, null, null, null);
        var details = e.Details ?? "";
        switch (e.Action)
        {
            case AuditActions.MemberStatusChanged when StatusPattern().Match(details) is { Success: true } m:
                return entry with { Previous = m.Groups[1].Value, Other = m.Groups[2].Value, Reason = Optional(m.Groups[3]) };
            case AuditActions.CardBlocked:
                // A block without a reason is recorded as "blocked".
                return entry with { Card = e.Target, Reason = details is "" or "blocked" ? null : details };
            case AuditActions.CardReplaced when ReplacedPattern().Match(details) is { Success: true } m:
                return entry with { Card = e.Target, Other = m.Groups[1].Value, Reason = Optional(m.Groups[2]) };
            case AuditActions.CardIssued:
                return entry with { Card = e.Target, Other = details };
            case AuditActions.PointsAdjusted when AdjustedPattern().Match(details) is { Success: true } m:
                return entry with { Points = long.Parse(m.Groups[1].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture), Reason = Optional(m.Groups[2]) };
            default:
                return entry with { Card = e.Target, Reason = e.Details };
        }
    }

    private static string? Optional(Group g) => g.Success && g.Value.Length > 0 ? g.Value : null;

    [GeneratedRegex(@"^(\w+) -> (\w+)(?:: (.*))?$", RegexOptions.Singleline)]
    private static partial Regex StatusPattern();

    [GeneratedRegex(@"^replaced by (\S+)(?:: (.*))?$", RegexOptions.Singleline)]
    private static partial Regex ReplacedPattern();

    [GeneratedRegex(@"^([+-]\d+) points: (.*)$", RegexOptions.Singleline)]
    private static partial Regex AdjustedPattern();
}
