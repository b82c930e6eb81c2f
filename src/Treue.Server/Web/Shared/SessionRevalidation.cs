using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace Treue.Server.Web.Shared;

/// <summary>
/// An open page keeps its connection for as long as the tab is open, and acts without new requests. Every few
/// seconds this makes the same check as the cookie handler makes on each request (<see cref="WebSessions"/>): the
/// session is open, the staff account is active with the role the page was opened with, the member is not closed.
/// Otherwise the page loses its sign-in at once.
/// </summary>
public sealed class SessionRevalidation(ILoggerFactory logs, WebSessions sessions)
    : RevalidatingServerAuthenticationStateProvider(logs)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(5);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct) =>
        await sessions.IsCurrentAsync(state.User, WebAuth.StaffScheme, ct) && await sessions.IsCurrentAsync(state.User, WebAuth.MemberScheme, ct);
}
