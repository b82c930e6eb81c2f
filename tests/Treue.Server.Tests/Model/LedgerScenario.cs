using System.Globalization;
using CsCheck;

namespace Treue.Server.Tests.Model;

// The input of one model-based test case: a programme's settings and a sequence of operations on it.
// Operations name members, purchases, orders and returns by index (taken modulo how many exist when the
// operation runs), so that every operation stays meaningful when CsCheck shrinks the sequence.

/// <summary>A reward of the generated programme.</summary>
public sealed record RewardSpec(string Code, long Points, long? Stock);

/// <summary>The settings of the programme one sequence runs in.</summary>
public sealed record ProgrammeSpec(
    int PendingDays, int ExpiryMonths, int ExpiryEndOfYearAfter, decimal BaseRate, bool PromoDoubles, bool BigBasketBonus,
    long MinPoints, long? MaxPoints, decimal MaxShare, IReadOnlyList<RewardSpec> Rewards)
{
    /// <summary>The programme's coupon campaign and stamp card, or null when it runs no promotions.</summary>
    public PromotionSpec? Promotions { get; init; }

    /// <summary>Points of the fixed bonus for a basket of at least <see cref="BigBasket"/>.</summary>
    public const long Bonus = 25;
    public const decimal BigBasket = 100m;

    public override string ToString()
    {
        var expiry = ExpiryMonths > 0 ? $"{ExpiryMonths} months" : ExpiryEndOfYearAfter >= 0 ? $"end of year+{ExpiryEndOfYearAfter}" : "never";
        var rewards = string.Join(", ", Rewards.Select(r => $"{r.Code}={r.Points}p/stock {(r.Stock?.ToString(CultureInfo.InvariantCulture) ?? "∞")}"));
        return $"programme(pending {PendingDays}d, expiry {expiry}, rate {BaseRate}, promo×2 {PromoDoubles}, bonus {BigBasketBonus}, " +
            $"pay min {MinPoints} max {MaxPoints?.ToString(CultureInfo.InvariantCulture) ?? "-"} share {MaxShare}, rewards [{rewards}]" +
            (Promotions is { } promo ? ", " + promo : "") + ")";
    }
}

/// <summary>
/// The promotions of a generated programme: the coupon code <see cref="Code"/> of a campaign that takes
/// <see cref="PercentOff"/> % off cheese lines, with an optional per-member limit and money budget, whose code may become
/// usable again when its purchase comes back whole; and a bread stamp card (one stamp per whole loaf) whose full card gives
/// points, taken back or left with the member (marked) when a return takes its stamps.
/// </summary>
public sealed record PromotionSpec(int? UsesPerMember, decimal? Budget, bool ReleaseOnReturn, int StampsPerCard, long StampPoints, bool ClawBack)
{
    public const string Code = "CHEESE10";
    public const string CampaignId = "cheese10";
    public const string CardId = "bread";
    public const string CouponSku = "cheese";
    public const string StampSku = "bread";
    public const decimal PercentOff = 10m;

    public override string ToString() =>
        $"coupon {Code} {PercentOff}% off {CouponSku} (per member {UsesPerMember?.ToString(CultureInfo.InvariantCulture) ?? "∞"}, " +
        $"budget {Budget?.ToString(CultureInfo.InvariantCulture) ?? "∞"}, released on return {ReleaseOnReturn}), " +
        $"{StampSku} card {StampsPerCard} stamps → {StampPoints}p, on return {(ClawBack ? "claw back" : "mark")}";
}

/// <summary>An article of the generated shop: every price times every quantity is a whole number of cents.</summary>
public sealed record Article(string Sku, string Category, decimal Price);

/// <summary>One operation of a sequence.</summary>
public abstract record Op;

/// <summary>Enrol another member.</summary>
public sealed record EnrolOp : Op
{
    public override string ToString() => "Enrol";
}

/// <summary>One receipt line: an article and a quantity, both by index.</summary>
public sealed record LineSpec(int Article, int Quantity)
{
    public override string ToString() =>
        $"{LedgerCatalogue.Quantities[Quantity].ToString(CultureInfo.InvariantCulture)}×{LedgerCatalogue.Articles[Article].Sku}";
}

/// <summary>How much of a purchase is paid with points: none, a percentage of the member's available points, or a fixed number.</summary>
public sealed record PaySpec(int Kind, int Amount)
{
    public static readonly PaySpec None = new(0, 0);

    public override string ToString() => Kind switch
    {
        0 => "",
        1 => $" pay {Amount}% of available",
        _ => $" pay {Amount}p",
    };
}

