using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Domain.Promotions;
using Treue.Domain.Purchases;
using Treue.Server.Features.Cards;
using Treue.Server.Features.Programmes;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;
using Treue.Storage.Purchases;
using ReturnedLine = Treue.Storage.Entities.ReturnedLine;

namespace Treue.Server.Features.Purchases;

/// <summary>The outcome of recording a purchase or a return: a view, or a problem; <c>Created</c> is false for a repeated receipt.</summary>
public sealed record Recorded<T>(T? View, bool Created, ProblemHttpResult? Problem);

/// <summary>
/// Records purchases and returns. A purchase goes load, decide, write: the programme's compiled terms and the member's
/// snapshot are loaded; <see cref="PurchaseDecider.Decide"/> decides it purely, at one <c>now</c>; the decision is
/// written by the <see cref="IPurchaseStore"/> through <see cref="GroupCommit"/>, under guards that send a stale decision
/// back to be made again. Quotes decide without writing. Used by the API, the importer and the demo.
/// </summary>
public sealed class PurchaseRecorder(TreueDb db, PointsLedger ledger, ProgrammeCache programmes, TimeProvider clock, IPurchaseStore store, GroupCommit group)
{
    public const int MaxLines = 500;
    private const decimal MaxQuantity = 100_000m;
    private const decimal MaxUnitPrice = 1_000_000m;
    private const decimal MaxTotal = 10_000_000m;

    /// <summary>Answers "what would this basket earn" without writing anything: the same decision as recording, not written.</summary>
    public async Task<(QuoteView? Quote, ProblemHttpResult? Problem)> QuoteAsync(Guid programmeId, string? partnerRestriction, PurchaseRequest req, CancellationToken ct)
    {
        var p = await programmes.GetAsync(db, programmeId, ct);
        var check = await CheckAsync(p, partnerRestriction, req, requireReceipt: false, ct);
        if (check.Problem is not null) return (null, check.Problem);
        var load = LoadsPromotions(p, req) ? await PromotionStore.LoadAsync(db, programmeId, check.Member?.Id, req.Codes ?? [], p.Currency, ct) : null;
        if (UnknownCodes(p, req) is { } unknown) return (null, unknown);
        var now = ToMicroseconds(clock.GetUtcNow().UtcDateTime);
        var input = new PurchaseInput(check.Basket!, req.OccurredAt?.UtcDateTime ?? now, req.PointsPayment?.Points) { Codes = req.Codes ?? [], Reference = req.ReceiptId };
        var tier = await LoadTierAsync(p, check.Member, input.OccurredAtUtc, ct);
        var (decision, refusal) = PurchaseDecider.Decide(input, Snapshot(check.Member, tier), p.Terms, now, load?.Snapshot);
        if (refusal is not null) return (null, Problems.From(refusal));
        if (TillTotalProblem(req, decision!) is { } mismatch) return (null, mismatch);
        var earned = decision!.Earned!;
        var paid = decision.Payment;
        return (new QuoteView(p.Currency.Code, decision.Basket.Total, earned.Points, earned.Lines, earned.Bonuses, paid?.Points ?? 0, paid?.Discount ?? 0,
            decision.AmountDue, [.. earned.RulesApplied])
        {
            Promotions = decision.Promotions.Select(PromotionStepView.Of).ToList(),
            Discount = decision.Promotions.Sum(s => s.Discount),
            PricedLines = decision.Basket.Lines.Select(l => new PricedLineView(l.LineNo, l.Sku, l.Quantity, l.UnitPrice, l.Discount, l.Net)).ToList(),
        }, null);
    }

    /// <summary>The most codes one purchase may present.</summary>
    public const int MaxCodes = 10;

    /// <summary>
    /// Whether a purchase loads the promotion state: when the programme runs campaigns or stamp cards, and whenever codes are
    /// presented. Presented codes are always looked up, by the same queries whether they exist, exist in another programme
    /// or not at all, so neither the answer nor its time tells a guesser anything.
    /// </summary>
    private static bool LoadsPromotions(CompiledProgramme p, PurchaseRequest req) => p.Promotions is not null || req.Codes is { Count: > 0 };

    /// <summary>
    /// Codes presented to a programme that runs no campaigns are unknown, as any code not of this programme is: the
    /// refusal is the same whether or not the code exists in another programme.
    /// </summary>
    private static ProblemHttpResult? UnknownCodes(CompiledProgramme p, PurchaseRequest req) =>
        p.Promotions is null && req.Codes is { Count: > 0 } codes
            ? Problems.From(new CodeRefusal(CouponCodes.Normalise(codes[0]), CodeRefusalReason.Unknown, []).ToRefusal("codes[0]"))
            : null;

    /// <summary>A till that sent its own total after discounts learns of a difference, with both totals; neither is chosen silently.</summary>
    private static ProblemHttpResult? TillTotalProblem(PurchaseRequest req, PurchaseDecision decision)
    {
        if (req.TillTotal is not { } till || till == decision.Basket.Total) return null;
        var problem = Problems.Problem("total_mismatch",
            $"The till's total {till.ToString(System.Globalization.CultureInfo.InvariantCulture)} differs from Treue's total "
            + $"{decision.Basket.Total.ToString(System.Globalization.CultureInfo.InvariantCulture)} after promotions.", "tillTotal", 409);
        problem.ProblemDetails.Extensions["tillTotal"] = till;
        problem.ProblemDetails.Extensions["total"] = decision.Basket.Total;
        return problem;
    }

    /// <summary>Records a purchase. The same receipt id (for the same partner) with the same content returns the first purchase.</summary>
    public async Task<Recorded<PurchaseView>> RecordAsync(Guid programmeId, string? partnerRestriction, PurchaseRequest req, string? actor, CancellationToken ct,
        PendingIdempotency? key = null) =>
        await RecordAsync(programmeId, partnerRestriction, req, actor, fullView: true, ct, key);

    /// <summary>
    /// Records a purchase; with <paramref name="fullView"/> false the view carries no balance and no lot status, which
    /// spares three queries per purchase when importing in bulk.
    /// </summary>
    public async Task<Recorded<PurchaseView>> RecordAsync(Guid programmeId, string? partnerRestriction, PurchaseRequest req, string? actor, bool fullView, CancellationToken ct,
        PendingIdempotency? key = null)
    {
        // Each failed attempt means another purchase of the member was counted in between, so the loop makes progress;
        // the bound only keeps a request from spinning behind a member who buys without pause.
        for (var attempt = 1; attempt < MaxDecisions; attempt++)
        {
            if (await TryRecordAsync(programmeId, partnerRestriction, req, actor, fullView, key, ct) is { } recorded) return recorded;
        }
        return await TryRecordAsync(programmeId, partnerRestriction, req, actor, fullView, key, ct)
            ?? new(null, false, Problems.Problem("conflict", "The member's purchases changed concurrently; retry.", req.CardNumber is null ? "memberId" : "cardNumber", 409));
    }

    /// <summary>How often a purchase is loaded and decided again after a guard found its decision stale.</summary>
    public const int MaxDecisions = 10;

