using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
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
    private Domain.Purchases.PurchaseTerms? _terms;

    /// <summary>The programme's campaigns and stamp cards, or null when it runs none.</summary>
    public Domain.Promotions.PromotionTerms? Promotions { get; init; }

    /// <summary>
    /// The terms a purchase decision applies (see <see cref="Domain.Purchases.PurchaseDecider"/>), with the pricing and
    /// stamp card stages when the programme runs campaigns or stamp cards, and the tier stages when it has tiers.
    /// </summary>
    public Domain.Purchases.PurchaseTerms Terms => _terms ??= WithTiers(Promotions is { } promotions
        ? Plain.WithPromotions(promotions)
        : Plain);

    /// <summary>The programme's tiers in its time zone, or null when it has none.</summary>
    public Domain.Tiers.TierScheme? Tiers => _tiers ??= Settings.Tiers is { } tiers ? tiers with { TimeZone = Settings.TimeZone } : null;

    private Domain.Tiers.TierScheme? _tiers;

    /// <summary>The terms with the tier multiplier in the earning stage and qualification after the purchase, when the programme has tiers.</summary>
    private Domain.Purchases.PurchaseTerms WithTiers(Domain.Purchases.PurchaseTerms terms) =>
        Tiers is { } tiers ? terms.WithMembers(new Domain.Tiers.MemberTerms(tiers, [])) : terms;

    private Domain.Purchases.PurchaseTerms Plain => new(Currency, Scheme, Settings.PendingDays, Settings.Expiry, Settings.PayWithPoints, Settings.PointValue);

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
    private readonly ConcurrentDictionary<Guid, DbTransaction> _checkedIn = new();

    /// <summary>
    /// The current compiled configuration of a programme. The version is read once per transaction: requests that share
    /// a group commit's transaction (none of which changes a configuration) check it once for all of them.
    /// </summary>
    public async Task<CompiledProgramme> GetAsync(TreueDb db, Guid programmeId, CancellationToken ct)
    {
        var tx = db.Database.CurrentTransaction?.GetDbTransaction();
        if (tx is not null && _checkedIn.TryGetValue(programmeId, out var checkedIn) && ReferenceEquals(checkedIn, tx)
            && _compiled.TryGetValue(programmeId, out var current))
            return current;
        var cached = await GetAsync(db, programmeId, await VersionAsync(db, programmeId, ct), ct);
        if (tx is not null) _checkedIn[programmeId] = tx;
        return cached;
    }

    /// <summary>
    /// The compiled configuration of a programme whose current version the caller has just read (with a query of its
    /// own, to spare a round trip): compiled again only when the version changed.
    /// </summary>
    public async Task<CompiledProgramme> GetAsync(TreueDb db, Guid programmeId, int version, CancellationToken ct)
    {
        if (!_compiled.TryGetValue(programmeId, out var cached) || cached.Settings.ConfigVersion != version)
        {
            cached = await CompileAsync(db, programmeId, ct);
            _compiled[programmeId] = cached;
        }
        return cached;
    }

    /// <summary>The programme's configuration version: one read by the primary key.</summary>
    private static async Task<int> VersionAsync(TreueDb db, Guid programmeId, CancellationToken ct)
    {
        await using var q = await DirectQuery.OpenAsync(db, "SELECT config_version FROM programmes WHERE id = @id", ct);
        await using var r = await q.Id("@id", programmeId).ReadAsync(ct);
        return await r.ReadAsync(ct) ? r.GetInt32(0) : throw new InvalidOperationException("The programme does not exist.");
    }

    /// <summary>Reads and compiles a programme's configuration.</summary>
    public static async Task<CompiledProgramme> CompileAsync(TreueDb db, Guid programmeId, CancellationToken ct)
    {
        var p = await db.Programmes.AsNoTracking().SingleAsync(x => x.Id == programmeId, ct);
        var rules = await db.Rules.AsNoTracking().Where(r => r.ProgrammeId == programmeId && r.Active).Select(r => r.Definition).ToListAsync(ct);
        var partners = await db.Partners.AsNoTracking().Where(x => x.ProgrammeId == programmeId).ToListAsync(ct);
        var stores = await db.Stores.AsNoTracking().Where(x => x.ProgrammeId == programmeId).ToListAsync(ct);
        var campaigns = await db.Campaigns.AsNoTracking().Where(x => x.ProgrammeId == programmeId).OrderBy(x => x.Id).Select(x => x.Definition).ToListAsync(ct);
        var cards = await db.StampCards.AsNoTracking().Where(x => x.ProgrammeId == programmeId).OrderBy(x => x.Id).Select(x => x.Definition).ToListAsync(ct);
        return new CompiledProgramme(
            p,
            Currency.Find(p.Currency)!,
            ProgrammeApplier.TryTimeZone(p.TimeZone) ?? TimeZoneInfo.Utc,
            new EarningScheme(p.BaseRate, p.Rounding, rules),
            partners.ToDictionary(x => x.Code, StringComparer.OrdinalIgnoreCase),
            stores.ToDictionary(x => x.Code, StringComparer.OrdinalIgnoreCase))
        {
            Promotions = campaigns.Count == 0 && cards.Count == 0 ? null : new Domain.Promotions.PromotionTerms
            {
                Campaigns = campaigns, StampCards = cards,
                Order = (p.PromotionStacking ?? Domain.Promotions.PromotionStacking.Default).Order,
                Groups = (p.PromotionStacking ?? Domain.Promotions.PromotionStacking.Default).Groups,
            },
        };
    }
}