/// <summary>A purchase through <c>PurchaseRecorder.RecordAsync</c>, presenting the programme's coupon code when <paramref name="Code"/> is set.</summary>
public sealed record EarnOp(int Member, int Partner, IReadOnlyList<LineSpec> Lines, PaySpec Pay, int BackdateHours, bool Code = false) : Op
{
    public override string ToString() =>
        $"Earn(member {Member}, partner {Partner}, [{string.Join(", ", Lines)}]{Pay}{(BackdateHours > 0 ? $", {BackdateHours}h ago" : "")}{(Code ? ", code " + PromotionSpec.Code : "")})";
}

/// <summary>A returned line: the line by index and a percentage of its original quantity (0 = everything still there).</summary>
public sealed record ReturnLineSpec(int Line, int Percent)
{
    public override string ToString() => $"line {Line}: {(Percent == 0 ? "rest" : Percent.ToString(CultureInfo.InvariantCulture) + "%")}";
}

/// <summary>A return of some lines of an earlier purchase through <c>PurchaseRecorder.ReturnAsync</c>.</summary>
public sealed record ReturnOp(int Purchase, IReadOnlyList<ReturnLineSpec> Lines) : Op
{
    public override string ToString() => $"Return(purchase {Purchase}, [{string.Join(", ", Lines)}])";
}

/// <summary>Sends an earlier purchase or return again, unchanged (a retry) or altered (a conflicting reuse of its id).</summary>
public sealed record ReplayOp(bool OfReturn, int Target, bool Altered) : Op
{
    public override string ToString() => $"Replay({(OfReturn ? "return" : "purchase")} {Target}{(Altered ? ", altered" : "")})";
}

/// <summary>A reward order through <c>RewardEndpoints.PlaceAsync</c>.</summary>
public sealed record RedeemOp(int Member, int Reward) : Op
{
    public override string ToString() => $"Redeem(member {Member}, reward {Reward})";
}

/// <summary>Cancels a reward order through <c>RewardEndpoints.CancelAsync</c>.</summary>
public sealed record CancelOp(int Order) : Op
{
    public override string ToString() => $"Cancel(order {Order})";
}

/// <summary>Moves the clock forward and runs <c>PointsLedger.ExpireDueAsync</c>.</summary>
public sealed record ExpireOp(int Days) : Op
{
    public override string ToString() => $"Expire(+{Days}d)";
}

/// <summary>Moves the clock forward and runs <c>PointsLedger.PostDueAsync</c>.</summary>
public sealed record PostOp(int Days) : Op
{
    public override string ToString() => $"Post(+{Days}d)";
}

/// <summary>A manual adjustment, as the admin endpoint makes it: a credit or a spend inside one unit of work.</summary>
public sealed record AdjustOp(int Member, int Points) : Op
{
    public override string ToString() => $"Adjust(member {Member}, {Points:+#;-#})";
}

/// <summary>One test case.</summary>
public sealed record LedgerScenario(ProgrammeSpec Programme, IReadOnlyList<Op> Ops)
{
    public override string ToString() =>
        Programme + Environment.NewLine + string.Join(Environment.NewLine, Ops.Select((o, i) => $"  {i,2}: {o}"));
}

/// <summary>The shop's fixed catalogue.</summary>
public static class LedgerCatalogue
{
    public static readonly Article[] Articles =
    [
        new("apple", "fruit", 0.80m),
        new("bread", "bakery", 4.00m),
        new("cheese", "deli", 10.00m),
        new("wine", "promo", 19.96m),
        new("coffee", "promo", 33.32m),
        new("kettle", "household", 120.00m),
    ];

    public static readonly decimal[] Quantities = [1m, 2m, 3m, 0.5m, 1.5m, 0.25m];

    public static readonly string[] Partners = ["shop", "fuel"];
}

/// <summary>The generators of scenarios.</summary>
public static class LedgerGenerators
{
    private static readonly Gen<RewardSpec> Reward =
        Gen.Select(Gen.OneOf(50L, 100L, 300L, 1000L), Gen.Frequency((2, Gen.Const((long?)null)), (3, Gen.Long[0, 3].Select(s => (long?)s))),
            (points, stock) => new RewardSpec("", points, stock));

    private static readonly Gen<PromotionSpec> Promotion =
        Gen.Select(
            Gen.Frequency((2, Gen.Const((int?)null)), (1, Gen.Const((int?)1)), (2, Gen.Const((int?)2))),
            Gen.Frequency((2, Gen.Const((decimal?)null)), (1, Gen.Const((decimal?)3m)), (1, Gen.Const((decimal?)8m))),
            Gen.Bool,
            Gen.Int[2, 3],
            Gen.OneOf(20L, 50L),
            Gen.Bool,
            (perMember, budget, release, size, points, clawBack) => new PromotionSpec(perMember, budget, release, size, points, clawBack));

