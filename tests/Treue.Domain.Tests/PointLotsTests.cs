using CsCheck;
using Treue.Domain.Ledger;
using Xunit;

namespace Treue.Domain.Tests;

public sealed class PointLotsTests
{
    private static DateTime Utc(int y, int m, int d) => new(y, m, d, 0, 0, 0, DateTimeKind.Utc);

    private static LotState Lot(long id, DateTime earned, DateTime? expires, long remaining) => new(id, earned, expires, remaining);

    [Fact]
    public void The_lot_that_expires_soonest_is_drawn_first()
    {
        LotState[] lots =
        [
            Lot(1, Utc(2024, 1, 1), Utc(2027, 1, 1), 100),
            Lot(2, Utc(2025, 1, 1), Utc(2026, 6, 1), 100),
            Lot(3, Utc(2023, 1, 1), Utc(2026, 9, 1), 100),
        ];
        var draws = PointLots.DrawOldestFirst(lots, 150);
        Assert.Equal([new LotDraw(2, 100), new LotDraw(3, 50)], draws);
    }

    [Fact]
    public void Lots_that_never_expire_are_drawn_last_even_when_earned_first()
    {
        LotState[] lots =
        [
            Lot(1, Utc(2020, 1, 1), null, 500),
            Lot(2, Utc(2026, 1, 1), Utc(2040, 1, 1), 50),
        ];
        var draws = PointLots.DrawOldestFirst(lots, 80);
        Assert.Equal([new LotDraw(2, 50), new LotDraw(1, 30)], draws);
    }

    [Fact]
    public void Lots_expiring_at_the_same_time_go_in_order_of_earning()
    {
        var expiry = Utc(2029, 1, 1);
        LotState[] lots =
        [
            Lot(1, Utc(2026, 5, 1), expiry, 10),
            Lot(2, Utc(2026, 2, 1), expiry, 10),
            Lot(3, Utc(2026, 3, 1), expiry, 10),
        ];
        var draws = PointLots.DrawOldestFirst(lots, 25);
        Assert.Equal([new LotDraw(2, 10), new LotDraw(3, 10), new LotDraw(1, 5)], draws);
    }

    [Fact]
    public void Lots_earned_and_expiring_at_the_same_time_go_in_order_of_id()
    {
        var earned = Utc(2026, 2, 1);
        LotState[] lots =
        [
            Lot(30, earned, null, 10),
            Lot(10, earned, null, 10),
            Lot(20, earned, null, 10),
        ];
        var draws = PointLots.DrawOldestFirst(lots, 15);
        Assert.Equal([new LotDraw(10, 10), new LotDraw(20, 5)], draws);
    }

    [Fact]
    public void Drawing_exactly_all_points_empties_every_lot()
    {
        LotState[] lots =
        [
            Lot(1, Utc(2026, 1, 1), Utc(2029, 1, 1), 40),
            Lot(2, Utc(2026, 2, 1), null, 60),
            Lot(3, Utc(2026, 3, 1), Utc(2028, 1, 1), 25),
        ];
        var draws = PointLots.DrawOldestFirst(lots, 125);
        Assert.Equal([new LotDraw(3, 25), new LotDraw(1, 40), new LotDraw(2, 60)], draws);
    }

    [Fact]
    public void A_draw_that_fits_in_the_first_lot_touches_only_that_lot()
    {
        LotState[] lots =
        [
            Lot(1, Utc(2026, 1, 1), Utc(2029, 1, 1), 40),
            Lot(2, Utc(2026, 2, 1), Utc(2030, 1, 1), 60),
        ];
        Assert.Equal([new LotDraw(1, 40)], PointLots.DrawOldestFirst(lots, 40));
        Assert.Equal([new LotDraw(1, 1)], PointLots.DrawOldestFirst(lots, 1));
    }

    [Fact]
    public void Drawing_more_than_the_lots_hold_returns_null()
    {
        LotState[] lots =
        [
            Lot(1, Utc(2026, 1, 1), Utc(2029, 1, 1), 40),
            Lot(2, Utc(2026, 2, 1), null, 60),
        ];
        Assert.Null(PointLots.DrawOldestFirst(lots, 101));
        Assert.Null(PointLots.DrawOldestFirst([], 1));
    }

    [Fact]
    public void Drawing_zero_points_draws_nothing()
    {
        Assert.Empty(PointLots.DrawOldestFirst([Lot(1, Utc(2026, 1, 1), null, 10)], 0)!);
        Assert.Empty(PointLots.DrawOldestFirst([], 0)!);
    }

