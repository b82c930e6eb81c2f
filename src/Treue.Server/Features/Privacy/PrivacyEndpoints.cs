using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Features.Audit;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Privacy;

/// <summary>The reason an erasure is asked for, kept in the audit log.</summary>
/// <param name="Reason">Why: "the member asked on 2026-11-30 by e-mail", "retention: inactive for 3 years".</param>
public sealed record EraseMemberRequest(string? Reason);

/// <summary>A grant or withdrawal of consent to one purpose.</summary>
/// <param name="Purpose">emailMarketing, profiling or partnerSharing.</param>
/// <param name="Granted">True to grant, false to withdraw.</param>
/// <param name="TextVersion">The version of the consent text the member saw; default: the programme's current one.</param>
/// <param name="Source">till, console or import; default: till for a till key, console for an admin key. Portal records are made by the portal.</param>
public sealed record ConsentChangeRequest(ConsentPurpose? Purpose, bool? Granted, string? TextVersion = null, ConsentSource? Source = null);

/// <summary>An objection to direct marketing (Art. 21).</summary>
/// <param name="Source">till, console or import; default as for consents.</param>
public sealed record ObjectionRequest(ConsentSource? Source = null);

/// <summary>A data request received from a member.</summary>
/// <param name="MemberId">The member.</param>
/// <param name="Kind">access or erasure.</param>
/// <param name="ReceivedAt">When it reached the programme; default now. Not in the future, at most a year ago.</param>
/// <param name="Note">How it came in (by letter, at the till, by e-mail), up to 500 characters.</param>
public sealed record DataRequestRequest(Guid? MemberId, DataRequestKind? Kind, DateTimeOffset? ReceivedAt = null, string? Note = null);

/// <summary>A programme's privacy settings.</summary>
/// <param name="InactiveDays">Days without activity after which a member is warned and later erased; null for no retention rule (30 to 3650).</param>
/// <param name="WarningDays">Days from the warning to the erasure (7 to 365).</param>
/// <param name="Analytics">How analyses treat members without consent to profiling: exclude, or aggregateOnly (counted, never listed).</param>
/// <param name="ConsentTextVersion">The version of the consent texts shown now (1 to 32 characters).</param>
public sealed record PrivacySettingsView(int? InactiveDays = null, int WarningDays = 30, UnconsentedAnalytics Analytics = UnconsentedAnalytics.AggregateOnly,
    string ConsentTextVersion = "1");

/// <summary>
/// A member's data: access and portability (export), erasure, consents and objections, data requests with due dates,
/// the retention rule and the programme's privacy settings. Consents may be read and recorded by tills; the rest needs an admin key.
/// </summary>
public static class PrivacyEndpoints
{
    public static RouteGroupBuilder MapPrivacy(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/members/{memberId:guid}").WithTags("Privacy").RequireAuthorization(Policies.Admin);
        g.MapGet("/export", Export).WithName("exportMemberData").Refuses(404, "member_not_found")
            .WithSummary("Everything kept about a member, as JSON (GDPR Art. 15 and 20)");
        // An erasure is idempotent by itself (a second one changes nothing and says so), and it must run outside any
        // request-wide transaction: afterwards it empties SQLite's write-ahead log, which a transaction would hold open.
        g.MapPost("/erasure", Erase).WithName("eraseMember").Refuses(404, "member_not_found").WithWritesNothing()
            .WithSummary("Erase a member's personal data; the ledger stays under a pseudonym (GDPR Art. 17)");

        var c = api.MapGroup("/members/{memberId:guid}").WithTags("Privacy").RequireAuthorization(Policies.Pos);
        c.MapGet("/consents", GetConsents).WithName("getMemberConsents").Refuses(404, "member_not_found")
            .WithSummary("A member's consent to each purpose and every grant, withdrawal and objection");
        c.MapPost("/consents", ChangeConsent).WithName("changeMemberConsent").Refuses(404, "member_not_found").Refuses(422, "member_closed")
            .WithSummary("Record a grant or withdrawal of consent to one purpose (GDPR Art. 7)");
        c.MapPost("/objection", Object).WithName("objectToMarketing").Refuses(404, "member_not_found").Refuses(422, "member_closed")
            .WithSummary("Record the member's objection to direct marketing, effective at once (GDPR Art. 21)");

        var r = api.MapGroup("/data-requests").WithTags("Privacy").RequireAuthorization(Policies.Admin);
        r.MapPost("/", RecordRequest).WithName("recordDataRequest").Refuses(404, "member_not_found")
            .WithSummary("Record a member's access or erasure request; it is due one month after receipt");
        r.MapGet("/", ListRequests).WithName("listDataRequests").WithSummary("Open data requests by due date, or all newest first");
        // Completing an erasure request erases, which must run outside a request-wide transaction (see eraseMember).
        r.MapPost("/{requestId:guid}/completion", CompleteRequest).WithName("completeDataRequest").WithWritesNothing()
            .Refuses(404, "data_request_not_found").Refuses(409, "data_request_completed")
            .WithSummary("Complete a request: the member's export for access, the erasure for erasure");

        var p = api.MapGroup("/privacy").WithTags("Privacy").RequireAuthorization(Policies.Admin);
        p.MapGet("/settings", GetSettings).WithName("getPrivacySettings").WithSummary("The programme's retention rule, analytics of members without consent, consent text version");
        p.MapPut("/settings", PutSettings).WithName("putPrivacySettings").WithSummary("Change the programme's privacy settings");
        p.MapGet("/retention", PreviewRetention).WithName("previewRetention").WithSummary("Who the retention rule would warn and erase now (a dry run)");
        // The run erases, which must run outside a request-wide transaction; running it twice does nothing the second time.
        p.MapPost("/retention/run", RunRetention).WithName("runRetention").WithWritesNothing()
            .WithSummary("Warn inactive members and erase those whose warning period passed (idempotent)");
        return api;
    }