    private static readonly Gen<ProgrammeSpec> BaseProgramme =
        Gen.Select(
            Gen.Frequency((3, Gen.Const(0)), (1, Gen.Const(14)), (1, Gen.Const(30))),
            Gen.Frequency((2, Gen.Const((0, -1))), (1, Gen.Const((1, -1))), (1, Gen.Const((6, -1))), (1, Gen.Const((0, 0))), (1, Gen.Const((0, 1)))),
            Gen.OneOf(1m, 1m, 0.5m, 3m),
            Gen.Bool,
            Gen.Bool,
            Gen.Select(Gen.OneOf(1L, 50L, 100L), Gen.Frequency((3, Gen.Const((long?)null)), (1, Gen.Const((long?)500))), Gen.OneOf(1m, 0.5m)),
            Reward.List[1, 3],
            (pending, expiry, rate, promo, bonus, pay, rewards) => new ProgrammeSpec(pending, expiry.Item1, expiry.Item2, rate, promo, bonus,
                pay.Item1, pay.Item2, pay.Item3, rewards.Select((r, i) => r with { Code = "reward-" + i.ToString(CultureInfo.InvariantCulture) }).ToList()));

    // Declared after the generators it uses: static fields are initialised in their textual order.
    /// <summary>Two programmes in three run the coupon campaign and the stamp card.</summary>
    public static readonly Gen<ProgrammeSpec> Programme =
        Gen.Select(BaseProgramme, Gen.Frequency((1, Gen.Const((PromotionSpec?)null)), (2, Promotion.Select(p => (PromotionSpec?)p))),
            (p, promo) => p with { Promotions = promo });

    // Bread (the stamp card's article) and cheese (the coupon's) come up more often than the rest.
    private static readonly Gen<LineSpec> Line =
        Gen.Select(Gen.Frequency((1, Gen.Const(0)), (3, Gen.Const(1)), (3, Gen.Const(2)), (1, Gen.Const(3)), (1, Gen.Const(4)), (1, Gen.Const(5))),
            Gen.Int[0, LedgerCatalogue.Quantities.Length - 1], (a, q) => new LineSpec(a, q));

    private static readonly Gen<PaySpec> Pay = Gen.Frequency(
        (3, Gen.Const(PaySpec.None)),
        (3, Gen.Frequency((4, Gen.Int[10, 100]), (1, Gen.Int[101, 150])).Select(p => new PaySpec(1, p))),
        (1, Gen.Int[1, 600].Select(p => new PaySpec(2, p))));

    private static readonly Gen<Op> Enrol = Gen.Const<Op>(new EnrolOp());

    private static readonly Gen<Op> Earn =
        Gen.Select(Gen.Int[0, 7], Gen.Frequency((3, Gen.Const(0)), (1, Gen.Const(1))), Line.List[1, 4], Pay,
            Gen.Frequency((4, Gen.Const(0)), (1, Gen.Int[1, 96])), Gen.Frequency((3, Gen.Const(false)), (2, Gen.Const(true))),
            (m, partner, lines, pay, back, code) => (Op)new EarnOp(m, partner, lines, pay, back, code));

    private static readonly Gen<Op> Return =
        Gen.Select(Gen.Int[0, 15],
            Gen.Select(Gen.Int[0, 3], Gen.Frequency((2, Gen.Const(0)), (3, Gen.Int[1, 120])), (l, p) => new ReturnLineSpec(l, p)).List[1, 3],
            (p, lines) => (Op)new ReturnOp(p, lines));

    private static readonly Gen<Op> Replay =
        Gen.Select(Gen.Bool, Gen.Int[0, 15], Gen.Bool, (r, t, a) => (Op)new ReplayOp(r, t, a));

    private static readonly Gen<Op> Redeem = Gen.Select(Gen.Int[0, 7], Gen.Int[0, 2], (m, r) => (Op)new RedeemOp(m, r));

    private static readonly Gen<Op> Cancel = Gen.Int[0, 7].Select(o => (Op)new CancelOp(o));

    private static readonly Gen<Op> Expire = Gen.Frequency((3, Gen.Int[0, 40]), (2, Gen.Int[41, 800])).Select(d => (Op)new ExpireOp(d));

    private static readonly Gen<Op> Post = Gen.Int[0, 40].Select(d => (Op)new PostOp(d));

    private static readonly Gen<Op> Adjust =
        Gen.Select(Gen.Int[0, 7], Gen.Frequency((2, Gen.Int[1, 600]), (1, Gen.Int[-600, -1])), (m, p) => (Op)new AdjustOp(m, p));

    public static readonly Gen<Op> Operation = Gen.Frequency(
        (2, Enrol), (7, Earn), (4, Return), (1, Replay), (4, Redeem), (2, Cancel), (2, Expire), (2, Post), (3, Adjust));

    /// <summary>A programme and 5 to 25 operations on it: mostly short sequences (they are cheap and shrink well), some long.</summary>
    public static readonly Gen<LedgerScenario> Scenario =
        from p in Programme
        from length in Gen.Frequency((3, Gen.Int[5, 12]), (1, Gen.Int[13, 25]))
        from ops in Operation.List[length]
        select new LedgerScenario(p, ops);
}
