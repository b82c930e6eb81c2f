using System.Globalization;

namespace Treue.Server.Tests.Model;

// The input of one round of the concurrent ledger test: a programme, a serial set-up, and several streams of acts that
// run at the same time. Streams contend on purpose: they act on the same few members (three of them without a purchase
// yet, so that first purchases race for the welcome bonus), on the same reward orders placed in the set-up (fulfilled
// and cancelled from several streams), on the same scarce reward stock, on the same purchases (returned from several
// streams), and they send the same receipts, return ids and Idempotency-Keys from several streams at once.

/// <summary>One act of a stream, sent through the HTTP API.</summary>
public abstract record ConcurrentAct;

/// <summary>
/// A purchase of <paramref name="Units"/> units at <paramref name="UnitCents"/>, optionally paying <paramref name="PayPoints"/>
/// points, backdated by <paramref name="Backdate"/>. <paramref name="Shared"/> names a receipt several streams send unchanged.
/// </summary>
public sealed record BuyAct(int Member, int Units, long UnitCents, long PayPoints, BackdateKind Backdate, int? Shared) : ConcurrentAct
{
    public override string ToString() =>
        $"Buy(member {Member}, {Units}×{UnitCents / 100m:0.00}{(PayPoints > 0 ? $", pay {PayPoints}p" : "")}{(Backdate != BackdateKind.None ? ", " + Backdate : "")}{(Shared is { } s ? $", shared receipt {s}" : "")})";
}

/// <summary>How far back a purchase is dated: not at all, just inside the return window, or past a one-month expiry.</summary>
public enum BackdateKind
{
    None,
    /// <summary>The return window less two seconds: pending points that fall due while the streams run.</summary>
    AlmostDue,
    /// <summary>Forty days: past the return window, and past a one-month expiry (points that are due to expire at once).</summary>
    FortyDays,
}

/// <summary>
/// A return of <paramref name="Units"/> units of a purchase: one of the set-up purchases (<paramref name="SetupPurchase"/>,
/// contended by every stream) or the stream's own n-th purchase. <paramref name="Shared"/> names a return id several streams send.
/// </summary>
public sealed record ReturnAct(int? SetupPurchase, int OwnPurchase, int Units, int? Shared) : ConcurrentAct
{
    public override string ToString() =>
        $"Return({(SetupPurchase is { } s ? $"set-up purchase {s}" : $"own purchase {OwnPurchase}")}, {Units} units{(Shared is { } k ? $", shared return {k}" : "")})";
}

/// <summary>A reward order; <paramref name="Shared"/> names an Idempotency-Key several streams send with the same body.</summary>
public sealed record RedeemAct(int Member, int Reward, int? Shared) : ConcurrentAct
{
    public override string ToString() => $"Redeem(member {Member}, reward {Reward}{(Shared is { } k ? $", shared key {k}" : "")})";
}

/// <summary>Cancels or fulfils a set-up order (contended by every stream) or the stream's own n-th order.</summary>
public sealed record SettleAct(bool Cancel, int? SetupOrder, int OwnOrder) : ConcurrentAct
{
    public override string ToString() =>
        $"{(Cancel ? "Cancel" : "Fulfil")}({(SetupOrder is { } s ? $"set-up order {s}" : $"own order {OwnOrder}")})";
}

/// <summary>A manual adjustment; <paramref name="Shared"/> names an Idempotency-Key several streams send with the same body.</summary>
public sealed record AdjustAct(int Member, long Points, int? Shared) : ConcurrentAct
{
    public override string ToString() => $"Adjust(member {Member}, {Points:+#;-#}{(Shared is { } k ? $", shared key {k}" : "")})";
}

/// <summary>Runs the expiry or the posting job (the in-memory server's clock moves three seconds first).</summary>
public sealed record JobAct(bool Expire) : ConcurrentAct
{
    public override string ToString() => Expire ? "Job(expire)" : "Job(post-pending)";
}

