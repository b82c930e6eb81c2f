using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Domain.Earning;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Programmes;

/// <summary>A programme's configuration compiled for the hot path: settings, partners, stores and the earning scheme.</summary>
public sealed record CompiledProgramme(
    Programme Settings,
    Currency Currency,
    TimeZoneInfo TimeZone,
    EarningScheme Scheme,
    IReadOnlyDictionary<string, Partner> Partners,
    IReadOnlyDictionary<string, Store> Stores)
{
    /// <summary>Converts a UTC instant to the programme's local time, in which rule conditions are stated.</summary>
    public DateTime LocalTime(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(utc, TimeZone);
}

/// <summary>
/// Compiles each programme once and keeps it until its configuration version changes. The version is one indexed
/// read, so a change made on any server node is seen by every node on its next request.
/// </summary>
public sealed class ProgrammeCache
{
    private readonly ConcurrentDictionary<Guid, CompiledProgramme> _compiled = new();

    /// <summary>The current compiled configuration of a programme.</summary>
    public async Task<CompiledProgramme> GetAsync(TreueDb db, Guid programmeId, CancellationToken ct)
    {
        var version = await db.Programmes.AsNoTracking().Where(p => p.Id == programmeId).Select(p => p.ConfigVersion).SingleAsync(ct);
        if (_compiled.TryGetValue(programmeId, out var cached) && cached.Settings.ConfigVersion == version) return cached;
        var compiled = await CompileAsync(db, programmeId, ct);
        _compiled[programmeId] = compiled;
        return compiled;
    }

    /// <summary>Reads and compiles a programme's configuration.</summary>
    public static async Task<CompiledProgramme> CompileAsync(TreueDb db, Guid programmeId, CancellationToken ct)
    {
        var p = await db.Programmes.AsNoTracking().SingleAsync(x => x.Id == programmeId, ct);
        var rules = await db.Rules.AsNoTracking().Where(r => r.ProgrammeId == programmeId && r.Active).Select(r => r.Definition).ToListAsync(ct);
        var partners = await db.Partners.AsNoTracking().Where(x => x.ProgrammeId == programmeId).ToListAsync(ct);
        var stores = await db.Stores.AsNoTracking().Where(x => x.ProgrammeId == programmeId).ToListAsync(ct);
        return new CompiledProgramme(
            p,
            Currency.Find(p.Currency)!,
            ProgrammeApplier.TryTimeZone(p.TimeZone) ?? TimeZoneInfo.Utc,
            new EarningScheme(p.BaseRate, p.Rounding, rules),
            partners.ToDictionary(x => x.Code, StringComparer.OrdinalIgnoreCase),
            stores.ToDictionary(x => x.Code, StringComparer.OrdinalIgnoreCase));
    }
}
