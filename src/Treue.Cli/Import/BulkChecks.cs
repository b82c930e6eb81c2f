using Treue.Domain;
using Treue.Domain.Earning;
using Treue.Server.Features.Programmes;
using Treue.Server.Features.Purchases;
using Treue.Storage.Entities;

namespace Treue.Cli.Import;

/// <summary>
/// The checks <see cref="PurchaseRecorder"/> makes of a purchase before it touches the member, in the same order and
/// with the same fields and messages, so that the bulk import refuses exactly what a till would be refused.
/// The tests hold both paths to the same rejects.
/// </summary>
internal static class BulkChecks
{
    private const decimal MaxQuantity = 100_000m;
    private const decimal MaxUnitPrice = 1_000_000m;
    private const decimal MaxTotal = 10_000_000m;

    /// <summary>The basket a valid purchase makes, or the problems that refuse it.</summary>
    public sealed record Outcome(Basket? Basket, Partner? Partner, Store? Store, List<(string Field, string Message)>? Problems);

    public static Outcome Check(CompiledProgramme p, PurchaseRequest req, DateTime nowUtc)
    {
        var v = new FieldProblems();
        v.Text(req.ReceiptId, "receiptId", 100, required: true);
        v.Text(req.Partner, "partner", 64);
        v.Text(req.Store, "store", 64, required: false);
        v.Text(req.CardNumber, "cardNumber", 64, required: false);
        v.Check(Enum.IsDefined(req.Channel), "channel", "must be store, online or app");
        var currency = Currency.Find(req.Currency);
        if (v.Text(req.Currency, "currency", 3)) v.Check(currency is not null, "currency", "is not a known ISO 4217 currency code");
        var identified = (req.CardNumber is not null ? 1 : 0) + (req.MemberId is not null ? 1 : 0);
        if (identified > 1) v.Add("cardNumber", "give either cardNumber or memberId, not both");
        if (identified == 0 && !req.Anonymous) v.Add("cardNumber", "is required unless memberId is given or the purchase is marked anonymous");
        if (identified > 0 && req.Anonymous) v.Add("anonymous", "an anonymous purchase cannot name a card or member");
        if (req.PointsPayment is not null) v.Add("pointsPayment", "paying with points is not part of a bulk import");
        if (req.OccurredAt is { } occurred)
            v.Check(occurred.UtcDateTime <= nowUtc.AddMinutes(5) && occurred.Year >= 1970, "occurredAt", "must not be in the future or before 1970");
        var lines = new List<BasketLine>(req.Lines?.Count ?? 0);
        if (req.Lines is null || req.Lines.Count == 0) v.Add("lines", "at least one line is required");
        else if (req.Lines.Count > PurchaseRecorder.MaxLines) v.Add("lines", $"at most {PurchaseRecorder.MaxLines} lines are allowed");
        else
        {
            for (var i = 0; i < req.Lines.Count; i++)
            {
                var l = req.Lines[i];
                var at = $"lines[{i}]";
                v.Text(l.Sku, at + ".sku", 64);
                v.Text(l.Category, at + ".category", 64, required: false);
                var q = v.Check(l.Quantity is > 0 and <= MaxQuantity && decimal.Round(l.Quantity, 3) == l.Quantity, at + ".quantity", "must be positive, at most 100,000, with at most 3 decimals");
                var u = v.Check(l.UnitPrice is >= 0 and <= MaxUnitPrice && (currency is null || currency.IsExact(l.UnitPrice)), at + ".unitPrice", "must be between 0 and 1,000,000 in the currency's minor unit");
                var d = v.Check(l.Discount >= 0 && (currency is null || currency.IsExact(l.Discount)), at + ".discount", "must not be negative and must fit the currency's minor unit");
                if (q && u && d)
                {
                    var line = new BasketLine(i + 1, l.Sku ?? "", l.Category, l.Quantity, l.UnitPrice, l.Discount);
                    if (v.Check(line.Net >= 0, at + ".discount", "must not exceed quantity × unitPrice")
                        && v.Check(currency is null || currency.IsExact(line.Net), at + ".unitPrice", "quantity × unitPrice must be a whole amount of the currency's minor unit"))
                        lines.Add(line);
                }
            }
        }
        if (!v.Failed)
        {
            var sum = lines.Sum(l => l.Net);
            v.Check(req.Total is >= 0 and <= MaxTotal, "total", "must be between 0 and 10,000,000");
            v.Check(req.Total == sum, "total", $"does not match the lines: they add up to {sum}");
        }
        if (v.Failed) return new Outcome(null, null, null, v.All());

        if (!string.Equals(currency!.Code, p.Currency.Code, StringComparison.Ordinal))
            return Refuse("currency", $"The programme runs in {p.Currency.Code}.");
        if (!p.Partners.TryGetValue(req.Partner, out var partner) || !partner.Active)
            return Refuse("partner", "The partner is not part of this programme.");
        Store? store = null;
        if (req.Store is not null && (!p.Stores.TryGetValue(req.Store, out store) || store.PartnerId != partner.Id || !store.Active))
            return Refuse("store", "The store is not a store of this partner.");
        var local = p.LocalTime(req.OccurredAt?.UtcDateTime ?? nowUtc);
        return new Outcome(new Basket(partner.Code, store?.Code, req.Channel, local, lines), partner, store, null);
    }

    private static Outcome Refuse(string field, string message) => new(null, null, null, [(field, message)]);

    /// <summary>Field errors in the order they were found, grouped by field as a problem document lists them.</summary>
    private sealed class FieldProblems
    {
        private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

        public bool Failed => _errors.Count > 0;

        public bool Check(bool ok, string field, string message)
        {
            if (!ok) Add(field, message);
            return ok;
        }

        public void Add(string field, string message)
        {
            if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
            list.Add(message);
        }

        public bool Text(string? value, string field, int max, bool required = true)
        {
            if (string.IsNullOrWhiteSpace(value))
                return !required || Check(false, field, "is required");
            if (value.Length > max) return Check(false, field, $"must be at most {max} characters");
            if (value.Any(char.IsControl)) return Check(false, field, "must not contain control characters");
            return true;
        }

        public List<(string Field, string Message)> All() => [.. _errors.SelectMany(e => e.Value.Select(m => (e.Key, m)))];
    }
}
