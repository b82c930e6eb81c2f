using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Domain.Ledger;
using Treue.Domain.Settlement;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Settlement;

/// <summary>A partner's statement as the API and the console show it. Money in the programme's currency; <c>net</c> is what the partner receives.</summary>
public sealed record StatementView(string Period, string Status, string PartnerCode, string PartnerName, string Currency,
    long PointsIssued, long PointsReturned, long PointsRedeemed, long PointsRefunded, long PointsExpired,
    decimal IssuePrice, decimal RedemptionPrice, decimal FeePerPoint, decimal FeePercent, BreakageBeneficiary Breakage,
    decimal Issued, decimal Returns, decimal Redeemed, decimal BreakageRefund, decimal BreakageKept,
    decimal PointFee, decimal PercentFee, decimal MonthlyFee, decimal Fees, decimal Net);

/// <summary>The operator's side of a run: fees, breakage kept, the change in the points fund, and what it receives altogether.</summary>
public sealed record OperatorView(decimal Fees, decimal BreakageKept, decimal PointsFund, decimal Net);

/// <summary>
/// A settlement run: the period, its state and its statements. <c>clearing</c> is the partners' nets plus the
/// operator's net, zero to the cent; a partner-bound caller sees only its own statement and no operator figures.
/// </summary>
public sealed record SettlementRunView(Guid Id, string Period, SettlementPeriodKind Kind, DateOnly FirstDay, DateOnly LastDay, string Status,
    string Currency, DateTime ComputedAt, string ComputedBy, DateTime? ClosedAt, string? ClosedBy, int TransactionCount,
    OperatorView? Operator, decimal? Clearing, IReadOnlyList<StatementView> Statements);

/// <summary>
/// Coalition settlement: loads a period's unsettled partner movements from the ledger, decides the statements
/// (<see cref="Domain.Settlement.Settlement"/>) and writes them. A period can be run again while open; closing it
/// writes its statements once more and claims the ledger transactions they came from, so that the closed statements
/// never change and any movement written later, even one dated in the closed period, lands in the next open period.
/// </summary>
public static class SettlementService
{
    /// <summary>What a run or a close came to.</summary>
    public enum Outcome { Done, WrongKind, Settled, NotOver, NotFound }

    /// <summary>The programme's period kind (month unless set).</summary>
    public static async Task<SettlementPeriodKind> PeriodKindAsync(TreueDb db, Guid programmeId, CancellationToken ct) =>
        await db.SettlementSettings.AsNoTracking().Where(s => s.ProgrammeId == programmeId).Select(s => (SettlementPeriodKind?)s.Period).SingleOrDefaultAsync(ct)
        ?? SettlementPeriodKind.Month;

    /// <summary>Every partner's economics, with the programme's point value where a price is not set.</summary>
    public static async Task<IReadOnlyList<(Partner Partner, PartnerTerms Terms)>> TermsAsync(TreueDb db, Programme programme, CancellationToken ct)
    {
        var currency = Currency.Find(programme.Currency)!;
        var partners = await db.Partners.AsNoTracking().Where(p => p.ProgrammeId == programme.Id).OrderBy(p => p.Code).ToListAsync(ct);
        var economics = await db.PartnerEconomics.AsNoTracking().Where(e => e.ProgrammeId == programme.Id).ToDictionaryAsync(e => e.PartnerId, ct);
        return [.. partners.Select(p => (p, Terms(p, economics.GetValueOrDefault(p.Id), programme.PointValue, currency)))];
    }

    private static PartnerTerms Terms(Partner p, PartnerEconomics? e, decimal pointValue, Currency currency) => new(p.Code,
        e?.IssuePrice ?? pointValue, e?.RedemptionPrice ?? pointValue, e?.FeePerPoint ?? 0m, e?.FeePercent ?? 0m,
        currency.FromMinor(e?.MonthlyFeeMinor ?? 0), e?.Breakage ?? BreakageBeneficiary.Operator);

