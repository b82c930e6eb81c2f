using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Web.Shared;

/// <summary>Cookie schemes, claims and policies of the admin console and the member portal.</summary>
public static class WebAuth
{
    public const string StaffScheme = "Staff";
    public const string MemberScheme = "Member";
    /// <summary>The default authentication scheme: API keys on the API, the two cookies everywhere else.</summary>
    public const string CombinedScheme = "TreueWeb";

    public const string ProgrammeClaim = "treue:programme";
    public const string StaffIdClaim = "treue:staff";
    public const string StaffRoleClaim = "treue:staff-role";
    public const string MemberIdClaim = "treue:member";

    // Policies of the console. Each names the roles that may use a part of it; the table is in docs/admin-guide.md.
    public const string Staff = "web:staff";
    public const string ViewMembers = "web:members";
    public const string ChangeMembers = "web:members-change";
    public const string EditProgramme = "web:programme-edit";
    public const string ViewOrders = "web:orders";
    public const string ChangeOrders = "web:orders-change";
    public const string StaffAdmin = "web:admin";
    public const string ViewAnalytics = "web:analytics";
    public const string Member = "web:member";

    /// <summary>Which roles each console policy admits.</summary>
    public static readonly IReadOnlyDictionary<string, StaffRole[]> StaffPolicies = new Dictionary<string, StaffRole[]>
    {
        [Staff] = [StaffRole.Admin, StaffRole.Marketer, StaffRole.Support, StaffRole.Analyst],
        [ViewMembers] = [StaffRole.Admin, StaffRole.Marketer, StaffRole.Support],
        [ChangeMembers] = [StaffRole.Admin, StaffRole.Support],
        [EditProgramme] = [StaffRole.Admin, StaffRole.Marketer],
        [ViewOrders] = [StaffRole.Admin, StaffRole.Marketer, StaffRole.Support],
        [ChangeOrders] = [StaffRole.Admin, StaffRole.Support],
        [StaffAdmin] = [StaffRole.Admin],
        [ViewAnalytics] = [StaffRole.Admin, StaffRole.Marketer, StaffRole.Analyst],
    };

    /// <summary>True when a staff role may use the part of the console a policy guards.</summary>
    public static bool Allows(StaffRole role, string policy) => StaffPolicies.TryGetValue(policy, out var roles) && roles.Contains(role);

    public static readonly TimeSpan StaffIdle = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan StaffMaxSession = TimeSpan.FromHours(10);
    public static readonly TimeSpan MemberIdle = TimeSpan.FromDays(14);

    public static ClaimsPrincipal StaffPrincipal(StaffUser u, Guid session) => new(new ClaimsIdentity(
    [
        new Claim(StaffIdClaim, u.Id.ToString()), new Claim(ProgrammeClaim, u.ProgrammeId.ToString()),
        new Claim(StaffRoleClaim, u.Role.ToString()), new Claim(ClaimTypes.Name, u.Email),
        new Claim(WebSessions.SessionClaim, session.ToString()),
    ], StaffScheme, ClaimTypes.Name, StaffRoleClaim));

