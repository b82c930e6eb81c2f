using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Treue.Server.Features.Audit;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Web.Shared;

/// <summary>
/// Base of the interactive pages: a service scope (and so a database context) per page, the texts, and who is
/// signed in. The programme and the member always come from the sign-in, never from the address.
/// </summary>
public abstract class WebPage : OwningComponentBase
{
    [CascadingParameter] protected Task<AuthenticationState> AuthState { get; set; } = default!;
    [Inject] protected Loc L { get; set; } = default!;
    [Inject] protected NavigationManager Nav { get; set; } = default!;
    [Inject] private IHttpContextAccessor Http { get; set; } = default!;

    protected TreueDb Db => ScopedServices.GetRequiredService<TreueDb>();
    protected T Service<T>() where T : notnull => ScopedServices.GetRequiredService<T>();
    protected DateTime Now => ScopedServices.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;

    protected ClaimsPrincipal User { get; private set; } = new();
    protected Guid ProgrammeId { get; private set; }
    protected Guid StaffId { get; private set; }
    protected StaffRole Role { get; private set; }
    protected Guid MemberId { get; private set; }
    /// <summary>The programme's time zone: every time a page shows is in it.</summary>
    protected TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;
    /// <summary>The staff user's e-mail, recorded as the author of changes and as the ledger's actor.</summary>
    protected string StaffEmail => User.Identities.FirstOrDefault(i => i.AuthenticationType == WebAuth.StaffScheme)?.Name ?? "";
    protected string Actor => "staff:" + StaffEmail;
    /// <summary>The signed-in staff user as the actor of the audit log, with the address the page was opened from.</summary>
    protected AuditActor Auditor => AuditActor.Staff(User, Address);
    /// <summary>The remote address of the browser, as far as the connection of the page tells it.</summary>
    protected string? Address { get; private set; }

    /// <summary>True for pages of the member portal: the member's identity rules, not the staff's.</summary>
    protected virtual bool IsPortal => false;

    protected override async Task OnInitializedAsync()
    {
        User = (await AuthState).User;
        Address ??= Http.HttpContext?.Connection.RemoteIpAddress?.ToString();
        if (IsPortal)
        {
            MemberId = Guid.TryParse(User.FindFirstValue(WebAuth.MemberIdClaim), out var member) ? member : Guid.Empty;
            ProgrammeId = ProgrammeOf(WebAuth.MemberScheme);
        }
        else
        {
            StaffId = Guid.TryParse(User.FindFirstValue(WebAuth.StaffIdClaim), out var staff) ? staff : Guid.Empty;
            ProgrammeId = ProgrammeOf(WebAuth.StaffScheme);
            Role = Enum.TryParse<StaffRole>(User.FindFirstValue(WebAuth.StaffRoleClaim), out var role) ? role : StaffRole.Analyst;
        }
        if (ProgrammeId != Guid.Empty)
            Zone = (await ScopedServices.GetRequiredService<Treue.Server.Features.Programmes.ProgrammeCache>().GetAsync(Db, ProgrammeId, default)).TimeZone;
        await LoadAsync();
    }

    private Guid ProgrammeOf(string scheme) =>
        Guid.TryParse(User.Identities.FirstOrDefault(i => i.AuthenticationType == scheme)?.FindFirst(WebAuth.ProgrammeClaim)?.Value, out var id) ? id : Guid.Empty;

    /// <summary>Loads the page's data once who is signed in is known.</summary>
    protected virtual Task LoadAsync() => Task.CompletedTask;

    /// <summary>True when the signed-in staff user's role may do what <paramref name="policy"/> guards.</summary>
    protected bool Can(string policy) => StaffId != Guid.Empty && WebAuth.Allows(Role, policy);
}
