using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Infrastructure;
using Treue.Server.Web.Shared;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Audit;

/// <summary>Who does an administrative act, and from where.</summary>
public sealed record AuditActor(AuditActorKind Kind, Guid? Id, string Name, string? Address)
{
    /// <summary>The <c>treue</c> command on the server's machine.</summary>
    public static readonly AuditActor Cli = new(AuditActorKind.Cli, null, "cli", null);

    /// <summary>The server itself (the first admin, set-up code).</summary>
    public static readonly AuditActor System = new(AuditActorKind.System, null, "system", null);

    /// <summary>The API key of an API request.</summary>
    public static AuditActor Api(HttpContext http)
    {
        var caller = Caller.From(http.User);
        return new AuditActor(AuditActorKind.ApiKey, caller.KeyId, caller.Actor, http.Connection.RemoteIpAddress?.ToString());
    }

    /// <summary>A member acting on their own account in the portal.</summary>
    public static AuditActor Member(Guid memberId, string? address) => new(AuditActorKind.Member, memberId, "member", address);

    /// <summary>A staff user of the console.</summary>
    public static AuditActor Staff(ClaimsPrincipal user, string? address)
    {
        var identity = user.Identities.FirstOrDefault(i => i.AuthenticationType == WebAuth.StaffScheme);
        var id = Guid.TryParse(identity?.FindFirst(WebAuth.StaffIdClaim)?.Value, out var staff) ? staff : (Guid?)null;
        return new AuditActor(AuditActorKind.Staff, id, identity?.Name ?? "", address);
    }

    /// <summary>The name the ledger records as the actor of a movement.</summary>
    public string LedgerName => Kind switch
    {
        AuditActorKind.Staff => "staff:" + Name,
        _ => Name,
    };
}

/// <summary>The stable codes of audited acts.</summary>
public static class AuditActions
{
    public const string StaffSignIn = "staff.signin";
    public const string StaffSignInFailed = "staff.signin_failed";
    public const string StaffCreated = "staff.created";
    public const string StaffDisabled = "staff.disabled";
    public const string StaffEnabled = "staff.enabled";
    public const string StaffRoleChanged = "staff.role_changed";
    public const string ApiKeyCreated = "apikey.created";
    public const string ApiKeyRevoked = "apikey.revoked";
    public const string MemberStatusChanged = "member.status_changed";
    public const string CardIssued = "card.issued";
    public const string CardBlocked = "card.blocked";
    public const string CardReplaced = "card.replaced";
    public const string PointsAdjusted = "points.adjusted";
    public const string ProgrammeChanged = "programme.changed";
    public const string MemberExported = "member.exported";
    public const string MemberErased = "member.erased";
    public const string TierSet = "tier.set";
    public const string PrivacySettingsChanged = "privacy.settings_changed";
    public const string SettlementChanged = "settlement.changed";
    public const string SettlementClosed = "settlement.closed";

    public static readonly IReadOnlyList<string> All =
    [
        StaffSignIn, StaffSignInFailed, StaffCreated, StaffDisabled, StaffEnabled, StaffRoleChanged, ApiKeyCreated, ApiKeyRevoked,
        MemberStatusChanged, CardIssued, CardBlocked, CardReplaced, PointsAdjusted, ProgrammeChanged, MemberExported, MemberErased, TierSet,
        PrivacySettingsChanged, SettlementChanged, SettlementClosed,
    ];
}

/// <summary>Filters of the audit log, shared by the API and the console.</summary>
public sealed record AuditFilter(DateTime? From = null, DateTime? To = null, string? Action = null, string? Actor = null, Guid? MemberId = null);

/// <summary>
/// The audit log: one append-only row per administrative act. Every path that does an act (API, console, CLI) adds
/// its row through <see cref="Add"/> to the same unit of work as the act, so the row exists exactly when the act does.
/// </summary>
public static class AuditLog
{
    /// <summary>Adds a row to <paramref name="db"/>'s pending changes; it is written when the act's changes are saved.</summary>
    public static void Add(TreueDb db, Guid programmeId, AuditActor actor, string action, DateTime at,
        string? target = null, string? details = null, Guid? memberId = null) =>
        db.AuditEntries.Add(new AuditEntry
        {
            ProgrammeId = programmeId, MemberId = memberId, At = at, ActorKind = actor.Kind, ActorId = actor.Id,
            Actor = Bound(actor.Name, 320)!, Address = Bound(actor.Address, 64), Action = action, Target = Bound(target, 320),
            Details = Bound(details, 2000),
        });

    /// <summary>
    /// False when the actor is a staff account that is disabled or gone: such an account may not act, and the ledger
    /// never records it. Called inside the act's transaction.
    /// </summary>
    public static async Task<bool> MayActAsync(TreueDb db, Guid programmeId, AuditActor actor, CancellationToken ct) =>
        actor.Kind != AuditActorKind.Staff
        || (actor.Id is { } id && await db.StaffUsers.AnyAsync(u => u.Id == id && u.ProgrammeId == programmeId && u.Active, ct));

    /// <summary>The refusal when <see cref="MayActAsync"/> is false.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ActorDisabled() =>
        Problems.Problem("actor_disabled", "The staff account that asked for this is disabled.", status: 403);

    /// <summary>The programme's rows that match <paramref name="filter"/>, newest first.</summary>
    public static IQueryable<AuditEntry> Query(TreueDb db, Guid programmeId, AuditFilter filter)
    {
        var q = db.AuditEntries.AsNoTracking().Where(e => e.ProgrammeId == programmeId);
        if (filter.From is { } from) q = q.Where(e => e.At >= from);
        if (filter.To is { } to) q = q.Where(e => e.At < to);
        if (!string.IsNullOrEmpty(filter.Action)) q = q.Where(e => e.Action == filter.Action);
        if (!string.IsNullOrEmpty(filter.Actor)) q = q.Where(e => e.Actor == filter.Actor);
        if (filter.MemberId is { } member) q = q.Where(e => e.MemberId == member);
        return q.OrderByDescending(e => e.Id);
    }

    private static string? Bound(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}
