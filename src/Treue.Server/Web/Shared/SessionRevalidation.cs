using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.EntityFrameworkCore;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Web.Shared;

/// <summary>
/// An open page keeps its connection for as long as the tab is open, beyond the cookie's lifetime. Every minute this
/// checks that a signed-in staff user still exists and is active and that the session is younger than its maximum
/// age, and that a member is not closed; otherwise the page loses its sign-in at once.
/// </summary>
public sealed class SessionRevalidation(ILoggerFactory logs, IServiceScopeFactory scopes, TimeProvider clock)
    : RevalidatingServerAuthenticationStateProvider(logs)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct)
    {
        var user = state.User;
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<TreueDb>();
        var now = clock.GetUtcNow().UtcDateTime;
        if (Guid.TryParse(user.FindFirstValue(WebAuth.StaffIdClaim), out var staffId))
        {
            if (now - SignedInAt(user, WebAuth.StaffScheme) > WebAuth.StaffMaxSession) return false;
            if (!await db.StaffUsers.AnyAsync(u => u.Id == staffId && u.Active, ct)) return false;
        }
        if (Guid.TryParse(user.FindFirstValue(WebAuth.MemberIdClaim), out var memberId)
            && !await db.Members.AnyAsync(m => m.Id == memberId && m.Status != MemberStatus.Closed, ct))
            return false;
        return true;
    }

    private static DateTime SignedInAt(ClaimsPrincipal user, string scheme)
    {
        var claim = user.Identities.FirstOrDefault(i => i.AuthenticationType == scheme)?.FindFirst(WebAuth.SignedInAtClaim)?.Value;
        return long.TryParse(claim, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? new DateTime(ticks, DateTimeKind.Utc) : DateTime.MinValue;
    }
}
