using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MimeKit;
using Treue.Server.Tests.Infrastructure;
using Treue.Server.Web.Shared;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>E-mail through the outbox to a real SMTP server (aiosmtpd), on SQLite and PostgreSQL.</summary>
public abstract class MailTests(TreueServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonObject> ReadAsync(HttpResponseMessage res, HttpStatusCode status = HttpStatusCode.OK)
    {
        await TestProgramme.Expect(res, status);
        return (await res.Content.ReadFromJsonAsync<JsonObject>(TestProgramme.Json, Ct))!;
    }

    private static Task<HttpResponseMessage> ConfigureAsync(TestProgramme p, SmtpSink sink) =>
        p.Admin.PutAsJsonAsync("/api/v1/mail/settings", new
        {
            host = "127.0.0.1", port = sink.Port, security = "none", fromAddress = "club@shop.example", fromName = "Shop Club",
        }, TestProgramme.Json, Ct);

    private Task<JsonObject> DeliverAsync(TestProgramme p) => p.Admin.PostAsync("/api/v1/jobs/mail", null, Ct).ContinueWith(t => ReadAsync(t.Result)).Unwrap();

    private Task<OutboxMessage> RowAsync(long id) => server.WithDbAsync(db => db.Outbox.AsNoTracking().SingleAsync(m => m.Id == id, Ct));

    private Task<long> QueueAsync(TestProgramme p, Guid member, string template, string data = "{}") => server.WithDbAsync(async db =>
    {
        var now = server.Clock.GetUtcNow().UtcDateTime;
        var row = new OutboxMessage
        {
            ProgrammeId = p.Id, MemberId = member, Template = template, Language = "en", Data = data, Source = "test", State = OutboxState.Queued,
            NextAttemptAt = now, CreatedAt = now,
        };
        db.Outbox.Add(row);
        await db.SaveChangesAsync(Ct);
        return row.Id;
    });

    [Fact]
    public async Task A_sign_in_code_reaches_the_member_by_e_mail_and_its_code_leaves_the_outbox()
    {
        await using var sink = await SmtpSink.StartAsync();
        var p = await server.NewProgrammeAsync();
        await ReadAsync(await ConfigureAsync(p, sink));
        var email = $"m-{Guid.NewGuid():N}@example.org";
        var (member, _) = await p.EnrolAsync("Mia Mail", email);
        var log = new EdgeTests.CapturingSender();
        await using var portal = server.WithWebHostBuilder(b =>
        {
            b.UseSetting("Treue:Portal:Programme", p.Code);
            b.ConfigureTestServices(s => s.RemoveAll<ISignInCodeSender>().AddSingleton<ISignInCodeSender>(log));
        });
        var client = portal.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        var res = await EdgeTests.PostFormAsync(client, "/portal/signin", "member-code-request", new() { ["Code.Email"] = email });
        Assert.Equal(HttpStatusCode.Found, res.StatusCode);
        // A programme with a mail server writes no log file of codes.
        Assert.Empty(log.Sent);

        var queued = await server.WithDbAsync(db => db.Outbox.AsNoTracking().SingleAsync(m => m.MemberId == member, Ct));
        Assert.Equal(("sign_in_code", OutboxState.Queued), (queued.Template, queued.State));
        var run = await DeliverAsync(p);
        Assert.Equal(1, (int)run["sent"]!);

        var mail = Assert.Single(sink.Messages(), m => m.To.Mailboxes.Any(a => a.Address == email));
        Assert.Equal("club@shop.example", mail.From.Mailboxes.Single().Address);
        Assert.StartsWith("Your sign-in code for", mail.Subject, StringComparison.Ordinal);
        var code = System.Text.RegularExpressions.Regex.Match(mail.TextBody ?? "", @"\b\d{6}\b").Value;
        Assert.Equal(6, code.Length);
        Assert.Contains("/portal/signin/link?token=", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("<a href=", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Equal($"outbox-{queued.Id}.{p.Id:N}@shop.example", mail.MessageId);

        // Sent, and the code is no longer stored with the message.
        var sent = await RowAsync(queued.Id);
        Assert.Equal(OutboxState.Sent, sent.State);
        Assert.Equal("{}", sent.Data);
        Assert.Equal(server.Clock.GetUtcNow().UtcDateTime, sent.SentAt);
        Assert.Equal(0, (int)(await DeliverAsync(p))["sent"]!);

        // The code from the e-mail signs in.
        var signIn = await EdgeTests.PostFormAsync(client, "/portal/signin/code", "member-code", new() { ["Input.Email"] = email, ["Input.Code"] = code });
        Assert.Equal(HttpStatusCode.Found, signIn.StatusCode);
        Assert.EndsWith("/portal", signIn.Headers.Location?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mail_server_that_fails_for_a_while_loses_nothing_and_consent_and_bounces_are_kept_apart()
    {
        var sink = SmtpSink.Create();
        await using var _ = sink;
        var p = await server.NewProgrammeAsync();
        await ReadAsync(await ConfigureAsync(p, sink));
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (fan, _) = await p.EnrolAsync("Fan Fiona", $"fan.{tag}@example.org");
        await ReadAsync(await p.Pos.PostAsJsonAsync($"/api/v1/members/{fan}/consents", new { purpose = "emailMarketing", granted = true }, TestProgramme.Json, Ct));
        var (quiet, _) = await p.EnrolAsync("Quiet Quentin", $"quiet.{tag}@example.org");
        var (gone, _) = await p.EnrolAsync("Gone Gary", $"bounce.{tag}@example.org");
        var birthday = await QueueAsync(p, fan, "birthday");
        var welcome = await QueueAsync(p, quiet, "welcome");
        var noConsent = await QueueAsync(p, quiet, "birthday");
        var bounce = await QueueAsync(p, gone, "welcome");

        // The server is down: the messages that may go wait, with a doubling wait between attempts.
        var first = await DeliverAsync(p);
        Assert.Equal((0, 3, 1), ((int)first["sent"]!, (int)first["retrying"]!, (int)first["failed"]!));
        var refused = await RowAsync(noConsent);
        Assert.Equal(OutboxState.Failed, refused.State);
        Assert.Contains("consent", refused.Reason, StringComparison.Ordinal);
        var waiting = await RowAsync(birthday);
        Assert.Equal((OutboxState.Queued, 1), (waiting.State, waiting.Attempts));
        Assert.Equal(server.Clock.GetUtcNow().UtcDateTime.AddSeconds(30), waiting.NextAttemptAt);
        Assert.Equal(0, (int)(await DeliverAsync(p))["retrying"]!);
        server.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(3, (int)(await DeliverAsync(p))["retrying"]!);
        waiting = await RowAsync(birthday);
        Assert.Equal(2, waiting.Attempts);
        Assert.Equal(server.Clock.GetUtcNow().UtcDateTime.AddSeconds(60), waiting.NextAttemptAt);

        // Back up: each message arrives once; the unknown address bounces.
        await sink.StartAsync(Ct);
        server.Clock.Advance(TimeSpan.FromSeconds(61));
        var back = await DeliverAsync(p);
        Assert.Equal((2, 0, 1), ((int)back["sent"]!, (int)back["retrying"]!, (int)back["bounced"]!));
        Assert.Equal(0, (int)(await DeliverAsync(p))["sent"]!);
        var messages = sink.Messages();
        Assert.Equal([$"fan.{tag}@example.org", $"quiet.{tag}@example.org"], messages.Select(m => m.To.Mailboxes.Single().Address).Order());
        Assert.Equal("Happy birthday, Fan Fiona!", messages.Single(m => m.Headers["X-Treue-Template"] == "birthday").Subject);
        Assert.Equal(OutboxState.Sent, (await RowAsync(welcome)).State);
        var bounced = await RowAsync(bounce);
        Assert.Equal(OutboxState.Bounced, bounced.State);
        Assert.StartsWith("550", bounced.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_deliveries_at_once_send_each_message_once()
    {
        await using var sink = await SmtpSink.StartAsync();
        var p = await server.NewProgrammeAsync();
        await ReadAsync(await ConfigureAsync(p, sink));
        var (member, _) = await p.EnrolAsync("Twice Tina", $"twice.{Guid.NewGuid():N}@example.org");
        var ids = new List<long>();
        for (var i = 0; i < 20; i++) ids.Add(await QueueAsync(p, member, "welcome"));

        var runs = await Task.WhenAll(DeliverAsync(p), DeliverAsync(p), DeliverAsync(p));
        Assert.Equal(20, runs.Sum(r => (int)r["sent"]!));
        var received = sink.Messages().Select(m => m.MessageId).ToList();
        Assert.Equal(20, received.Count);
        Assert.Equal(ids.Select(id => $"outbox-{id}.{p.Id:N}@shop.example").Order(), received.Order());
    }

    [Fact]
    public async Task Settings_name_the_bad_field_keep_the_password_hidden_and_templates_can_be_rewritten_and_previewed()
    {
        var p = await server.NewProgrammeAsync();
        var missing = await p.Admin.GetAsync("/api/v1/mail/settings", Ct);
        Assert.Equal("mail_not_configured", (string)(await ReadAsync(missing, HttpStatusCode.NotFound))["code"]!);
        var badPort = await p.Admin.PutAsJsonAsync("/api/v1/mail/settings", new { host = "smtp.example.org", port = 70000, fromAddress = "a@b.example", fromName = "A" }, TestProgramme.Json, Ct);
        Assert.Equal("port", (string)(await ReadAsync(badPort, HttpStatusCode.BadRequest))["field"]!);
        var badFrom = await p.Admin.PutAsJsonAsync("/api/v1/mail/settings", new { host = "smtp.example.org", port = 587, fromAddress = "not an address", fromName = "A" }, TestProgramme.Json, Ct);
        Assert.Equal("fromAddress", (string)(await ReadAsync(badFrom, HttpStatusCode.BadRequest))["field"]!);
        Assert.Equal(HttpStatusCode.Forbidden, (await p.Pos.GetAsync("/api/v1/mail/settings", Ct)).StatusCode);

        var saved = await ReadAsync(await p.Admin.PutAsJsonAsync("/api/v1/mail/settings", new
        {
            host = "smtp.example.org", port = 587, security = "startTls", userName = "club", password = "s3cret!", fromAddress = "club@shop.example", fromName = "Shop Club",
        }, TestProgramme.Json, Ct));
        Assert.True((bool)saved["hasPassword"]!);
        Assert.Null(saved["password"]);
        var stored = await server.WithDbAsync(db => db.MailSettings.AsNoTracking().SingleAsync(s => s.ProgrammeId == p.Id, Ct));
        Assert.DoesNotContain("s3cret!", stored.ProtectedPassword!, StringComparison.Ordinal);
        // Without a password in the request, the stored one stays.
        var again = await ReadAsync(await p.Admin.PutAsJsonAsync("/api/v1/mail/settings", new { host = "smtp.example.org", port = 465, security = "tls", userName = "club", fromAddress = "club@shop.example", fromName = "Shop Club" }, TestProgramme.Json, Ct));
        Assert.True((bool)again["hasPassword"]!);

        var templates = (await p.Admin.GetFromJsonAsync<JsonArray>("/api/v1/mail/templates", TestProgramme.Json, Ct))!;
        Assert.Contains(templates, t => (string)t!["template"]! == "birthday" && (string)t["language"]! == "de" && !(bool)t["custom"]!);
        var badBody = await p.Admin.PutAsJsonAsync("/api/v1/mail/templates/birthday/de", new { subject = "Hallo", body = "" }, TestProgramme.Json, Ct);
        Assert.Equal("body", (string)(await ReadAsync(badBody, HttpStatusCode.BadRequest))["field"]!);
        var badLanguage = await p.Admin.PutAsJsonAsync("/api/v1/mail/templates/birthday/fr", new { subject = "Salut", body = "Bonjour" }, TestProgramme.Json, Ct);
        Assert.Equal("language", (string)(await ReadAsync(badLanguage, HttpStatusCode.BadRequest))["field"]!);
        await ReadAsync(await p.Admin.PutAsJsonAsync("/api/v1/mail/templates/birthday/de",
            new { subject = "Alles Gute, {{name}}!", body = "Liebe(r) {{name}},\n\nIhr Geschenk: {{gift}}." }, TestProgramme.Json, Ct));
        var preview = await ReadAsync(await p.Admin.PostAsJsonAsync("/api/v1/mail/templates/birthday/de/preview",
            new { name = "Jörg <Admin>", data = new Dictionary<string, string> { ["gift"] = "Kaffee & Kuchen" } }, TestProgramme.Json, Ct));
        Assert.Equal("Alles Gute, Jörg <Admin>!", (string)preview["subject"]!);
        Assert.Contains("Ihr Geschenk: Kaffee & Kuchen.", (string)preview["text"]!, StringComparison.Ordinal);
        Assert.Contains("&lt;Admin&gt;", (string)preview["html"]!, StringComparison.Ordinal);
        Assert.DoesNotContain("<Admin>", (string)preview["html"]!, StringComparison.Ordinal);
        Assert.Contains("Kaffee &amp; Kuchen", (string)preview["html"]!, StringComparison.Ordinal);
        var reset = await ReadAsync(await p.Admin.DeleteAsync("/api/v1/mail/templates/birthday/de", Ct));
        Assert.False((bool)reset["custom"]!);
        Assert.StartsWith("Alles Gute zum Geburtstag", (string)reset["subject"]!, StringComparison.Ordinal);
    }
}

public sealed class MailTestsOnSqlite(SqliteServer server) : MailTests(server), IClassFixture<SqliteServer>;

public sealed class MailTestsOnPostgres(PostgresServer server) : MailTests(server), IClassFixture<PostgresServer>;
