using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Domain.Earning;
using Treue.Server.Features.Audit;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Programmes;

/// <summary>What applying a programme document did.</summary>
/// <param name="ProgrammeId">The programme.</param>
/// <param name="Created">True when the programme did not exist before.</param>
/// <param name="Version">The configuration version after applying.</param>
/// <param name="Changes">One line per change; empty when the document matched the database.</param>
public sealed record ApplyResult(Guid ProgrammeId, bool Created, int Version, IReadOnlyList<string> Changes);

/// <summary>Applies a <see cref="ProgrammeDocument"/>: creates or updates the programme, and adds, changes or retires its parts.</summary>
public sealed partial class ProgrammeApplier(TreueDb db, TimeProvider clock)
{
    /// <summary>Checks a document; returns the validation errors, field by field, or null when it is valid.</summary>
    public static Validation? Validate(ProgrammeDocument d)
    {
        var v = new Validation();
        if (v.Text(d.Code, "code", 64)) v.Check(CodePattern().IsMatch(d.Code), "code", "must be lower-case letters, digits, '-' or '_'");
        v.Text(d.Name, "name", 200);
        v.Check(Currency.Find(d.Currency) is not null, "currency", "is not a known ISO 4217 currency code");
        v.TimeZone(d.TimeZone, "timeZone");
        v.Check(d.PointValue is > 0 and <= 1000, "pointValue", "must be greater than 0 and at most 1000");
        v.Check(d.BaseRate is >= 0 and <= 1000, "baseRate", "must be between 0 and 1000");
        v.Check(d.PendingDays is >= 0 and <= 365, "pendingDays", "must be between 0 and 365");
        if (d.Expiry.Invalid() is { } f) v.Add("expiry." + f, "is out of range");
        v.Check(d.PayWithPoints.MinPoints is >= 1 and <= 1_000_000_000, "payWithPoints.minPoints", "must be between 1 and 1,000,000,000");
        v.Check(d.PayWithPoints.MaxPoints is null || d.PayWithPoints.MaxPoints >= d.PayWithPoints.MinPoints, "payWithPoints.maxPoints", "must be at least minPoints");
        v.Check(d.PayWithPoints.MaxShareOfBasket is > 0 and <= 1, "payWithPoints.maxShareOfBasket", "must be greater than 0 and at most 1");

        // Every rule is evaluated on every purchase line and every part is compared on each apply: the counts are bounded too.
        var counted = v.Check(d.Partners.Count <= InputBounds.MaxPartners, "partners", "at most {0:N0} partners are allowed", InputBounds.MaxPartners)
            & v.Check(d.Partners.Sum(p => p.Stores?.Count ?? 0) <= InputBounds.MaxStores, "stores", "at most {0:N0} stores are allowed", InputBounds.MaxStores)
            & v.Check(d.Rules.Count <= InputBounds.MaxRules, "rules", "at most {0:N0} rules are allowed", InputBounds.MaxRules)
            & v.Check(d.Rewards.Count <= InputBounds.MaxRewards, "rewards", "at most {0:N0} rewards are allowed", InputBounds.MaxRewards);
        // Over a bound, the parts are not checked one by one: that would list thousands of errors.
        if (!counted) return v;
        Unique(v, d.Partners.Select(p => p.Code), "partners");
        Unique(v, d.Partners.SelectMany(p => p.Stores ?? []).Select(s => s.Code), "stores");
        for (var i = 0; i < d.Partners.Count; i++)
        {
            var p = d.Partners[i];
            if (v.Text(p.Code, $"partners[{i}].code", 64)) v.Check(CodePattern().IsMatch(p.Code), $"partners[{i}].code", "must be lower-case letters, digits, '-' or '_'");
            v.Text(p.Name, $"partners[{i}].name", 200);
            var stores = p.Stores ?? [];
            for (var j = 0; j < stores.Count; j++)
            {
                if (v.Text(stores[j].Code, $"partners[{i}].stores[{j}].code", 64))
                    v.Check(CodePattern().IsMatch(stores[j].Code), $"partners[{i}].stores[{j}].code", "must be lower-case letters, digits, '-' or '_'");
                v.Text(stores[j].Name, $"partners[{i}].stores[{j}].name", 200);
            }
        }

        Unique(v, d.Rules.Select(r => r.Code), "rules");
        var partnerCodes = d.Partners.Select(p => p.Code).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var storeCodes = d.Partners.SelectMany(p => p.Stores ?? []).Select(s => s.Code).ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < d.Rules.Count; i++)
        {
            var r = d.Rules[i];
            var at = $"rules[{i}]";
            if (v.Text(r.Code, at + ".code", 64)) v.Check(CodePattern().IsMatch(r.Code) && r.Code != EarningScheme.BaseRuleCode, at + ".code", "must be lower-case letters, digits, '-' or '_' and not 'base'");
            v.Text(r.Name, at + ".name", 200);
            v.Check(r.Priority is >= -1000 and <= 1000, at + ".priority", "must be between -1000 and 1000");
            var c = r.Conditions ?? new RuleConditions();
            // JSON can put null for any list or element; null lists read as empty, null elements are errors.
            foreach (var p in c.Partners ?? []) v.Check(p is not null && partnerCodes.Contains(p), at + ".conditions.partners", "'{0}' is not a partner of the programme", p);
            foreach (var s in c.Stores ?? []) v.Check(s is not null && storeCodes.Contains(s), at + ".conditions.stores", "'{0}' is not a store of the programme", s);
            v.Check(c.Skus is null || c.Skus.Count <= 10_000 && c.Skus.All(s => s is { Length: > 0 and <= 64 }), at + ".conditions.skus", "must be at most 10,000 SKUs of 1 to 64 characters");
            v.Check(c.Categories is null || c.Categories.Count <= 1000 && c.Categories.All(s => s is { Length: > 0 and <= 64 }), at + ".conditions.categories", "must be at most 1,000 categories of 1 to 64 characters");
            v.Date(c.From, at + ".conditions.from");
            v.Date(c.To, at + ".conditions.to");
            v.Check(c.From is null || c.To is null || c.From <= c.To, at + ".conditions.to", "must not be before from");
            v.Check(c.MinBasket is null or >= 0 and <= 10_000_000, at + ".conditions.minBasket", "must be between 0 and 10,000,000");
            if (r.Effect is null) v.Add(at + ".effect", "is required");
            else v.Check(r.Effect.Kind switch
            {
                EffectKind.Multiplier => r.Effect.Value is >= 1 and <= 100,
                EffectKind.FixedBonus => r.Effect.Value is >= 0 and <= 1_000_000 && decimal.Truncate(r.Effect.Value) == r.Effect.Value,
                _ => r.Effect.Value is >= 0 and <= 1000,
            }, at + ".effect.value", "is out of range for the effect kind (multiplier 1–100, fixed bonus 0–1,000,000 whole points, points per unit 0–1000)");
        }

