using System.Globalization;
using System.Text.Encodings.Web;
using Microsoft.EntityFrameworkCore;
using System.Text.Json;
using Treue.Domain.Earning;
using Treue.Storage.Entities;

namespace Treue.Storage;

/// <summary>
/// How contributions (why points moved, rule by rule) are stored: a JSON array of <c>[rule, name, points]</c> triples,
/// <c>[["base","Base rate",8]]</c> instead of <c>[{"rule":"base","name":"Base rate","points":8}]</c>. Every purchase line
/// carries one list, so the member names and the escaping of <c>+</c> or <c>ü</c> were a fifth of a purchase's bytes.
/// A contribution with a <see cref="Reason"/> adds its key and, when it has any, an object of its values with one-letter
/// names: <c>["sat","",16,"rule",{"s":"Double points","e":"Multiplier","v":2}]</c>. Its name is then stored empty when it
/// is the reason's English words, and read back as them. Rows written before reasons existed keep their name alone.
/// The HTTP API keeps its own JSON form.
/// </summary>
public static class StoredContributions
{
    private static readonly JsonWriterOptions Writing = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The stored text of a list.</summary>
    public static string Write(IReadOnlyList<Contribution> list)
    {
        if (list.Count == 0) return "[]";
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Writing))
        {
            w.WriteStartArray();
            foreach (var c in list)
            {
                w.WriteStartArray();
                w.WriteStringValue(c.Rule);
                var reason = c.Reason;
                w.WriteStringValue(reason is not null && c.Name == reason.English() ? "" : c.Name);
                w.WriteNumberValue(c.Points);
                if (reason is not null) WriteReason(w, reason);
                w.WriteEndArray();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Reads the stored text of a list.</summary>
    public static List<Contribution> Read(string text)
    {
        if (text is "[]" or "") return [];
        using var doc = JsonDocument.Parse(text);
        var list = new List<Contribution>(doc.RootElement.GetArrayLength());
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            var name = c[1].GetString()!;
            var points = c[2].GetInt64();
            var reason = c.GetArrayLength() > 3 ? ReadReason(c) : null;
            list.Add(reason is null ? new Contribution(c[0].GetString()!, name, points)
                : new Contribution(c[0].GetString()!, name.Length == 0 ? reason.English() : name, points) { Reason = reason });
        }
        return list;
    }

    private static void WriteReason(Utf8JsonWriter w, Reason r)
    {
        w.WriteStringValue(r.Key);
        if (r.Line is null && r.Effect is null && r.Value is null && r.Unit is null && r.Subject is null && r.Date is null) return;
        w.WriteStartObject();
        if (r.Subject is not null) w.WriteString("s", r.Subject);
        if (r.Effect is { } effect) w.WriteString("e", effect.ToString());
        if (r.Value is { } value) w.WriteNumber("v", value);
        if (r.Unit is not null) w.WriteString("u", r.Unit);
        if (r.Date is { } date) w.WriteString("d", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (r.Line is { } line) w.WriteNumber("l", line);
        w.WriteEndObject();
    }

    private static Reason ReadReason(JsonElement c)
    {
        var reason = new Reason(c[3].GetString()!);
        if (c.GetArrayLength() < 5 || c[4].ValueKind != JsonValueKind.Object) return reason;
        var o = c[4];
        return reason with
        {
            Subject = o.TryGetProperty("s", out var s) ? s.GetString() : null,
            // A kind this version does not know is left out rather than failing the whole row.
            Effect = o.TryGetProperty("e", out var e) && Enum.TryParse<EffectKind>(e.GetString(), out var kind) ? kind : null,
            Value = o.TryGetProperty("v", out var v) ? v.GetDecimal() : null,
            Unit = o.TryGetProperty("u", out var u) ? u.GetString() : null,
            Date = o.TryGetProperty("d", out var d) && DateOnly.TryParseExact(d.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null,
            Line = o.TryGetProperty("l", out var l) ? l.GetInt32() : null,
        };
    }
}

/// <summary>
/// The explanation of a purchase's earning is its lines' contributions (named with their line) and its bonuses. It is
/// stored once, on the purchase; the earn transaction keeps an empty explanation and readers put it back from the
/// purchase with <see cref="FillAsync"/>.
/// </summary>
public static class EarnExplanations
{
    /// <summary>The explanation of an earning with these lines and bonuses.</summary>
    public static List<Contribution> Of(IEnumerable<(int LineNo, IReadOnlyList<Contribution> Contributions)> lines, IEnumerable<Contribution> bonuses) =>
        lines.OrderBy(l => l.LineNo).SelectMany(l => l.Contributions.Select(c => c.OnLine(l.LineNo)))
            .Concat(bonuses).ToList();

    /// <summary>
    /// Empties the explanation of new earn transactions whose purchase is saved with them when it says no more than
    /// the purchase does, so that it is not stored twice. Called before new rows are written.
    /// </summary>
    public static void Compact(TreueDb db)
    {
        List<Purchase>? purchases = null;
        foreach (var entry in db.ChangeTracker.Entries<LedgerTransaction>())
        {
            var tx = entry.Entity;
            if (entry.State != EntityState.Added || tx.Kind != Domain.Ledger.LedgerKind.Earn
                || tx.PurchaseId is not { } purchaseId || tx.Explanation.Count == 0) continue;
            purchases ??= [.. db.ChangeTracker.Entries<Purchase>().Select(p => p.Entity)];
            var purchase = purchases.Find(p => p.Id == purchaseId);
            if (purchase is null) continue;
            if (IsDerived(purchase, tx.Explanation)) tx.Explanation = [];
        }
    }

    /// <summary>
    /// The stored text of the explanation of <paramref name="purchase"/>'s earn transaction: empty (<c>[]</c>) when it
    /// says no more than the purchase does (or is null, meaning just that), as <see cref="Compact"/> makes it.
    /// </summary>
    public static string Stored(Purchase purchase, IReadOnlyList<Contribution>? explanation) =>
        explanation is null || IsDerived(purchase, explanation) ? "[]" : StoredContributions.Write(explanation);

    private static bool IsDerived(Purchase purchase, IReadOnlyList<Contribution> explanation) =>
        Of(purchase.Lines.Select(l => (l.LineNo, (IReadOnlyList<Contribution>)l.Contributions)), purchase.Bonuses).SequenceEqual(explanation);

    /// <summary>Puts back the explanations of earn transactions that were stored empty, from their purchases.</summary>
    public static async Task FillAsync(TreueDb db, IEnumerable<LedgerTransaction> transactions, CancellationToken ct)
    {
        var missing = transactions.Where(t => t.Kind == Domain.Ledger.LedgerKind.Earn && t.PurchaseId is not null && t.Explanation.Count == 0).ToList();
        if (missing.Count == 0) return;
        var ids = missing.Select(t => t.PurchaseId!.Value).Distinct().ToList();
        var explained = new Dictionary<Guid, List<Contribution>>();
        // In slices, so that the list of ids stays a bounded parameter list on both databases.
        foreach (var slice in ids.Chunk(500))
        {
            var bonuses = await db.Purchases.AsNoTracking().Where(p => slice.Contains(p.Id)).Select(p => new { p.Id, p.Bonuses }).ToListAsync(ct);
            var lines = (await db.PurchaseLines.AsNoTracking().Where(l => slice.Contains(l.PurchaseId))
                .Select(l => new { l.PurchaseId, l.LineNo, l.Contributions }).ToListAsync(ct)).ToLookup(l => l.PurchaseId);
            foreach (var p in bonuses)
                explained[p.Id] = Of(lines[p.Id].Select(l => (l.LineNo, (IReadOnlyList<Contribution>)l.Contributions)), p.Bonuses);
        }
        foreach (var t in missing)
            if (explained.TryGetValue(t.PurchaseId!.Value, out var e)) t.Explanation = e;
    }
}
