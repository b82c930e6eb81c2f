using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Domain.Programmes;
using Treue.Domain.Promotions;
using Treue.Server.Features.Programmes;
using Treue.Server.Features.Promotions;
using Treue.Server.Features.Purchases;
using Treue.Server.Features.Rewards;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Tests.Model;

/// <summary>A difference between the real ledger and the model, or a broken invariant; the message tells the whole sequence so far.</summary>
public sealed class LedgerModelException(string message) : Exception(message);

/// <summary>
/// Runs one scenario: creates its programme, then applies each operation to the real services (one scope, like one
/// request, per operation) and to the model, and after every step compares the database with the model and checks
/// the ledger's invariants.
/// </summary>
public sealed class LedgerSequence
{
    private const string Actor = "model-test";
    private static readonly CancellationToken Ct = CancellationToken.None;

    private readonly ModelDatabase _db;
    private readonly LedgerScenario _scenario;
    private readonly LedgerModel _model;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly List<string> _trace = [];
    private Guid _programmeId;
    private int _receipts;
    private int _returnIds;

    private LedgerSequence(ModelDatabase db, LedgerScenario scenario)
    {
        _db = db;
        _scenario = scenario;
        _model = new LedgerModel(scenario.Programme);
    }

    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    /// <summary>Runs <paramref name="scenario"/>, adding what happened and how long it took to <paramref name="stats"/>.</summary>
    public static async Task RunAsync(ModelDatabase db, LedgerScenario scenario, ModelRunStats stats)
    {
        var run = new LedgerSequence(db, scenario);
        var started = Stopwatch.GetTimestamp();
        await run.SetUpAsync();
        stats.AddSetUp(Stopwatch.GetTimestamp() - started);
        for (var i = 0; i < scenario.Ops.Count; i++)
        {
            var op = scenario.Ops[i];
            string outcome;
            started = Stopwatch.GetTimestamp();
            try
            {
                outcome = await run.ApplyAsync(op);
            }
            catch (LedgerModelException e)
            {
                throw run.Failure($"step {i} {op}: {e.Message}");
            }
            catch (Exception e)
            {
                throw run.Failure($"step {i} {op} threw {e}");
            }
            run._trace.Add($"  {i,2}: {op} -> {outcome}");
            var applied = Stopwatch.GetTimestamp();
            stats.AddOperation(op, outcome, applied - started);
            var last = i == scenario.Ops.Count - 1;
            if (!outcome.StartsWith("skipped", StringComparison.Ordinal) || last)
            {
                // Purchases, returns, rewards and orders are read again after the operations that write them, and
                // everything at the end; the ledger itself (transactions, entries, members, lots) after every step.
                await run.VerifyAsync($"after step {i} {op}",
                    purchases: last || op is EarnOp or ReturnOp or ReplayOp, rewards: last || op is RedeemOp or CancelOp);
            }
            stats.AddCheck(Stopwatch.GetTimestamp() - applied);
        }
    }

    private LedgerModelException Failure(string what)
    {
        var sb = new StringBuilder();
        sb.AppendLine(what);
        sb.AppendLine(_scenario.Programme.ToString());
        sb.AppendLine("steps done (operation -> outcome):");
        foreach (var t in _trace) sb.AppendLine(t);
        return new LedgerModelException(sb.ToString());
    }

    private static void Expect(bool condition, [InterpolatedStringHandlerArgument(nameof(condition))] ref FailureMessage message)
    {
        if (!condition) throw new LedgerModelException(message.ToStringAndClear());
    }

    private static void Expect(bool condition, string message)
    {
        if (!condition) throw new LedgerModelException(message);
    }

