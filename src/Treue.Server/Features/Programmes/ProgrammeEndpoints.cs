using Microsoft.AspNetCore.Http.HttpResults;
using Treue.Server.Features.Audit;
using Treue.Server.Infrastructure;

namespace Treue.Server.Features.Programmes;

/// <summary>Reading and changing the caller's programme as one document ("programme as code").</summary>
public static class ProgrammeEndpoints
{
    public static RouteGroupBuilder MapProgrammes(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/programme").WithTags("Programme");
        g.MapGet("/", Get).WithName("getProgramme").RequireAuthorization(Policies.Pos).Refuses(404, "not_found").WithSummary("The programme's configuration as a document");
        g.MapPut("/", Put).WithName("applyProgramme").RequireAuthorization(Policies.Admin).Refuses(422, "currency_immutable").WithSummary("Apply a programme document (idempotent)");
        return api;
    }

    private static async Task<Results<Ok<ProgrammeDocument>, ProblemHttpResult>> Get(HttpContext http, ProgrammeApplier applier, CancellationToken ct)
    {
        var doc = await applier.ExportAsync(Caller.From(http.User).ProgrammeId, ct);
        return doc is null ? Problems.NotFound("not_found", "The programme") : TypedResults.Ok(doc);
    }

    private static async Task<Results<Ok<ApplyResult>, ProblemHttpResult>> Put(ProgrammeDocument document, HttpContext http,
        ProgrammeApplier applier, Storage.TreueDb db, CancellationToken ct)
    {
        if (ProgrammeApplier.Validate(document) is { } invalid) return invalid.Problem();
        var caller = Caller.From(http.User);
        var own = await applier.ExportAsync(caller.ProgrammeId, ct);
        if (own is null || !string.Equals(own.Code, document.Code, StringComparison.Ordinal))
            return Problems.Problem("forbidden", "An API key can only change its own programme; 'code' must be the programme's code.", "code", 403);
        var (result, refusal) = await applier.ApplyAsync(document, ct, caller.Actor, "applied through the API", AuditActor.Api(http));
        return refusal is not null ? Problems.From(refusal) : TypedResults.Ok(result!);
    }
}
