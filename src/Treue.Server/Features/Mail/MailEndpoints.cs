using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using Treue.Server.Features.Audit;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Mail;

/// <summary>A programme's mail server as the API shows it: never the password, only whether there is one.</summary>
public sealed record MailSettingsView(string Host, int Port, MailSecurity Security, string? UserName, bool HasPassword, string FromAddress,
    string FromName, string? ReplyTo, DateTime UpdatedAt);

/// <summary>
/// The mail server to set. <paramref name="Password"/>: null keeps the stored one, an empty text removes it.
/// </summary>
public sealed record MailSettingsRequest(string? Host, int? Port, string? FromAddress, string? FromName, MailSecurity? Security = null,
    string? UserName = null, string? Password = null, string? ReplyTo = null);

/// <summary>A programme's own text for a template.</summary>
public sealed record MailTemplateRequest(string? Subject, string? Body);

/// <summary>The data to fill a template preview with; the member's name and the programme's are filled in anyway.</summary>
public sealed record MailPreviewRequest(Dictionary<string, string>? Data = null, string? Name = null);

/// <summary>E-mail (see docs/email.md): the programme's mail server, its templates with previews, and delivering the outbox now.</summary>
public static class MailEndpoints
{
    public static RouteGroupBuilder MapMail(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/mail").WithTags("E-mail").RequireAuthorization(Policies.Admin);
        g.MapGet("/settings", GetSettings).WithName("getMailSettings").Refuses(404, "mail_not_configured")
            .WithSummary("The programme's SMTP server and sender (without the password)");
        g.MapPut("/settings", PutSettings).WithName("putMailSettings").WithSummary("Set the programme's SMTP server and sender");
        g.MapDelete("/settings", DeleteSettings).WithName("deleteMailSettings")
            .WithSummary("Remove the programme's SMTP server: messages wait in the outbox until one is set");
        g.MapGet("/templates", Templates).WithName("listMailTemplates").WithSummary("Every template in every language: the programme's own text or the built-in one");
        g.MapPut("/templates/{template}/{language}", PutTemplate).WithName("putMailTemplate").Refuses(404, "template_not_found")
            .WithSummary("Replace a template's text in a language");
        g.MapDelete("/templates/{template}/{language}", DeleteTemplate).WithName("deleteMailTemplate").Refuses(404, "template_not_found")
            .WithSummary("Go back to the built-in text of a template in a language");
        g.MapPost("/templates/{template}/{language}/preview", Preview).WithName("previewMailTemplate").Refuses(404, "template_not_found")
            .WithSummary("A template filled in with sample data: subject, plain text and HTML");
        api.MapPost("/jobs/mail", Deliver).WithName("deliverMail").WithTags("E-mail").RequireAuthorization(Policies.Admin)
            .WithSummary("Send the outbox's due e-mail messages now (every node also does so on its own)");
        return api;
    }

    private static MailSettingsView View(MailSettings s) =>
        new(s.Host, s.Port, s.Security, s.UserName, s.ProtectedPassword is not null, s.FromAddress, s.FromName, s.ReplyTo, s.UpdatedAt);

    private static async Task<Results<Ok<MailSettingsView>, ProblemHttpResult>> GetSettings(HttpContext http, TreueDb db, CancellationToken ct)
    {
        var programmeId = Caller.From(http.User).ProgrammeId;
        var s = await db.MailSettings.AsNoTracking().SingleOrDefaultAsync(x => x.ProgrammeId == programmeId, ct);
        return s is null ? Problems.Problem("mail_not_configured", "The programme has no mail server.", null, 404) : TypedResults.Ok(View(s));
    }

    private static async Task<Results<Ok<MailSettingsView>, ProblemHttpResult>> PutSettings(MailSettingsRequest req, HttpContext http, TreueDb db,
        IDataProtectionProvider protection, TimeProvider clock, CancellationToken ct)
    {
        var programmeId = Caller.From(http.User).ProgrammeId;
        var (settings, errors) = await SaveSettingsAsync(db, protection, programmeId, req, AuditActor.Api(http), clock.GetUtcNow().UtcDateTime, ct);
        return errors is not null ? Problems.Validation(errors) : TypedResults.Ok(View(settings!));
    }

