using System.Globalization;
using System.Text.Json;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;
using Treue.Server.Features.Privacy;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Mail;

/// <summary>Settings under <c>Treue:Mail</c>.</summary>
public sealed class MailOptions
{
    /// <summary>How often each node looks for due messages; zero or less: never (messages wait for <c>POST /api/v1/jobs/mail</c>).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Attempts before a message is given up as failed.</summary>
    public int MaxAttempts { get; set; } = 8;
    /// <summary>The wait after the first failed attempt; it doubles with each further one, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>The longest wait between two attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(1);
    /// <summary>How long a node holds a message it is sending before another node may take it (a node that died meanwhile).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);
    /// <summary>Messages one run takes at most (the rest wait for the next run).</summary>
    public int BatchSize { get; set; } = 200;
    /// <summary>How long the SMTP conversation may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// Whether sign-in codes are also written to <c>sign-in-codes.log</c> in the data folder, for development. Unset: only
    /// for a programme without a mail server.
    /// </summary>
    public bool? SignInCodeLog { get; set; }
}

/// <summary>What one delivery run did.</summary>
/// <param name="Sent">Messages the SMTP server accepted.</param>
/// <param name="Retrying">Messages that failed this time and wait for another attempt.</param>
/// <param name="Failed">Messages given up, with their reason.</param>
/// <param name="Bounced">Messages the server refused for good (an unknown address).</param>
public sealed record MailRun(int Sent, int Retrying, int Failed, int Bounced);

/// <summary>
/// Delivers the outbox's queued e-mail messages through each programme's SMTP server (see docs/email.md). A node claims a
/// message by moving its next attempt past a lease, under the condition that nobody moved it since it was read: of two
/// nodes, one claims it and the other skips it. The message is then sent with a Message-ID made from its id, and marked
/// sent, or scheduled again with a doubling wait, or given up after the last attempt. Messages of a programme without a
/// mail server wait, queued, until one is configured.
/// </summary>
public sealed class MailDelivery(TreueDb db, IDataProtectionProvider protection, IOptions<MailOptions> options, ILogger<MailDelivery> log)
{
    /// <summary>The purpose the SMTP passwords are encrypted under.</summary>
    public const string PasswordPurpose = "Treue.Mail.Password";

