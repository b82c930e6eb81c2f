using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Localization;
using MudBlazor.Services;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Privacy;
using Treue.Server.Infrastructure;
using Treue.Server.Web.Admin;
using Treue.Server.Web.Portal;
using Treue.Storage;

namespace Treue.Server.Web.Shared;

/// <summary>Puts the admin console (<c>/admin</c>) and the member portal (<c>/portal</c>) into the server.</summary>
public static class WebSetup
{
    public static void AddTreueWeb(this WebApplicationBuilder builder)
    {
        // Static assets of packages (MudBlazor) are served from the build output too, not only in Development.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<AuthenticationStateProvider, SessionRevalidation>();
        builder.Services.AddMudServices();
        builder.Services.AddSingleton<SignInThrottle>();
        builder.Services.AddSingleton<ISignInCodeSender, LogSignInCodeSender>();
        builder.Services.AddScoped<Loc>();
        builder.Services.AddScoped<StaffAccounts>();
        builder.Services.AddScoped<MemberAccounts>();
        builder.Services.AddScoped<ProgrammeEditor>();
        builder.Services.AddScoped<Dashboard>();
        builder.Services.AddHostedService<FirstAdmin>();
        builder.Services.Configure<RequestLocalizationOptions>(o =>
        {
            var cultures = Loc.Languages.Select(l => new CultureInfo(l.Code)).ToList();
            o.DefaultRequestCulture = new RequestCulture("en");
            o.SupportedCultures = cultures;
            o.SupportedUICultures = cultures;
            o.FallBackToParentCultures = true;
            o.FallBackToParentUICultures = true;
        });
        builder.AddWebAuthentication();
    }

    /// <summary>Middleware of the web pages: friendly error pages, the language, antiforgery.</summary>
    public static void UseTreueWeb(this WebApplication app)
    {
        app.UseWhen(http => IsWebPage(http.Request.Path), web => web.UseMiddleware<WebErrorPages>());
        app.UseRequestLocalization();
        app.UseAntiforgery();
    }