    /// <summary>Runs a period: computes its statements and writes them, unless it is closed, which returns it as it was closed.</summary>
    public static async Task<(Outcome Outcome, SettlementRun? Run)> RunAsync(TreueDb db, Programme programme, SettlementPeriod period, string actor,
        DateTime now, CancellationToken ct)
    {
        if (period.Kind != await PeriodKindAsync(db, programme.Id, ct)) return (Outcome.WrongKind, null);
        var existing = await FindAsync(db, programme.Id, period, ct);
        if (existing is { Status: SettlementRunStatus.Closed }) return (Outcome.Done, existing);
        if (await SettledAfterAsync(db, programme.Id, period, ct)) return (Outcome.Settled, null);
        await using var work = await Work.BeginAsync(db, ct);
        var (run, _) = await ComputeAsync(db, programme, period, existing, actor, now, ct);
        await work.CommitAsync(ct);
        return (Outcome.Done, run);
    }

    /// <summary>Closes a period that has ended: its statements are computed a last time and frozen. Closing a closed period changes nothing.</summary>
    public static async Task<(Outcome Outcome, SettlementRun? Run)> CloseAsync(TreueDb db, Programme programme, SettlementPeriod period, string actor,
        DateTime now, CancellationToken ct)
    {
        if (period.Kind != await PeriodKindAsync(db, programme.Id, ct)) return (Outcome.WrongKind, null);
        var existing = await FindAsync(db, programme.Id, period, ct);
        if (existing is { Status: SettlementRunStatus.Closed }) return (Outcome.Done, existing);
        if (await SettledAfterAsync(db, programme.Id, period, ct)) return (Outcome.Settled, null);
        var zone = ProgrammeZone(programme);
        if (now < SettlementPeriod.StartOfDayUtc(period.End, zone)) return (Outcome.NotOver, null);
        await using var work = await Work.BeginAsync(db, ct);
        var (run, transactions) = await ComputeAsync(db, programme, period, existing, actor, now, ct);
        run.Status = SettlementRunStatus.Closed;
        run.ClosedAt = now;
        run.ClosedBy = actor;
        // A transaction claimed by a concurrent close makes this one fail on the key, and nothing is written.
        db.SettlementClaims.AddRange(transactions.Select(t => new SettlementClaim { TransactionId = t, ProgrammeId = programme.Id, RunId = run.Id }));
        await work.CommitAsync(ct);
        return (Outcome.Done, run);
    }

    /// <summary>A period's run with its statements, or null.</summary>
    public static Task<SettlementRun?> FindAsync(TreueDb db, Guid programmeId, SettlementPeriod period, CancellationToken ct) =>
        db.SettlementRuns.Include(r => r.Statements).SingleOrDefaultAsync(r => r.ProgrammeId == programmeId && r.Kind == period.Kind && r.StartDay == period.Start, ct);

    // A later period closed already settled every movement before its end: an earlier period has nothing left to settle.
    private static Task<bool> SettledAfterAsync(TreueDb db, Guid programmeId, SettlementPeriod period, CancellationToken ct) =>
        db.SettlementRuns.AnyAsync(r => r.ProgrammeId == programmeId && r.Status == SettlementRunStatus.Closed && r.StartDay > period.Start, ct);

    private static TimeZoneInfo ProgrammeZone(Programme programme) => TimeZoneInfo.FindSystemTimeZoneById(programme.TimeZone);

