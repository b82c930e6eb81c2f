using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Programmes;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Ledger;

public sealed record ExpiringPoints(long In30Days, long In60Days, long In90Days);

public sealed record BalanceView(Guid MemberId, long Available, long Pending, ExpiringPoints Expiring, decimal AvailableValue, string Currency,
    DateTime? NextExpiry);

public sealed record HistoryEntry(long Id, LedgerKind Kind, DateTime OccurredAt, DateTime RecordedAt, long Available, long Pending,
    IReadOnlyList<Contribution> Explanation, Guid? PurchaseId, Guid? ReturnId, Guid? RewardOrderId, string? Reason);

public sealed record AdjustmentRequest(long Points, string Reason);

public sealed record JobResult(int Lots, long Points);

/// <summary>Balances, history, manual adjustments and the ledger's jobs.</summary>
public static class LedgerEndpoints
{
    public static RouteGroupBuilder MapLedger(this RouteGroupBuilder api)
    {
        var m = api.MapGroup("/members/{memberId:guid}").WithTags("Ledger");
        m.MapGet("/balance", Balance).WithName("getMemberBalance").Refuses(404, "member_not_found").RequireAuthorization(Policies.Pos).WithSummary("Available, pending and expiring points");
        m.MapGet("/history", History).WithName("getMemberHistory").Refuses(404, "member_not_found").RequireAuthorization(Policies.Pos).WithSummary("The member's ledger, newest first, with explanations");
        m.MapPost("/adjustments", Adjust).WithName("adjustMemberPoints")
            .Refuses(404, "member_not_found").Refuses(422, "insufficient_points").RequireAuthorization(Policies.Admin).WithSummary("Give or take points by hand, with a reason (admin)");
        var jobs = api.MapGroup("/jobs").WithTags("Ledger").RequireAuthorization(Policies.Admin);
        jobs.MapPost("/post-pending", PostPending).WithName("postPendingPoints").WithSummary("Make pending points whose return window passed available now");
        jobs.MapPost("/expire", Expire).WithName("expirePoints").WithSummary("Expire points past their expiry now (idempotent)");
        return api;
    }

    // Balance reads are the most frequent request of all: two indexed reads on one connection, the programme's version
    // read with the member so that the compiled programme costs no query of its own.
    private const string MemberBalanceSql =
        "SELECT m.available, m.pending, p.config_version FROM members m JOIN programmes p ON p.id = m.programme_id WHERE m.id = @member AND m.programme_id = @programme";

    private const string ExpiringSql =
        "SELECT expires_at, remaining FROM point_lots WHERE member_id = @member AND status = @available AND remaining > 0 AND expires_at IS NOT NULL AND expires_at <= @horizon";

    private sealed record ExpiringRow(DateTime ExpiresAt, long Remaining);