    public static void MapTreueWeb(this WebApplication app)
    {
        // The manifest is named after the program that hosts the server (Treue.Server, or the treue command); a host
        // without one of its own (a test that runs the command in-process) uses the server's.
        var own = Path.Combine(AppContext.BaseDirectory, app.Environment.ApplicationName + ".staticwebassets.endpoints.json");
        var server = Path.Combine(AppContext.BaseDirectory, "Treue.Server.staticwebassets.endpoints.json");
        if (File.Exists(own)) app.MapStaticAssets();
        else if (File.Exists(server)) app.MapStaticAssets(server);
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapGet("/culture", (string? c, string? back, HttpContext http) =>
        {
            // The path ends up in the Location header, which the server refuses to write with a control or non-ASCII character.
            var v = new Validation();
            if (v.Text(back, "back", InputBounds.MaxReturnPathLength, required: false) && back is not null)
                v.Check(back.All(char.IsAscii), "back", "must be a path of this site with non-ASCII characters percent-encoded");
            if (v.Failed) return v.Problem();
            SetLanguage(http, Loc.Languages.Any(l => l.Code == c) ? c! : "en");
            // Only paths of this site: an open redirect would let others borrow the address.
            var target = back is not null && back.StartsWith('/') && !back.StartsWith("//", StringComparison.Ordinal) && !back.StartsWith("/\\", StringComparison.Ordinal) ? back : "/";
            return Results.LocalRedirect(target);
        }).ExcludeFromDescription().AllowAnonymous();
        // The member's own data as a file (GDPR Art. 15 and 20): the same export as the API's.
        app.MapGet("/portal/my-data", async (HttpContext http, TreueDb db, TimeProvider clock) =>
        {
            var programme = Guid.Parse(http.User.FindFirst(WebAuth.ProgrammeClaim)!.Value);
            var member = Guid.Parse(http.User.FindFirst(WebAuth.MemberIdClaim)!.Value);
            var now = clock.GetUtcNow().UtcDateTime;
            var export = await MemberData.ExportAsync(db, programme, member, now, http.RequestAborted);
            if (export is null) return Results.NotFound();
            AuditLog.Add(db, programme, AuditActor.Member(member, http.Connection.RemoteIpAddress?.ToString()), AuditActions.MemberExported, now,
                member.ToString(), null, member);
            await db.SaveChangesAsync(http.RequestAborted);
            return Results.File(JsonSerializer.SerializeToUtf8Bytes(export, TreueJson.Options), "application/json", $"my-data-{now:yyyy-MM-dd}.json");
        }).ExcludeFromDescription().RequireAuthorization(WebAuth.Member);
        // A member's data for staff answering an access request: the same export as the API's, written to the audit log.
        app.MapGet("/admin/members/{memberId:guid}/export.json", async (Guid memberId, HttpContext http, TreueDb db, TimeProvider clock) =>
        {
            var programme = Guid.Parse(http.User.Identities.First(i => i.AuthenticationType == WebAuth.StaffScheme).FindFirst(WebAuth.ProgrammeClaim)!.Value);
            var now = clock.GetUtcNow().UtcDateTime;
            var export = await MemberData.ExportAsync(db, programme, memberId, now, http.RequestAborted);
            if (export is null) return Results.NotFound();
            AuditLog.Add(db, programme, AuditActor.Staff(http.User, http.Connection.RemoteIpAddress?.ToString()), AuditActions.MemberExported, now,
                memberId.ToString(), null, memberId);
            await db.SaveChangesAsync(http.RequestAborted);
            return Results.File(JsonSerializer.SerializeToUtf8Bytes(export, TreueJson.Options), "application/json", $"member-{memberId}.json");
        }).ExcludeFromDescription().RequireAuthorization(WebAuth.StaffAdmin);
        // A campaign's codes as CSV for the console: the same export as the API's.
        app.MapGet("/admin/campaigns/{campaignId}/codes.csv", async (string campaignId, HttpContext http, TreueDb db) =>
        {
            var programme = Guid.Parse(http.User.Identities.First(i => i.AuthenticationType == WebAuth.StaffScheme).FindFirst(WebAuth.ProgrammeClaim)!.Value);
            var csv = await Features.Promotions.PromotionEndpoints.ExportCsvAsync(db, programme, campaignId, http.RequestAborted);
            return csv is null ? Results.NotFound() : Results.File(System.Text.Encoding.UTF8.GetBytes(csv), "text/csv; charset=utf-8", $"{campaignId}-codes.csv");
        }).ExcludeFromDescription().RequireAuthorization(WebAuth.EditProgramme);
        // A partner's statement for the console: the same files as the API's.
        app.MapGet("/admin/settlement/{period}/{partnerCode}.{format:regex(^(csv|pdf)$)}", async (string period, string partnerCode, string format,
            HttpContext http, TreueDb db, Loc l) =>
        {
            var programme = Guid.Parse(http.User.Identities.First(i => i.AuthenticationType == WebAuth.StaffScheme).FindFirst(WebAuth.ProgrammeClaim)!.Value);
            var run = Domain.Settlement.SettlementPeriod.Parse(period) is { } p
                ? await Features.Settlement.SettlementService.FindAsync(db, programme, p, http.RequestAborted) : null;
            var statement = run?.Statements.SingleOrDefault(s => s.PartnerCode == partnerCode);
            if (run is null || statement is null) return Results.NotFound();
            var name = Features.Settlement.SettlementEndpoints.FileName(run, statement, format);
            if (format == "csv")
                return Results.File(await Features.Settlement.StatementDocuments.CsvAsync(Features.Settlement.SettlementService.Statement(run, statement), l,
                    http.RequestAborted), "text/csv; charset=utf-8", name);
            var settings = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(db.Programmes, x => x.Id == programme, http.RequestAborted);
            return Results.File(Features.Settlement.SettlementEndpoints.Pdf(settings, run, statement, l), "application/pdf", name);
        }).ExcludeFromDescription().RequireAuthorization(WebAuth.StaffAdmin);
        app.MapPost("/admin/signout", SignOutAsync(WebAuth.StaffScheme, "/admin/signin")).ExcludeFromDescription()
            .WithMetadata(new RequireAntiforgeryTokenAttribute());
        app.MapPost("/portal/signout", SignOutAsync(WebAuth.MemberScheme, "/portal/signin")).ExcludeFromDescription()
            .WithMetadata(new RequireAntiforgeryTokenAttribute());
    }

    /// <summary>Sets the language the console and portal are shown in (a cookie), if it is one of theirs.</summary>
    public static void SetLanguage(HttpContext http, string culture)
    {
        if (!Loc.Languages.Any(l => l.Code == culture)) return;
        http.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
            new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true, Secure = http.Request.IsHttps });
    }

    private static Func<HttpContext, Task<IResult>> SignOutAsync(string scheme, string then) => async http =>
    {
        // The antiforgery middleware only records its verdict; an endpoint that binds no form must read it itself.
        if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
            return Results.BadRequest();
        var user = (await http.AuthenticateAsync(scheme)).Principal;
        if (user is not null) await http.RequestServices.GetRequiredService<WebSessions>().EndAsync(user, scheme, http.RequestAborted);
        await http.SignOutAsync(scheme);
        return Results.LocalRedirect(then);
    };

    /// <summary>Paths that show HTML pages rather than the API's problem details.</summary>
    public static bool IsWebPage(PathString path) =>
        path == "/" || path.StartsWithSegments("/admin") || path.StartsWithSegments("/portal") || path.StartsWithSegments("/not-found");
}