    /// <summary>Sends the messages due at <paramref name="now"/>.</summary>
    public async Task<MailRun> DeliverDueAsync(DateTime now, CancellationToken ct)
    {
        var o = options.Value;
        var due = await db.Outbox.AsNoTracking()
            .Where(m => m.State == OutboxState.Queued && m.NextAttemptAt <= now && db.MailSettings.Any(s => s.ProgrammeId == m.ProgrammeId))
            .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id).Take(o.BatchSize)
            .Select(m => new { m.Id, m.NextAttemptAt }).ToListAsync(ct);
        int sent = 0, retrying = 0, failed = 0, bounced = 0;
        var connections = new Dictionary<Guid, SmtpClient>();
        try
        {
            foreach (var d in due)
            {
                var lease = now + o.Lease;
                var claimed = await db.Outbox.Where(m => m.Id == d.Id && m.State == OutboxState.Queued && m.NextAttemptAt == d.NextAttemptAt)
                    .ExecuteUpdateAsync(u => u.SetProperty(m => m.NextAttemptAt, lease).SetProperty(m => m.Attempts, m => m.Attempts + 1), ct);
                if (claimed == 0) continue;
                var message = await db.Outbox.AsNoTracking().SingleAsync(m => m.Id == d.Id, ct);
                var (state, reason) = await DeliverAsync(message, connections, now, ct);
                var attempts = message.Attempts;
                DateTime? next = null;
                if (state == OutboxState.Queued)
                {
                    if (attempts >= o.MaxAttempts) state = OutboxState.Failed;
                    else next = now + Backoff(attempts, o);
                }
                // A sign-in code does not outlive its delivery.
                var data = state != OutboxState.Queued && MailTemplates.Secret.Contains(message.Template) ? "{}" : message.Data;
                var why = reason is { Length: > 500 } ? reason[..500] : reason;
                DateTime? sentAt = state == OutboxState.Sent ? now : null;
                await db.Outbox.Where(m => m.Id == d.Id && m.NextAttemptAt == lease).ExecuteUpdateAsync(u => u
                    .SetProperty(m => m.State, state)
                    .SetProperty(m => m.NextAttemptAt, next)
                    .SetProperty(m => m.Reason, why)
                    .SetProperty(m => m.SentAt, sentAt)
                    .SetProperty(m => m.Data, data), ct);
                switch (state)
                {
                    case OutboxState.Sent: sent++; break;
                    case OutboxState.Queued: retrying++; break;
                    case OutboxState.Bounced: bounced++; break;
                    default: failed++; break;
                }
            }
        }
        finally
        {
            foreach (var client in connections.Values)
            {
                try { if (client.IsConnected) await client.DisconnectAsync(true, CancellationToken.None); }
                catch (Exception e) when (e is IOException or ProtocolException or OperationCanceledException) { }
                client.Dispose();
            }
        }
        return new MailRun(sent, retrying, failed, bounced);
    }

    /// <summary>The wait after the <paramref name="attempts"/>-th failed attempt: the first backoff, doubled each time, capped.</summary>
    public static TimeSpan Backoff(int attempts, MailOptions o)
    {
        var factor = Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        var wait = TimeSpan.FromTicks((long)Math.Min(o.FirstBackoff.Ticks * factor, o.MaxBackoff.Ticks));
        return wait <= o.MaxBackoff ? wait : o.MaxBackoff;
    }

    private async Task<(OutboxState State, string? Reason)> DeliverAsync(OutboxMessage message, Dictionary<Guid, SmtpClient> connections, DateTime now,
        CancellationToken ct)
    {
        var programme = await db.Programmes.AsNoTracking().SingleAsync(p => p.Id == message.ProgrammeId, ct);
        var member = message.MemberId is { } id ? await db.Members.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, ct) : null;
        if (member?.Email is not { Length: > 0 } email || member.Status == MemberStatus.Closed)
            return (OutboxState.Failed, "The member has no e-mail address.");
        var values = Values(message.Data);
        if (values.TryGetValue("expiresAtUtc", out var expires) && DateTime.TryParse(expires, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var until) && until <= now)
            return (OutboxState.Failed, "The message expired before it could be sent.");
        if (!MailTemplates.Service.Contains(message.Template))
        {
            var consents = await Consents.LoadAsync(db, programme.Id, member.Id, ct);
            if (consents is null || !consents.Allows(ConsentPurpose.EmailMarketing))
                return (OutboxState.Failed, "The member has not consented to marketing e-mail, or objected to it.");
        }
        var template = await TemplateAsync(db, programme.Id, message.Template, message.Language, ct);
        if (template is null) return (OutboxState.Failed, $"There is no template '{message.Template}'.");
        values["name"] = member.Name;
        values["programme"] = programme.Name;
        var rendered = MailTemplates.Render(template, values, programme.Name);
        var settings = await db.MailSettings.AsNoTracking().SingleAsync(s => s.ProgrammeId == programme.Id, ct);
        var mime = Compose(settings, message, email, member.Name, rendered);
        try
        {
            if (!connections.TryGetValue(programme.Id, out var client))
            {
                client = await ConnectAsync(settings, ct);
                connections[programme.Id] = client;
            }
            await client.SendAsync(mime, ct);
            return (OutboxState.Sent, null);
        }
        catch (SmtpCommandException e) when (e.ErrorCode == SmtpErrorCode.RecipientNotAccepted && (int)e.StatusCode >= 500)
        {
            return (OutboxState.Bounced, $"{(int)e.StatusCode} {e.Message}");
        }
        catch (Exception e) when (e is IOException or SmtpCommandException or SmtpProtocolException or AuthenticationException or SslHandshakeException
                                      or System.Net.Sockets.SocketException or ServiceNotConnectedException or TimeoutException)
        {
            log.LogWarning("Message {Id} of programme {Programme} was not sent: {Error}", message.Id, programme.Code, e.Message);
            if (connections.Remove(programme.Id, out var broken)) broken.Dispose();
            return (OutboxState.Queued, e.Message);
        }
    }

    /// <summary>The MIME message: from the programme's sender, to the member, with a plain-text and an HTML part.</summary>
    public static MimeMessage Compose(MailSettings settings, OutboxMessage message, string email, string name, RenderedMail rendered)
    {
        var mime = new MimeMessage();
        mime.From.Add(new MailboxAddress(settings.FromName, settings.FromAddress));
        if (settings.ReplyTo is { Length: > 0 } replyTo) mime.ReplyTo.Add(MailboxAddress.Parse(replyTo));
        mime.To.Add(new MailboxAddress(name, email));
        mime.Subject = rendered.Subject;
        // The same id on every attempt: a message that reached the server just before a crash, and is sent again, is
        // recognisably the same message.
        var domain = settings.FromAddress[(settings.FromAddress.LastIndexOf('@') + 1)..];
        mime.MessageId = $"outbox-{message.Id}.{message.ProgrammeId:N}@{domain}";
        mime.Headers.Add("X-Treue-Template", message.Template);
        mime.Body = new BodyBuilder { TextBody = rendered.Text, HtmlBody = rendered.Html }.ToMessageBody();
        return mime;
    }

    private async Task<SmtpClient> ConnectAsync(MailSettings settings, CancellationToken ct)
    {
        var client = new SmtpClient { Timeout = (int)options.Value.Timeout.TotalMilliseconds };
        try
        {
            var security = settings.Security switch
            {
                MailSecurity.None => SecureSocketOptions.None,
                MailSecurity.StartTls => SecureSocketOptions.StartTls,
                MailSecurity.Tls => SecureSocketOptions.SslOnConnect,
                _ => SecureSocketOptions.StartTlsWhenAvailable,
            };
            await client.ConnectAsync(settings.Host, settings.Port, security, ct);
            if (settings.UserName is { Length: > 0 } user)
                await client.AuthenticateAsync(user, Password(settings) ?? "", ct);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private string? Password(MailSettings settings) =>
        settings.ProtectedPassword is { } p ? protection.CreateProtector(PasswordPurpose).Unprotect(p) : null;

    /// <summary>The text a programme uses for a template in a language: its own, or the built-in one.</summary>
    public static async Task<MailTemplateView?> TemplateAsync(TreueDb db, Guid programmeId, string template, string language, CancellationToken ct)
    {
        var own = await db.MailTemplates.AsNoTracking().SingleOrDefaultAsync(t => t.ProgrammeId == programmeId && t.Template == template && t.Language == language, ct);
        return own is not null ? new MailTemplateView(own.Template, own.Language, own.Subject, own.Body, true) : MailTemplates.Default(template, language);
    }

    private static Dictionary<string, string> Values(string data)
    {
        try
        {
            var values = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(data) ?? [];
            return values.ToDictionary(kv => kv.Key, kv => kv.Value.ValueKind == JsonValueKind.String ? kv.Value.GetString() ?? "" : kv.Value.GetRawText(),
                StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }
    }
}

/// <summary>Runs <see cref="MailDelivery"/> on every node at <see cref="MailOptions.PollInterval"/>.</summary>
public sealed class MailJobs(IServiceScopeFactory scopes, TimeProvider clock, IOptions<MailOptions> options, ILogger<MailJobs> log)
    : Infrastructure.PeriodicJob(scopes, clock, log)
{
    protected override TimeSpan Interval => options.Value.PollInterval;
    protected override string Name => "The mail delivery";
    protected override bool RunAtStart => false;

    protected override Task RunAsync(IServiceProvider services, DateTime now, CancellationToken ct) =>
        services.GetRequiredService<MailDelivery>().DeliverDueAsync(now, ct);
}