        Unique(v, d.Rewards.Select(r => r.Code), "rewards");
        var currency = Currency.Find(d.Currency);
        for (var i = 0; i < d.Rewards.Count; i++)
        {
            var r = d.Rewards[i];
            var at = $"rewards[{i}]";
            if (v.Text(r.Code, at + ".code", 64)) v.Check(CodePattern().IsMatch(r.Code), at + ".code", "must be lower-case letters, digits, '-' or '_'");
            v.Text(r.Name, at + ".name", 200);
            v.Text(r.Description, at + ".description", 2000, required: false);
            v.Text(r.ImageUrl, at + ".imageUrl", 1000, required: false);
            v.Check(r.Points is >= 1 and <= 1_000_000_000, at + ".points", "must be between 1 and 1,000,000,000");
            v.Check(r.CoPayment is >= 0 and <= 1_000_000 && (currency is null || currency.IsExact(r.CoPayment)), at + ".coPayment", "must be between 0 and 1,000,000 in the currency's minor unit");
            v.Check(r.Stock is null or >= 0 and <= 1_000_000_000, at + ".stock", "must be between 0 and 1,000,000,000");
            v.Check(r.ValidFrom is not { } from || DateBounds.Contains(from), at + ".validFrom", DateBounds.Message);
            v.Check(r.ValidTo is not { } to || DateBounds.Contains(to), at + ".validTo", DateBounds.Message);
            v.Check(r.ValidFrom is null || r.ValidTo is null || r.ValidFrom <= r.ValidTo, at + ".validTo", "must not be before validFrom");
        }
        return v.Failed ? v : null;
    }

    /// <summary>
    /// Applies a valid document in one transaction. A change that alters anything is recorded in the programme's change
    /// history with <paramref name="author"/> (a staff e-mail, <c>apikey:…</c>, <c>cli</c>) and <paramref name="summary"/>.
    /// </summary>
    public async Task<(ApplyResult? Result, Refusal? Refusal)> ApplyAsync(ProgrammeDocument d, CancellationToken ct, string author = "system", string? summary = null,
        AuditActor? actor = null)
    {
        await using var work = await Work.BeginAsync(db, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var changes = new List<string>();
        var p = await db.Programmes.SingleOrDefaultAsync(x => x.Code == d.Code, ct);
        var created = p is null;
        if (p is null)
        {
            p = new Programme { Id = Guid.CreateVersion7(), Code = d.Code, Name = d.Name, Currency = d.Currency, CreatedAt = now };
            db.Programmes.Add(p);
            changes.Add($"programme {d.Code} created");
        }
        else if (p.Currency != d.Currency)
        {
            // Money is stored in the programme's minor units, so a currency change would silently rescale history.
            return (null, new Refusal("currency_immutable", $"The programme's currency is {p.Currency} and cannot be changed.", "currency"));
        }
        Set(p.Name, d.Name, x => p.Name = x, "name", changes);
        Set(p.TimeZone, d.TimeZone, x => p.TimeZone = x, "timeZone", changes);
        Set(p.PointValue, d.PointValue, x => p.PointValue = x, "pointValue", changes);
        Set(p.BaseRate, d.BaseRate, x => p.BaseRate = x, "baseRate", changes);
        Set(p.Rounding, d.Rounding, x => p.Rounding = x, "rounding", changes);
        Set(p.PendingDays, d.PendingDays, x => p.PendingDays = x, "pendingDays", changes);
        Set(p.Expiry, d.Expiry, x => p.Expiry = x, "expiry", changes);
        Set(p.PayWithPoints, d.PayWithPoints, x => p.PayWithPoints = x, "payWithPoints", changes);

        var partners = await db.Partners.Where(x => x.ProgrammeId == p.Id).ToDictionaryAsync(x => x.Code, ct);
        var stores = await db.Stores.Where(x => x.ProgrammeId == p.Id).ToDictionaryAsync(x => x.Code, ct);
        foreach (var pd in d.Partners)
        {
            if (!partners.TryGetValue(pd.Code, out var partner))
            {
                partner = new Partner { Id = Guid.CreateVersion7(), ProgrammeId = p.Id, Code = pd.Code, Name = pd.Name };
                db.Partners.Add(partner);
                partners[pd.Code] = partner;
                changes.Add($"partner {pd.Code} added");
            }
            else
            {
                Set(partner.Name, pd.Name, x => partner.Name = x, $"partner {pd.Code} name", changes);
                Set(partner.Active, true, x => partner.Active = x, $"partner {pd.Code} active", changes);
            }
            foreach (var sd in pd.Stores ?? [])
            {
                if (!stores.TryGetValue(sd.Code, out var store))
                {
                    store = new Store { Id = Guid.CreateVersion7(), ProgrammeId = p.Id, PartnerId = partner.Id, Code = sd.Code, Name = sd.Name };
                    db.Stores.Add(store);
                    stores[sd.Code] = store;
                    changes.Add($"store {sd.Code} added");
                }
                else
                {
                    Set(store.Name, sd.Name, x => store.Name = x, $"store {sd.Code} name", changes);
                    Set(store.PartnerId, partner.Id, x => store.PartnerId = x, $"store {sd.Code} partner", changes);
                    Set(store.Active, true, x => store.Active = x, $"store {sd.Code} active", changes);
                }
            }
        }
        var declaredPartners = d.Partners.Select(x => x.Code).ToHashSet();
        foreach (var partner in partners.Values.Where(x => x.Active && !declaredPartners.Contains(x.Code)))
        {
            partner.Active = false;
            changes.Add($"partner {partner.Code} retired");
        }
        var declaredStores = d.Partners.SelectMany(x => x.Stores ?? []).Select(x => x.Code).ToHashSet();
        foreach (var store in stores.Values.Where(x => x.Active && !declaredStores.Contains(x.Code)))
        {
            store.Active = false;
            changes.Add($"store {store.Code} retired");
        }

        var rules = await db.Rules.Where(x => x.ProgrammeId == p.Id).ToDictionaryAsync(x => x.Code, ct);
        foreach (var rd in d.Rules)
        {
            var normalised = rd with { Conditions = rd.Conditions ?? new RuleConditions() };
            if (!rules.TryGetValue(rd.Code, out var rule))
            {
                db.Rules.Add(new Rule { Id = Guid.CreateVersion7(), ProgrammeId = p.Id, Code = rd.Code, Definition = normalised });
                changes.Add($"rule {rd.Code} added");
            }
            else if (!rule.Active || Json(rule.Definition) != Json(normalised))
            {
                rule.Definition = normalised;
                rule.Active = true;
                changes.Add($"rule {rd.Code} changed");
            }
        }
        var declaredRules = d.Rules.Select(x => x.Code).ToHashSet();
        foreach (var rule in rules.Values.Where(x => x.Active && !declaredRules.Contains(x.Code)))
        {
            rule.Active = false;
            changes.Add($"rule {rule.Code} retired");
        }

        var currency = Currency.Find(d.Currency)!;
        var rewards = await db.Rewards.Where(x => x.ProgrammeId == p.Id).ToDictionaryAsync(x => x.Code, ct);
        foreach (var rd in d.Rewards)
        {
            if (!rewards.TryGetValue(rd.Code, out var reward))
            {
                reward = new Reward { Id = Guid.CreateVersion7(), ProgrammeId = p.Id, Code = rd.Code, Name = rd.Name };
                db.Rewards.Add(reward);
                changes.Add($"reward {rd.Code} added");
            }
            var before = changes.Count;
            Set(reward.Name, rd.Name, x => reward.Name = x, $"reward {rd.Code} name", changes);
            Set(reward.Description, rd.Description, x => reward.Description = x, $"reward {rd.Code} description", changes);
            Set(reward.ImageUrl, rd.ImageUrl, x => reward.ImageUrl = x, $"reward {rd.Code} image", changes);
            Set(reward.PointsPrice, rd.Points, x => reward.PointsPrice = x, $"reward {rd.Code} points", changes);
            Set(reward.CoPaymentMinor, currency.ToMinor(rd.CoPayment), x => reward.CoPaymentMinor = x, $"reward {rd.Code} co-payment", changes);
            Set(reward.StockLimit, rd.Stock, x => reward.StockLimit = x, $"reward {rd.Code} stock", changes);
            Set(reward.ValidFrom, rd.ValidFrom?.UtcDateTime, x => reward.ValidFrom = x, $"reward {rd.Code} validFrom", changes);
            Set(reward.ValidTo, rd.ValidTo?.UtcDateTime, x => reward.ValidTo = x, $"reward {rd.Code} validTo", changes);
            Set(reward.Active, true, x => reward.Active = x, $"reward {rd.Code} active", changes);
            if (db.Entry(reward).State == EntityState.Added) changes.RemoveRange(before, changes.Count - before);
        }
        var declaredRewards = d.Rewards.Select(x => x.Code).ToHashSet();
        foreach (var reward in rewards.Values.Where(x => x.Active && !declaredRewards.Contains(x.Code)))
        {
            reward.Active = false;
            changes.Add($"reward {reward.Code} retired");
        }

        if (created) changes.RemoveAll(c => c.EndsWith(" changed", StringComparison.Ordinal) && !c.StartsWith("rule ", StringComparison.Ordinal));
        if (changes.Count > 0)
        {
            p.ConfigVersion++;
            p.UpdatedAt = now;
            summary ??= created ? "programme created" : $"{changes.Count} change(s) applied";
            db.ProgrammeChanges.Add(new ProgrammeChange
            {
                ProgrammeId = p.Id, Version = p.ConfigVersion, At = now, Author = author.Length > 200 ? author[..200] : author,
                Summary = summary.Length > 500 ? summary[..500] : summary, Changes = [.. changes],
            });
            AuditLog.Add(db, p.Id, actor ?? (author == "cli" ? AuditActor.Cli : AuditActor.System), AuditActions.ProgrammeChanged, now,
                $"version {p.ConfigVersion}", summary + ": " + string.Join("; ", changes));
        }
        await work.CommitAsync(ct);
        return (new ApplyResult(p.Id, created, p.ConfigVersion, changes), null);
    }

    /// <summary>Reads a programme back as a document (what <c>GET /api/v1/programme</c> returns).</summary>
    public async Task<ProgrammeDocument?> ExportAsync(Guid programmeId, CancellationToken ct)
    {
        var p = await db.Programmes.AsNoTracking().SingleOrDefaultAsync(x => x.Id == programmeId, ct);
        if (p is null) return null;
        var currency = Currency.Find(p.Currency)!;
        var partners = await db.Partners.AsNoTracking().Where(x => x.ProgrammeId == p.Id && x.Active).OrderBy(x => x.Code).ToListAsync(ct);
        var stores = await db.Stores.AsNoTracking().Where(x => x.ProgrammeId == p.Id && x.Active).OrderBy(x => x.Code).ToListAsync(ct);
        var rules = await db.Rules.AsNoTracking().Where(x => x.ProgrammeId == p.Id && x.Active).OrderBy(x => x.Code).ToListAsync(ct);
        var rewards = await db.Rewards.AsNoTracking().Where(x => x.ProgrammeId == p.Id && x.Active).OrderBy(x => x.Code).ToListAsync(ct);
        return new ProgrammeDocument
        {
            Code = p.Code, Name = p.Name, Currency = p.Currency, TimeZone = p.TimeZone, PointValue = p.PointValue,
            BaseRate = p.BaseRate, Rounding = p.Rounding, PendingDays = p.PendingDays, Expiry = p.Expiry, PayWithPoints = p.PayWithPoints,
            Partners = partners.Select(x => new PartnerDocument(x.Code, x.Name,
                stores.Where(s => s.PartnerId == x.Id).Select(s => new StoreDocument(s.Code, s.Name)).ToList())).ToList(),
            Rules = rules.Select(x => x.Definition).ToList(),
            Rewards = rewards.Select(x => new RewardDocument(x.Code, x.Name, x.PointsPrice, currency.FromMinor(x.CoPaymentMinor), x.StockLimit,
                x.Description, x.ImageUrl,
                x.ValidFrom is { } f ? new DateTimeOffset(f) : null, x.ValidTo is { } t ? new DateTimeOffset(t) : null)).ToList(),
        };
    }

    internal static TimeZoneInfo? TryTimeZone(string? id) => InputBounds.FindTimeZone(id);

    private static void Unique(Validation v, IEnumerable<string> codes, string field)
    {
        foreach (var dup in codes.Where(c => c is not null).GroupBy(c => c, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            v.Check(false, field, "code '{0}' is declared more than once", dup.Key);
    }

    private static void Set<T>(T current, T wanted, Action<T> set, string what, List<string> changes)
    {
        if (EqualityComparer<T>.Default.Equals(current, wanted)) return;
        set(wanted);
        changes.Add($"{what} changed");
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, TreueJson.Options);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")]
    private static partial Regex CodePattern();
}
