using Treue.Domain.Earning;
using Treue.Server.Features.Programmes;
using Treue.Server.Features.Purchases;
using Treue.Storage.Entities;

namespace Treue.Cli.Import;

/// <summary>
/// The checks a till's purchase meets before it touches the member (<see cref="PurchaseRecorder.Shape"/>), as the bulk
/// import reports them: field and message per line, so the bulk import refuses exactly what a till would be refused.
/// </summary>
internal static class BulkChecks
{
    /// <summary>The basket a valid purchase makes, or the problems that refuse it.</summary>
    public sealed record Outcome(Basket? Basket, Partner? Partner, Store? Store, List<(string Field, string Message)>? Problems);

    public static Outcome Check(CompiledProgramme p, PurchaseRequest req, DateTime nowUtc)
    {
        if (req.PointsPayment is not null) return new Outcome(null, null, null, [("pointsPayment", "paying with points is not part of a bulk import")]);
        var shape = PurchaseRecorder.Shape(p, partnerRestriction: null, req, requireReceipt: true, nowUtc);
        if (shape.Invalid is { } invalid) return new Outcome(null, null, null, invalid.All());
        if (shape.Refusal is { } refusal) return new Outcome(null, null, null, [(refusal.Field ?? "", refusal.Message)]);
        return new Outcome(shape.Basket, shape.Partner, shape.Store, null);
    }
}
