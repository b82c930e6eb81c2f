using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Triggers;

/// <summary>Triggers (see docs/triggers.md): definitions, the dry run, a run now, the outbox and a member's gifts.</summary>
public static class TriggerEndpoints
{
    public static RouteGroupBuilder MapTriggers(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/triggers").WithTags("Triggers").RequireAuthorization(Policies.Admin);
        g.MapGet("/", List).WithName("listTriggers").WithSummary("The programme's triggers: when each fires, what it does, its budget and how far the scheduler has checked it");
        g.MapGet("/{triggerId}", Get).WithName("getTrigger").Refuses(404, "trigger_not_found").WithSummary("One trigger");
        g.MapPut("/{triggerId}", Put).WithName("putTrigger").WithSummary("Create or replace a trigger (400 naming the field of bad input)");
        g.MapDelete("/{triggerId}", Delete).WithName("deleteTrigger").Refuses(404, "trigger_not_found")
            .WithSummary("Delete a trigger; its firings stay, so a trigger created again under its id fires no occasion twice");
        g.MapGet("/{triggerId}/dry-run", DryRun).WithName("dryRunTrigger").Refuses(404, "trigger_not_found")
            .WithSummary("Who the trigger would hit today, and with what (changes nothing)");
        g.MapPost("/{triggerId}/preview", Preview).WithName("previewTrigger")
            .WithSummary("The dry run of a trigger not stored yet, as it would be stored under the id (400 naming the field of bad input)");
        api.MapPost("/jobs/triggers", Run).WithName("runTriggers").WithTags("Triggers").RequireAuthorization(Policies.Admin)
            .WithSummary("Run the programme's active triggers now, catching up missed days (idempotent: each occasion fires once)");
        api.MapGet("/outbox", Outbox).WithName("listOutbox").WithTags("Triggers").RequireAuthorization(Policies.Admin)
            .WithSummary("The programme's outbox of messages, newest first, optionally in one state");
        var m = api.MapGroup("/members/{memberId:guid}").WithTags("Triggers").RequireAuthorization(Policies.Admin);
        m.MapGet("/outbox", MemberOutbox).WithName("listMemberOutbox").Refuses(404, "member_not_found").WithSummary("A member's messages in the outbox with their state, newest first");
        m.MapGet("/gifts", MemberGifts).WithName("listMemberGifts").Refuses(404, "member_not_found")
            .WithSummary("The triggers fired for a member: the occasion, the points, the coupon code or the message");
        return api;
    }

    private static ProblemHttpResult NotFound() => Problems.NotFound("trigger_not_found", "The trigger", "triggerId");

    private static async Task<Ok<List<TriggerView>>> List(HttpContext http, TreueDb db, CancellationToken ct) =>
        TypedResults.Ok(await TriggerService.ListAsync(db, Caller.From(http.User).ProgrammeId, ct));

    private static async Task<Results<Ok<TriggerView>, ProblemHttpResult>> Get(string triggerId, HttpContext http, TreueDb db, CancellationToken ct) =>
        await TriggerService.GetAsync(db, Caller.From(http.User).ProgrammeId, triggerId, ct) is { } view ? TypedResults.Ok(view) : NotFound();