    private static async Task<(SettlementRun Run, IReadOnlyCollection<long> Transactions)> ComputeAsync(TreueDb db, Programme programme, SettlementPeriod period,
        SettlementRun? run, string actor, DateTime now, CancellationToken ct)
    {
        var currency = Currency.Find(programme.Currency)!;
        var endsAt = SettlementPeriod.StartOfDayUtc(period.End, ProgrammeZone(programme));
        var (activity, transactions) = await ActivityAsync(db, programme.Id, endsAt, ct);
        var terms = await TermsAsync(db, programme, ct);
        var result = Domain.Settlement.Settlement.Decide(currency, [.. terms.Select(t => t.Terms)], activity, period.ChargesMonthlyFee);
        if (run is null)
        {
            run = new SettlementRun
            {
                Id = Guid.CreateVersion7(now), ProgrammeId = programme.Id, Kind = period.Kind, Label = period.Label, StartDay = period.Start, EndDay = period.End,
                Currency = currency.Code, ComputedBy = actor,
            };
            db.SettlementRuns.Add(run);
        }
        else
        {
            db.SettlementStatements.RemoveRange(run.Statements);
            run.Statements.Clear();
        }
        run.EndsAt = endsAt;
        run.Currency = currency.Code;
        run.ComputedAt = now;
        run.ComputedBy = actor;
        run.TransactionCount = transactions.Count;
        run.FeesMinor = currency.ToMinor(result.Operator.Fees);
        run.BreakageKeptMinor = currency.ToMinor(result.Operator.BreakageKept);
        run.PointsFundMinor = currency.ToMinor(result.Operator.PointsFund);
        run.OperatorNetMinor = currency.ToMinor(result.Operator.Net);
        for (var i = 0; i < terms.Count; i++)
        {
            var (partner, _) = terms[i];
            var s = result.Partners[i];
            // A partner that moved nothing and pays no fee has nothing to settle and gets no statement.
            if (s.Activity is { Issued: 0, Returned: 0, Redeemed: 0, RedemptionsRefunded: 0, Expired: 0 } && s.Net == 0) continue;
            run.Statements.Add(new SettlementStatement
            {
                RunId = run.Id, ProgrammeId = programme.Id, PartnerId = partner.Id, PartnerCode = partner.Code, PartnerName = partner.Name,
                PointsIssued = s.Activity.Issued, PointsReturned = s.Activity.Returned, PointsRedeemed = s.Activity.Redeemed,
                PointsRefunded = s.Activity.RedemptionsRefunded, PointsExpired = s.Activity.Expired,
                IssuePrice = s.Terms.IssuePrice, RedemptionPrice = s.Terms.RedemptionPrice, FeePerPoint = s.Terms.FeePerPoint, FeePercent = s.Terms.FeePercent,
                Breakage = s.Terms.Breakage,
                IssuedMinor = currency.ToMinor(s.Issued), ReturnsMinor = currency.ToMinor(s.Returns), RedeemedMinor = currency.ToMinor(s.Redeemed),
                BreakageRefundMinor = currency.ToMinor(s.BreakageRefund), BreakageKeptMinor = currency.ToMinor(s.BreakageKept),
                PointFeeMinor = currency.ToMinor(s.PointFee), PercentFeeMinor = currency.ToMinor(s.PercentFee), MonthlyFeeMinor = currency.ToMinor(s.MonthlyFee),
                NetMinor = currency.ToMinor(s.Net),
            });
        }
        return (run, transactions);
    }