    /// <summary>Checks and stores a programme's mail server (the console's form calls this too); the errors name the fields.</summary>
    public static async Task<(MailSettings? Settings, Dictionary<string, string[]>? Errors)> SaveSettingsAsync(TreueDb db, IDataProtectionProvider protection,
        Guid programmeId, MailSettingsRequest req, AuditActor actor, DateTime now, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var host = req.Host?.Trim();
        if (string.IsNullOrEmpty(host) || host.Length > 253 || Uri.CheckHostName(host) == UriHostNameType.Unknown)
            errors["host"] = ["A host name or IP address of at most 253 characters is required."];
        if (req.Port is not { } port || port is < 1 or > 65535) errors["port"] = ["The port is a number from 1 to 65535."];
        if (req.Security is { } security && !Enum.IsDefined(security)) errors["security"] = ["The security is auto, none, startTls or tls."];
        if (!IsAddress(req.FromAddress)) errors["fromAddress"] = ["The sender is an e-mail address (name@example.com)."];
        if (string.IsNullOrWhiteSpace(req.FromName) || req.FromName.Trim().Length > 200) errors["fromName"] = ["The sender's name is required (at most 200 characters)."];
        if (req.ReplyTo is { Length: > 0 } && !IsAddress(req.ReplyTo)) errors["replyTo"] = ["The reply address is an e-mail address."];
        if (req.UserName is { Length: > 254 }) errors["userName"] = ["The user name has at most 254 characters."];
        if (req.Password is { Length: > 500 }) errors["password"] = ["The password has at most 500 characters."];
        if (errors.Count > 0) return (null, errors);
        var s = await db.MailSettings.SingleOrDefaultAsync(x => x.ProgrammeId == programmeId, ct);
        if (s is null)
        {
            s = new MailSettings { ProgrammeId = programmeId, Host = host!, FromAddress = "", FromName = "" };
            db.MailSettings.Add(s);
        }
        s.Host = host!;
        s.Port = req.Port!.Value;
        s.Security = req.Security ?? MailSecurity.Auto;
        s.UserName = string.IsNullOrWhiteSpace(req.UserName) ? null : req.UserName.Trim();
        if (req.Password is { } password)
            s.ProtectedPassword = password.Length == 0 ? null : protection.CreateProtector(MailDelivery.PasswordPurpose).Protect(password);
        s.FromAddress = req.FromAddress!.Trim();
        s.FromName = req.FromName!.Trim();
        s.ReplyTo = string.IsNullOrWhiteSpace(req.ReplyTo) ? null : req.ReplyTo.Trim();
        s.UpdatedAt = now;
        AuditLog.Add(db, programmeId, actor, "mail.settings", now, $"{s.Host}:{s.Port}", $"from {s.FromAddress}");
        await db.SaveChangesAsync(ct);
        return (s, null);
    }

    private static bool IsAddress(string? text) =>
        text is { Length: > 0 and <= 254 } && MailboxAddress.TryParse(text.Trim(), out var address) && address.Address.Contains('@', StringComparison.Ordinal)
        && address.Name is null or "";

    private static async Task<NoContent> DeleteSettings(HttpContext http, TreueDb db, TimeProvider clock, CancellationToken ct)
    {
        var programmeId = Caller.From(http.User).ProgrammeId;
        if (await db.MailSettings.Where(x => x.ProgrammeId == programmeId).ExecuteDeleteAsync(ct) > 0)
        {
            AuditLog.Add(db, programmeId, AuditActor.Api(http), "mail.settings", clock.GetUtcNow().UtcDateTime, null, "removed");
            await db.SaveChangesAsync(ct);
        }
        return TypedResults.NoContent();
    }

    /// <summary>Every built-in template (and every template the programme wrote) in every language.</summary>
    public static async Task<List<MailTemplateView>> ListAsync(TreueDb db, Guid programmeId, CancellationToken ct)
    {
        var own = await db.MailTemplates.AsNoTracking().Where(t => t.ProgrammeId == programmeId).ToListAsync(ct);
        var keys = MailTemplates.Keys.Concat(own.Select(t => t.Template)).Distinct().Order(StringComparer.Ordinal);
        return [.. keys.SelectMany(k => MailTemplates.Languages.Select(l =>
            own.SingleOrDefault(t => t.Template == k && t.Language == l) is { } t ? new MailTemplateView(k, l, t.Subject, t.Body, true)
            : MailTemplates.Default(k, l) ?? new MailTemplateView(k, l, "", "", false)))];
    }

    private static async Task<Ok<List<MailTemplateView>>> Templates(HttpContext http, TreueDb db, CancellationToken ct) =>
        TypedResults.Ok(await ListAsync(db, Caller.From(http.User).ProgrammeId, ct));