    [Fact]
    public void Drawing_negative_points_throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PointLots.DrawOldestFirst([Lot(1, Utc(2026, 1, 1), null, 10)], -1));
    }

    [Fact]
    public void Empty_and_overdrawn_lots_are_skipped()
    {
        LotState[] lots =
        [
            Lot(1, Utc(2025, 1, 1), Utc(2026, 1, 1), 0),
            Lot(2, Utc(2025, 2, 1), Utc(2026, 2, 1), -5),
            Lot(3, Utc(2025, 3, 1), Utc(2026, 3, 1), 7),
        ];
        Assert.Equal([new LotDraw(3, 7)], PointLots.DrawOldestFirst(lots, 7));
        Assert.Null(PointLots.DrawOldestFirst(lots, 8));
    }

    [Fact]
    public void Expired_lots_are_those_whose_expiry_has_come_and_that_still_hold_points()
    {
        var now = new DateTime(2026, 6, 1, 12, 0, 0, DateTimeKind.Utc);
        LotState[] lots =
        [
            Lot(1, Utc(2023, 1, 1), now.AddTicks(-1), 10), // expired just before
            Lot(2, Utc(2023, 1, 1), now, 10), // expires exactly now
            Lot(3, Utc(2023, 1, 1), now.AddTicks(1), 10), // not yet
            Lot(4, Utc(2023, 1, 1), null, 10), // never
            Lot(5, Utc(2023, 1, 1), Utc(2025, 1, 1), 0), // expired but empty
        ];
        Assert.Equal([1L, 2L], PointLots.Expired(lots, now).Select(l => l.Id));
    }

    [Fact]
    public void No_lot_is_expired_when_there_are_none()
    {
        Assert.Empty(PointLots.Expired([], Utc(2026, 1, 1)));
    }

    private static readonly Gen<LotState[]> Lots =
        Gen.Select(
                Gen.Int[0, 5], // earned: day offset, few values so ties happen
                Gen.Int[0, 6], // expiry: 0 = never, else day offset, few values so ties happen
                Gen.Long[0, 1_000])
            .Array[0, 12]
            .Select(specs => specs.Select((s, i) => new LotState(
                Id: 1000 - i * 7,
                EarnedAt: Utc(2026, 1, 1).AddDays(s.Item1),
                ExpiresAt: s.Item2 == 0 ? null : Utc(2027, 1, 1).AddDays(s.Item2),
                Remaining: s.Item3)).ToArray());

    private static DateTime ExpiryKey(LotState l) => l.ExpiresAt ?? DateTime.MaxValue;

    [Fact]
    public void Draws_sum_to_the_points_asked_and_never_exceed_a_lot()
    {
        var gen = Lots.SelectMany(lots => Gen.Long[0, lots.Sum(l => l.Remaining) + 10].Select(points => (lots, points)));
        Check.Sample(gen, t =>
        {
            var (lots, points) = t;
            var held = lots.Sum(l => l.Remaining);
            var draws = PointLots.DrawOldestFirst(lots, points);
            if (points > held)
            {
                Assert.Null(draws);
                return;
            }
            Assert.NotNull(draws);
            Assert.Equal(points, draws.Sum(d => d.Points));
            Assert.Equal(draws.Count, draws.Select(d => d.LotId).Distinct().Count());
            var byId = lots.ToDictionary(l => l.Id);
            foreach (var d in draws)
            {
                Assert.InRange(d.Points, 1, byId[d.LotId].Remaining);
            }
            // Oldest first: a lot left with points never expires strictly before a lot that was drawn from.
            var taken = draws.ToDictionary(d => d.LotId, d => d.Points);
            foreach (var left in lots.Where(l => l.Remaining > taken.GetValueOrDefault(l.Id)))
                foreach (var drawn in draws.Select(d => byId[d.LotId]))
                    Assert.False(ExpiryKey(left) < ExpiryKey(drawn), $"lot {left.Id} should have been drawn before lot {drawn.Id}");
            // Only the last lot drawn may be drawn partly.
            foreach (var d in draws.Take(draws.Count - 1))
                Assert.Equal(byId[d.LotId].Remaining, d.Points);
        }, iter: 3_000);
    }

    [Fact]
    public void Draws_do_not_depend_on_the_order_the_lots_come_in()
    {
        var gen = Lots.SelectMany(lots => Gen.Long[0, lots.Sum(l => l.Remaining)].Select(points => (lots, points)));
        Check.Sample(gen, t =>
        {
            var (lots, points) = t;
            var reversed = Enumerable.Reverse(lots).ToArray();
            Assert.Equal(PointLots.DrawOldestFirst(lots, points), PointLots.DrawOldestFirst(reversed, points));
        }, iter: 1_000);
    }

    [Fact]
    public void Partial_refunds_continue_where_the_previous_one_stopped_and_never_overfill_a_lot()
    {
        LotDraw[] spent = [new(1, 100), new(2, 50)];
        Assert.Equal([new LotDraw(2, 50), new LotDraw(1, 25)], PointLots.Refund(spent, 0, 75));
        Assert.Equal([new LotDraw(1, 75)], PointLots.Refund(spent, 75, 75));
        Assert.Null(PointLots.Refund(spent, 75, 76));
    }

    [Fact]
    public void Any_split_of_a_full_refund_gives_every_lot_back_exactly_what_was_taken()
    {
        var gen = Gen.Select(Gen.Long[1, 500].Array[1, 6], Gen.Long[1, 400].Array[1, 8]);
        Check.Sample(gen, t =>
        {
            var (taken, cuts) = t;
            var spent = taken.Select((p, i) => new LotDraw(i, p)).ToArray();
            var total = taken.Sum();
            var back = new long[taken.Length];
            long refunded = 0;
            foreach (var cut in cuts.Append(total))
            {
                var points = Math.Min(cut, total - refunded);
                if (points == 0) break;
                var draws = PointLots.Refund(spent, refunded, points) ?? throw new InvalidOperationException("refused a refund within the spend");
                Assert.Equal(points, draws.Sum(d => d.Points));
                foreach (var d in draws) back[d.LotId] += d.Points;
                refunded += points;
                Assert.All(back.Zip(taken), x => Assert.True(x.First <= x.Second, $"lot got {x.First} of {x.Second}"));
            }
            Assert.Equal(taken, back);
        });
    }
}