    /// <summary>
    /// Loads, decides and writes once. Null when a guard found the decision stale (a concurrent purchase or spend of the
    /// member, on another writer or node, changed what it was decided on): nothing was kept, and the purchase must be
    /// decided again.
    /// </summary>
    private async Task<Recorded<PurchaseView>?> TryRecordAsync(Guid programmeId, string? partnerRestriction, PurchaseRequest req, string? actor, bool fullView,
        PendingIdempotency? key, CancellationToken ct)
    {
        // Load, with the reads on one connection taken from the pool once; it goes back before the write waits for its group.
        var fingerprint = Fingerprint(req);
        CompiledProgramme p;
        Checked check;
        PromotionLoad? load = null;
        TierLoad? tier = null;
        ReferralRecord? referral = null;
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            p = await programmes.GetAsync(db, programmeId, ct);
            var partnerForLookup = p.Partners.GetValueOrDefault(req.Partner ?? "");
            if (partnerRestriction is not null && !string.Equals(partnerRestriction, req.Partner, StringComparison.OrdinalIgnoreCase))
                return new(null, false, Problems.Problem("forbidden", "This API key may only record purchases of its own partner.", "partner", 403));
            if (partnerForLookup is not null && req.ReceiptId is { Length: > 0 and <= 100 } && !req.ReceiptId.Any(char.IsControl))
            {
                var existing = await ExistingAsync(programmeId, partnerForLookup.Id, req.ReceiptId, fingerprint, ct);
                if (existing is not null) return existing;
            }
            check = await CheckAsync(p, partnerRestriction, req, requireReceipt: true, ct);
            if (check.Problem is null && LoadsPromotions(p, req))
                load = await PromotionStore.LoadAsync(db, programmeId, check.Member?.Id, req.Codes ?? [], p.Currency, ct);
            if (check.Problem is null && UnknownCodes(p, req) is { } unknown) return new(null, false, unknown);
            if (check.Problem is null)
                tier = await LoadTierAsync(p, check.Member, req.OccurredAt is { } on ? on.UtcDateTime : clock.GetUtcNow().UtcDateTime, ct);
            // A new member's first purchases may qualify their referral; for everybody else nothing is read.
            if (check.Problem is null && p.Settings.Referrals is { } referrals && check.Member is { } buyer)
                referral = await ReferralStore.WaitingAsync(db, referrals, programmeId, buyer.Id, buyer.EnrolledAt,
                    req.OccurredAt is { } at ? at.UtcDateTime : clock.GetUtcNow().UtcDateTime, ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        if (check.Problem is not null) return new(null, false, check.Problem);
        var (basket, member, partner) = (check.Basket!, check.Member, check.Partner!);

        // Decide, at one now. Whole microseconds, the precision both databases keep, so that the response equals what a
        // later read returns.
        var now = ToMicroseconds(clock.GetUtcNow().UtcDateTime);
        var occurredAt = req.OccurredAt is { } given ? ToMicroseconds(given.UtcDateTime) : now;
        var input = new PurchaseInput(basket, occurredAt, req.PointsPayment?.Points, Anonymous: member is null) { Codes = req.Codes ?? [], Reference = req.ReceiptId };
        var (decision, refusal) = PurchaseDecider.Decide(input, Snapshot(member, tier), p.Terms, now, load?.Snapshot);
        if (refusal is not null) return new(null, false, Problems.From(refusal));
        if (TillTotalProblem(req, decision!) is { } mismatch) return new(null, false, mismatch);

        // Write.
        var id = Guid.CreateVersion7();
        var write = Write(id, programmeId, member, check.Card, partner, check.Store, req, fingerprint, occurredAt, now, p.Currency, decision!, actor,
            key?.Claim(StatusCodes.Status201Created, $"/api/v1/purchases/{id}"));
        var promotions = load is null || p.Promotions is null ? null : PromotionWriteOf(id, programmeId, member?.Id, p, basket, decision!, load, now);
        var stampPoints = member is null ? [] : StampRewardPoints(p, decision!);
        var tierWrite = TierWriteOf(id, programmeId, member, tier, decision!, now);
        var referralWrite = ReferralWriteOf(p, referral, req.ReceiptId, decision!, occurredAt);
        var written = await group.ApplyAsync(db, async (d, c) =>
        {
            var w = await store.WriteAsync(d, write, c);
            if (w.Status != WriteStatus.Written) return (false, w);
            // The promotions' guards (code, member and budget limits, stamp card versions) are checked in the same transaction.
            if (promotions is { IsEmpty: false } && !await PromotionStore.WriteAsync(d, promotions, c)) return (false, new PurchaseWritten(WriteStatus.Stale));
            if (stampPoints.Count > 0) w = await CreditStampRewardsAsync(d, w, programmeId, member!.Id, id, decision!, stampPoints, occurredAt, actor, c);
            // The upgrade a purchase earns is written with it, under the standing's version: a concurrent change (another
            // node's purchase, staff, the review) makes this decision stale.
            if (tierWrite is not null && !await TierStore.WriteAsync(d, tierWrite, p.Currency, c)) return (false, new PurchaseWritten(WriteStatus.Stale));
            // The referral it qualifies is written with it, under the referral's version: of two purchases at once (on any
            // node) only one makes it pending, and the other is decided again.
            if (referralWrite is not null)
            {
                var (qualified, points, held) = await ReferralStore.QualifyAsync(d, clock, referralWrite, id, occurredAt, now, actor, c);
                if (!qualified) return (false, new PurchaseWritten(WriteStatus.Stale));
                if (points > 0 && w.Balance is { } b)
                    w = w with { Balance = new MemberBalance { Available = b.Available + (held ? 0 : points), Pending = b.Pending + (held ? points : 0) } };
            }
            return (true, w);
        }, ct);
        switch (written.Status)
        {
            case WriteStatus.Stale:
                return null;
            case WriteStatus.DuplicateReceipt:
                // A concurrent request recorded the same receipt first; answer as the natural idempotency key says.
                return await ExistingAsync(programmeId, partner.Id, req.ReceiptId, fingerprint, ct)
                    ?? new(null, false, Problems.Problem("conflict", "The receipt was recorded concurrently; retry.", "receiptId", 409));
            case WriteStatus.KeyTaken:
                // The request's key was stored first by a concurrent request; the caller answers with that one's outcome.
                key!.Taken = true;
                return new(null, false, Problems.Problem("idempotency_key_in_use", "A request with this Idempotency-Key was recorded concurrently.", IdempotencyMiddleware.Header, 409));
        }
        if (key is not null) key.Recorded = true;
        var (purchase, balance, lot) = (written.Purchase!, written.Balance, written.Lot);
        // Built from what was just written, not read back: the balance came back from the update that changed it.
        var steps = decision!.Promotions.Select(PromotionStepView.Of).ToList();
        return fullView
            ? new(View(purchase, balance is null ? null : new BalanceSnapshot(balance.Available, balance.Pending),
                lot is null ? "none" : lot.Status == LotStatus.Pending ? "pending" : "available", lot?.AvailableAt) with { Promotions = steps }, true, null)
            : new(View(purchase, null, "unknown", null) with { Promotions = steps }, true, null);
    }

    /// <summary>What a decided purchase writes of its promotions: reservations, redemptions, its pricing, and stamp cards with their rewards.</summary>
    private static PromotionWrite PromotionWriteOf(Guid id, Guid programmeId, Guid? memberId, CompiledProgramme p, Basket original, PurchaseDecision decision,
        PromotionLoad load, DateTime now)
    {
        var cards = decision.Benefits.OfType<StampsCollected>().Select(s => new StampCardWrite(s.State, load.CardVersions.GetValueOrDefault(s.State.CardId),
            s.Change.Added, Issued(s.Change.Rewards))).ToList();
        return new PromotionWrite(programmeId, id, memberId, p.Currency, original.Lines, decision.Promotions, decision.Guards.Reservations, cards, now);
    }

    /// <summary>A full stamp card's reward in points, as it is credited: its card, the card's number for the member, and the points.</summary>
    private sealed record StampPoints(StampCardDefinition Card, int Number, long Points);

    /// <summary>The points rewards of the stamp cards a purchase filled.</summary>
    private static List<StampPoints> StampRewardPoints(CompiledProgramme p, PurchaseDecision decision)
    {
        if (p.Terms.Promotions is not { } terms) return [];
        var list = new List<StampPoints>();
        foreach (var collected in decision.Benefits.OfType<StampsCollected>())
        {
            if (terms.StampCards.FirstOrDefault(c => c.Id == collected.Change.CardId) is not { } card) continue;
            foreach (var r in collected.Change.Rewards)
            {
                if (r.Status == RewardStatus.Given && r.Reward.Kind == StampRewardKind.Points && r.Reward.Points > 0)
                    list.Add(new StampPoints(card, r.CardNumber, r.Reward.Points));
            }
        }
        return list;
    }

    /// <summary>The lot a stamp card's reward is credited into: one per card filled, so a return can take back exactly it.</summary>
    private static string StampLotSource(string cardId, int number) => $"stamps:{cardId}:{number}";

    /// <summary>
    /// Credits the points of full stamp cards inside the purchase's transaction, each card its own ledger movement and lot
    /// (pending and expiring like the purchase's points), and returns the write with the balance after them.
    /// </summary>
    private async Task<PurchaseWritten> CreditStampRewardsAsync(TreueDb d, PurchaseWritten w, Guid programmeId, Guid memberId, Guid purchaseId,
        PurchaseDecision decision, List<StampPoints> rewards, DateTime occurredAt, string? actor, CancellationToken ct)
    {
        var ledger = new PointsLedger(d, clock);
        var earned = decision.Earned;
        var pending = earned?.Pending ?? false;
        long available = 0, held = 0;
        foreach (var r in rewards)
        {
            var reason = new Reason(ReasonKeys.StampCardFull) { Subject = r.Card.Name, Value = r.Number };
            await ledger.CreditAsync(programmeId, memberId, LedgerAccounts.StampCards, r.Points, earned?.AvailableAt ?? occurredAt, earned?.ExpiresAt, pending,
                StampLotSource(r.Card.Id, r.Number),
                new Movement(LedgerKind.Earn, occurredAt, [Contribution.Of("stamps:" + r.Card.Id, reason, r.Points)]) { PurchaseId = purchaseId, Actor = actor }, ct);
            if (pending) held += r.Points;
            else available += r.Points;
        }
        await d.SaveChangesAsync(ct);
        return w.Balance is { } b ? w with { Balance = new MemberBalance { Available = b.Available + available, Pending = b.Pending + held } } : w;
    }

    /// <summary>The personal codes that rewards given issue (a coupon, or a free item at the next purchase).</summary>
    private static List<(string, bool)> Issued(IReadOnlyList<RewardChange> rewards) =>
        rewards.Where(r => r.Status == RewardStatus.Given && r.Reward.CampaignId is not null && r.Reward.Kind != StampRewardKind.Points)
            .Select(r => (r.Reward.CampaignId!, r.Reward.Kind == StampRewardKind.FreeItemNextPurchase)).ToList();

    private static MemberSnapshot? Snapshot(Member? m, TierLoad? tier) =>
        m is null ? null : new MemberSnapshot(m.Id, m.PurchaseCount, m.Available, m.Pending) { Tier = tier?.Snapshot };

    /// <summary>The member's tier for a purchase on <paramref name="occurredAtUtc"/>, when the programme has tiers.</summary>
    private async Task<TierLoad?> LoadTierAsync(CompiledProgramme p, Member? member, DateTime occurredAtUtc, CancellationToken ct) =>
        p.Tiers is { } scheme && member is not null
            ? await TierStore.LoadAsync(db, scheme, p.Settings.Id, member.Id, member.EnrolledAt, scheme.LocalDay(occurredAtUtc), ct)
            : null;

    /// <summary>What a decided purchase writes of the member's tier: its qualifying entry and the upgrade it brought, if any.</summary>
    private static TierWrite? TierWriteOf(Guid id, Guid programmeId, Member? member, TierLoad? tier, PurchaseDecision decision, DateTime now)
    {
        if (member is null || tier is null || decision.Benefits.OfType<Domain.Tiers.StatusEarned>().SingleOrDefault() is not { } status) return null;
        var changes = decision.Benefits.OfType<Domain.Tiers.TierChanged>().Select(c => c.Change).ToList();
        return new TierWrite(programmeId, member.Id, id, status.Entry, changes, tier.Version, now);
    }

    /// <summary>
    /// What a decided purchase writes of the member's referral: when it is the new member's first qualifying purchase in
    /// time, the referral becomes pending until the day after its return window, with both sides' rewards.
    /// </summary>
    private static ReferralWrite? ReferralWriteOf(CompiledProgramme p, ReferralRecord? row, string reference, PurchaseDecision decision, DateTime occurredAt)
    {
        if (row is null || p.Settings.Referrals is not { } terms) return null;
        var day = DateOnly.FromDateTime(p.LocalTime(occurredAt));
        var decided = Domain.Referrals.ReferralRules.OnPurchase(terms, ReferralStore.ToDomain(row), reference, decision.Basket.Total, day);
        if (decided.Status != Domain.Referrals.ReferralStatus.Pending || decided.RewardOn is not { } rewardOn) return null;
        var rewardAt = ToMicroseconds(TimeZoneInfo.ConvertTimeToUtc(rewardOn.ToDateTime(TimeOnly.MinValue), p.TimeZone));
        return new ReferralWrite(p.Settings.Id, row, decided, terms, rewardAt, p.Settings.Expiry.ExpiresAt(rewardAt));
    }

    /// <summary>
    /// A decided purchase as the store writes it: its row and lines, the credit of what it earned and the debit of what
    /// was paid with points. The recorder and the bulk import both build their writes here.
    /// </summary>
    public static PurchaseWrite Write(Guid id, Guid programmeId, Member? member, Card? card, Partner partner, Store? store, PurchaseRequest req,
        string fingerprint, DateTime occurredAt, DateTime now, Currency currency, PurchaseDecision decision, string? actor, IdempotencyRecord? claim)
    {
        var earned = decision.Earned;
        var paid = decision.Payment;
        // The earning's explanation is the purchase's own (its lines' contributions and its bonuses): the credit says so with null.
        return new PurchaseWrite(programmeId, NewPurchase(id, programmeId, member, card, partner, store, req, fingerprint, occurredAt, now, currency, decision),
            member?.Id, member?.PurchaseCount ?? 0,
            earned is null ? null : new PurchaseCredit(LedgerAccounts.PartnerIssued(partner.Code), earned.Points, earned.AvailableAt, earned.ExpiresAt, earned.Pending, null),
            paid is null ? null : new PurchaseDebit(LedgerAccounts.PartnerRedeemed(partner.Code), paid.Points, currency.ToMinor(paid.Discount),
                [Contribution.Of("checkout", new Reason(ReasonKeys.PaidAtCheckout) { Value = paid.Discount, Unit = currency.Code, Subject = partner.Name }, -paid.Points)]),
            actor, claim);
    }

    /// <summary>The purchase row with its lines, as the decision priced, earned and paid it.</summary>
    private static Purchase NewPurchase(Guid id, Guid programmeId, Member? member, Card? card, Partner partner, Store? store, PurchaseRequest req,
        string fingerprint, DateTime occurredAt, DateTime now, Currency currency, PurchaseDecision decision)
    {
        var earned = decision.Earned;
        var purchase = new Purchase
        {
            Id = id, ProgrammeId = programmeId, MemberId = member?.Id, MemberPurchaseNo = decision.Guards.PurchaseCount + 1, CardNumber = card?.Number,
            PartnerId = partner.Id, PartnerCode = partner.Code, StoreCode = store?.Code, Channel = req.Channel, ReceiptId = req.ReceiptId,
            Fingerprint = fingerprint, OccurredAt = occurredAt, RecordedAt = now, Currency = currency.Code, TotalMinor = currency.ToMinor(decision.Basket.Total),
            PointsEarned = earned?.Points ?? 0, BonusPoints = earned?.BonusPoints ?? 0, Bonuses = earned is null ? [] : [.. earned.Bonuses],
            PointsPaid = decision.Payment?.Points ?? 0, PointsDiscountMinor = decision.Payment is { } paid ? currency.ToMinor(paid.Discount) : 0,
        };
        var lines = decision.Basket.Lines;
        for (var i = 0; i < lines.Count; i++)
        {
            var l = lines[i];
            var e = earned?.Lines[i];
            purchase.Lines.Add(new PurchaseLine
            {
                PurchaseId = id, LineNo = l.LineNo, ProgrammeId = programmeId, MemberId = member?.Id, Sku = l.Sku, Category = l.Category,
                Quantity = l.Quantity, UnitPriceMinor = currency.ToMinor(l.UnitPrice), DiscountMinor = currency.ToMinor(l.Discount),
                NetMinor = currency.ToMinor(l.Net), Points = e?.Points ?? 0, Contributions = e is null ? [] : [.. e.Contributions],
            });
        }
        return purchase;
    }

    /// <summary>Records a return of some lines, taking back exactly their points and giving back points paid.</summary>
    public async Task<Recorded<ReturnView>> ReturnAsync(Guid programmeId, string? partnerRestriction, Guid purchaseId, ReturnRequest req, string? actor, CancellationToken ct)
    {
        var v = new Validation();
        v.Text(req.ReturnId, "returnId", 100);
        if (req.Lines is null || req.Lines.Count == 0) v.Add("lines", "at least one line is required");
        else if (req.Lines.Count > MaxLines) v.Add("lines", $"at most {MaxLines} lines are allowed");
        else
        {
            for (var i = 0; i < req.Lines.Count; i++)
            {
                v.Check(req.Lines[i].Quantity is > 0 and <= MaxQuantity && decimal.Round(req.Lines[i].Quantity, 3) == req.Lines[i].Quantity,
                    $"lines[{i}].quantity", "must be positive, at most 100,000, with at most 3 decimals");
            }
            foreach (var dup in req.Lines.GroupBy(l => l.LineNo).Where(g => g.Count() > 1))
                v.Add("lines", $"line {dup.Key} is listed more than once");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        if (req.OccurredAt is { } at && v.Check(DateBounds.Contains(at), "occurredAt", DateBounds.Message))
            v.Check(at.UtcDateTime <= now.AddMinutes(5), "occurredAt", "must not be in the future");
        if (v.Failed) return new(null, false, v.Problem());

        var p = await programmes.GetAsync(db, programmeId, ct);
        var fingerprint = Hash(JsonSerializer.SerializeToUtf8Bytes(req with { OccurredAt = null }, TreueJson.Options));
        await using var work = await Work.BeginAsync(db, ct);
        // Lock the purchase: concurrent returns of one receipt queue here, so together they can never exceed it.
        var locked = await db.Purchases.Where(x => x.Id == purchaseId && x.ProgrammeId == programmeId)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ReturnedMinor, x => x.ReturnedMinor), ct);
        if (locked == 0) return new(null, false, Problems.NotFound("purchase_not_found", "The purchase", "purchaseId"));
        var purchase = await db.Purchases.Include(x => x.Lines).SingleAsync(x => x.Id == purchaseId, ct);
        if (partnerRestriction is not null && !string.Equals(purchase.PartnerCode, partnerRestriction, StringComparison.OrdinalIgnoreCase))
            return new(null, false, Problems.NotFound("purchase_not_found", "The purchase", "purchaseId"));
        // Goods cannot come back before they were sold; such a date would also move points back in time.
        if (req.OccurredAt is { } returnedAt && returnedAt.UtcDateTime < purchase.OccurredAt)
            return new(null, false, Problems.Problem("validation_failed",
                $"must not be before the purchase ({purchase.OccurredAt:yyyy-MM-dd'T'HH:mm:ss'Z'})", "occurredAt", 400));
        var previous = await db.Returns.AsNoTracking().SingleOrDefaultAsync(r => r.PurchaseId == purchaseId && r.ReturnId == req.ReturnId, ct);
        if (previous is not null)
        {
            return previous.Fingerprint == fingerprint
                ? new(await ReturnViewAsync(previous, ct), false, null)
                : new(null, false, Problems.Problem("duplicate_return", "This return id was already used for other lines.", "returnId", 409));
        }

        var currency = p.Currency;
        var returnedBefore = purchase.Lines.Select(l => new Domain.Promotions.ReturnedLine(l.LineNo, l.ReturnedQuantity)).ToList();
        var returned = new List<ReturnedLine>();
        long reverse = 0;
        long valueMinor = 0;
        for (var i = 0; i < req.Lines!.Count; i++)
        {
            var r = req.Lines[i];
            var line = purchase.Lines.SingleOrDefault(l => l.LineNo == r.LineNo);
            if (line is null)
                return new(null, false, Problems.Problem("validation_failed", $"the purchase has no line {r.LineNo}", $"lines[{i}].lineNo", 400));
            if (line.ReturnedQuantity + r.Quantity > line.Quantity)
                return new(null, false, Problems.Problem("return_exceeds_purchase",
                    $"Line {r.LineNo} had {line.Quantity} units and {line.ReturnedQuantity} were returned already.", $"lines[{i}].quantity"));
            var points = Returns.LinePointsToReverse(line.Points, line.Quantity, line.ReturnedQuantity, r.Quantity);
            var value = ShareMinor(line.NetMinor, line.ReturnedQuantity + r.Quantity, line.Quantity) - ShareMinor(line.NetMinor, line.ReturnedQuantity, line.Quantity);
            line.ReturnedQuantity += r.Quantity;
            line.PointsReversed += points;
            line.ReturnedMinor += value;
            reverse += points;
            valueMinor += value;
            returned.Add(new ReturnedLine(r.LineNo, r.Quantity, value, points));
        }
        var returnRowId = Guid.CreateVersion7();
        var occurredAt = req.OccurredAt?.UtcDateTime ?? now;
        var clawed = await ReturnPromotionsAsync(p, purchase, returnedBefore, req, returnRowId, occurredAt, actor, ct);
        if (clawed is null) return new(null, false, Problems.Problem("conflict", "The member's stamp cards changed concurrently; retry.", "purchaseId", 409));
        // The discount the kept lines no longer earn (a broken bundle) comes off the refund, line by line as far as each goes.
        var claw = Math.Min(clawed.Value, valueMinor);
        valueMinor -= claw;
        for (var i = 0; i < returned.Count && claw > 0; i++)
        {
            var take = Math.Min(claw, returned[i].ValueMinor);
            returned[i] = returned[i] with { ValueMinor = returned[i].ValueMinor - take };
            claw -= take;
        }
        var fullyReturned = purchase.Lines.All(l => l.ReturnedQuantity == l.Quantity);
        var bonus = Returns.BonusPointsToReverse(purchase.BonusPoints, fullyReturned);
        reverse += bonus;
        var ret = new PurchaseReturn
        {
            Id = returnRowId, ProgrammeId = programmeId, PurchaseId = purchase.Id, MemberId = purchase.MemberId, ReturnId = req.ReturnId,
            Fingerprint = fingerprint, OccurredAt = occurredAt, ValueMinor = valueMinor, Lines = returned,
        };
        db.Returns.Add(ret);

        if (purchase.MemberId is { } memberId)
        {
            var explanation = returned.Where(r => r.PointsReversed > 0)
                .Select(r => Contribution.Of("return", new Reason(ReasonKeys.Returned) { Value = r.Quantity, Line = r.LineNo }, -r.PointsReversed)).ToList();
            if (bonus > 0) explanation.Add(Contribution.Of("return", new Reason(ReasonKeys.BonusTakenBack), -bonus));
            // Points paid with come back before the earned points go: a member who spent points since is not
            // charged for points the refund is about to return.
            var refund = Returns.PaidPointsToRefund(purchase.PointsPaid, purchase.TotalMinor, purchase.ReturnedMinor, valueMinor);
            if (refund > 0 && purchase.PaymentTransactionId is { } paymentTx)
            {
                await ledger.RefundAsync(programmeId, memberId, paymentTx, purchase.PaidPointsRefunded, refund, LedgerAccounts.PartnerRedeemed(purchase.PartnerCode),
                    new Movement(LedgerKind.Refund, occurredAt, [Contribution.Of("return", new Reason(ReasonKeys.PaymentRefunded), refund)])
                    { PurchaseId = purchase.Id, ReturnId = ret.Id, Actor = actor }, ct);
                ret.PaidPointsRefunded = refund;
            }
            var (reversal, _) = await ledger.ReverseEarnAsync(programmeId, memberId, purchase.Id, LedgerAccounts.PartnerIssued(purchase.PartnerCode), reverse,
                new Movement(LedgerKind.Reverse, occurredAt, explanation) { PurchaseId = purchase.Id, ReturnId = ret.Id, Actor = actor }, ct);
            ret.PointsReversed = reversal.Reversed;
            ret.PointsUnrecovered = reversal.Unrecovered;
        }
        var wasFullyReturned = returnedBefore.All(b => purchase.Lines.First(l => l.LineNo == b.LineNo).Quantity == b.Quantity);
        if (!await ReturnTierAsync(p, purchase, valueMinor, fullyReturned && !wasFullyReturned, occurredAt, now, ct))
            return new(null, false, Problems.Problem("conflict", "The member's tier changed concurrently; retry.", "purchaseId", 409));
        // A full return of a referral's qualifying purchase, inside its return window, cancels the referral and its rewards.
        if (fullyReturned && !wasFullyReturned && purchase.MemberId is { } buyerId
            && !await ReferralStore.FullReturnAsync(db, clock, programmeId, buyerId, purchase.Id, purchase.ReceiptId, ret.Id, occurredAt, now, actor, ct))
            return new(null, false, Problems.Problem("conflict", "The member's referral changed concurrently; retry.", "purchaseId", 409));
        purchase.ReturnedMinor += valueMinor;
        purchase.PointsReversed += reverse;
        purchase.PaidPointsRefunded += ret.PaidPointsRefunded;
        await work.CommitAsync(ct);
        return new(await ReturnViewAsync(ret, ct), true, null);
    }

