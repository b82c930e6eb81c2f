using Microsoft.EntityFrameworkCore;
using Treue.Domain.Earning;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Programmes;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Web.Admin;

/// <summary>A programme document as the console loaded it, with the configuration version it was read at.</summary>
public sealed record LoadedProgramme(ProgrammeDocument Document, int Version, TimeZoneInfo TimeZone);

/// <summary>
/// What saving a change did: the new version and the change lines, or why it was refused: the field errors of the
/// programme validation (<see cref="Invalid"/>), or other reasons (<see cref="Errors"/>, English texts the console
/// translates).
/// </summary>
public sealed record SaveResult(bool Saved, int Version, IReadOnlyList<string> Changes, IReadOnlyList<string> Errors, Validation? Invalid = null);

/// <summary>
/// Changes a programme from the console through the same <see cref="ProgrammeApplier"/> the API and the CLI use:
/// the console edits the programme document and applies it. Each change that alters something is recorded with
/// the staff user who made it.
/// </summary>
public sealed class ProgrammeEditor(TreueDb db, ProgrammeApplier applier)
{
    public async Task<LoadedProgramme?> LoadAsync(Guid programmeId, CancellationToken ct)
    {
        var version = await db.Programmes.AsNoTracking().Where(p => p.Id == programmeId).Select(p => (int?)p.ConfigVersion).SingleOrDefaultAsync(ct);
        var doc = await applier.ExportAsync(programmeId, ct);
        if (doc is null || version is null) return null;
        return new LoadedProgramme(doc, version.Value, ProgrammeApplier.TryTimeZone(doc.TimeZone) ?? TimeZoneInfo.Utc);
    }

    /// <summary>
    /// Applies <paramref name="changed"/>, a document derived from the one loaded at <paramref name="loadedVersion"/>.
    /// Refused when someone else changed the programme in between, so that nobody overwrites a change unseen.
    /// </summary>
    public async Task<SaveResult> SaveAsync(Guid programmeId, int loadedVersion, ProgrammeDocument changed, AuditActor author, string summary, CancellationToken ct)
    {
        var current = await db.Programmes.AsNoTracking().Where(p => p.Id == programmeId).Select(p => new { p.Code, p.ConfigVersion }).SingleAsync(ct);
        if (current.Code != changed.Code) return new SaveResult(false, current.ConfigVersion, [], ["The programme code cannot be changed."]);
        if (current.ConfigVersion != loadedVersion)
            return new SaveResult(false, current.ConfigVersion, [], ["Someone else changed the programme meanwhile. Reload the page and make your change again."]);
        // The validation the API applies to the same document; the console shows its errors at its fields.
        if (ProgrammeApplier.Validate(changed) is { } invalid) return new SaveResult(false, current.ConfigVersion, [], [], invalid);
        var (result, refusal) = await applier.ApplyAsync(changed, ct, author.Name, summary, author);
        if (refusal is not null) return new SaveResult(false, current.ConfigVersion, [], [refusal.Message]);
        return new SaveResult(true, result!.Version, result.Changes, []);
    }

    public Task<List<ProgrammeChange>> HistoryAsync(Guid programmeId, int take, CancellationToken ct) =>
        db.ProgrammeChanges.AsNoTracking().Where(c => c.ProgrammeId == programmeId).OrderByDescending(c => c.Id).Take(take).ToListAsync(ct);

    /// <summary>
    /// What a basket would earn under a (possibly unsaved) document: the same earning scheme the purchase API
    /// evaluates, so the preview shows exactly which rules would fire and what each would give.
    /// </summary>
    public static EarningResult Quote(ProgrammeDocument doc, Basket basket, bool firstPurchase) =>
        new EarningScheme(doc.BaseRate, doc.Rounding, doc.Rules).Evaluate(basket, new EarningContext(firstPurchase));
}
