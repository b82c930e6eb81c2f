using Treue.Storage.Entities;

namespace Treue.Server.Tests.Model;

// A deliberately simple, in-memory statement of what the points ledger should do, written from DESIGN.md
// ("The points ledger") and the documented behaviour of the ledger's operations — not from their code:
// - a credit is a lot, pending while its return window lasts, expiring by the programme's policy;
// - points are spent oldest-first: soonest expiry first, never-expiring last, ties by earning time, then creation;
// - a refund puts points back into the lots the spend took them from, the lots drawn last first, and never more
//   into a lot than the spend took from it;
// - a return takes back the returned lines' points (cumulative share of the line, rounded down; the purchase
//   bonus with the last unit); pending points are voided, available ones are taken from the purchase's own lot
//   first and then oldest-first; what the member no longer has is written off as unrecovered. Points paid at
//   checkout come back (by the share of the receipt's value returned) before the earned points are taken back,
//   so that nothing is written off while the member still holds points;
// - expiry closes every available lot past its expiry; posting makes every pending lot past its window available.

public sealed class ModelMember(Guid id, int number)
{
    public Guid Id { get; } = id;
    public int Number { get; } = number;
    public long Available { get; set; }
    public long Pending { get; set; }
    public int PurchaseCount { get; set; }
}

public sealed class ModelLot
{
    public required int Seq { get; init; }
    public required ModelMember Member { get; init; }
    public required string Source { get; init; }
    public required DateTime EarnedAt { get; init; }
    public required DateTime AvailableAt { get; init; }
    public required DateTime? ExpiresAt { get; init; }
    public required long Amount { get; init; }
    public long Remaining { get; set; }
    public LotStatus Status { get; set; }
    public ModelPurchase? Purchase { get; init; }
}

/// <summary>Points one spend took from one lot, and how many of them came back since.</summary>
public sealed class ModelDraw(ModelLot lot, long points)
{
    public ModelLot Lot { get; } = lot;
    public long Points { get; } = points;
    public long Refunded { get; set; }
}

public sealed class ModelSpend(ModelMember member, long points, List<ModelDraw> draws)
{
    public ModelMember Member { get; } = member;
    public long Points { get; } = points;
    public List<ModelDraw> Draws { get; } = draws;
}

public sealed class ModelLine
{
    public required int LineNo { get; init; }
    public required decimal Quantity { get; init; }
    public required long NetMinor { get; init; }
    public required long Points { get; init; }
    public decimal ReturnedQuantity { get; set; }
    public long ReturnedMinor { get; set; }
    public long PointsReversed { get; set; }
}

public sealed class ModelPurchase
{
    public required Guid Id { get; init; }
    public required int Number { get; init; }
    public required ModelMember Member { get; init; }
    public required string Partner { get; init; }
    public required List<ModelLine> Lines { get; init; }
    public required long TotalMinor { get; init; }
    public required long Earned { get; init; }
    public required long Bonus { get; init; }
    public required long PointsPaid { get; init; }
    public required ModelSpend? Payment { get; init; }
    public required Features.Purchases.PurchaseRequest Request { get; init; }
    public ModelLot? Lot { get; set; }
    public long ReturnedMinor { get; set; }
    public long PointsReversed { get; set; }
    public long PaidPointsRefunded { get; set; }
}

public sealed class ModelReturn
{
    public required ModelPurchase Purchase { get; init; }
    public required Features.Purchases.ReturnRequest Request { get; init; }
}

public sealed class ModelOrder
{
    public required Guid Id { get; init; }
    public required ModelMember Member { get; init; }
    public required int Reward { get; init; }
    public required long Points { get; init; }
    public required ModelSpend Spend { get; init; }
    public RewardOrderStatus Status { get; set; }
}

/// <summary>Points moved to and from members, by ledger kind: the model's side of the per-kind breakdown.</summary>
public sealed class ModelTotals
{
    public long Earned { get; set; }
    public long Posted { get; set; }
    public long Reversed { get; set; }
    public long Unrecovered { get; set; }
    public long Redeemed { get; set; }
    public long PaidAtCheckout { get; set; }
    public long RefundedRewards { get; set; }
    public long RefundedPayments { get; set; }
    public long Expired { get; set; }
    public long AdjustedUp { get; set; }
    public long AdjustedDown { get; set; }

    /// <summary>issued − reversed − redeemed − paid + refunded − expired ± adjusted: what members must hold in all.</summary>
    public long Outstanding => Earned - Reversed - Redeemed - PaidAtCheckout + RefundedRewards + RefundedPayments - Expired + AdjustedUp - AdjustedDown;
}

/// <summary>The expected state of one programme.</summary>
public sealed class LedgerModel(ProgrammeSpec spec)
{
    private int _lotSeq;

    public ProgrammeSpec Spec { get; } = spec;
    public List<ModelMember> Members { get; } = [];
    public List<ModelLot> Lots { get; } = [];
    public List<ModelPurchase> Purchases { get; } = [];
    public List<ModelReturn> Returns { get; } = [];
    public List<ModelOrder> Orders { get; } = [];
    public long[] StockIssued { get; } = new long[spec.Rewards.Count];
    public Dictionary<string, long> IssuedByPartner { get; } = [];
    public ModelTotals Totals { get; } = new();