/// <summary>One round: the programme's settings, the set-up, the shared bodies, and the streams.</summary>
public sealed record ConcurrentScenario(
    int Seed, int PendingDays, bool ExpireAfterAMonth, long MugStock,
    IReadOnlyList<long> StartingPoints, IReadOnlyList<(int Member, int Reward)> SetupOrders,
    IReadOnlyList<BuyAct> SharedReceipts, IReadOnlyList<(int SetupPurchase, int Units)> SharedReturns,
    IReadOnlyList<ConcurrentAct> SharedKeys, IReadOnlyList<IReadOnlyList<ConcurrentAct>> Streams)
{
    /// <summary>Members 0 to 2 start without a purchase (their first purchases race); member 3 owns the set-up purchases.</summary>
    public const int Members = 4;
    public const int FreshMembers = 3;
    public const int SetupPurchases = 2;
    public const int UnitsPerSetupPurchase = 6;
    public const long SetupUnitCents = 750;

    /// <summary>The rewards: a scarce 100-point mug and an unlimited 50-point pen.</summary>
    public static readonly (string Code, long Points)[] Rewards = [("mug", 100), ("pen", 50)];

    public override string ToString()
    {
        var lines = new List<string>
        {
            $"seed {Seed}: pending {PendingDays}d, expiry {(ExpireAfterAMonth ? "1 month" : "never")}, mug stock {MugStock}, " +
            $"starting points [{string.Join(", ", StartingPoints)}], set-up orders [{string.Join(", ", SetupOrders.Select(o => $"member {o.Member} {Rewards[o.Reward].Code}"))}]",
        };
        for (var s = 0; s < Streams.Count; s++)
            lines.Add($"  stream {s}: " + string.Join("; ", Streams[s].Select(a => a.ToString())));
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>A round from <paramref name="seed"/>: the same seed gives the same round (the interleaving is the scheduler's).</summary>
    public static ConcurrentScenario Generate(int seed, int streams)
    {
        var r = new Random(seed);
        var pending = r.Next(3) == 0 ? 14 : 0;
        var expire = r.Next(2) == 0;
        var starting = Enumerable.Range(0, Members).Select(_ => (long)r.Next(6, 14) * 50).ToList();
        var orders = Enumerable.Range(0, 3).Select(_ => (r.Next(Members), r.Next(Rewards.Length))).ToList();
        var mugStock = orders.Count(o => o.Item2 == 0) + (long)r.Next(1, 4);

        BuyAct Buy(int? shared)
        {
            var units = r.Next(1, 5);
            var cents = r.Next(3) switch { 0 => 250L, 1 => 999L, _ => 1500L };
            // A point is worth a cent, and points may pay the whole basket but no more.
            var pay = r.Next(3) == 0 ? Math.Min(r.Next(1, 9) * 50L, units * cents) : 0;
            return new(r.Next(Members), units, cents, pay, r.Next(4) switch { 0 => BackdateKind.AlmostDue, 1 => BackdateKind.FortyDays, _ => BackdateKind.None }, shared);
        }

        var sharedReceipts = Enumerable.Range(0, 2).Select(k => Buy(k)).ToList();
        var sharedReturns = Enumerable.Range(0, 2).Select(_ => (SetupPurchase: r.Next(SetupPurchases), Units: r.Next(1, 4))).ToList();
        var sharedKeys = Enumerable.Range(0, 3).Select(k => r.Next(2) == 0
            ? (ConcurrentAct)new AdjustAct(r.Next(Members), r.Next(4) == 0 ? -r.Next(1, 6) * 50 : r.Next(1, 6) * 50, k)
            : new RedeemAct(r.Next(Members), r.Next(Rewards.Length), k)).ToList();

        var all = new List<IReadOnlyList<ConcurrentAct>>();
        for (var s = 0; s < streams; s++)
        {
            var acts = new List<ConcurrentAct>();
            var length = r.Next(6, 11);
            var buys = 0;
            var redeems = 0;
            // Most streams open with a purchase of a member who has none yet, two streams for each member: first purchases
            // meet at the start, and since a stream's acts alternate between nodes, the two of a pair start on different nodes.
            if (r.Next(10) < 9)
            {
                acts.Add(Buy(null) with { Member = s / 2 % FreshMembers, PayPoints = 0 });
                buys++;
            }
            while (acts.Count < length)
            {
                var pick = r.Next(22);
                ConcurrentAct act = pick switch
                {
                    < 5 => Buy(null),
                    < 6 => sharedReceipts[r.Next(sharedReceipts.Count)],
                    < 8 => buys > 0 && r.Next(2) == 0 ? new ReturnAct(null, r.Next(buys), r.Next(1, 3), null) : new ReturnAct(r.Next(SetupPurchases), 0, r.Next(1, 4), null),
                    < 9 => new ReturnAct(sharedReturns[r.Next(sharedReturns.Count)].SetupPurchase, 0, 0, r.Next(sharedReturns.Count)),
                    < 12 => new RedeemAct(r.Next(Members), r.Next(Rewards.Length), null),
                    < 16 => redeems > 0 && r.Next(3) == 0 ? new SettleAct(r.Next(2) == 0, null, r.Next(redeems)) : new SettleAct(r.Next(2) == 0, r.Next(orders.Count), 0),
                    < 18 => new AdjustAct(r.Next(Members), r.Next(3) == 0 ? -r.Next(1, 8) * 50 : r.Next(1, 8) * 50, null),
                    < 21 => sharedKeys[r.Next(sharedKeys.Count)],
                    _ => new JobAct(r.Next(2) == 0),
                };
                if (act is ReturnAct { Shared: { } k }) act = new ReturnAct(sharedReturns[k].SetupPurchase, 0, sharedReturns[k].Units, k);
                if (act is BuyAct) buys++;
                if (act is RedeemAct { Shared: null }) redeems++;
                acts.Add(act);
            }
            all.Add(acts);
        }
        return new ConcurrentScenario(seed, pending, expire, mugStock, starting, orders, sharedReceipts, sharedReturns, sharedKeys, all);
    }

    public static string Receipt(int stream, int index) => "s" + stream.ToString(CultureInfo.InvariantCulture) + "-" + index.ToString(CultureInfo.InvariantCulture);
}