    private static void ExpectEqual<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
            throw new LedgerModelException($"{what}: model expects {expected}, the ledger has {actual}");
    }

    private static string? Code(ProblemHttpResult? problem) =>
        problem is null ? null : problem.ProblemDetails.Extensions.TryGetValue("code", out var c) ? c?.ToString() : problem.ProblemDetails.Type;

    private static string Outcome(string? refusal) => refusal is null ? "ok" : "refused " + refusal;

    private static void ExpectOutcome(string? expected, string? actual)
    {
        if (expected != actual)
            throw new LedgerModelException($"model expects {Outcome(expected)}, the service answered {Outcome(actual)}");
    }

    // ---------------------------------------------------------------- set-up

    private async Task SetUpAsync()
    {
        var s = _scenario.Programme;
        var rules = new List<EarningRule>();
        if (s.PromoDoubles)
            rules.Add(new EarningRule("promo-double", "Double points on promotions", 10, Stacking.Stack,
                new RuleConditions { Categories = ["promo"] }, new RuleEffect(EffectKind.Multiplier, 2m)));
        if (s.BigBasketBonus)
            rules.Add(new EarningRule("big-basket", "Bonus for a big basket", 0, Stacking.Stack,
                new RuleConditions { MinBasket = ProgrammeSpec.BigBasket }, new RuleEffect(EffectKind.FixedBonus, ProgrammeSpec.Bonus)));
        var doc = new ProgrammeDocument
        {
            Code = "model-" + Guid.NewGuid().ToString("N")[..16], Name = "Model programme", Currency = "EUR", TimeZone = "UTC",
            PointValue = 0.01m, BaseRate = s.BaseRate, Rounding = RoundingPolicy.Down, PendingDays = s.PendingDays,
            Expiry = s.ExpiryMonths > 0 ? new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: s.ExpiryMonths)
                : s.ExpiryEndOfYearAfter >= 0 ? new ExpiryPolicy(ExpiryKind.EndOfYearAfter, Years: s.ExpiryEndOfYearAfter)
                : ExpiryPolicy.Never,
            PayWithPoints = new PayWithPointsPolicy(s.MinPoints, s.MaxPoints, s.MaxShare),
            Partners = LedgerCatalogue.Partners.Select(p => new PartnerDocument(p, p)).ToList(),
            Rules = rules,
            Rewards = s.Rewards.Select(r => new RewardDocument(r.Code, r.Code, r.Points, Stock: r.Stock)).ToList(),
        };
        if (ProgrammeApplier.Validate(doc) is not null) throw new InvalidOperationException("The generated programme is invalid: " + doc);
        await using var scope = _db.Scope(_clock);
        var (result, refusal) = await scope.ServiceProvider.GetRequiredService<ProgrammeApplier>().ApplyAsync(doc, Ct);
        if (refusal is not null) throw new InvalidOperationException(refusal.Message);
        _programmeId = result!.ProgrammeId;
        if (s.Promotions is { } promo) await SetUpPromotionsAsync(scope.ServiceProvider, promo);
        await EnrolAsync();
    }

    /// <summary>Creates the coupon campaign and the stamp card through the service methods the API and the console call.</summary>
    private async Task SetUpPromotionsAsync(IServiceProvider sp, PromotionSpec promo)
    {
        var db = sp.GetRequiredService<TreueDb>();
        var campaign = new Campaign(PromotionSpec.CampaignId, "Cheese: 10 % off", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), null,
            new PercentOffLines(LineSelector.OfSkus(PromotionSpec.CouponSku), PromotionSpec.PercentOff))
        {
            Limits = new CampaignLimits
            {
                UsesPerMember = promo.UsesPerMember,
                Budget = promo.Budget is { } budget ? new CampaignBudget(BudgetUnit.Money, budget) : null,
            },
            ReleaseCodeOnReturn = promo.ReleaseOnReturn,
        };
        var (_, invalid, problem) = await PromotionEndpoints.CreateAsync(db, sp.GetRequiredService<ProgrammeCache>(), _programmeId,
            new CampaignRequest(campaign, PromotionSpec.Code), Now, Ct);
        if (invalid is not null || problem is not null) throw new InvalidOperationException("The generated campaign was refused.");
        var card = new StampCardDefinition(PromotionSpec.CardId, "Bread card", promo.StampsPerCard, StampBasis.PerUnit,
            new StampReward(StampRewardKind.Points, promo.StampPoints))
        {
            Conditions = new RuleConditions { Skus = [PromotionSpec.StampSku] },
            OnReturn = promo.ClawBack ? ReturnedRewardPolicy.ClawBack : ReturnedRewardPolicy.Mark,
        };
        if (await PromotionEndpoints.PutCardAsync(db, _programmeId, PromotionSpec.CardId, card, Now, Ct) is not null)
            throw new InvalidOperationException("The generated stamp card was refused.");
    }

    // ---------------------------------------------------------------- operations

    private Task<string> ApplyAsync(Op op) => op switch
    {
        EnrolOp => EnrolAsync(),
        EarnOp e => EarnAsync(e),
        ReturnOp r => ReturnAsync(r),
        ReplayOp r => r.OfReturn ? ReplayReturnAsync(r) : ReplayPurchaseAsync(r),
        RedeemOp r => RedeemAsync(r),
        CancelOp c => CancelAsync(c),
        ExpireOp e => ExpireAsync(e),
        PostOp p => PostAsync(p),
        AdjustOp a => AdjustAsync(a),
        _ => throw new InvalidOperationException("Unknown operation " + op),
    };

    private ModelMember MemberAt(int index) => _model.Members[index % _model.Members.Count];

    /// <summary>Enrols a member as the enrolment endpoint does: one unit of work that adds the member.</summary>
    private async Task<string> EnrolAsync()
    {
        await using var scope = _db.Scope(_clock);
        var db = scope.ServiceProvider.GetRequiredService<TreueDb>();
        await using var work = await Work.BeginAsync(db, Ct);
        var n = _model.Members.Count;
        var member = new Member
        {
            Id = Guid.CreateVersion7(), ProgrammeId = _programmeId, Name = "Member " + n.ToString(CultureInfo.InvariantCulture),
            Status = MemberStatus.Active, EnrolledAt = Now,
        };
        db.Members.Add(member);
        await work.CommitAsync(Ct);
        _model.Members.Add(new ModelMember(member.Id, n));
        return "ok";
    }

    private async Task<string> EarnAsync(EarnOp op)
    {
        var m = MemberAt(op.Member);
        var now = Now;
        var occurredAt = op.BackdateHours > 0 ? now.AddHours(-op.BackdateHours) : (DateTime?)null;
        var earnedAt = occurredAt ?? now;
        var articles = op.Lines.Select(l => (Article: LedgerCatalogue.Articles[l.Article], Qty: LedgerCatalogue.Quantities[l.Quantity])).ToList();
        var total = articles.Sum(a => a.Qty * a.Article.Price);
        long? pay = op.Pay.Kind switch
        {
            0 => null,
            1 => Math.Max(1, m.Available * op.Pay.Amount / 100),
            _ => op.Pay.Amount,
        };
        var partner = LedgerCatalogue.Partners[op.Partner % LedgerCatalogue.Partners.Length];
        var req = new PurchaseRequest("r" + (++_receipts).ToString(CultureInfo.InvariantCulture), partner, "EUR", total,
            articles.Select(a => new PurchaseLineRequest(a.Article.Sku, a.Qty, a.Article.Price, a.Article.Category)).ToList(),
            MemberId: m.Id, OccurredAt: occurredAt is { } at ? new DateTimeOffset(at) : null,
            PointsPayment: pay is { } p ? new PointsPaymentRequest(p) : null)
        {
            Codes = op.Code ? [PromotionSpec.Code] : null,
        };

        // The model's decision: the coupon first (it sets the prices), then the payment with points on the price after it.
        var spec = _model.Spec;
        var promo = spec.Promotions;
        var gross = articles.Select(a => (long)(a.Qty * a.Article.Price * 100m)).ToList();
        var discounts = new long[gross.Count];
        string? refusal = null;
        if (op.Code)
        {
            var cheese = Enumerable.Range(0, articles.Count).Where(i => articles[i].Article.Sku == PromotionSpec.CouponSku).ToList();
            var discount = cheese.Sum(i => gross[i]) * (long)PromotionSpec.PercentOff / 100;
            var budget = promo?.Budget is { } b ? (long)(b * 100m) : long.MaxValue;
            if (promo is null) refusal = "coupon_unknown";
            else if (promo.UsesPerMember is { } limit && m.CouponUses >= limit) refusal = "coupon_member_limit_reached";
            else if (budget <= _model.CouponSpentMinor) refusal = "coupon_budget_exhausted";
            else if (cheese.Count == 0) refusal = "coupon_conditions_not_met";
            else if (_model.CouponSpentMinor + discount > budget) refusal = "coupon_budget_exhausted";
            else foreach (var i in cheese) discounts[i] = gross[i] * (long)PromotionSpec.PercentOff / 100;
        }
        var coupon = op.Code && refusal is null;
        total = (gross.Sum() - discounts.Sum()) / 100m;
        if (refusal is null && pay is { } points)
        {
            if (points < spec.MinPoints) refusal = "below_minimum_points";
            else if (spec.MaxPoints is { } max && points > max) refusal = "above_maximum_points";
            else if (decimal.Floor(points * 0.01m * 100m) / 100m > total * spec.MaxShare) refusal = "above_maximum_share";
            else if (m.Available < points) refusal = "insufficient_points";
        }

        await using var scope = _db.Scope(_clock);
        var recorder = scope.ServiceProvider.GetRequiredService<PurchaseRecorder>();
        var result = await recorder.RecordAsync(_programmeId, null, req, Actor, Ct);
        ExpectOutcome(refusal, Code(result.Problem));
        if (refusal is not null) return Outcome(refusal);
        Expect(result.Created, "a new receipt was answered as a repeat");
        var view = result.View!;

        var lines = articles.Select((a, i) =>
        {
            var netMinor = gross[i] - discounts[i];
            return new ModelLine
            {
                LineNo = i + 1, Article = a.Article, Quantity = a.Qty, NetMinor = netMinor, DiscountMinor = discounts[i],
                Points = _model.LinePoints(a.Article, netMinor / 100m),
            };
        }).ToList();
        var bonus = spec.BigBasketBonus && total >= ProgrammeSpec.BigBasket ? ProgrammeSpec.Bonus : 0;
        var earned = lines.Sum(l => l.Points) + bonus;
        var payment = pay is { } paid ? _model.Spend(m, paid) : null;
        var purchase = new ModelPurchase
        {
            Id = view.Id, Number = _model.Purchases.Count, Member = m, Partner = partner, Lines = lines, TotalMinor = (long)(total * 100m),
            Earned = earned, Bonus = bonus, PointsPaid = pay ?? 0, Payment = payment, Request = req, Coupon = coupon,
        };
        if (earned > 0)
            purchase.Lot = _model.Credit(m, earned, now, earnedAt, earnedAt.AddDays(spec.PendingDays), "earn", purchase);
        if (coupon)
        {
            _model.CouponUses++;
            _model.CouponSpentMinor += discounts.Sum();
            _model.CodeUses++;
            if (promo!.UsesPerMember is not null) m.CouponUses++;
        }
        var stampPoints = 0L;
        if (promo is not null)
        {
            // A full card's points are credited with the purchase, pending and expiring like the purchase's own.
            var stamps = StampsOf(lines, _ => 0m);
            foreach (var filled in _model.Stamp(m, purchase, earnedAt, stamps))
            {
                m.Card.Lots[filled.Number] = _model.Credit(m, promo.StampPoints, now, earnedAt, earnedAt.AddDays(spec.PendingDays),
                    StampSource(filled.Number), purchase);
                stampPoints += promo.StampPoints;
            }
            _model.Totals.Earned += stampPoints;
            _model.Totals.StampEarned += stampPoints;
        }
        m.PurchaseCount++;
        _model.Purchases.Add(purchase);
        _model.Totals.Earned += earned;
        _model.Totals.PaidAtCheckout += pay ?? 0;
        _model.IssuedByPartner[partner] = _model.IssuedByPartner.GetValueOrDefault(partner) + earned;

        ExpectEqual(earned, view.PointsEarned, "points earned by the purchase");
        ExpectEqual(pay ?? 0, view.PointsPaid, "points paid at checkout");
        ExpectEqual(earned == 0 ? "none" : purchase.Lot!.Status == LotStatus.Pending ? "pending" : "available", view.PointsStatus, "points status");
        return $"ok earned {earned}{(purchase.Lot?.Status == LotStatus.Pending ? " pending" : "")}{(pay is { } pp ? $", paid {pp}" : "")}" +
            (coupon ? $", discount {discounts.Sum()}c" : "") + (stampPoints > 0 ? $", stamp card {stampPoints}" : "");
    }

    private static string StampSource(int number) => $"stamps:{PromotionSpec.CardId}:{number}";

    /// <summary>The stamps the bread lines give: one per whole loaf still kept (<paramref name="gone"/> units of a line are back).</summary>
    private static int StampsOf(IEnumerable<ModelLine> lines, Func<ModelLine, decimal> gone) =>
        lines.Where(l => l.Article.Sku == PromotionSpec.StampSku).Sum(l => (int)decimal.Floor(Math.Max(l.Quantity - gone(l), 0)));

    /// <summary>The part of a discount that left with <paramref name="returned"/> of <paramref name="bought"/> units, rounded down.</summary>
    private static long DiscountShare(long discount, decimal returned, decimal bought) =>
        returned >= bought ? discount : returned <= 0 ? 0 : (long)decimal.Floor(discount * returned / bought);

    private async Task<string> ReturnAsync(ReturnOp op)
    {
        if (_model.Purchases.Count == 0) return "skipped (no purchase)";
        var p = _model.Purchases[op.Purchase % _model.Purchases.Count];
        var requested = new List<(ModelLine Line, decimal Qty)>();
        foreach (var spec in op.Lines)
        {
            var line = p.Lines[spec.Line % p.Lines.Count];
            if (requested.Any(r => r.Line == line)) continue; // a line listed twice is bad input, tested elsewhere
            var qty = spec.Percent == 0
                ? line.Quantity - line.ReturnedQuantity
                : decimal.Round(line.Quantity * spec.Percent / 100m, 3, MidpointRounding.AwayFromZero);
            requested.Add((line, qty));
        }
        var req = new ReturnRequest("x" + (++_returnIds).ToString(CultureInfo.InvariantCulture),
            requested.Select(r => new ReturnLineRequest(r.Line.LineNo, r.Qty)).ToList());

        string? refusal = null;
        if (requested.Any(r => r.Qty <= 0)) refusal = "validation_failed";
        else if (requested.Any(r => r.Line.ReturnedQuantity + r.Qty > r.Line.Quantity)) refusal = "return_exceeds_purchase";

        await using var scope = _db.Scope(_clock);
        var recorder = scope.ServiceProvider.GetRequiredService<PurchaseRecorder>();
        var result = await recorder.ReturnAsync(_programmeId, null, p.Id, req, Actor, Ct);
        ExpectOutcome(refusal, Code(result.Problem));
        if (refusal is not null) return Outcome(refusal);
        Expect(result.Created, "a new return was answered as a repeat");
        var view = result.View!;

        var promo = _model.Spec.Promotions;
        var m = p.Member;
        var stampsBefore = StampsOf(p.Lines, l => l.ReturnedQuantity);
        long reverse = 0, value = 0, discountBack = 0;
        foreach (var (line, qty) in requested)
        {
            discountBack += DiscountShare(line.DiscountMinor, line.ReturnedQuantity + qty, line.Quantity) - DiscountShare(line.DiscountMinor, line.ReturnedQuantity, line.Quantity);
            var points = LedgerModel.ShareDown(line.Points, line.ReturnedQuantity + qty, line.Quantity) - LedgerModel.ShareDown(line.Points, line.ReturnedQuantity, line.Quantity);
            var minor = LedgerModel.ShareNearest(line.NetMinor, line.ReturnedQuantity + qty, line.Quantity) - LedgerModel.ShareNearest(line.NetMinor, line.ReturnedQuantity, line.Quantity);
            line.ReturnedQuantity += qty;
            line.PointsReversed += points;
            line.ReturnedMinor += minor;
            reverse += points;
            value += minor;
        }
        var whole = p.Lines.All(l => l.ReturnedQuantity == l.Quantity);
        if (whole) reverse += p.Bonus;

        // The promotions first: the discount goes back to the budget, the code is released, the stamps come off the card.
        string stampOutcome = "";
        if (promo is not null)
        {
            _model.CouponSpentMinor -= discountBack;
            if (p.Coupon && whole && promo.ReleaseOnReturn)
            {
                _model.CodeUses = Math.Max(0, _model.CodeUses - 1);
                if (promo.UsesPerMember is not null) m.CouponUses = Math.Max(0, m.CouponUses - 1);
            }
            var take = Math.Max(0, stampsBefore - StampsOf(p.Lines, l => l.ReturnedQuantity));
            if (take > 0)
            {
                var (clawed, refilled) = _model.Unstamp(m, p, take);
                foreach (var card in clawed)
                {
                    var (stampTaken, stampLost) = _model.ReverseLot(m, m.Card.Lots[card.Number], promo.StampPoints);
                    _model.Totals.Reversed += stampTaken;
                    _model.Totals.Unrecovered += stampLost;
                    _model.Totals.StampReversed += stampTaken;
                    _model.Totals.StampUnrecovered += stampLost;
                    stampOutcome += $", card {card.Number} taken back {stampTaken}{(stampLost > 0 ? $" (unrecovered {stampLost})" : "")}";
                }
                foreach (var card in refilled)
                {
                    // A card filled again by the stamps a clawed-back card gave back gives its points again, at once.
                    m.Card.Lots[card.Number] = _model.Credit(m, promo.StampPoints, Now, Now, Now, StampSource(card.Number), p);
                    _model.Totals.Earned += promo.StampPoints;
                    _model.Totals.StampEarned += promo.StampPoints;
                    stampOutcome += $", card {card.Number} filled again";
                }
            }
        }
        var refund = p.PointsPaid == 0 || p.TotalMinor <= 0 ? 0
            : LedgerModel.ShareDown(p.PointsPaid, p.ReturnedMinor + value, p.TotalMinor) - LedgerModel.ShareDown(p.PointsPaid, p.ReturnedMinor, p.TotalMinor);
        // Points paid with come back first: what the member gets back is there to be taken back.
        if (refund > 0) _model.Refund(p.Payment!, refund);
        var (taken, unrecovered) = _model.ReverseEarn(p, reverse);
        p.ReturnedMinor += value;
        p.PointsReversed += reverse;
        p.PaidPointsRefunded += refund;
        _model.Returns.Add(new ModelReturn { Purchase = p, Request = req });
        _model.Totals.Reversed += taken;
        _model.Totals.Unrecovered += unrecovered;
        _model.Totals.RefundedPayments += refund;
        _model.IssuedByPartner[p.Partner] -= reverse;

        // Never write points off while the member still holds available points.
        Expect(view.PointsUnrecovered == 0 || view.Balance!.Available == 0,
            $"the return wrote off {view.PointsUnrecovered} points as unrecovered although the member has {view.Balance!.Available} available afterwards");
        ExpectEqual(taken, view.PointsReversed, "points the return took back");
        ExpectEqual(unrecovered, view.PointsUnrecovered, "points the return wrote off as unrecovered");
        ExpectEqual(refund, view.PaidPointsRefunded, "points paid at checkout that the return gave back");
        return $"ok reversed {taken}{(unrecovered > 0 ? $", unrecovered {unrecovered}" : "")}{(refund > 0 ? $", refunded {refund}" : "")}{stampOutcome}";
    }

    private async Task<string> ReplayPurchaseAsync(ReplayOp op)
    {
        if (_model.Purchases.Count == 0) return "skipped (no purchase)";
        var p = _model.Purchases[op.Target % _model.Purchases.Count];
        var req = p.Request;
        if (op.Altered)
        {
            var first = req.Lines[0];
            var lines = req.Lines.Skip(1).Prepend(first with { Quantity = first.Quantity + 1 }).ToList();
            req = req with { Lines = lines, Total = req.Total + first.UnitPrice };
        }
        await using var scope = _db.Scope(_clock);
        var result = await scope.ServiceProvider.GetRequiredService<PurchaseRecorder>().RecordAsync(_programmeId, null, req, Actor, Ct);
        var expected = op.Altered ? "duplicate_receipt" : null;
        ExpectOutcome(expected, Code(result.Problem));
        if (expected is not null) return Outcome(expected);
        Expect(!result.Created && result.View!.Id == p.Id, "a repeated receipt was recorded as a new purchase");
        return "ok (same purchase)";
    }

    private async Task<string> ReplayReturnAsync(ReplayOp op)
    {
        if (_model.Returns.Count == 0) return "skipped (no return)";
        var r = _model.Returns[op.Target % _model.Returns.Count];
        var req = r.Request;
        if (op.Altered) req = req with { Lines = req.Lines.Select((l, i) => i == 0 ? l with { Quantity = l.Quantity + 0.001m } : l).ToList() };
        await using var scope = _db.Scope(_clock);
        var result = await scope.ServiceProvider.GetRequiredService<PurchaseRecorder>().ReturnAsync(_programmeId, null, r.Purchase.Id, req, Actor, Ct);
        var expected = op.Altered ? "duplicate_return" : null;
        ExpectOutcome(expected, Code(result.Problem));
        if (expected is not null) return Outcome(expected);
        Expect(!result.Created, "a repeated return was recorded again");
        return "ok (same return)";
    }

    private async Task<string> RedeemAsync(RedeemOp op)
    {
        var m = MemberAt(op.Member);
        var rewardIndex = op.Reward % _model.Spec.Rewards.Count;
        var reward = _model.Spec.Rewards[rewardIndex];
        string? refusal = null;
        if (reward.Stock is { } stock && _model.StockIssued[rewardIndex] >= stock) refusal = "out_of_stock";
        else if (m.Available < reward.Points) refusal = "insufficient_points";

        await using var scope = _db.Scope(_clock);
        var sp = scope.ServiceProvider;
        var (order, problem) = await RewardEndpoints.PlaceAsync(sp.GetRequiredService<TreueDb>(), sp.GetRequiredService<PointsLedger>(),
            _programmeId, m.Id, reward.Code, Actor, Now, Ct);
        ExpectOutcome(refusal, Code(problem));
        if (refusal is not null) return Outcome(refusal);

        var spend = _model.Spend(m, reward.Points)!;
        _model.Orders.Add(new ModelOrder { Id = order!.Id, Member = m, Reward = rewardIndex, Points = reward.Points, Spend = spend, Status = RewardOrderStatus.Placed });
        _model.StockIssued[rewardIndex]++;
        _model.Totals.Redeemed += reward.Points;
        ExpectEqual(reward.Points, order.Points, "points of the reward order");
        return $"ok spent {reward.Points}";
    }

    private async Task<string> CancelAsync(CancelOp op)
    {
        if (_model.Orders.Count == 0) return "skipped (no order)";
        var o = _model.Orders[op.Order % _model.Orders.Count];
        await using var scope = _db.Scope(_clock);
        var sp = scope.ServiceProvider;
        var (order, problem) = await RewardEndpoints.CancelAsync(sp.GetRequiredService<TreueDb>(), sp.GetRequiredService<PointsLedger>(),
            _programmeId, o.Id, null, Actor, Now, Ct);
        ExpectOutcome(null, Code(problem));
        ExpectEqual(RewardOrderStatus.Cancelled, order!.Status, "status of the cancelled order");
        if (o.Status == RewardOrderStatus.Cancelled) return "ok (already cancelled)";
        o.Status = RewardOrderStatus.Cancelled;
        _model.Refund(o.Spend, o.Points);
        _model.StockIssued[o.Reward]--;
        _model.Totals.RefundedRewards += o.Points;
        return $"ok refunded {o.Points}";
    }

    private async Task<string> ExpireAsync(ExpireOp op)
    {
        _clock.Advance(TimeSpan.FromDays(op.Days));
        var now = Now;
        var expected = _model.Expire(now);
        await using var scope = _db.Scope(_clock);
        var ledger = scope.ServiceProvider.GetRequiredService<PointsLedger>();
        var (lots, points) = (0, 0L);
        (int Lots, long Points) batch;
        do
        {
            batch = await ledger.ExpireDueAsync(now, 500, Ct, _programmeId);
            lots += batch.Lots;
            points += batch.Points;
        } while (batch.Lots == 500);
        ExpectEqual(expected, (lots, points), "lots and points expired");
        return $"ok expired {points} in {lots} lots";
    }

    private async Task<string> PostAsync(PostOp op)
    {
        _clock.Advance(TimeSpan.FromDays(op.Days));
        var now = Now;
        var expected = _model.Post(now);
        await using var scope = _db.Scope(_clock);
        var ledger = scope.ServiceProvider.GetRequiredService<PointsLedger>();
        int posted = 0, batch;
        do
        {
            batch = (await ledger.PostDueAsync(now, 500, Ct, _programmeId)).Lots;
            posted += batch;
        } while (batch == 500);
        ExpectEqual(expected, posted, "pending lots posted");
        return $"ok posted {posted} lots";
    }

    /// <summary>An adjustment as the admin endpoint makes it: a credit (a new lot) or a spend, in one unit of work.</summary>
    private async Task<string> AdjustAsync(AdjustOp op)
    {
        var m = MemberAt(op.Member);
        var now = Now;
        string? refusal = op.Points < 0 && m.Available < -op.Points ? "insufficient_points" : null;

        await using var scope = _db.Scope(_clock);
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<TreueDb>();
        var ledger = sp.GetRequiredService<PointsLedger>();
        string? actual = null;
        await using (var work = await Work.BeginAsync(db, Ct))
        {
            var reason = "model adjustment";
            var movement = new Movement(LedgerKind.Adjust, now, [new Contribution("adjustment", reason, op.Points)]) { Reason = reason, Actor = Actor };
            if (op.Points > 0)
            {
                var programme = await sp.GetRequiredService<ProgrammeCache>().GetAsync(db, _programmeId, Ct);
                await ledger.CreditAsync(_programmeId, m.Id, LedgerAccounts.Adjustments, op.Points, now, programme.Settings.Expiry.ExpiresAt(now), pending: false, "adjust", movement, Ct);
                await work.CommitAsync(Ct);
            }
            else
            {
                var (_, r) = await ledger.SpendAsync(_programmeId, m.Id, LedgerAccounts.Adjustments, -op.Points, movement, "points", Ct);
                actual = r?.Code;
                if (r is null) await work.CommitAsync(Ct);
            }
        }
        ExpectOutcome(refusal, actual);
        if (refusal is not null) return Outcome(refusal);
        if (op.Points > 0)
        {
            _model.Credit(m, op.Points, now, now, now, "adjust", null);
            _model.Totals.AdjustedUp += op.Points;
        }
        else
        {
            _model.Spend(m, -op.Points);
            _model.Totals.AdjustedDown += -op.Points;
        }
        return "ok";
    }

    // ---------------------------------------------------------------- checks after every step

    // The rows read for the checks. Purchases, returns, rewards and orders are read again only after the operations
    // that write them (and at the end of the sequence); transactions, entries, members and lots after every step.
    private List<Purchase>? _purchases;
    private long _unrecovered;
    private List<(string Code, long StockIssued, long? StockLimit)>? _rewards;
    private List<(Guid Id, RewardOrderStatus Status, long Points)>? _orders;
    private (long Uses, long MoneySpentMinor, int CodeUses, Dictionary<Guid, int> MemberUses, Dictionary<Guid, StampCardState> Cards)? _promotions;

    private sealed record Flat(long TransactionId, LedgerKind Kind, Guid? TxMember, Guid EntryProgramme, Guid? MemberId, string Account, long Amount);

    public sealed record MemberRow(Guid Id, long Available, long Pending, int PurchaseCount);

    public sealed record EntryRow(Guid ProgrammeId, Guid? MemberId, string Account, long Amount);

    public sealed record TransactionRow(long Id, LedgerKind Kind, Guid? MemberId, List<EntryRow> Entries);

    // The reads run after every step, so they are compiled once rather than looked up in EF's query cache each time.
    // A compiled query belongs to one model, so each database provider has its own set.
    private sealed class Reads
    {
        public readonly Func<TreueDb, Guid, IAsyncEnumerable<MemberRow>> MembersOf = EF.CompileAsyncQuery((TreueDb db, Guid pid) =>
            db.Members.AsNoTracking().Where(m => m.ProgrammeId == pid).Select(m => new MemberRow(m.Id, m.Available, m.Pending, m.PurchaseCount)));

        public readonly Func<TreueDb, Guid, IAsyncEnumerable<TransactionRow>> TransactionsOf = EF.CompileAsyncQuery((TreueDb db, Guid pid) =>
            db.LedgerTransactions.AsNoTracking().Where(t => t.ProgrammeId == pid)
                .Select(t => new TransactionRow(t.Id, t.Kind, t.MemberId, t.Entries.Select(e => new EntryRow(e.ProgrammeId, e.MemberId, e.Account, e.Amount)).ToList())));

        public readonly Func<TreueDb, Guid, IAsyncEnumerable<PointLot>> LotsOf = EF.CompileAsyncQuery((TreueDb db, Guid pid) =>
            db.PointLots.AsNoTracking().Where(l => l.ProgrammeId == pid).OrderBy(l => l.Id).AsQueryable());
    }

    private static readonly Reads SqliteReads = new(), PostgresReads = new();

    private static async Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> rows)
    {
        var list = new List<T>();
        await foreach (var row in rows) list.Add(row);
        return list;
    }

    private async Task VerifyAsync(string when, bool purchases, bool rewards)
    {
        try
        {
            await using var scope = _db.Scope(_clock);
            var db = scope.ServiceProvider.GetRequiredService<TreueDb>();
            db.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
            await db.Database.OpenConnectionAsync(Ct); // one connection for all the reads below
            var pid = _programmeId;
            var reads = db.IsSqlite ? SqliteReads : PostgresReads;
            var members = await ListAsync(reads.MembersOf(db, pid));
            var transactions = await ListAsync(reads.TransactionsOf(db, pid));
            var lots = await ListAsync(reads.LotsOf(db, pid));
            if (purchases || _purchases is null)
            {
                _purchases = await db.Purchases.Include(p => p.Lines).Where(p => p.ProgrammeId == pid).ToListAsync(Ct);
                _unrecovered = await db.Returns.Where(r => r.ProgrammeId == pid).SumAsync(r => r.PointsUnrecovered, Ct);
                if (_model.Spec.Promotions is not null)
                {
                    var usage = await db.CampaignUsage.Where(u => u.ProgrammeId == pid).Select(u => new { u.Uses, u.MoneySpentMinor }).SingleAsync(Ct);
                    var codeUses = await db.CouponCodes.Where(c => c.ProgrammeId == pid && c.Code == PromotionSpec.Code).Select(c => c.Uses).SingleAsync(Ct);
                    var memberUses = await db.CampaignMemberUses.Where(u => u.ProgrammeId == pid).ToDictionaryAsync(u => u.MemberId, u => u.Uses, Ct);
                    var cards = await db.MemberStampCards.Where(c => c.ProgrammeId == pid).ToDictionaryAsync(c => c.MemberId, c => c.State, Ct);
                    _promotions = (usage.Uses, usage.MoneySpentMinor, codeUses, memberUses, cards);
                }
            }
            if (rewards || _rewards is null || _orders is null)
            {
                _rewards = (await db.Rewards.Where(r => r.ProgrammeId == pid).Select(r => new { r.Code, r.StockIssued, r.StockLimit }).ToListAsync(Ct))
                    .Select(r => (r.Code, r.StockIssued, r.StockLimit)).ToList();
                _orders = (await db.RewardOrders.Where(o => o.ProgrammeId == pid).Select(o => new { o.Id, o.Status, o.Points }).ToListAsync(Ct))
                    .Select(o => (o.Id, o.Status, o.Points)).ToList();
            }
            var entries = transactions.SelectMany(t => t.Entries.Select(e => new Flat(t.Id, t.Kind, t.MemberId, e.ProgrammeId, e.MemberId, e.Account, e.Amount))).ToList();

            // Double entry: every transaction has at least two entries, none of zero points, and they sum to zero.
            foreach (var tx in transactions)
            {
                Expect(tx.Entries.Count >= 2, $"transaction {tx.Id} ({tx.Kind}) has {tx.Entries.Count} entries");
                Expect(tx.Entries.Sum(e => e.Amount) == 0, $"transaction {tx.Id} ({tx.Kind}) does not sum to zero: {Describe(tx.Entries.Select(e => (e.Account, e.Amount)))}");
                Expect(tx.Entries.All(e => e.Amount != 0), $"transaction {tx.Id} ({tx.Kind}) has an entry of zero points: {Describe(tx.Entries.Select(e => (e.Account, e.Amount)))}");
            }
            foreach (var e in entries)
            {
                var memberAccount = e.Account is LedgerAccounts.MemberAvailable or LedgerAccounts.MemberPending;
                Expect(memberAccount == (e.MemberId is not null), $"entry on {e.Account} of transaction {e.TransactionId} has member {e.MemberId}");
                Expect(e.MemberId is null || e.MemberId == e.TxMember, $"transaction {e.TransactionId} of member {e.TxMember} moves points of member {e.MemberId}");
                Expect(e.EntryProgramme == _programmeId, $"transaction {e.TransactionId} has an entry of another programme");
            }

            // Cached balances equal the sums of the entries and of the lots; nothing is negative; a lot never holds more
            // than it was given, and a closed lot holds nothing.
            var byMember = entries.Where(e => e.MemberId is not null).ToLookup(e => (e.MemberId!.Value, e.Account), e => e.Amount);
            var lotsByMember = lots.ToLookup(l => (l.MemberId, l.Status), l => l.Remaining);
            foreach (var m in members)
            {
                Expect(m.Available >= 0 && m.Pending >= 0, $"member {m.Id} has a negative balance ({m.Available} available, {m.Pending} pending)");
                var available = byMember[(m.Id, LedgerAccounts.MemberAvailable)].Sum();
                var pending = byMember[(m.Id, LedgerAccounts.MemberPending)].Sum();
                Expect(available == m.Available, $"member {m.Id}: cached available balance {m.Available}, member:available entries sum to {available}");
                Expect(pending == m.Pending, $"member {m.Id}: cached pending balance {m.Pending}, member:pending entries sum to {pending}");
                var inAvailableLots = lotsByMember[(m.Id, LotStatus.Available)].Sum();
                var inPendingLots = lotsByMember[(m.Id, LotStatus.Pending)].Sum();
                Expect(inAvailableLots == m.Available, $"member {m.Id}: available balance {m.Available}, available lots hold {inAvailableLots}");
                Expect(inPendingLots == m.Pending, $"member {m.Id}: pending balance {m.Pending}, pending lots hold {inPendingLots}");
            }
            foreach (var l in lots)
            {
                Expect(l.Remaining >= 0 && l.Remaining <= l.Amount, $"lot {l.Id} ({l.Source}) holds {l.Remaining} of the {l.Amount} points it was given");
                Expect(l.Status != LotStatus.Closed || l.Remaining == 0, $"closed lot {l.Id} still holds {l.Remaining} points");
            }

            // The programme's side mirrors the members': what members hold is minus the sum of the programme's accounts,
            // and each programme account is explained by the rows it belongs to. Together with the per-kind breakdown
            // below: earned − reversed − redeemed − paid + refunded − expired ± adjusted = outstanding.
            var byAccount = entries.GroupBy(e => e.Account).ToDictionary(g => g.Key, g => g.Sum(e => e.Amount), StringComparer.Ordinal);
            long Account(string account) => byAccount.GetValueOrDefault(account);
            var outstanding = Account(LedgerAccounts.MemberAvailable) + Account(LedgerAccounts.MemberPending);
            var programmeSide = entries.Where(e => e.MemberId is null).Sum(e => e.Amount);
            Expect(-programmeSide == outstanding, $"members hold {outstanding} points, the programme's accounts sum to {programmeSide}");
            var known = new HashSet<string>(LedgerCatalogue.Partners.Select(LedgerAccounts.PartnerIssued)
                .Concat(LedgerCatalogue.Partners.Select(LedgerAccounts.PartnerRedeemed)), StringComparer.Ordinal)
            {
                LedgerAccounts.MemberAvailable, LedgerAccounts.MemberPending, LedgerAccounts.Redeemed, LedgerAccounts.PaidAtCheckout,
                LedgerAccounts.Expired, LedgerAccounts.Adjustments, LedgerAccounts.Unrecovered, LedgerAccounts.StampCards,
            };
            Expect(byAccount.Keys.All(known.Contains), $"entries on unknown accounts: {string.Join(", ", byAccount.Keys.Where(a => !known.Contains(a)))}");
            foreach (var partner in LedgerCatalogue.Partners)
            {
                var account = LedgerAccounts.PartnerIssued(partner);
                var issued = -Account(account);
                var byPurchases = _purchases.Where(p => p.PartnerCode == partner && p.MemberId != null).Sum(p => p.PointsEarned - p.PointsReversed);
                Expect(issued == byPurchases, $"{account} holds {-issued}, the purchases' points earned minus reversed are {byPurchases}");
                var model = _model.IssuedByPartner.GetValueOrDefault(partner);
                Expect(issued == model, $"{account} holds {-issued}, the model expects {-model}");
            }
            var redeemed = _orders.Where(o => o.Status != RewardOrderStatus.Cancelled).Sum(o => o.Points);
            Expect(Account(LedgerAccounts.Redeemed) == redeemed, $"{LedgerAccounts.Redeemed} holds {Account(LedgerAccounts.Redeemed)}, orders not cancelled cost {redeemed}");
            // Points paid at a till are booked to the partner the till belongs to (what the operator owes it in settlement).
            long PaidAccounts() => Account(LedgerAccounts.PaidAtCheckout) + LedgerCatalogue.Partners.Sum(p => Account(LedgerAccounts.PartnerRedeemed(p)));
            var paid = _purchases.Sum(p => p.PointsPaid - p.PaidPointsRefunded);
            Expect(PaidAccounts() == paid, $"the accounts of points paid hold {PaidAccounts()}, purchases' points paid minus refunded are {paid}");
            foreach (var partner in LedgerCatalogue.Partners)
            {
                var atPartner = _purchases.Where(p => p.PartnerCode == partner).Sum(p => p.PointsPaid - p.PaidPointsRefunded);
                Expect(Account(LedgerAccounts.PartnerRedeemed(partner)) == atPartner,
                    $"{LedgerAccounts.PartnerRedeemed(partner)} holds {Account(LedgerAccounts.PartnerRedeemed(partner))}, points paid at the partner minus refunded are {atPartner}");
            }
            // Stamp-card points a return could not take back are written off too, outside the return's own figure.
            Expect(Account(LedgerAccounts.Unrecovered) == -(_unrecovered + _model.Totals.StampUnrecovered),
                $"{LedgerAccounts.Unrecovered} holds {Account(LedgerAccounts.Unrecovered)}, returns wrote off {_unrecovered} and {_model.Totals.StampUnrecovered} of stamp cards");

            // Per-kind breakdown of what moved on members' accounts, against the model's totals.
            var memberSide = entries.Where(e => e.MemberId is not null).GroupBy(e => (e.Kind, e.Account)).ToDictionary(g => g.Key, g => g.Sum(e => e.Amount));
            long MemberSide(LedgerKind kind) =>
                memberSide.GetValueOrDefault((kind, LedgerAccounts.MemberAvailable)) + memberSide.GetValueOrDefault((kind, LedgerAccounts.MemberPending));
            var t = _model.Totals;
            ExpectEqual(t.Earned, MemberSide(LedgerKind.Earn), "points earned (member side of Earn transactions)");
            ExpectEqual(-t.Reversed, MemberSide(LedgerKind.Reverse), "points reversed (member side of Reverse transactions)");
            ExpectEqual(-(t.Redeemed + t.PaidAtCheckout), MemberSide(LedgerKind.Redeem), "points redeemed and paid (member side of Redeem transactions)");
            ExpectEqual(t.RefundedRewards + t.RefundedPayments, MemberSide(LedgerKind.Refund), "points refunded (member side of Refund transactions)");
            ExpectEqual(-t.Expired, MemberSide(LedgerKind.Expire), "points expired (member side of Expire transactions)");
            ExpectEqual(t.AdjustedUp - t.AdjustedDown, MemberSide(LedgerKind.Adjust), "points adjusted (member side of Adjust transactions)");
            ExpectEqual(t.Posted, memberSide.GetValueOrDefault((LedgerKind.Post, LedgerAccounts.MemberAvailable)), "points posted (member:available side of Post transactions)");
            ExpectEqual(-t.Posted, memberSide.GetValueOrDefault((LedgerKind.Post, LedgerAccounts.MemberPending)), "points posted (member:pending side of Post transactions)");
            ExpectEqual(0L, MemberSide(LedgerKind.Transfer), "points transferred");
            ExpectEqual(t.Expired, Account(LedgerAccounts.Expired), LedgerAccounts.Expired);
            ExpectEqual(-(t.AdjustedUp - t.AdjustedDown), Account(LedgerAccounts.Adjustments), LedgerAccounts.Adjustments);
            ExpectEqual(-t.Unrecovered, Account(LedgerAccounts.Unrecovered), LedgerAccounts.Unrecovered);
            ExpectEqual(t.RefundedRewards - t.Redeemed, -Account(LedgerAccounts.Redeemed), LedgerAccounts.Redeemed);
            ExpectEqual(t.RefundedPayments - t.PaidAtCheckout, -PaidAccounts(), "the accounts of points paid");
            ExpectEqual((t.Earned - t.StampEarned) - (t.Reversed - t.StampReversed) - (t.Unrecovered - t.StampUnrecovered),
                LedgerCatalogue.Partners.Sum(p => -Account(LedgerAccounts.PartnerIssued(p))), "points issued net of returns (the partners' accounts)");
            ExpectEqual(t.StampEarned - t.StampReversed - t.StampUnrecovered, -Account(LedgerAccounts.StampCards),
                "stamp cards' points given net of those taken back (" + LedgerAccounts.StampCards + ")");
            ExpectEqual(t.Outstanding, outstanding, "earned − reversed − redeemed − paid + refunded − expired ± adjusted, against what members hold");

            // Returns never reverse more than the purchase (or the line) earned, nor give back more than was paid.
            foreach (var p in _purchases)
            {
                Expect(p.PointsReversed >= 0 && p.PointsReversed <= p.PointsEarned, $"purchase {p.ReceiptId} reversed {p.PointsReversed} of {p.PointsEarned} points");
                Expect(p.PaidPointsRefunded >= 0 && p.PaidPointsRefunded <= p.PointsPaid, $"purchase {p.ReceiptId} refunded {p.PaidPointsRefunded} of {p.PointsPaid} points paid");
                Expect(p.ReturnedMinor >= 0 && p.ReturnedMinor <= p.TotalMinor, $"purchase {p.ReceiptId} took back {p.ReturnedMinor} of {p.TotalMinor} cents");
                long linesReversed = 0, linesEarned = 0;
                var fully = true;
                foreach (var l in p.Lines)
                {
                    Expect(l.PointsReversed >= 0 && l.PointsReversed <= l.Points, $"purchase {p.ReceiptId} line {l.LineNo} reversed {l.PointsReversed} of {l.Points} points");
                    Expect(l.ReturnedQuantity >= 0 && l.ReturnedQuantity <= l.Quantity, $"purchase {p.ReceiptId} line {l.LineNo}: {l.ReturnedQuantity} of {l.Quantity} returned");
                    linesReversed += l.PointsReversed;
                    linesEarned += l.Points;
                    fully &= l.ReturnedQuantity == l.Quantity;
                }
                Expect(p.PointsReversed == linesReversed + (fully ? p.BonusPoints : 0),
                    $"purchase {p.ReceiptId} reversed {p.PointsReversed} points, its lines {linesReversed} and its bonus {p.BonusPoints} (fully returned: {fully})");
                Expect(p.PointsEarned == linesEarned + p.BonusPoints, $"purchase {p.ReceiptId} earned {p.PointsEarned} points, its lines {linesEarned} and its bonus {p.BonusPoints}");
            }

            // Stock is never oversold.
            foreach (var r in _rewards)
                Expect(r.StockIssued >= 0 && (r.StockLimit is null || r.StockIssued <= r.StockLimit), $"reward {r.Code}: {r.StockIssued} issued of {r.StockLimit}");

            CompareWithModel(members.Select(m => (m.Id, m.Available, m.Pending, m.PurchaseCount)).ToList(), lots);
        }
        catch (LedgerModelException e)
        {
            throw Failure($"{when}: {e.Message}");
        }
    }

    private void CompareWithModel(List<(Guid Id, long Available, long Pending, int PurchaseCount)> members, List<PointLot> lots)
    {
        ExpectEqual(_model.Members.Count, members.Count, "members");
        foreach (var mm in _model.Members)
        {
            var m = members.Single(x => x.Id == mm.Id);
            if ((mm.Available, mm.Pending, mm.PurchaseCount) == (m.Available, m.Pending, m.PurchaseCount)) continue;
            ExpectEqual((mm.Available, mm.Pending), (m.Available, m.Pending), $"(available, pending) points of member {mm.Number}");
            ExpectEqual(mm.PurchaseCount, m.PurchaseCount, $"purchase count of member {mm.Number}");
        }

        ExpectEqual(_model.Lots.Count, lots.Count, "lots");
        for (var i = 0; i < lots.Count; i++)
        {
            var (ml, l) = (_model.Lots[i], lots[i]);
            var expected = (ml.Member.Id, ml.Source, ml.Amount, PurchaseId: ml.Purchase?.Id, ml.EarnedAt, ml.AvailableAt, ml.ExpiresAt, ml.Status, ml.Remaining);
            var actual = (l.MemberId, l.Source, l.Amount, l.PurchaseId, l.EarnedAt, l.AvailableAt, l.ExpiresAt, l.Status, l.Remaining);
            if (expected != actual)
                throw new LedgerModelException($"lot {i} ({ml.Source} of member {ml.Member.Number}, {ml.Amount} points): model expects " +
                    $"{expected.Status} with {expected.Remaining} remaining, earned {expected.EarnedAt:O}, available {expected.AvailableAt:O}, expires {expected.ExpiresAt:O}; " +
                    $"the ledger has {actual.Status} with {actual.Remaining} remaining, earned {actual.EarnedAt:O}, available {actual.AvailableAt:O}, expires {actual.ExpiresAt:O} " +
                    $"(member, source, amount and purchase {((expected.Id, expected.Source, expected.Amount, expected.PurchaseId) == (actual.MemberId, actual.Source, actual.Amount, actual.PurchaseId) ? "agree" : "differ")})");
        }

        var purchases = _purchases!;
        ExpectEqual(_model.Purchases.Count, purchases.Count, "purchases");
        foreach (var mp in _model.Purchases)
        {
            var p = purchases.Single(x => x.Id == mp.Id);
            var expected = (mp.Earned, mp.Bonus, mp.PointsPaid, mp.TotalMinor, mp.ReturnedMinor, mp.PointsReversed, mp.PaidPointsRefunded);
            var actual = (p.PointsEarned, p.BonusPoints, p.PointsPaid, p.TotalMinor, p.ReturnedMinor, p.PointsReversed, p.PaidPointsRefunded);
            ExpectEqual(expected, actual, $"purchase {mp.Number} ({p.ReceiptId}): (earned, bonus, paid, total, returned, reversed, refunded)");
            foreach (var ml in mp.Lines)
            {
                var l = p.Lines.Single(x => x.LineNo == ml.LineNo);
                ExpectEqual((ml.Points, ml.NetMinor, ml.ReturnedQuantity, ml.ReturnedMinor, ml.PointsReversed),
                    (l.Points, l.NetMinor, l.ReturnedQuantity, l.ReturnedMinor, l.PointsReversed),
                    $"purchase {mp.Number} ({p.ReceiptId}) line {ml.LineNo}: (points, net, quantity returned, value returned, points reversed)");
            }
        }

        if (_model.Spec.Promotions is { } promo) ComparePromotions(promo);

        var rewards = _rewards!;
        for (var i = 0; i < _model.Spec.Rewards.Count; i++)
        {
            var code = _model.Spec.Rewards[i].Code;
            ExpectEqual(_model.StockIssued[i], rewards.Single(r => r.Code == code).StockIssued, "stock issued of " + code);
        }
        var orders = _orders!;
        ExpectEqual(_model.Orders.Count, orders.Count, "reward orders");
        foreach (var mo in _model.Orders)
        {
            var o = orders.Single(x => x.Id == mo.Id);
            ExpectEqual((mo.Status, mo.Points), (o.Status, o.Points), "(status, points) of order " + mo.Id);
        }
    }

    private void ComparePromotions(PromotionSpec promo)
    {
        var (uses, spent, codeUses, memberUses, cards) = _promotions!.Value;
        ExpectEqual((_model.CouponUses, _model.CouponSpentMinor, _model.CodeUses), (uses, spent, codeUses),
            "coupon campaign (uses, discount given net of returns in cents, uses of its code)");
        if (promo.Budget is { } budget) Expect(spent <= (long)(budget * 100m), $"the campaign gave {spent} cents of a budget of {budget}");
        foreach (var mm in _model.Members)
        {
            var used = memberUses.GetValueOrDefault(mm.Id);
            ExpectEqual(mm.CouponUses, used, $"campaign uses of member {mm.Number}");
            if (promo.UsesPerMember is { } limit) Expect(used <= limit, $"member {mm.Number} used the campaign {used} times, {limit} allowed");
            var card = mm.Card;
            var expected = (card.Number, string.Join(" ", card.Current.Select(st => st.Purchase.Request.ReceiptId)),
                string.Join(" ", card.Filled.Select(f => $"{f.Number}:{f.Stamps.Count}:{(f.ClawedBack ? "clawedBack" : f.Marked ? "marked" : "given")}")));
            var actual = cards.TryGetValue(mm.Id, out var state)
                ? (state.Number, string.Join(" ", state.Stamps.Select(st => st.Purchase)),
                    string.Join(" ", state.Completed.Select(f => $"{f.Number}:{f.Stamps.Count}:{(f.Status == RewardStatus.ClawedBack ? "clawedBack" : f.Status == RewardStatus.Marked ? "marked" : "given")}")))
                : (1, "", "");
            ExpectEqual(expected, actual, $"stamp card of member {mm.Number} (number, stamps by receipt, filled cards number:stamps:reward)");
        }
    }

    private static string Describe(IEnumerable<(string Account, long Amount)> entries) =>
        string.Join(", ", entries.Select(e => $"{e.Account} {e.Amount:+#;-#;0}"));

    /// <summary>A failure message that is only formatted when the check fails (checks run thousands of times a second).</summary>
    [InterpolatedStringHandler]
    private ref struct FailureMessage
    {
        private DefaultInterpolatedStringHandler _inner;

        public FailureMessage(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
        {
            _inner = condition ? default : new DefaultInterpolatedStringHandler(literalLength, formattedCount, CultureInfo.InvariantCulture);
            shouldAppend = !condition;
        }

        public void AppendLiteral(string value) => _inner.AppendLiteral(value);

        public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);

        public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);

        public string ToStringAndClear() => _inner.ToStringAndClear();
    }
}
