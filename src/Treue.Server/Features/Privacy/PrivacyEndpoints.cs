using Microsoft.AspNetCore.Http.HttpResults;
using Treue.Server.Features.Audit;
using Treue.Server.Infrastructure;
using Treue.Storage;

namespace Treue.Server.Features.Privacy;

/// <summary>The reason an erasure is asked for, kept in the audit log.</summary>
/// <param name="Reason">Why: "the member asked on 2026-11-30 by e-mail", "retention: inactive for 3 years".</param>
public sealed record EraseMemberRequest(string? Reason);

/// <summary>A member's data requests: access and portability (export), and erasure. Admin keys only.</summary>
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
        return api;
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