    private static ConsentSource DefaultSource(HttpContext http) => Caller.From(http.User).Role == ApiRole.Admin ? ConsentSource.Console : ConsentSource.Till;

    private static async Task<Results<Ok<ConsentsView>, ProblemHttpResult>> GetConsents(Guid memberId, HttpContext http, TreueDb db, CancellationToken ct)
    {
        var view = await Consents.LoadAsync(db, Caller.From(http.User).ProgrammeId, memberId, ct);
        return view is null ? Problems.NotFound("member_not_found", "The member", "memberId") : TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<ConsentsView>, ProblemHttpResult>> ChangeConsent(Guid memberId, ConsentChangeRequest req, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var v = new Validation();
        v.Check(req.Purpose is { } purpose && Enum.IsDefined(purpose), "purpose", "is required: emailMarketing, profiling or partnerSharing");
        v.Check(req.Granted is not null, "granted", "is required: true to grant, false to withdraw");
        CheckVersionAndSource(v, req.TextVersion, req.Source);
        if (v.Failed) return v.Problem();
        return await RecordAsync(memberId, req.Purpose, req.Granted!.Value ? ConsentChange.Granted : ConsentChange.Withdrawn, req.Source, req.TextVersion?.Trim(),
            http, db, clock, ct);
    }

    private static async Task<Results<Ok<ConsentsView>, ProblemHttpResult>> Object(Guid memberId, ObjectionRequest? req, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var v = new Validation();
        CheckVersionAndSource(v, null, req?.Source);
        if (v.Failed) return v.Problem();
        return await RecordAsync(memberId, null, ConsentChange.Objected, req?.Source, null, http, db, clock, ct);
    }

    private static void CheckVersionAndSource(Validation v, string? textVersion, ConsentSource? source)
    {
        if (textVersion is not null) v.Text(textVersion, "textVersion", 32);
        v.Check(source is null or ConsentSource.Till or ConsentSource.Console or ConsentSource.Import, "source",
            "must be till, console or import: the portal records its own");
    }

    private static async Task<Results<Ok<ConsentsView>, ProblemHttpResult>> RecordAsync(Guid memberId, ConsentPurpose? purpose, ConsentChange change,
        ConsentSource? source, string? textVersion, HttpContext http, TreueDb db, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var (outcome, view) = await Consents.RecordAsync(db, caller.ProgrammeId, memberId, purpose, change, source ?? DefaultSource(http), textVersion,
            caller.Actor, clock.GetUtcNow().UtcDateTime, ct);
        return outcome switch
        {
            Consents.Outcome.MemberNotFound => Problems.NotFound("member_not_found", "The member", "memberId"),
            Consents.Outcome.MemberClosed => Problems.Problem("member_closed", "The member's account is closed.", "memberId"),
            _ => TypedResults.Ok(view!),
        };
    }

    private static async Task<Results<Created<DataRequestView>, ProblemHttpResult>> RecordRequest(DataRequestRequest req, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var v = new Validation();
        v.Check(req.MemberId is not null, "memberId", "is required");
        v.Check(req.Kind is { } kind && Enum.IsDefined(kind), "kind", "is required: access or erasure");
        var received = req.ReceivedAt?.UtcDateTime ?? now;
        v.Check(received <= now.AddMinutes(5) && received >= now.AddYears(-1), "receivedAt", "must be in the past year, not in the future");
        if (req.Note is not null) v.Text(req.Note, "note", 500, required: false);
        if (v.Failed) return v.Problem();
        var caller = Caller.From(http.User);
        var view = await DataRequests.RecordAsync(db, caller.ProgrammeId, req.MemberId!.Value, req.Kind!.Value, received, req.Note, AuditActor.Api(http), now, ct);
        return view is null ? Problems.NotFound("member_not_found", "The member", "memberId") : TypedResults.Created($"/api/v1/data-requests/{view.Id}", view);
    }

    private static async Task<Results<Ok<IReadOnlyList<DataRequestView>>, ProblemHttpResult>> ListRequests(bool? open, Guid? memberId, HttpContext http,
        TreueDb db, TimeProvider clock, CancellationToken ct) =>
        TypedResults.Ok(await DataRequests.ListAsync(db, Caller.From(http.User).ProgrammeId, open ?? true, memberId, 500, clock.GetUtcNow().UtcDateTime, ct));

    private static async Task<Results<Ok<DataRequestCompletion>, ProblemHttpResult>> CompleteRequest(Guid requestId, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var (outcome, completion) = await DataRequests.CompleteAsync(db, Caller.From(http.User).ProgrammeId, requestId, AuditActor.Api(http), clock, ct);
        if (outcome == DataRequests.Outcome.NotFound) return Problems.NotFound("data_request_not_found", "The data request", "requestId");
        if (outcome == DataRequests.Outcome.AlreadyCompleted) return Problems.Problem("data_request_completed", "The data request was completed before.", "requestId");
        if (completion!.Erasure is not null) http.RequestServices.GetRequiredService<Web.Shared.WebSessions>().Forget();
        return TypedResults.Ok(completion);
    }

    private static async Task<Ok<PrivacySettingsView>> GetSettings(HttpContext http, TreueDb db, CancellationToken ct)
    {
        var s = await PrivacySettingsStore.GetAsync(db, Caller.From(http.User).ProgrammeId, ct);
        return TypedResults.Ok(new PrivacySettingsView(s.InactiveDays, s.WarningDays, s.Analytics, s.ConsentTextVersion));
    }

    private static async Task<Results<Ok<PrivacySettingsView>, ProblemHttpResult>> PutSettings(PrivacySettingsView req, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var v = new Validation();
        v.Check(req.InactiveDays is null or (>= 30 and <= 3650), "inactiveDays", "must be between 30 and 3650, or null for no retention rule");
        v.Check(req.WarningDays is >= 7 and <= 365, "warningDays", "must be between 7 and 365");
        v.Check(Enum.IsDefined(req.Analytics), "analytics", "must be exclude or aggregateOnly");
        v.Text(req.ConsentTextVersion, "consentTextVersion", 32);
        if (v.Failed) return v.Problem();
        var caller = Caller.From(http.User);
        var row = await db.PrivacySettings.SingleOrDefaultAsync(s => s.ProgrammeId == caller.ProgrammeId, ct);
        if (row is null) db.PrivacySettings.Add(row = new PrivacySettings { ProgrammeId = caller.ProgrammeId });
        row.InactiveDays = req.InactiveDays;
        row.WarningDays = req.WarningDays;
        row.Analytics = req.Analytics;
        row.ConsentTextVersion = req.ConsentTextVersion.Trim();
        row.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        AuditLog.Add(db, caller.ProgrammeId, AuditActor.Api(http), AuditActions.PrivacySettingsChanged, row.UpdatedAt, null,
            $"inactiveDays={req.InactiveDays?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, warningDays={req.WarningDays}, analytics={req.Analytics}, consentTextVersion={row.ConsentTextVersion}");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(req with { ConsentTextVersion = row.ConsentTextVersion });
    }

    private static async Task<Ok<RetentionRun>> PreviewRetention(HttpContext http, TreueDb db, TimeProvider clock, CancellationToken ct) =>
        TypedResults.Ok(await Retention.RunAsync(db, Caller.From(http.User).ProgrammeId, clock.GetUtcNow().UtcDateTime, dryRun: true, ct));

    private static async Task<Ok<RetentionRun>> RunRetention(HttpContext http, TreueDb db, TimeProvider clock, CancellationToken ct)
    {
        var run = await Retention.RunAsync(db, Caller.From(http.User).ProgrammeId, clock.GetUtcNow().UtcDateTime, dryRun: false, ct);
        if (run.Erase.Count > 0) http.RequestServices.GetRequiredService<Web.Shared.WebSessions>().Forget();
        return TypedResults.Ok(run);
    }

    private static async Task<Results<Ok<MemberDataExport>, ProblemHttpResult>> Export(Guid memberId, HttpContext http, TreueDb db, TimeProvider clock,
        CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow().UtcDateTime;
        var export = await MemberData.ExportAsync(db, caller.ProgrammeId, memberId, now, ct);
        if (export is null) return Problems.NotFound("member_not_found", "The member", "memberId");
        AuditLog.Add(db, caller.ProgrammeId, AuditActor.Api(http), AuditActions.MemberExported, now, memberId.ToString(), null, memberId);
        await db.SaveChangesAsync(ct);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"member-{memberId}.json\"";
        return TypedResults.Ok(export);
    }

    private static async Task<Results<Ok<ErasureResult>, ProblemHttpResult>> Erase(Guid memberId, EraseMemberRequest req, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var v = new Validation();
        v.Text(req.Reason, "reason", 500, required: true);
        if (v.Failed) return v.Problem();
        var caller = Caller.From(http.User);
        var result = await MemberData.EraseAsync(db, caller.ProgrammeId, memberId, AuditActor.Api(http), req.Reason!.Trim(), clock.GetUtcNow().UtcDateTime, ct);
        if (result is null) return Problems.NotFound("member_not_found", "The member", "memberId");
        http.RequestServices.GetRequiredService<Web.Shared.WebSessions>().Forget();
        return TypedResults.Ok(result);
    }
}