    public DateTime? ExpiresAt(DateTime earnedAt) =>
        Spec.ExpiryMonths > 0 ? earnedAt.AddMonths(Spec.ExpiryMonths)
        : Spec.ExpiryEndOfYearAfter >= 0 ? new DateTime(earnedAt.Year + Spec.ExpiryEndOfYearAfter + 1, 1, 1, 0, 0, 0, DateTimeKind.Utc)
        : null;

    /// <summary>Points a line earns: the base rate, plus the promo rule's double, each rounded down on its own.</summary>
    public long LinePoints(Article article, decimal net)
    {
        var exact = Spec.BaseRate * net;
        var points = (long)decimal.Floor(exact);
        if (Spec.PromoDoubles && article.Category == "promo") points += (long)decimal.Floor(exact);
        return points;
    }

    public ModelLot Credit(ModelMember m, long points, DateTime now, DateTime earnedAt, DateTime availableAt, string source, ModelPurchase? purchase)
    {
        var pending = availableAt > now;
        var lot = new ModelLot
        {
            Seq = _lotSeq++, Member = m, Source = source, EarnedAt = earnedAt, AvailableAt = availableAt, ExpiresAt = ExpiresAt(earnedAt),
            Amount = points, Remaining = points, Status = pending ? LotStatus.Pending : LotStatus.Available, Purchase = purchase,
        };
        Lots.Add(lot);
        if (pending) m.Pending += points;
        else m.Available += points;
        return lot;
    }

    /// <summary>Spends available points oldest-first, or returns null when the member has too few.</summary>
    public ModelSpend? Spend(ModelMember m, long points)
    {
        if (m.Available < points) return null;
        var draws = DrawOldestFirst(m, points, exclude: null);
        m.Available -= points;
        return new ModelSpend(m, points, draws);
    }

    private List<ModelDraw> DrawOldestFirst(ModelMember m, long points, ModelLot? exclude)
    {
        var draws = new List<ModelDraw>();
        var left = points;
        foreach (var lot in Lots.Where(l => l.Member == m && l.Status == LotStatus.Available && l.Remaining > 0 && l != exclude)
                     .OrderBy(l => l.ExpiresAt ?? DateTime.MaxValue).ThenBy(l => l.EarnedAt).ThenBy(l => l.Seq))
        {
            if (left == 0) break;
            var take = Math.Min(left, lot.Remaining);
            lot.Remaining -= take;
            draws.Add(new ModelDraw(lot, take));
            left -= take;
        }
        if (left != 0) throw new InvalidOperationException("Model: the member's lots do not cover their available balance.");
        return draws;
    }

    public void Refund(ModelSpend spend, long points)
    {
        var left = points;
        for (var i = spend.Draws.Count - 1; i >= 0 && left > 0; i--)
        {
            var d = spend.Draws[i];
            var back = Math.Min(left, d.Points - d.Refunded);
            if (back == 0) continue;
            d.Lot.Remaining += back;
            d.Lot.Status = LotStatus.Available;
            d.Refunded += back;
            left -= back;
        }
        if (left != 0) throw new InvalidOperationException("Model: a refund exceeds what the spend took.");
        spend.Member.Available += points;
    }

    /// <summary>Takes back points a purchase earned; returns (taken from the member, written off).</summary>
    public (long Taken, long Unrecovered) ReverseEarn(ModelPurchase p, long points)
    {
        if (points <= 0) return (0, 0);
        var lot = p.Lot ?? throw new InvalidOperationException("Model: reversing a purchase that earned nothing.");
        var m = p.Member;
        if (lot.Status == LotStatus.Pending)
        {
            var take = Math.Min(points, lot.Remaining);
            lot.Remaining -= take;
            m.Pending -= take;
            return (take, points - take);
        }
        var taken = Math.Min(points, m.Available);
        var own = Math.Min(taken, lot.Remaining);
        lot.Remaining -= own;
        if (taken > own) DrawOldestFirst(m, taken - own, exclude: lot);
        m.Available -= taken;
        return (taken, points - taken);
    }

    public (int Lots, long Points) Expire(DateTime now)
    {
        var lots = 0;
        long points = 0;
        foreach (var lot in Lots.Where(l => l.Status == LotStatus.Available && l.Remaining > 0 && l.ExpiresAt is { } at && at <= now))
        {
            lots++;
            points += lot.Remaining;
            lot.Member.Available -= lot.Remaining;
            lot.Remaining = 0;
            lot.Status = LotStatus.Closed;
        }
        Totals.Expired += points;
        return (lots, points);
    }

    public int Post(DateTime now)
    {
        var n = 0;
        foreach (var lot in Lots.Where(l => l.Status == LotStatus.Pending && l.AvailableAt <= now))
        {
            n++;
            lot.Status = LotStatus.Available;
            lot.Member.Pending -= lot.Remaining;
            lot.Member.Available += lot.Remaining;
            Totals.Posted += lot.Remaining;
        }
        return n;
    }

    /// <summary>The part of <paramref name="whole"/> that <paramref name="part"/> of <paramref name="of"/> is worth, rounded down.</summary>
    public static long ShareDown(long whole, decimal part, decimal of) => part >= of ? whole : (long)decimal.Floor(whole * part / of);

    /// <summary>The money value of part of a line, rounded to the nearest cent.</summary>
    public static long ShareNearest(long whole, decimal part, decimal of) =>
        part >= of ? whole : (long)decimal.Round(whole * part / of, 0, MidpointRounding.AwayFromZero);
}
