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
// Promotions (docs/promotions.md):
// - a coupon's discount lowers the lines it applies to, and points are earned on the price after discounts; a return gives
//   back each line's discount pro rata (rounded down, cumulatively), which goes back into the campaign's budget; a code whose
//   campaign says so becomes usable again, for the member too, once its purchase has come back whole;
// - a code is refused when the member used the campaign as often as they may, when the budget is spent or the discount would
//   exceed it, or when the basket holds nothing the offer applies to;
// - every N stamps fill a card, which gives its points once, credited with the purchase like its own points, and starts the
//   next card; a return takes back the stamps the kept lines no longer earn, from the card being filled first and then from
//   filled cards, newest first. A filled card that loses stamps has its points taken back (its other stamps go back onto the
//   card being filled, which may fill it again and give the points again) or keeps them and is marked, as the card says.

public sealed class ModelMember(Guid id, int number)
{
    public Guid Id { get; } = id;
    public int Number { get; } = number;
    public long Available { get; set; }
    public long Pending { get; set; }
    public int PurchaseCount { get; set; }
    public int CouponUses { get; set; }
    public ModelStampCard Card { get; } = new();
}

/// <summary>A stamp: the purchase that gave it and when.</summary>
public sealed record ModelStamp(ModelPurchase Purchase, DateTime At);

/// <summary>A filled card, its stamps and what became of its points.</summary>
public sealed class ModelFilledCard
{
    public required int Number { get; init; }
    public required List<ModelStamp> Stamps { get; set; }
    public bool ClawedBack { get; set; }
    public bool Marked { get; set; }
}

/// <summary>A member's stamp card: the card being filled (its number and stamps) and the cards filled before.</summary>
public sealed class ModelStampCard
{
    public int Number { get; set; } = 1;
    public List<ModelStamp> Current { get; } = [];
    public List<ModelFilledCard> Filled { get; } = [];
    public Dictionary<int, ModelLot> Lots { get; } = [];
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
    public required Article Article { get; init; }
    public required decimal Quantity { get; init; }
    public required long NetMinor { get; init; }
    /// <summary>The coupon's discount on the line, in cents.</summary>
    public long DiscountMinor { get; init; }
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
    /// <summary>Whether the coupon applied to the purchase.</summary>
    public bool Coupon { get; init; }
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
    /// <summary>Of the points above: those full stamp cards gave, took back and wrote off.</summary>
    public long StampEarned { get; set; }
    public long StampReversed { get; set; }
    public long StampUnrecovered { get; set; }

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
    /// <summary>The coupon campaign's use: purchases, discount given in cents net of returns, and uses of its code.</summary>
    public long CouponUses { get; set; }
    public long CouponSpentMinor { get; set; }
    public int CodeUses { get; set; }

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
    public (long Taken, long Unrecovered) ReverseEarn(ModelPurchase p, long points) =>
        points <= 0 ? (0, 0) : ReverseLot(p.Member, p.Lot ?? throw new InvalidOperationException("Model: reversing a purchase that earned nothing."), points);

    /// <summary>Takes back points credited into <paramref name="lot"/>: from the lot itself first, then oldest-first.</summary>
    public (long Taken, long Unrecovered) ReverseLot(ModelMember m, ModelLot lot, long points)
    {
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

    /// <summary>
    /// Adds a purchase's stamps to the member's card and fills cards; returns the cards filled. Stamps are ordered by when
    /// they were collected, in the order they came.
    /// </summary>
    public List<ModelFilledCard> Stamp(ModelMember m, ModelPurchase p, DateTime at, int stamps)
    {
        var card = m.Card;
        for (var i = 0; i < stamps; i++) card.Current.Add(new ModelStamp(p, at));
        return Fill(card);
    }

    private List<ModelFilledCard> Fill(ModelStampCard card)
    {
        var size = Spec.Promotions!.StampsPerCard;
        var filled = new List<ModelFilledCard>();
        while (card.Current.Count >= size)
        {
            var full = new ModelFilledCard { Number = card.Number++, Stamps = card.Current.Take(size).ToList() };
            card.Current.RemoveRange(0, size);
            card.Filled.Add(full);
            filled.Add(full);
        }
        return filled;
    }

    /// <summary>Takes back <paramref name="stamps"/> stamps of a returned purchase; returns the cards clawed back and the cards filled again.</summary>
    public (List<ModelFilledCard> ClawedBack, List<ModelFilledCard> Filled) Unstamp(ModelMember m, ModelPurchase p, int stamps)
    {
        var card = m.Card;
        var clawed = new List<ModelFilledCard>();
        var left = stamps;
        for (var i = card.Current.Count - 1; i >= 0 && left > 0; i--)
        {
            if (card.Current[i].Purchase != p) continue;
            card.Current.RemoveAt(i);
            left--;
        }
        for (var c = card.Filled.Count - 1; c >= 0 && left > 0; c--)
        {
            var filled = card.Filled[c];
            if (filled.ClawedBack) continue;
            var own = filled.Stamps.Count(s => s.Purchase == p);
            if (own == 0) continue;
            var take = Math.Min(own, left);
            left -= take;
            var kept = filled.Stamps.ToList();
            for (var i = kept.Count - 1; i >= 0 && take > 0; i--)
            {
                if (kept[i].Purchase != p) continue;
                kept.RemoveAt(i);
                take--;
            }
            filled.Stamps = kept;
            if (Spec.Promotions!.ClawBack)
            {
                filled.ClawedBack = true;
                clawed.Add(filled);
                card.Current.AddRange(kept);
            }
            else filled.Marked = true;
        }
        var ordered = card.Current.OrderBy(s => s.At).ToList();
        card.Current.Clear();
        card.Current.AddRange(ordered);
        return (clawed, Fill(card));
    }

    /// <summary>The part of <paramref name="whole"/> that <paramref name="part"/> of <paramref name="of"/> is worth, rounded down.</summary>
    public static long ShareDown(long whole, decimal part, decimal of) => part >= of ? whole : (long)decimal.Floor(whole * part / of);

    /// <summary>The money value of part of a line, rounded to the nearest cent.</summary>
    public static long ShareNearest(long whole, decimal part, decimal of) =>
        part >= of ? whole : (long)decimal.Round(whole * part / of, 0, MidpointRounding.AwayFromZero);
}