    /// <summary>
    /// What a return does to the purchase's promotions, in the return's transaction: each step's redemption keeps what the
    /// returned lines took back and what the kept lines no longer earn (<see cref="PromotionReturns"/>), the campaign's
    /// budget gets it back, a code whose campaign says so becomes usable again once the whole purchase is back, and the
    /// stamp cards give back the stamps the kept lines no longer earn (with their rewards, as each card says: a points reward
    /// clawed back leaves the ledger in the return's transaction, a marked one stays). Returns the
    /// discount clawed back in minor units, or null when a stamp card changed concurrently.
    /// </summary>
    private async Task<long?> ReturnPromotionsAsync(CompiledProgramme p, Purchase purchase, List<Domain.Promotions.ReturnedLine> before, ReturnRequest req,
        Guid returnId, DateTime occurredAt, string? actor, CancellationToken ct)
    {
        if (p.Promotions is not { } terms) return 0;
        var promo = await db.PurchasePromotions.AsNoTracking().SingleOrDefaultAsync(x => x.PurchaseId == purchase.Id, ct);
        if (promo is null) return 0;
        var currency = p.Currency;
        var now = clock.GetUtcNow().UtcDateTime;
        long clawed = 0;
        if (promo.Steps.Count > 0)
        {
            var returning = req.Lines.Select(l => new Domain.Promotions.ReturnedLine(l.LineNo, l.Quantity)).ToList();
            var back = PromotionReturns.Compute(promo.Original, promo.Steps, before, returning, terms, currency);
            var redemptions = await db.CouponRedemptions.Where(r => r.PurchaseId == purchase.Id).ToListAsync(ct);
            foreach (var step in back.Steps)
            {
                clawed += currency.ToMinor(step.ClawedBack);
                var total = currency.ToMinor(step.Total);
                if (redemptions.FirstOrDefault(r => r.Step == step.Step) is { } redemption) redemption.ReturnedMinor += total;
                var campaignId = step.CampaignId;
                await db.CampaignUsage.Where(u => u.ProgrammeId == purchase.ProgrammeId && u.CampaignId == campaignId)
                    .ExecuteUpdateAsync(s => s.SetProperty(u => u.MoneySpentMinor, u => u.MoneySpentMinor - total), ct);
            }
            foreach (var release in back.Released)
            {
                var (campaignId, code) = (release.CampaignId, release.Code);
                await db.CouponCodes.Where(c => c.ProgrammeId == purchase.ProgrammeId && c.Code == code && c.Uses > 0)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.Uses, c => c.Uses - 1), ct);
                if (purchase.MemberId is { } mid)
                {
                    await db.CampaignMemberUses.Where(u => u.ProgrammeId == purchase.ProgrammeId && u.MemberId == mid && u.CampaignId == campaignId && u.Uses > 0)
                        .ExecuteUpdateAsync(s => s.SetProperty(u => u.Uses, u => u.Uses - 1), ct);
                }
                foreach (var r in redemptions.Where(r => r.CampaignId == campaignId && r.Code == code)) r.Released = true;
            }
        }
        if (purchase.MemberId is { } memberId && promo.Stamps.Count > 0)
        {
            var returnedNow = req.Lines.ToDictionary(l => l.LineNo, l => l.Quantity);
            var keptBefore = Kept(p, purchase, l => before.First(b => b.LineNo == l.LineNo).Quantity);
            var keptAfter = Kept(p, purchase, l => before.First(b => b.LineNo == l.LineNo).Quantity + returnedNow.GetValueOrDefault(l.LineNo));
            var facts = new PurchaserFacts(false, []);
            var writes = new List<StampCardWrite>();
            foreach (var (cardId, _) in promo.Stamps)
            {
                if (terms.StampCards.FirstOrDefault(c => c.Id == cardId) is not { } card) continue;
                var take = StampCards.StampsToTakeBack(card, keptBefore, keptAfter, facts);
                if (take == 0) continue;
                var row = await db.MemberStampCards.AsNoTracking()
                    .SingleOrDefaultAsync(c => c.ProgrammeId == purchase.ProgrammeId && c.MemberId == memberId && c.CardId == cardId, ct);
                if (row is null) continue;
                var (state, change) = StampCards.Return(card, row.State, purchase.ReceiptId, take, now);
                writes.Add(new StampCardWrite(state, row.Version, 0, Issued(change.Rewards)));
                foreach (var reward in change.Rewards.Where(r => r.Status == RewardStatus.ClawedBack && r.Reward.Kind == StampRewardKind.Points && r.Reward.Points > 0))
                {
                    // The card's points come back from the lot they were credited into; what the member already spent is written off.
                    var reason = new Reason(ReasonKeys.StampCardTakenBack) { Subject = card.Name, Value = reward.CardNumber };
                    await ledger.ReverseSourceAsync(purchase.ProgrammeId, memberId, StampLotSource(card.Id, reward.CardNumber), LedgerAccounts.StampCards,
                        reward.Reward.Points, new Movement(LedgerKind.Reverse, occurredAt, [Contribution.Of("stamps:" + card.Id, reason, -reward.Reward.Points)])
                        { PurchaseId = purchase.Id, ReturnId = returnId, Actor = actor }, ct);
                }
                foreach (var reward in change.Rewards.Where(r => r.Status == RewardStatus.Given && r.Reward.Kind == StampRewardKind.Points && r.Reward.Points > 0))
                {
                    // The stamps of a clawed-back card go back onto the card being filled and can fill it again: that card's
                    // points are given in the return's transaction, available at once.
                    var reason = new Reason(ReasonKeys.StampCardFull) { Subject = card.Name, Value = reward.CardNumber };
                    await ledger.CreditAsync(purchase.ProgrammeId, memberId, LedgerAccounts.StampCards, reward.Reward.Points, occurredAt,
                        p.Settings.Expiry.ExpiresAt(occurredAt), pending: false, StampLotSource(card.Id, reward.CardNumber),
                        new Movement(LedgerKind.Earn, occurredAt, [Contribution.Of("stamps:" + card.Id, reason, reward.Reward.Points)])
                        { PurchaseId = purchase.Id, ReturnId = returnId, Actor = actor }, ct);
                    // Written now, so that the return's reversals after it find the new lot among the member's lots.
                    await db.SaveChangesAsync(ct);
                }
                foreach (var reward in change.Rewards.Where(r => r.Status == RewardStatus.ClawedBack && r.Reward.CampaignId is not null))
                {
                    // The reward's code goes if it is still unused; a code already used stays with its purchase.
                    var campaignId = reward.Reward.CampaignId!;
                    var code = await db.CouponCodes.Where(c => c.ProgrammeId == purchase.ProgrammeId && c.MemberId == memberId && c.CampaignId == campaignId && c.Uses == 0)
                        .OrderBy(c => c.CreatedAt).FirstOrDefaultAsync(ct);
                    if (code is not null) db.CouponCodes.Remove(code);
                }
            }
            if (!await PromotionStore.WriteCardsAsync(db, purchase.ProgrammeId, memberId, writes, now, ct)) return null;
        }
        return clawed;
    }

    /// <summary>
    /// What a return does to the member's tier, in the return's transaction: it takes the returned share of the purchase's
    /// status points and spend off the qualifying measures (and the purchase itself once all of it is back), and undoes the
    /// upgrade the purchase brought when the measure no longer reaches it and the programme says so. False when the
    /// standing changed concurrently.
    /// </summary>
    private async Task<bool> ReturnTierAsync(CompiledProgramme p, Purchase purchase, long valueMinor, bool nowFullyReturned, DateTime occurredAt, DateTime now,
        CancellationToken ct)
    {
        if (p.Tiers is not { } scheme || purchase.MemberId is not { } memberId) return true;
        var original = await db.TierActivity.AsNoTracking()
            .Where(a => a.ProgrammeId == purchase.ProgrammeId && a.MemberId == memberId && a.PurchaseId == purchase.Id && a.Purchases > 0)
            .Select(a => new { a.StatusPoints, a.SpendMinor }).SingleOrDefaultAsync(ct);
        // A purchase recorded before the programme had tiers counted for none.
        if (original is null) return true;
        var status = purchase.TotalMinor == 0 ? 0
            : ShareMinor(original.StatusPoints, purchase.ReturnedMinor + valueMinor, purchase.TotalMinor) - ShareMinor(original.StatusPoints, purchase.ReturnedMinor, purchase.TotalMinor);
        var entry = new Domain.Tiers.QualifyingEntry(purchase.ReceiptId, occurredAt, -status, -p.Currency.FromMinor(valueMinor), nowFullyReturned ? -1 : 0);
        var enrolledAt = await db.Members.AsNoTracking().Where(m => m.Id == memberId).Select(m => m.EnrolledAt).SingleAsync(ct);
        var load = await TierStore.LoadAsync(db, scheme, purchase.ProgrammeId, memberId, enrolledAt, scheme.LocalDay(occurredAt), ct);
        var change = Domain.Tiers.TierRules.AfterReturn(scheme, load.Snapshot.Standing, load.Snapshot.Activity.Append(entry), purchase.ReceiptId, occurredAt);
        return await TierStore.WriteAsync(db, new TierWrite(purchase.ProgrammeId, memberId, purchase.Id, entry, change is null ? [] : [change], load.Version, now),
            p.Currency, ct);
    }

    /// <summary>The purchase's priced basket with the given units of each line taken off.</summary>
    private static Basket Kept(CompiledProgramme p, Purchase purchase, Func<PurchaseLine, decimal> gone)
    {
        var c = p.Currency;
        var lines = purchase.Lines.OrderBy(l => l.LineNo).Select(l =>
        {
            var kept = l.Quantity - gone(l);
            var discount = l.Quantity == 0 ? 0 : c.FromMinor(l.DiscountMinor) * kept / l.Quantity;
            return new BasketLine(l.LineNo, l.Sku, l.Category, kept, c.FromMinor(l.UnitPriceMinor), decimal.Round(discount, c.MinorDigits));
        }).ToList();
        return new Basket(purchase.PartnerCode, purchase.StoreCode, purchase.Channel, p.LocalTime(purchase.OccurredAt), lines);
    }

    /// <summary>Reads a purchase of the programme as a view.</summary>
    public async Task<PurchaseView?> ViewAsync(Guid purchaseId, CancellationToken ct, Guid? programmeId = null, string? partnerRestriction = null)
    {
        var x = await db.Purchases.AsNoTracking().Include(x => x.Lines).SingleOrDefaultAsync(x => x.Id == purchaseId, ct);
        if (x is null || (programmeId is not null && x.ProgrammeId != programmeId)) return null;
        if (partnerRestriction is not null && !string.Equals(x.PartnerCode, partnerRestriction, StringComparison.OrdinalIgnoreCase)) return null;
        BalanceSnapshot? balance = null;
        string status = "none";
        DateTime? availableAt = null;
        if (x.MemberId is { } mid)
        {
            var m = await db.Members.AsNoTracking().Where(m => m.Id == mid).Select(m => new BalanceSnapshot(m.Available, m.Pending)).SingleAsync(ct);
            balance = m;
            var lot = await db.PointLots.AsNoTracking().Where(l => l.PurchaseId == x.Id && l.Source == "earn").Select(l => new { l.Status, l.AvailableAt }).SingleOrDefaultAsync(ct);
            if (lot is not null)
            {
                status = lot.Status == LotStatus.Pending ? "pending" : "available";
                availableAt = lot.AvailableAt;
            }
        }
        return View(x, balance, status, availableAt) with { Promotions = await StepsAsync(x.Id, ct) };
    }

    private static PurchaseView View(Purchase x, BalanceSnapshot? balance, string status, DateTime? availableAt)
    {
        var c = Currency.Find(x.Currency)!;
        return new PurchaseView(x.Id, x.ReceiptId, x.MemberId, x.CardNumber, x.PartnerCode, x.StoreCode, x.Channel, x.OccurredAt, x.Currency,
            c.FromMinor(x.TotalMinor), x.PointsEarned, status, availableAt, x.PointsPaid, c.FromMinor(x.PointsDiscountMinor),
            c.FromMinor(x.TotalMinor - x.PointsDiscountMinor), c.FromMinor(x.ReturnedMinor), x.PointsReversed, x.PaidPointsRefunded,
            x.Lines.OrderBy(l => l.LineNo).Select(l => new PurchaseLineView(l.LineNo, l.Sku, l.Category, Plain(l.Quantity), c.FromMinor(l.UnitPriceMinor),
                c.FromMinor(l.DiscountMinor), c.FromMinor(l.NetMinor), l.Points, l.Contributions, Plain(l.ReturnedQuantity), l.PointsReversed)).ToList(),
            x.Bonuses, balance);
    }

    /// <summary>The promotion steps a purchase was priced with, as stored for its returns.</summary>
    private async Task<List<PromotionStepView>> StepsAsync(Guid purchaseId, CancellationToken ct) =>
        (await db.PurchasePromotions.AsNoTracking().Where(x => x.PurchaseId == purchaseId).Select(x => x.Steps).SingleOrDefaultAsync(ct) ?? [])
            .Select(PromotionStepView.Of).ToList();

    private async Task<ReturnView> ReturnViewAsync(PurchaseReturn r, CancellationToken ct)
    {
        var purchase = await db.Purchases.AsNoTracking().Where(x => x.Id == r.PurchaseId).Select(x => new { x.Currency }).SingleAsync(ct);
        BalanceSnapshot? balance = null;
        if (r.MemberId is { } mid)
            balance = await db.Members.AsNoTracking().Where(m => m.Id == mid).Select(m => new BalanceSnapshot(m.Available, m.Pending)).SingleAsync(ct);
        var currency = Currency.Find(purchase.Currency)!;
        return new ReturnView(r.Id, r.PurchaseId, r.ReturnId, r.OccurredAt, currency.FromMinor(r.ValueMinor),
            r.PointsReversed, r.PointsUnrecovered, r.PaidPointsRefunded,
            r.Lines.Select(l => new ReturnedLineView(l.LineNo, l.Quantity, currency.FromMinor(l.ValueMinor), l.PointsReversed)).ToList(), balance);
    }

    private async Task<Recorded<PurchaseView>?> ExistingAsync(Guid programmeId, Guid partnerId, string receiptId, string fingerprint, CancellationToken ct)
    {
        var existing = await ByReceiptAsync(db, programmeId, partnerId, receiptId, ct);
        if (existing is null) return null;
        return existing.Fingerprint == fingerprint
            ? new(await ViewAsync(existing.Id, ct), false, null)
            : new(null, false, Problems.Problem("duplicate_receipt", "This receipt id was already recorded with different content.", "receiptId"));
    }

    // The look-ups every purchase makes, each one read by an index.
    private static readonly string MemberByIdSql = $"SELECT {DirectRows.MemberColumns("m")} FROM members m WHERE m.id = @id AND m.programme_id = @programme";

    private static async Task<Member?> MemberByIdAsync(TreueDb db, Guid id, Guid programmeId, CancellationToken ct)
    {
        await using var q = await DirectQuery.OpenAsync(db, MemberByIdSql, ct);
        await using var r = await q.Id("@id", id).Id("@programme", programmeId).ReadAsync(ct);
        return await r.ReadAsync(ct) ? DirectRows.Member(r, 0) : null;
    }

    private static async Task<ReceiptMatch?> ByReceiptAsync(TreueDb db, Guid programmeId, Guid partnerId, string receiptId, CancellationToken ct)
    {
        await using var q = await DirectQuery.OpenAsync(db,
            "SELECT id, fingerprint FROM purchases WHERE partner_id = @partner AND receipt_id = @receipt AND programme_id = @programme", ct);
        await using var r = await q.Id("@partner", partnerId).Text("@receipt", receiptId).Id("@programme", programmeId).ReadAsync(ct);
        // (partner, receipt) is unique, so there is at most one row.
        return await r.ReadAsync(ct) ? new ReceiptMatch(r.GetId(0), Convert.ToHexStringLower((byte[])r.GetValue(1))) : null;
    }

    private sealed record ReceiptMatch(Guid Id, string Fingerprint);

    private sealed record Checked(Basket? Basket, Member? Member, Card? Card, Partner? Partner, Store? Store, ProblemHttpResult? Problem);

    /// <summary>What <see cref="Shape"/> makes of a purchase: its basket, partner and store, or why it is refused.</summary>
    public sealed record PurchaseShape(Basket? Basket, Partner? Partner, Store? Store, Validation? Invalid, Refusal? Refusal, int? RefusalStatus = null);

    /// <summary>
    /// The checks of a purchase that need no database, in the order a till meets them: fields, lines and total, currency,
    /// the key's partner restriction, partner and store. The HTTP path and the bulk import both use it, so they refuse alike.
    /// </summary>
    public static PurchaseShape Shape(CompiledProgramme p, string? partnerRestriction, PurchaseRequest req, bool requireReceipt, DateTime now)
    {
        static PurchaseShape Refuse(string code, string message, string field, int? status = null) => new(null, null, null, null, new Refusal(code, message, field), status);
        var v = new Validation();
        v.Text(req.ReceiptId, "receiptId", 100, requireReceipt);
        v.Text(req.Partner, "partner", 64);
        v.Text(req.Store, "store", 64, required: false);
        v.Text(req.CardNumber, "cardNumber", 64, required: false);
        v.Check(Enum.IsDefined(req.Channel), "channel", "must be store, online or app");
        var currency = Currency.Find(req.Currency);
        if (v.Text(req.Currency, "currency", 3)) v.Check(currency is not null, "currency", "is not a known ISO 4217 currency code");
        var identified = (req.CardNumber is not null ? 1 : 0) + (req.MemberId is not null ? 1 : 0);
        if (identified > 1) v.Add("cardNumber", "give either cardNumber or memberId, not both");
        if (identified == 0 && !req.Anonymous && requireReceipt) v.Add("cardNumber", "is required unless memberId is given or the purchase is marked anonymous");
        if (identified > 0 && req.Anonymous) v.Add("anonymous", "an anonymous purchase cannot name a card or member");
        if (req.Codes is { } codes)
        {
            if (codes.Count > MaxCodes) v.Add("codes", $"at most {MaxCodes} codes are allowed");
            else for (var i = 0; i < codes.Count; i++) v.Text(codes[i], $"codes[{i}]", 64);
        }
        if (req.TillTotal is { } tillTotal) v.Check(tillTotal is >= 0 and <= MaxTotal, "tillTotal", "must be between 0 and 10,000,000");
        if (req.PointsPayment is { } pp) v.Check(pp.Points is > 0 and <= 1_000_000_000, "pointsPayment.points", "must be between 1 and 1,000,000,000");
        if (req.OccurredAt is { } occurred && v.Check(DateBounds.Contains(occurred), "occurredAt", DateBounds.Message))
            v.Check(occurred.UtcDateTime <= now.AddMinutes(5) && occurred.Year >= 1970, "occurredAt", "must not be in the future or before 1970");
        var lines = new List<BasketLine>();
        if (req.Lines is null || req.Lines.Count == 0) v.Add("lines", "at least one line is required");
        else if (req.Lines.Count > MaxLines) v.Add("lines", $"at most {MaxLines} lines are allowed");
        else
        {
            for (var i = 0; i < req.Lines.Count; i++)
            {
                var l = req.Lines[i];
                var at = $"lines[{i}]";
                if (l is null) { v.Add(at, "is required"); continue; }
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
        if (v.Failed) return new(null, null, null, v, null);

        if (!string.Equals(currency!.Code, p.Currency.Code, StringComparison.Ordinal))
            return Refuse("currency_mismatch", $"The programme runs in {p.Currency.Code}.", "currency");
        if (partnerRestriction is not null && !string.Equals(partnerRestriction, req.Partner, StringComparison.OrdinalIgnoreCase))
            return Refuse("forbidden", "This API key may only record purchases of its own partner.", "partner", 403);
        if (!p.Partners.TryGetValue(req.Partner, out var partner) || !partner.Active)
            return Refuse("partner_not_found", "The partner is not part of this programme.", "partner");
        Store? store = null;
        if (req.Store is not null && (!p.Stores.TryGetValue(req.Store, out store) || store.PartnerId != partner.Id || !store.Active))
            return Refuse("store_not_found", "The store is not a store of this partner.", "store");
        var local = p.LocalTime(req.OccurredAt?.UtcDateTime ?? now);
        return new(new Basket(partner.Code, store?.Code, req.Channel, local, lines), partner, store, null, null);
    }

    private async Task<Checked> CheckAsync(CompiledProgramme p, string? partnerRestriction, PurchaseRequest req, bool requireReceipt, CancellationToken ct)
    {
        static Checked Fail(ProblemHttpResult problem) => new(null, null, null, null, null, problem);
        var shape = Shape(p, partnerRestriction, req, requireReceipt, clock.GetUtcNow().UtcDateTime);
        if (shape.Invalid is { } invalid) return Fail(invalid.Problem());
        if (shape.Refusal is { } refusal) return Fail(Problems.Problem(refusal.Code, refusal.Message, refusal.Field, shape.RefusalStatus));
        var (partner, store) = (shape.Partner!, shape.Store);

        Card? card = null;
        Member? member = null;
        if (req.CardNumber is not null)
        {
            var (c, m, problem) = await CardEndpoints.ResolveActiveWithMemberAsync(db, p.Settings.Id, req.CardNumber, "cardNumber", ct);
            if (problem is not null) return Fail(problem);
            (card, member) = (c, m);
        }
        else if (req.MemberId is { } id)
        {
            member = await MemberByIdAsync(db, id, p.Settings.Id, ct);
            if (member is null) return Fail(Problems.NotFound("member_not_found", "The member", "memberId"));
        }
        if (member is not null && member.Status != MemberStatus.Active)
            return Fail(Problems.Problem("member_not_active", $"The member's account is {member.Status.ToString().ToLowerInvariant()}.", req.CardNumber is null ? "memberId" : "cardNumber"));

        return new Checked(shape.Basket, member, card, partner, store, null);
    }

    /// <summary>A quantity without trailing zeros (2, not 2.000), whichever database it came from.</summary>
    private static decimal Plain(decimal quantity) => quantity / 1.0000000000000000000000000000m;

    /// <summary>A time cut to whole microseconds, the precision both databases keep; the bulk import decides at the same times.</summary>
    public static DateTime ToMicroseconds(DateTime utc) => new(utc.Ticks - utc.Ticks % 10, DateTimeKind.Utc);

    private static long ShareMinor(long netMinor, decimal part, decimal whole) =>
        part >= whole ? netMinor : (long)decimal.Round(netMinor * part / whole, 0, MidpointRounding.AwayFromZero);

    /// <summary>The hash of a purchase request: the same receipt id with another fingerprint is a different purchase.</summary>
    public static string Fingerprint(PurchaseRequest req) => Hash(JsonSerializer.SerializeToUtf8Bytes(req, TreueJson.Options));

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