    private static Dictionary<string, string[]>? CheckKey(string template, string language)
    {
        var errors = new Dictionary<string, string[]>();
        if (template.Length is 0 or > 64 || !template.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            errors["template"] = ["A template's key has lower-case letters, digits and '_' (at most 64)."];
        if (!MailTemplates.Languages.Contains(language)) errors["language"] = ["The language is en or de."];
        return errors.Count > 0 ? errors : null;
    }

    private static async Task<Results<Ok<MailTemplateView>, ProblemHttpResult>> PutTemplate(string template, string language, MailTemplateRequest req,
        HttpContext http, TreueDb db, TimeProvider clock, CancellationToken ct)
    {
        var programmeId = Caller.From(http.User).ProgrammeId;
        var (view, errors) = await SaveTemplateAsync(db, programmeId, template, language, req, AuditActor.Api(http), clock.GetUtcNow().UtcDateTime, ct);
        return errors is not null ? Problems.Validation(errors) : TypedResults.Ok(view!);
    }

    /// <summary>Checks and stores a programme's own text for a template (the console calls this too).</summary>
    public static async Task<(MailTemplateView? View, Dictionary<string, string[]>? Errors)> SaveTemplateAsync(TreueDb db, Guid programmeId, string template,
        string language, MailTemplateRequest req, AuditActor actor, DateTime now, CancellationToken ct)
    {
        var errors = CheckKey(template, language) ?? [];
        if (string.IsNullOrWhiteSpace(req.Subject) || req.Subject.Length > 200) errors["subject"] = ["The subject is required (at most 200 characters)."];
        if (string.IsNullOrWhiteSpace(req.Body) || req.Body.Length > 20000) errors["body"] = ["The text is required (at most 20,000 characters)."];
        if (errors.Count > 0) return (null, errors);
        var row = await db.MailTemplates.SingleOrDefaultAsync(t => t.ProgrammeId == programmeId && t.Template == template && t.Language == language, ct);
        if (row is null)
        {
            row = new MailTemplateText { ProgrammeId = programmeId, Template = template, Language = language, Subject = "", Body = "", UpdatedBy = "" };
            db.MailTemplates.Add(row);
        }
        row.Subject = req.Subject!.Trim();
        row.Body = req.Body!.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        row.UpdatedAt = now;
        row.UpdatedBy = actor.Name;
        AuditLog.Add(db, programmeId, actor, "mail.template", now, $"{template} ({language})");
        await db.SaveChangesAsync(ct);
        return (new MailTemplateView(template, language, row.Subject, row.Body, true), null);
    }

    private static async Task<Results<Ok<MailTemplateView>, ProblemHttpResult>> DeleteTemplate(string template, string language, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        if (CheckKey(template, language) is { } errors) return Problems.Validation(errors);
        var programmeId = Caller.From(http.User).ProgrammeId;
        var removed = await db.MailTemplates.Where(t => t.ProgrammeId == programmeId && t.Template == template && t.Language == language).ExecuteDeleteAsync(ct);
        if (removed > 0)
        {
            AuditLog.Add(db, programmeId, AuditActor.Api(http), "mail.template", clock.GetUtcNow().UtcDateTime, $"{template} ({language})", "back to the built-in text");
            await db.SaveChangesAsync(ct);
        }
        return MailTemplates.Default(template, language) is { } builtIn ? TypedResults.Ok(builtIn)
            : Problems.NotFound("template_not_found", "The template", "template");
    }

    /// <summary>A template filled in for a preview, or null when the programme has no such template.</summary>
    public static async Task<RenderedMail?> PreviewAsync(TreueDb db, Guid programmeId, string template, string language, IReadOnlyDictionary<string, string>? data,
        string? name, CancellationToken ct)
    {
        var view = await MailDelivery.TemplateAsync(db, programmeId, template, language, ct);
        if (view is null) return null;
        var programme = await db.Programmes.AsNoTracking().SingleAsync(p => p.Id == programmeId, ct);
        var values = new Dictionary<string, string>(data ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["name"] = name ?? (language == "de" ? "Erika Mustermann" : "Jane Doe"),
            ["programme"] = programme.Name,
        };
        foreach (var (key, sample) in Samples) values.TryAdd(key, sample);
        return MailTemplates.Render(view, values, programme.Name);
    }

    /// <summary>Sample values for a preview's placeholders that the caller did not give.</summary>
    private static readonly (string Key, string Value)[] Samples =
        [("code", "123456"), ("link", "https://loyalty.example.com/portal/signin/link?token=sample"), ("expires", "18:30"), ("points", "250"),
         ("reward", "Coffee mug"), ("tier", "Gold"), ("eraseAfter", "31.01.2027")];

    private static async Task<Results<Ok<RenderedMail>, ProblemHttpResult>> Preview(string template, string language, MailPreviewRequest? req, HttpContext http,
        TreueDb db, CancellationToken ct)
    {
        if (CheckKey(template, language) is { } errors) return Problems.Validation(errors);
        var rendered = await PreviewAsync(db, Caller.From(http.User).ProgrammeId, template, language, req?.Data, req?.Name, ct);
        return rendered is null ? Problems.NotFound("template_not_found", "The template", "template") : TypedResults.Ok(rendered);
    }

    private static async Task<Ok<MailRun>> Deliver(MailDelivery delivery, TimeProvider clock, CancellationToken ct) =>
        TypedResults.Ok(await delivery.DeliverDueAsync(clock.GetUtcNow().UtcDateTime, ct));
}