    /// <summary>
    /// The points each partner moved in the ledger transactions not settled yet that occurred before <paramref name="endsAt"/>:
    /// entries of the partners' issued and redeemed accounts, and expiries of lots earned on a partner's purchase.
    /// </summary>
    public static async Task<(IReadOnlyList<PartnerActivity> Activity, IReadOnlyCollection<long> Transactions)> ActivityAsync(TreueDb db, Guid programmeId,
        DateTime endsAt, CancellationToken ct)
    {
        var moves = await (
            from t in db.LedgerTransactions
            where t.ProgrammeId == programmeId && t.OccurredAt < endsAt && !db.SettlementClaims.Any(c => c.TransactionId == t.Id)
            join e in db.LedgerEntries on t.Id equals e.TransactionId
            where e.Account.StartsWith("partner:")
            select new { t.Id, e.Account, e.Amount }).AsNoTracking().ToListAsync(ct);
        var expiries = await (
            from t in db.LedgerTransactions
            where t.ProgrammeId == programmeId && t.Kind == LedgerKind.Expire && t.OccurredAt < endsAt && !db.SettlementClaims.Any(c => c.TransactionId == t.Id)
            join l in db.PointLots on t.LotId equals l.Id
            join p in db.Purchases on l.PurchaseId equals p.Id
            join e in db.LedgerEntries on t.Id equals e.TransactionId
            where e.Account == LedgerAccounts.Expired
            select new { t.Id, p.PartnerCode, e.Amount }).AsNoTracking().ToListAsync(ct);

        var activity = new List<PartnerActivity>(moves.Count + expiries.Count);
        foreach (var m in moves)
        {
            var last = m.Account.LastIndexOf(':');
            if (last <= "partner:".Length) continue;
            var code = m.Account["partner:".Length..last];
            var kind = m.Account[(last + 1)..];
            // The issued account gives points (negative) and takes back what returns reverse; the redeemed account
            // takes what members pay with and gives back what returns refund.
            activity.Add(kind switch
            {
                "issued" => new PartnerActivity(code, Math.Max(0, -m.Amount), Math.Max(0, m.Amount), 0, 0, 0),
                "redeemed" => new PartnerActivity(code, 0, 0, Math.Max(0, m.Amount), Math.Max(0, -m.Amount), 0),
                _ => new PartnerActivity(code, 0, 0, 0, 0, 0),
            });
        }
        activity.AddRange(expiries.Select(x => new PartnerActivity(x.PartnerCode, 0, 0, 0, 0, x.Amount)));
        return (activity, moves.Select(m => m.Id).Concat(expiries.Select(x => x.Id)).ToHashSet());
    }

    /// <summary>A run as the API shows it; for a partner, only its own statement and no operator figures.</summary>
    public static SettlementRunView View(SettlementRun run, string? partnerCode)
    {
        var currency = Currency.Find(run.Currency)!;
        var statements = run.Statements.Where(s => partnerCode is null || s.PartnerCode == partnerCode).OrderBy(s => s.PartnerCode, StringComparer.Ordinal)
            .Select(s => Statement(run, s)).ToList();
        var op = partnerCode is null
            ? new OperatorView(currency.FromMinor(run.FeesMinor), currency.FromMinor(run.BreakageKeptMinor), currency.FromMinor(run.PointsFundMinor), currency.FromMinor(run.OperatorNetMinor))
            : null;
        return new SettlementRunView(run.Id, run.Label, run.Kind, run.StartDay, run.EndDay.AddDays(-1), Status(run), run.Currency, run.ComputedAt, run.ComputedBy,
            run.ClosedAt, run.ClosedBy, run.TransactionCount, op,
            op is null ? null : statements.Sum(s => s.Net) + op.Net, statements);
    }

    private static string Status(SettlementRun run) => run.Status == SettlementRunStatus.Closed ? "closed" : "open";

    /// <summary>A statement as the API shows it.</summary>
    public static StatementView Statement(SettlementRun run, SettlementStatement s)
    {
        var c = Currency.Find(run.Currency)!;
        var fees = s.PointFeeMinor + s.PercentFeeMinor + s.MonthlyFeeMinor;
        return new StatementView(run.Label, Status(run), s.PartnerCode, s.PartnerName, run.Currency, s.PointsIssued, s.PointsReturned, s.PointsRedeemed,
            s.PointsRefunded, s.PointsExpired, s.IssuePrice, s.RedemptionPrice, s.FeePerPoint, s.FeePercent, s.Breakage,
            c.FromMinor(s.IssuedMinor), c.FromMinor(s.ReturnsMinor), c.FromMinor(s.RedeemedMinor), c.FromMinor(s.BreakageRefundMinor),
            c.FromMinor(s.BreakageKeptMinor), c.FromMinor(s.PointFeeMinor), c.FromMinor(s.PercentFeeMinor), c.FromMinor(s.MonthlyFeeMinor),
            c.FromMinor(fees), c.FromMinor(s.NetMinor));
    }
}
