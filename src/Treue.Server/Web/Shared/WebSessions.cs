using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Web.Shared;

/// <summary>What a session may do now: its staff role (for the console) or that the member is still open.</summary>
public sealed record SessionState(Guid ProgrammeId, Guid SubjectId, StaffRole? Role);

/// <summary>
/// Server-side sessions of the console and the portal. Each sign-in is a row; the cookie carries its id. Every
/// request (and every open page, see <see cref="SessionRevalidation"/>) checks the row and the account behind it,
/// so that signing out, disabling or deleting an account, closing a member or changing a role takes effect on the
/// next request on every node. A node remembers an answer for <see cref="CacheTime"/> at most, and forgets all of
/// them at once when the change happens on this node.
/// </summary>
public sealed class WebSessions(IServiceScopeFactory scopes, TimeProvider clock)
{
    public const string SessionClaim = "treue:session";

    /// <summary>How long a node may reuse an answer for a change made on another node.</summary>
    public static readonly TimeSpan CacheTime = TimeSpan.FromSeconds(2);

    private const int MaxCached = 10_000;

    private readonly ConcurrentDictionary<Guid, (SessionState? State, DateTimeOffset At, long Generation)> _cache = new();
    private long _generation;

    /// <summary>Records a new session and returns its id, which goes into the cookie.</summary>
    public static async Task<Guid> StartAsync(TreueDb db, SessionKind kind, Guid programmeId, Guid subjectId, DateTime now, CancellationToken ct)
    {
        // The account's finished sessions go when it signs in again, so the table holds about one row per account and device.
        var staffCutoff = now - WebAuth.StaffMaxSession;
        await db.WebSessions.Where(s => s.ProgrammeId == programmeId && s.SubjectId == subjectId
                && (s.EndedAt != null || (s.Kind == SessionKind.Staff && s.CreatedAt < staffCutoff)))
            .ExecuteDeleteAsync(ct);
        var session = new WebSession { Id = Guid.NewGuid(), ProgrammeId = programmeId, Kind = kind, SubjectId = subjectId, CreatedAt = now };
        db.WebSessions.Add(session);
        await db.SaveChangesAsync(ct);
        return session.Id;
    }

    /// <summary>Ends the session of <paramref name="user"/>'s identity of <paramref name="scheme"/>, if it has one.</summary>
    public async Task EndAsync(ClaimsPrincipal user, string scheme, CancellationToken ct)
    {
        if (SessionOf(user, scheme) is not { } id) return;
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<TreueDb>();
        var now = clock.GetUtcNow().UtcDateTime;
        await db.WebSessions.Where(s => s.Id == id && s.EndedAt == null).ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), ct);
        Forget();
    }

    /// <summary>
    /// Forgets every remembered answer of this node. Called after any change that can end or alter a session
    /// (an account disabled, a role changed, a member closed), so that this node sees it on the next request.
    /// </summary>
    public void Forget()
    {
        Interlocked.Increment(ref _generation);
        _cache.Clear();
    }

    /// <summary>The session's current state, or null when it no longer admits anyone.</summary>
    public async Task<SessionState?> CheckAsync(Guid sessionId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var generation = Interlocked.Read(ref _generation);
        if (_cache.TryGetValue(sessionId, out var hit) && hit.Generation == generation && now - hit.At < CacheTime && now >= hit.At)
            return hit.State;
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<TreueDb>();
        var state = await LoadAsync(db, sessionId, now.UtcDateTime, ct);
        // Answers live for seconds only; dropping them all now and then keeps the memory of sessions long gone bounded.
        if (_cache.Count >= MaxCached) _cache.Clear();
        _cache[sessionId] = (state, now, generation);
        return state;
    }

    private static async Task<SessionState?> LoadAsync(TreueDb db, Guid sessionId, DateTime now, CancellationToken ct)
    {
        var session = await db.WebSessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId && s.EndedAt == null, ct);
        if (session is null) return null;
        if (session.Kind == SessionKind.Staff)
        {
            if (now - session.CreatedAt > WebAuth.StaffMaxSession) return null;
            var role = await db.StaffUsers.AsNoTracking()
                .Where(u => u.Id == session.SubjectId && u.ProgrammeId == session.ProgrammeId && u.Active)
                .Select(u => (StaffRole?)u.Role).SingleOrDefaultAsync(ct);
            return role is null ? null : new SessionState(session.ProgrammeId, session.SubjectId, role);
        }
        var open = await db.Members.AnyAsync(m => m.Id == session.SubjectId && m.ProgrammeId == session.ProgrammeId && m.Status != MemberStatus.Closed, ct);
        return open ? new SessionState(session.ProgrammeId, session.SubjectId, null) : null;
    }

    /// <summary>The session id in <paramref name="user"/>'s identity of <paramref name="scheme"/>.</summary>
    public static Guid? SessionOf(ClaimsPrincipal user, string scheme) =>
        Guid.TryParse(user.Identities.FirstOrDefault(i => i.AuthenticationType == scheme)?.FindFirst(SessionClaim)?.Value, out var id) ? id : null;

    /// <summary>
    /// True when the identity of <paramref name="scheme"/> in <paramref name="user"/> is still admitted with the claims it
    /// carries: its session is open, its account may sign in, and (for staff) its role is the current one.
    /// </summary>
    public async Task<bool> IsCurrentAsync(ClaimsPrincipal user, string scheme, CancellationToken ct)
    {
        var identity = user.Identities.FirstOrDefault(i => i.AuthenticationType == scheme);
        if (identity is null) return true;
        if (SessionOf(user, scheme) is not { } id) return false;
        var state = await CheckAsync(id, ct);
        if (state is null || !Matches(identity, state)) return false;
        return state.Role is null || identity.FindFirst(WebAuth.StaffRoleClaim)?.Value == state.Role.ToString();
    }

    private static bool Matches(ClaimsIdentity identity, SessionState state)
    {
        var subject = identity.FindFirst(identity.AuthenticationType == WebAuth.StaffScheme ? WebAuth.StaffIdClaim : WebAuth.MemberIdClaim)?.Value;
        return subject == state.SubjectId.ToString() && identity.FindFirst(WebAuth.ProgrammeClaim)?.Value == state.ProgrammeId.ToString();
    }

    /// <summary>
    /// The cookie handler's check on every request: a cookie whose session ended is refused and deleted; a staff
    /// cookie whose role changed carries the current role from now on.
    /// </summary>
    public async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var scheme = context.Scheme.Name;
        var identity = context.Principal?.Identities.FirstOrDefault(i => i.AuthenticationType == scheme);
        var id = context.Principal is null ? null : SessionOf(context.Principal, scheme);
        var state = id is null ? null : await CheckAsync(id.Value, context.HttpContext.RequestAborted);
        if (identity is null || state is null || !Matches(identity, state))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(scheme);
            return;
        }
        if (state.Role is { } role && identity.FindFirst(WebAuth.StaffRoleClaim)?.Value != role.ToString())
        {
            var renewed = new ClaimsIdentity(identity.Claims.Where(c => c.Type != WebAuth.StaffRoleClaim)
                .Append(new Claim(WebAuth.StaffRoleClaim, role.ToString())), identity.AuthenticationType, identity.NameClaimType, identity.RoleClaimType);
            context.ReplacePrincipal(new ClaimsPrincipal(renewed));
            context.ShouldRenew = true;
        }
    }

}
