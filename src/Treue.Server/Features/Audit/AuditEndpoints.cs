using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Audit;

public sealed record AuditEntryView(long Id, DateTime At, AuditActorKind ActorKind, Guid? ActorId, string Actor, string? Address,
    string Action, string? Target, string? Details, Guid? MemberId)
{
    public static AuditEntryView From(AuditEntry e) => new(e.Id, e.At, e.ActorKind, e.ActorId, e.Actor, e.Address, e.Action, e.Target, e.Details, e.MemberId);
}

/// <summary>Reading the audit log of the caller's programme (admin).</summary>
public static class AuditEndpoints
{

    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", List).WithName("listAuditEntries").WithTags("Audit").RequireAuthorization(Policies.Admin)
            .WithSummary("The audit log, newest first: who did which administrative act, when and from where (paginated)");
        return api;
    }

    private static async Task<Results<Ok<Page<AuditEntryView>>, ProblemHttpResult>> List(DateTimeOffset? from, DateTimeOffset? to, string? action,
        string? actor, Guid? memberId, int? limit, string? cursor, HttpContext http, TreueDb db, CancellationToken ct)
    {
        var v = new Validation();
        v.Check(from is null || DateBounds.Contains(from.Value), "from", DateBounds.Message);
        v.Check(to is null || DateBounds.Contains(to.Value), "to", DateBounds.Message);
        v.Check(from is null || to is null || from <= to, "to", "must not be before from");
        v.Check(action is null || AuditActions.All.Contains(action), "action", "is not an audited action");
        v.Check(actor is null || actor.Length <= 320, "actor", "must be at most 320 characters");
        if (v.Failed) return v.Problem();
        if (Pagination.Read(limit, cursor, out var take, out var after) is { } bad) return bad;
        var q = AuditLog.Query(db, Caller.From(http.User).ProgrammeId, new AuditFilter(from?.UtcDateTime, to?.UtcDateTime, action, actor, memberId));
        if (after is not null)
        {
            if (!long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out var afterId))
                return Problems.Problem("invalid_cursor", "is not a cursor this API returned", "cursor", 400);
            q = q.Where(e => e.Id < afterId);
        }
        var rows = await q.Take(take + 1).ToListAsync(ct);
        return TypedResults.Ok(Pagination.Build(rows.Select(AuditEntryView.From).ToList(), take, e => e.Id.ToString(CultureInfo.InvariantCulture)));
    }
}