    private static async Task<Results<Ok<TriggerView>, ProblemHttpResult>> Put(string triggerId, TriggerRequest req, HttpContext http, TreueDb db, TimeProvider clock,
        CancellationToken ct)
    {
        var programmeId = Caller.From(http.User).ProgrammeId;
        if (await TriggerService.PutAsync(db, programmeId, triggerId, req, clock.GetUtcNow().UtcDateTime, ct) is { } invalid) return invalid.Problem();
        return TypedResults.Ok((await TriggerService.GetAsync(db, programmeId, triggerId, ct))!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string triggerId, HttpContext http, TreueDb db, CancellationToken ct) =>
        await TriggerService.DeleteAsync(db, Caller.From(http.User).ProgrammeId, triggerId, ct) ? TypedResults.NoContent() : NotFound();

    private static async Task<Results<Ok<DryRunView>, ProblemHttpResult>> DryRun(string triggerId, HttpContext http, TreueDb db, TimeProvider clock, CancellationToken ct)
    {
        var programmeId = Caller.From(http.User).ProgrammeId;
        if (await TriggerService.GetAsync(db, programmeId, triggerId, ct) is not { } trigger) return NotFound();
        return TypedResults.Ok(await TriggerService.DryRunAsync(db, programmeId, trigger.Definition with { Id = triggerId }, clock.GetUtcNow().UtcDateTime, ct));
    }

    private static async Task<Results<Ok<DryRunView>, ProblemHttpResult>> Preview(string triggerId, TriggerRequest req, HttpContext http, TreueDb db, TimeProvider clock,
        CancellationToken ct)
    {
        var programmeId = Caller.From(http.User).ProgrammeId;
        if (await TriggerService.CheckAsync(db, programmeId, triggerId, req, ct) is { } invalid) return invalid.Problem();
        return TypedResults.Ok(await TriggerService.DryRunAsync(db, programmeId, req.Definition(triggerId), clock.GetUtcNow().UtcDateTime, ct));
    }

    private static async Task<Ok<TriggerRunView>> Run(HttpContext http, TriggerScheduler scheduler, TimeProvider clock, CancellationToken ct) =>
        TypedResults.Ok(await scheduler.RunAsync(Caller.From(http.User).ProgrammeId, clock.GetUtcNow().UtcDateTime, ct));

    private static async Task<Results<Ok<Page<OutboxView>>, ProblemHttpResult>> Outbox(string? state, int? limit, string? cursor, HttpContext http, TreueDb db,
        CancellationToken ct) => await PageAsync(db, Caller.From(http.User).ProgrammeId, null, state, limit, cursor, ct);

    private static async Task<Results<Ok<Page<OutboxView>>, ProblemHttpResult>> MemberOutbox(Guid memberId, string? state, int? limit, string? cursor,
        HttpContext http, TreueDb db, CancellationToken ct)
    {
        var programmeId = Caller.From(http.User).ProgrammeId;
        if (!await db.Members.AnyAsync(x => x.Id == memberId && x.ProgrammeId == programmeId, ct)) return Problems.NotFound("member_not_found", "The member", "memberId");
        return await PageAsync(db, programmeId, memberId, state, limit, cursor, ct);
    }

    private static async Task<Results<Ok<Page<OutboxView>>, ProblemHttpResult>> PageAsync(TreueDb db, Guid programmeId, Guid? memberId, string? stateText, int? limit,
        string? cursor, CancellationToken ct)
    {
        OutboxState? state = null;
        if (!string.IsNullOrEmpty(stateText))
        {
            if (!Enum.TryParse<OutboxState>(stateText, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || char.IsDigit(stateText[0]))
                return Problems.Problem("validation_failed", "must be one of queued, sent, failed and bounced", "state", 400);
            state = parsed;
        }
        if (Pagination.Read(limit, cursor, out var take, out var after) is { } bad) return bad;
        long? before = null;
        if (after is not null)
        {
            if (!long.TryParse(after, System.Globalization.CultureInfo.InvariantCulture, out var id)) return Problems.Problem("invalid_cursor", "is not a cursor this API returned", "cursor", 400);
            before = id;
        }
        var rows = await TriggerService.OutboxAsync(db, programmeId, memberId, state, before, take + 1, ct);
        return TypedResults.Ok(Pagination.Build(rows, take, r => r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static async Task<Results<Ok<List<FiringView>>, ProblemHttpResult>> MemberGifts(Guid memberId, HttpContext http, TreueDb db, CancellationToken ct)
    {
        var programmeId = Caller.From(http.User).ProgrammeId;
        if (!await db.Members.AnyAsync(x => x.Id == memberId && x.ProgrammeId == programmeId, ct)) return Problems.NotFound("member_not_found", "The member", "memberId");
        return TypedResults.Ok(await TriggerService.FiringsAsync(db, programmeId, memberId, 200, ct));
    }
}