    internal static async Task<BalanceView?> BalanceAsync(TreueDb db, ProgrammeCache programmes, Guid programmeId, Guid memberId, DateTime now, CancellationToken ct)
    {
        // One connection for the reads below, instead of one taken from the pool (and set up) for each.
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            long available, pending;
            int version;
            await using (var q = await DirectQuery.OpenAsync(db, MemberBalanceSql, ct))
            await using (var r = await q.Id("@member", memberId).Id("@programme", programmeId).ReadAsync(ct))
            {
                if (!await r.ReadAsync(ct)) return null;
                (available, pending, version) = (r.GetInt64(0), r.GetInt64(1), r.GetInt32(2));
            }
            var expiring = new List<ExpiringRow>();
            await using (var q = await DirectQuery.OpenAsync(db, ExpiringSql, ct))
            await using (var r = await q.Id("@member", memberId).Number("@available", (short)LotStatus.Available).Time("@horizon", now.AddDays(90)).ReadAsync(ct))
            {
                while (await r.ReadAsync(ct)) expiring.Add(new ExpiringRow(r.GetUtc(0), r.GetInt64(1)));
            }
            long Within(int days) => expiring.Where(e => e.ExpiresAt <= now.AddDays(days)).Sum(e => e.Remaining);
            var p = await programmes.GetAsync(db, programmeId, version, ct);
            var value = p.Currency.FromMinor((long)decimal.Floor(p.Currency.ToMinorExact(available * p.Settings.PointValue)));
            return new BalanceView(memberId, available, pending, new ExpiringPoints(Within(30), Within(60), Within(90)), value, p.Currency.Code,
                expiring.Count == 0 ? null : expiring.Min(e => e.ExpiresAt));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<Results<Ok<BalanceView>, ProblemHttpResult>> Balance(Guid memberId, HttpContext http, TreueDb db,
        ProgrammeCache programmes, TimeProvider clock, CancellationToken ct)
    {
        var view = await BalanceAsync(db, programmes, Caller.From(http.User).ProgrammeId, memberId, clock.GetUtcNow().UtcDateTime, ct);
        return view is null ? Problems.NotFound("member_not_found", "The member", "memberId") : TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<Page<HistoryEntry>>, ProblemHttpResult>> History(Guid memberId, int? limit, string? cursor,
        HttpContext http, TreueDb db, CancellationToken ct)
    {
        if (Pagination.Read(limit, cursor, out var take, out var after) is { } bad) return bad;
        var caller = Caller.From(http.User);
        if (!await db.Members.AnyAsync(x => x.Id == memberId && x.ProgrammeId == caller.ProgrammeId, ct))
            return Problems.NotFound("member_not_found", "The member", "memberId");
        var q = db.LedgerTransactions.AsNoTracking().Where(t => t.ProgrammeId == caller.ProgrammeId && t.MemberId == memberId);
        // A partner's key reads the member's movements at that partner only: its purchases (points earned and paid)
        // and their returns. The balance shows the rest.
        if (caller.PartnerCode is { } partner)
            q = q.Where(t => db.Purchases.Any(p => p.Id == t.PurchaseId && p.PartnerCode == partner)
                || db.Returns.Any(r => r.Id == t.ReturnId && db.Purchases.Any(p => p.Id == r.PurchaseId && p.PartnerCode == partner)));
        if (after is not null)
        {
            if (!long.TryParse(after, out var afterId)) return Problems.Problem("invalid_cursor", "is not a cursor this API returned", "cursor", 400);
            q = q.Where(t => t.Id < afterId);
        }
        var rows = await q.OrderByDescending(t => t.Id).Take(take + 1).Include(t => t.Entries).ToListAsync(ct);
        await EarnExplanations.FillAsync(db, rows, ct);
        var items = rows.Select(t => new HistoryEntry(t.Id, t.Kind, t.OccurredAt, t.RecordedAt,
            t.Entries.Where(e => e.MemberId == memberId && e.Account == LedgerAccounts.MemberAvailable).Sum(e => e.Amount),
            t.Entries.Where(e => e.MemberId == memberId && e.Account == LedgerAccounts.MemberPending).Sum(e => e.Amount),
            t.Explanation, t.PurchaseId, t.ReturnId, t.RewardOrderId, t.Reason)).ToList();
        return TypedResults.Ok(Pagination.Build(items, take, e => e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static async Task<Results<Created<HistoryEntry>, ProblemHttpResult>> Adjust(Guid memberId, AdjustmentRequest req, HttpContext http,
        TreueDb db, PointsLedger ledger, ProgrammeCache programmes, TimeProvider clock, CancellationToken ct)
    {
        var v = new Validation();
        v.Points(req.Points, "points", InputBounds.MaxAdjustmentPoints);
        v.Text(req.Reason, "reason", 500);
        if (v.Failed) return v.Problem();
        var caller = Caller.From(http.User);
        var (tx, problem) = await AdjustAsync(db, ledger, programmes, caller.ProgrammeId, memberId, req.Points, req.Reason, AuditActor.Api(http),
            clock.GetUtcNow().UtcDateTime, ct);
        if (problem is not null) return problem;
        return TypedResults.Created($"/api/v1/members/{memberId}/history",
            new HistoryEntry(tx!.Id, tx.Kind, tx.OccurredAt, tx.RecordedAt, req.Points, 0, tx.Explanation, null, null, null, tx.Reason));
    }

    /// <summary>
    /// Gives (positive) or takes (negative) points by hand with a reason: a credit is a new lot, available at once;
    /// a debit spends oldest-first and never makes the balance negative. Used by the API and the admin console.
    /// </summary>
    internal static async Task<(LedgerTransaction? Transaction, ProblemHttpResult? Problem)> AdjustAsync(TreueDb db, PointsLedger ledger,
        ProgrammeCache programmes, Guid programmeId, Guid memberId, long points, string reason, AuditActor actor, DateTime now, CancellationToken ct)
    {
        await using var work = await Work.BeginAsync(db, ct);
        var member = await db.Members.AsNoTracking().SingleOrDefaultAsync(m => m.Id == memberId && m.ProgrammeId == programmeId, ct);
        if (member is null) return (null, Problems.NotFound("member_not_found", "The member", "memberId"));
        // Checked inside the transaction: a staff account disabled a moment ago never becomes the actor of a ledger entry.
        if (!await AuditLog.MayActAsync(db, programmeId, actor, ct))
            return (null, AuditLog.ActorDisabled());
        var movement = new Movement(LedgerKind.Adjust, now, [Contribution.Of("adjustment", new Reason(ReasonKeys.Adjusted) { Subject = reason }, points)]) { Reason = reason, Actor = actor.LedgerName };
        LedgerTransaction tx;
        if (points > 0)
        {
            var p = await programmes.GetAsync(db, programmeId, ct);
            tx = await ledger.CreditAsync(programmeId, memberId, LedgerAccounts.Adjustments, points, now, p.Settings.Expiry.ExpiresAt(now), pending: false, "adjust", movement, ct);
        }
        else
        {
            var (spent, refusal) = await ledger.SpendAsync(programmeId, memberId, LedgerAccounts.Adjustments, -points, movement, "points", ct);
            if (refusal is not null) return (null, Problems.From(refusal));
            tx = spent!;
        }
        AuditLog.Add(db, programmeId, actor, AuditActions.PointsAdjusted, now, tx.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            $"{points:+#;-#} points: {reason}", memberId);
        await work.CommitAsync(ct);
        return (tx, null);
    }

    private static async Task<Ok<JobResult>> PostPending(HttpContext http, PointsLedger ledger, TimeProvider clock, CancellationToken ct)
    {
        var (lots, points) = (0, 0L);
        (int Lots, long Points) batch;
        do
        {
            batch = await ledger.PostDueAsync(clock.GetUtcNow().UtcDateTime, 500, ct, Caller.From(http.User).ProgrammeId);
            lots += batch.Lots;
            points += batch.Points;
        } while (batch.Lots == 500);
        return TypedResults.Ok(new JobResult(lots, points));
    }

    private static async Task<Ok<JobResult>> Expire(HttpContext http, PointsLedger ledger, TimeProvider clock, CancellationToken ct)
    {
        var (lots, points) = (0, 0L);
        (int Lots, long Points) batch;
        do
        {
            batch = await ledger.ExpireDueAsync(clock.GetUtcNow().UtcDateTime, 500, ct, Caller.From(http.User).ProgrammeId);
            lots += batch.Lots;
            points += batch.Points;
        } while (batch.Lots == 500);
        return TypedResults.Ok(new JobResult(lots, points));
    }
}