    public static ClaimsPrincipal MemberPrincipal(Member m, Guid session) => new(new ClaimsIdentity(
    [
        new Claim(MemberIdClaim, m.Id.ToString()), new Claim(ProgrammeClaim, m.ProgrammeId.ToString()),
        new Claim(ClaimTypes.Name, m.Name),
        new Claim(WebSessions.SessionClaim, session.ToString()),
    ], MemberScheme, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>Starts a session for a staff user and sets the console's cookie.</summary>
    public static async Task SignInStaffAsync(HttpContext http, StaffUser user, DateTime now)
    {
        var db = http.RequestServices.GetRequiredService<TreueDb>();
        var session = await WebSessions.StartAsync(db, SessionKind.Staff, user.ProgrammeId, user.Id, now, http.RequestAborted);
        await http.SignInAsync(StaffScheme, StaffPrincipal(user, session));
    }

    /// <summary>
    /// Starts a session for a member and sets the portal's cookie, which outlives the browser for <see cref="MemberIdle"/>.
    /// The portal then speaks the member's preferred language; the language switch still changes it.
    /// </summary>
    public static async Task SignInMemberAsync(HttpContext http, Member member, DateTime now)
    {
        var db = http.RequestServices.GetRequiredService<TreueDb>();
        var session = await WebSessions.StartAsync(db, SessionKind.Member, member.ProgrammeId, member.Id, now, http.RequestAborted);
        await http.SignInAsync(MemberScheme, MemberPrincipal(member, session), new AuthenticationProperties { IsPersistent = true });
        WebSetup.SetLanguage(http, member.Language);
    }

    public static void AddWebAuthentication(this WebApplicationBuilder builder)
    {
        // The keys that protect the cookies and antiforgery tokens live in the database, so that every node reads the
        // cookies of every other and a restart with a fresh home folder signs nobody out. The application name replaces
        // the default, the content root, which differs between installations. The key ring is first read when the
        // host starts, after the migrations have run.
        builder.Services.AddDataProtection().SetApplicationName("Treue").PersistKeysToDbContext<TreueDb>();
        builder.Services.AddAuthentication(o =>
            {
                // The API keeps answering 401/403 as problem details; only the web pages redirect to a sign-in page.
                o.DefaultAuthenticateScheme = CombinedScheme;
                o.DefaultChallengeScheme = ApiKeyAuthentication.SchemeName;
                o.DefaultForbidScheme = ApiKeyAuthentication.SchemeName;
            })
            .AddScheme<AuthenticationSchemeOptions, CombinedAuthentication>(CombinedScheme, null)
            .AddCookie(StaffScheme, o =>
            {
                o.Cookie.Name = "treue_staff";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = StaffIdle;
                o.SlidingExpiration = true;
                o.LoginPath = "/admin/signin";
                o.AccessDeniedPath = "/admin/denied";
                o.Events.OnValidatePrincipal = c => c.HttpContext.RequestServices.GetRequiredService<WebSessions>().ValidateAsync(c);
            })
            .AddCookie(MemberScheme, o =>
            {
                o.Cookie.Name = "treue_member";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = MemberIdle;
                o.SlidingExpiration = true;
                o.LoginPath = "/portal/signin";
                o.AccessDeniedPath = "/portal/signin";
                o.Events.OnValidatePrincipal = c => c.HttpContext.RequestServices.GetRequiredService<WebSessions>().ValidateAsync(c);
            });
        builder.Services.AddSingleton<WebSessions>();
        var policies = builder.Services.AddAuthorizationBuilder();
        foreach (var (name, roles) in StaffPolicies)
        {
            policies.AddPolicy(name, p => p.AddAuthenticationSchemes(StaffScheme).RequireClaim(StaffIdClaim)
                .RequireClaim(StaffRoleClaim, roles.Select(r => r.ToString())));
        }
        policies.AddPolicy(Member, p => p.AddAuthenticationSchemes(MemberScheme).RequireClaim(MemberIdClaim));
    }
}

/// <summary>
/// Authenticates a request the way its path needs: the API by its key only (a browser's cookies never
/// authorise an API call), everything else by the staff and member cookies together. The Blazor circuit
/// is one connection for both, so both identities travel with it and each page's policy picks its own.
/// </summary>
public sealed class CombinedAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var path = Request.Path;
        if (path.StartsWithSegments("/api") || Request.Headers.ContainsKey("X-Api-Key") || Request.Headers.Authorization.Count > 0)
            return await Context.AuthenticateAsync(ApiKeyAuthentication.SchemeName);
        var identities = new List<ClaimsIdentity>();
        foreach (var scheme in new[] { WebAuth.StaffScheme, WebAuth.MemberScheme })
        {
            var result = await Context.AuthenticateAsync(scheme);
            if (result.Succeeded) identities.AddRange(result.Principal.Identities);
        }
        return identities.Count == 0
            ? AuthenticateResult.NoResult()
            : AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identities), Scheme.Name));
    }
}
