using Microsoft.EntityFrameworkCore;
using Treue.Server.Features.Audit;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Privacy;

/// <summary>A data request as the API and the console show it.</summary>
/// <param name="Id">The request.</param>
/// <param name="MemberId">The member who made it.</param>
/// <param name="MemberName">The member's name now (the pseudonym once erased).</param>
/// <param name="Kind">Access (a copy of the data) or erasure.</param>
/// <param name="ReceivedAt">When the request reached the programme (UTC).</param>
/// <param name="DueAt">When it must be answered: one calendar month after receipt in the programme's time zone (Art. 12(3)).</param>
/// <param name="Note">How it came in.</param>
/// <param name="RecordedBy">Who recorded it.</param>
/// <param name="CompletedAt">When it was completed; null while open.</param>
/// <param name="CompletedBy">Who completed it.</param>
/// <param name="Overdue">Open after its due date.</param>
public sealed record DataRequestView(Guid Id, Guid MemberId, string MemberName, DataRequestKind Kind, DateTime ReceivedAt, DateTime DueAt, string? Note,
    string RecordedBy, DateTime? CompletedAt, string? CompletedBy, bool Overdue);

/// <summary>A completed request with what completing it produced: the export for access, the erasure's result for erasure.</summary>
public sealed record DataRequestCompletion(DataRequestView Request, MemberDataExport? Export, ErasureResult? Erasure);

/// <summary>
/// Members' requests to see or erase their data, with the one-month due date of Art. 12(3). Completing a request runs
/// <see cref="MemberData.ExportAsync"/> or <see cref="MemberData.EraseAsync"/>, the same code the export and erasure
/// endpoints, the console and the portal use.
/// </summary>
public static class DataRequests
{
    /// <summary>The due date of a request received at <paramref name="receivedAt"/>: the same time one calendar month later, local to the programme.</summary>
    public static DateTime DueDate(DateTime receivedAt, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(receivedAt, DateTimeKind.Utc), zone);
        var due = local.AddMonths(1);
        // A local time that does not exist (a clock change) moves on by the gap.
        while (zone.IsInvalidTime(due)) due = due.AddMinutes(30);
        return TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(due, DateTimeKind.Unspecified), zone);
    }

    /// <summary>The programme's time zone.</summary>
    public static async Task<TimeZoneInfo> ZoneAsync(TreueDb db, Guid programmeId, CancellationToken ct) =>
        InputBounds.FindTimeZone(await db.Programmes.Where(p => p.Id == programmeId).Select(p => p.TimeZone).SingleAsync(ct)) ?? TimeZoneInfo.Utc;

    /// <summary>Records a request; null when the programme has no such member.</summary>
    public static async Task<DataRequestView?> RecordAsync(TreueDb db, Guid programmeId, Guid memberId, DataRequestKind kind, DateTime receivedAt,
        string? note, AuditActor actor, DateTime now, CancellationToken ct)
    {
        var name = await db.Members.Where(m => m.Id == memberId && m.ProgrammeId == programmeId).Select(m => m.Name).SingleOrDefaultAsync(ct);
        if (name is null) return null;
        var request = new DataRequest
        {
            Id = Guid.CreateVersion7(now), ProgrammeId = programmeId, MemberId = memberId, Kind = kind, ReceivedAt = receivedAt,
            DueAt = DueDate(receivedAt, await ZoneAsync(db, programmeId, ct)), Note = string.IsNullOrWhiteSpace(note) ? null : note.Trim(),
            RecordedBy = Bound(actor.Name),
        };
        db.DataRequests.Add(request);
        await db.SaveChangesAsync(ct);
        return View(request, name, now);
    }

    /// <summary>The programme's requests, open ones (<paramref name="open"/> true) by due date, or all newest first.</summary>
    public static async Task<IReadOnlyList<DataRequestView>> ListAsync(TreueDb db, Guid programmeId, bool open, Guid? memberId, int limit, DateTime now,
        CancellationToken ct)
    {
        var q = db.DataRequests.AsNoTracking().Where(r => r.ProgrammeId == programmeId);
        if (open) q = q.Where(r => r.CompletedAt == null);
        if (memberId is { } m) q = q.Where(r => r.MemberId == m);
        var rows = await (open ? q.OrderBy(r => r.DueAt) : q.OrderByDescending(r => r.ReceivedAt)).Take(limit)
            .Join(db.Members, r => r.MemberId, m => m.Id, (r, m) => new { Request = r, m.Name }).ToListAsync(ct);
        return rows.Select(x => View(x.Request, x.Name, now)).ToList();
    }

    /// <summary>The outcome of completing a request.</summary>
    public enum Outcome { Completed, NotFound, AlreadyCompleted }

    /// <summary>
    /// Completes a request: an access request gives the member's export, an erasure request erases them (the erasure's
    /// own transaction, then the request is marked), both through <see cref="MemberData"/>.
    /// </summary>
    public static async Task<(Outcome Outcome, DataRequestCompletion? Completion)> CompleteAsync(TreueDb db, Guid programmeId, Guid requestId,
        AuditActor actor, TimeProvider clock, CancellationToken ct)
    {
        var request = await db.DataRequests.SingleOrDefaultAsync(r => r.Id == requestId && r.ProgrammeId == programmeId, ct);
        if (request is null) return (Outcome.NotFound, null);
        if (request.CompletedAt is not null) return (Outcome.AlreadyCompleted, null);
        var now = clock.GetUtcNow().UtcDateTime;
        MemberDataExport? export = null;
        ErasureResult? erasure = null;
        if (request.Kind == DataRequestKind.Access)
        {
            export = await MemberData.ExportAsync(db, programmeId, request.MemberId, now, ct);
            AuditLog.Add(db, programmeId, actor, AuditActions.MemberExported, now, request.MemberId.ToString(), "data request " + request.Id, request.MemberId);
        }
        else
        {
            erasure = await MemberData.EraseAsync(db, programmeId, request.MemberId, actor, "data request " + request.Id, now, ct);
            await db.Entry(request).ReloadAsync(ct);
        }
        // Marked only if nobody completed it meanwhile: a second completion of the same request changes nothing.
        var marked = await db.DataRequests.Where(r => r.Id == request.Id && r.CompletedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.CompletedAt, now).SetProperty(r => r.CompletedBy, Bound(actor.Name)), ct);
        if (marked == 0) return (Outcome.AlreadyCompleted, null);
        await db.SaveChangesAsync(ct);
        var fresh = await db.DataRequests.AsNoTracking().SingleAsync(r => r.Id == request.Id, ct);
        var name = await db.Members.Where(m => m.Id == fresh.MemberId).Select(m => m.Name).SingleAsync(ct);
        return (Outcome.Completed, new DataRequestCompletion(View(fresh, name, now), export, erasure));
    }

    private static DataRequestView View(DataRequest r, string name, DateTime now) =>
        new(r.Id, r.MemberId, name, r.Kind, r.ReceivedAt, r.DueAt, r.Note, r.RecordedBy, r.CompletedAt, r.CompletedBy, r.CompletedAt is null && now > r.DueAt);

    private static string Bound(string name) => name.Length > 320 ? name[..320] : name;
}
