using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Domain.Settlement;
using Treue.Server.Features.Audit;
using Treue.Server.Infrastructure;
using Treue.Server.Web.Shared;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Settlement;

/// <summary>A partner's economics.</summary>
/// <param name="IssuePrice">What the partner pays per point it issues; null: the programme's point value (0 to 1,000).</param>
/// <param name="RedemptionPrice">What the operator pays per point redeemed at the partner; null: the programme's point value (0 to 1,000).</param>
/// <param name="FeePerPoint">The operator's fee per point issued net of returns (0 to 1,000).</param>
/// <param name="FeePercent">The operator's fee in percent of the value issued net of returns (0 to 100).</param>
/// <param name="MonthlyFee">A fixed fee per month, in the programme's currency (0 to 1,000,000).</param>
/// <param name="Breakage">Who keeps the value of the partner's expired points: operator or partner.</param>
public sealed record PartnerEconomicsView(decimal? IssuePrice = null, decimal? RedemptionPrice = null, decimal FeePerPoint = 0, decimal FeePercent = 0,
    decimal MonthlyFee = 0, BreakageBeneficiary Breakage = BreakageBeneficiary.Operator);

/// <summary>A partner's economics with the prices in force.</summary>
public sealed record PartnerEconomicsResult(string PartnerCode, string PartnerName, PartnerEconomicsView Economics, decimal IssuePriceInForce,
    decimal RedemptionPriceInForce, string Currency);

/// <summary>The programme's settlement settings.</summary>
/// <param name="Period">month or week, in the programme's time zone.</param>
public sealed record SettlementSettingsView(SettlementPeriodKind Period = SettlementPeriodKind.Month);

/// <summary>A period to run.</summary>
/// <param name="Period">2026-11 for a month, 2026-W48 for an ISO week.</param>
public sealed record SettlementRunRequest(string? Period = null);

/// <summary>
/// Coalition settlement: partners' economics, runs of a period (idempotent while open, frozen once closed) and the
/// statements as JSON, CSV and PDF. Runs and economics concern the whole programme (an unbound admin key); a till or
/// back office bound to a partner reads only its own statements.
/// </summary>
public static class SettlementEndpoints
{
    public static RouteGroupBuilder MapSettlement(this RouteGroupBuilder api)
    {
        var a = api.MapGroup("/settlement").WithTags("Settlement").RequireAuthorization(Policies.Admin);
        a.MapGet("/settings", GetSettings).WithName("getSettlementSettings").WithSummary("The programme's settlement period: month or week");
        a.MapPut("/settings", PutSettings).WithName("putSettlementSettings").Refuses(409, "settlement_period_settled")
            .WithSummary("Change the settlement period; refused once a period is closed");
        a.MapGet("/partners", ListEconomics).WithName("listPartnerEconomics").WithSummary("Every partner's issue and redemption price, fees and breakage");
        a.MapPut("/partners/{partnerCode}", PutEconomics).WithName("putPartnerEconomics").Refuses(422, "partner_not_found")
            .WithSummary("Set a partner's prices, fees and who keeps the breakage of its points");
        a.MapPost("/runs", Run).WithName("runSettlement").Refuses(409, "settlement_period_settled").Refuses(422, "settlement_period_kind")
            .WithSummary("Compute a period's statements; running an open period again replaces them, a closed one is returned as it was closed");
        a.MapPost("/runs/{period}/close", Close).WithName("closeSettlement").Refuses(409, "settlement_period_settled")
            .Refuses(422, "settlement_period_kind", "settlement_period_not_over")
            .WithSummary("Close a period that has ended: its statements are computed a last time and frozen");

        var r = api.MapGroup("/settlement").WithTags("Settlement").RequireAuthorization(Policies.Pos);
        r.MapGet("/runs", ListRuns).WithName("listSettlementRuns").WithSummary("Settlement runs, newest period first; a partner's key sees its own statements only");
        r.MapGet("/runs/{period}", GetRun).WithName("getSettlementRun").Refuses(404, "settlement_run_not_found")
            .WithSummary("A period's run with its statements and the clearing check");
        r.MapGet("/runs/{period}/statements/{partnerCode}", GetStatement).WithName("getSettlementStatement")
            .Refuses(404, "settlement_run_not_found", "statement_not_found").WithSummary("A partner's statement of a period");
        r.MapGet("/runs/{period}/statements/{partnerCode}/csv", GetCsv).WithName("getSettlementStatementCsv")
            .Produces(200, contentType: "text/csv").Refuses(404, "settlement_run_not_found", "statement_not_found").WithSummary("A partner's statement as CSV");
        r.MapGet("/runs/{period}/statements/{partnerCode}/pdf", GetPdf).WithName("getSettlementStatementPdf")
            .Produces(200, contentType: "application/pdf").Refuses(404, "settlement_run_not_found", "statement_not_found").WithSummary("A partner's statement as PDF");
        return api;
    }

    private static Task<Programme> ProgrammeAsync(TreueDb db, Guid programmeId, CancellationToken ct) =>
        db.Programmes.AsNoTracking().SingleAsync(p => p.Id == programmeId, ct);

    private static async Task<Ok<SettlementSettingsView>> GetSettings(HttpContext http, TreueDb db, CancellationToken ct) =>
        TypedResults.Ok(new SettlementSettingsView(await SettlementService.PeriodKindAsync(db, Caller.From(http.User).ProgrammeId, ct)));

    private static async Task<Results<Ok<SettlementSettingsView>, ProblemHttpResult>> PutSettings(SettlementSettingsView req, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var v = new Validation();
        v.Check(Enum.IsDefined(req.Period), "period", "must be month or week");
        if (v.Failed) return v.Problem();
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow().UtcDateTime;
        var row = await db.SettlementSettings.SingleOrDefaultAsync(s => s.ProgrammeId == caller.ProgrammeId, ct);
        if ((row?.Period ?? SettlementPeriodKind.Month) != req.Period
            && await db.SettlementRuns.AnyAsync(x => x.ProgrammeId == caller.ProgrammeId && x.Status == SettlementRunStatus.Closed, ct))
            return Problems.Problem("settlement_period_settled", "Periods were closed already; the length of the period can no longer change.", "period");
        if (row is null) db.SettlementSettings.Add(row = new SettlementSettings { ProgrammeId = caller.ProgrammeId });
        row.Period = req.Period;
        row.UpdatedAt = now;
        AuditLog.Add(db, caller.ProgrammeId, AuditActor.Api(http), AuditActions.SettlementChanged, now, null, $"period={req.Period}");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(req);
    }

    private static async Task<Ok<IReadOnlyList<PartnerEconomicsResult>>> ListEconomics(HttpContext http, TreueDb db, CancellationToken ct)
    {
        var programme = await ProgrammeAsync(db, Caller.From(http.User).ProgrammeId, ct);
        return TypedResults.Ok(await EconomicsAsync(db, programme, null, ct));
    }

    /// <summary>Every partner's economics (or one partner's), as the API and the console show them.</summary>
    public static async Task<IReadOnlyList<PartnerEconomicsResult>> EconomicsAsync(TreueDb db, Programme programme, string? partnerCode, CancellationToken ct)
    {
        var currency = Currency.Find(programme.Currency)!;
        var partners = await db.Partners.AsNoTracking().Where(p => p.ProgrammeId == programme.Id && (partnerCode == null || p.Code == partnerCode))
            .OrderBy(p => p.Code).ToListAsync(ct);
        var rows = await db.PartnerEconomics.AsNoTracking().Where(e => e.ProgrammeId == programme.Id).ToDictionaryAsync(e => e.PartnerId, ct);
        return [.. partners.Select(p =>
        {
            var e = rows.GetValueOrDefault(p.Id);
            var view = e is null ? new PartnerEconomicsView()
                : new PartnerEconomicsView(e.IssuePrice, e.RedemptionPrice, e.FeePerPoint, e.FeePercent, currency.FromMinor(e.MonthlyFeeMinor), e.Breakage);
            return new PartnerEconomicsResult(p.Code, p.Name, view, view.IssuePrice ?? programme.PointValue, view.RedemptionPrice ?? programme.PointValue, currency.Code);
        })];
    }

    private static async Task<Results<Ok<PartnerEconomicsResult>, ProblemHttpResult>> PutEconomics(string partnerCode, PartnerEconomicsView req, HttpContext http,
        TreueDb db, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var programme = await ProgrammeAsync(db, caller.ProgrammeId, ct);
        var currency = Currency.Find(programme.Currency)!;
        var v = new Validation();
        v.Check(req.IssuePrice is null or (>= 0 and <= 1000) && (req.IssuePrice is null || decimal.Round(req.IssuePrice.Value, 6) == req.IssuePrice), "issuePrice",
            "must be between 0 and 1000 with at most 6 decimals, or null for the programme's point value");
        v.Check(req.RedemptionPrice is null or (>= 0 and <= 1000) && (req.RedemptionPrice is null || decimal.Round(req.RedemptionPrice.Value, 6) == req.RedemptionPrice),
            "redemptionPrice", "must be between 0 and 1000 with at most 6 decimals, or null for the programme's point value");
        v.Check(req.FeePerPoint is >= 0 and <= 1000 && decimal.Round(req.FeePerPoint, 6) == req.FeePerPoint, "feePerPoint", "must be between 0 and 1000 with at most 6 decimals");
        v.Check(req.FeePercent is >= 0 and <= 100 && decimal.Round(req.FeePercent, 4) == req.FeePercent, "feePercent", "must be between 0 and 100 with at most 4 decimals");
        v.Check(req.MonthlyFee is >= 0 and <= 1_000_000 && currency.IsExact(req.MonthlyFee), "monthlyFee",
            "must be between 0 and 1000000 in whole minor units of " + currency.Code);
        v.Check(Enum.IsDefined(req.Breakage), "breakage", "must be operator or partner");
        if (v.Failed) return v.Problem();
        var partner = await db.Partners.AsNoTracking().SingleOrDefaultAsync(p => p.ProgrammeId == caller.ProgrammeId && p.Code == partnerCode, ct);
        if (partner is null) return Problems.NotFound("partner_not_found", "The partner", "partnerCode");
        var now = clock.GetUtcNow().UtcDateTime;
        var row = await db.PartnerEconomics.SingleOrDefaultAsync(e => e.PartnerId == partner.Id, ct);
        if (row is null) db.PartnerEconomics.Add(row = new PartnerEconomics { PartnerId = partner.Id, ProgrammeId = caller.ProgrammeId });
        row.IssuePrice = req.IssuePrice;
        row.RedemptionPrice = req.RedemptionPrice;
        row.FeePerPoint = req.FeePerPoint;
        row.FeePercent = req.FeePercent;
        row.MonthlyFeeMinor = currency.ToMinor(req.MonthlyFee);
        row.Breakage = req.Breakage;
        row.UpdatedAt = now;
        AuditLog.Add(db, caller.ProgrammeId, AuditActor.Api(http), AuditActions.SettlementChanged, now, partner.Code,
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"issuePrice={req.IssuePrice?.ToString() ?? "pointValue"}, redemptionPrice={req.RedemptionPrice?.ToString() ?? "pointValue"}, feePerPoint={req.FeePerPoint}, feePercent={req.FeePercent}, monthlyFee={req.MonthlyFee}, breakage={req.Breakage}"));
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok((await EconomicsAsync(db, programme, partner.Code, ct))[0]);
    }

    private static async Task<Results<Ok<SettlementRunView>, ProblemHttpResult>> Run(SettlementRunRequest req, HttpContext http, TreueDb db, TimeProvider clock,
        CancellationToken ct)
    {
        var period = SettlementPeriod.Parse(req.Period);
        if (period is null) return Invalid("period", "is required: a month as 2026-11 or an ISO week as 2026-W48");
        var caller = Caller.From(http.User);
        var programme = await ProgrammeAsync(db, caller.ProgrammeId, ct);
        var (outcome, run) = await SettlementService.RunAsync(db, programme, period, caller.Actor, clock.GetUtcNow().UtcDateTime, ct);
        return Answer(outcome, run, period, "period");
    }

    private static async Task<Results<Ok<SettlementRunView>, ProblemHttpResult>> Close(string period, HttpContext http, TreueDb db, TimeProvider clock,
        CancellationToken ct)
    {
        var p = SettlementPeriod.Parse(period);
        if (p is null) return Invalid("period", "must be a month as 2026-11 or an ISO week as 2026-W48");
        var caller = Caller.From(http.User);
        var programme = await ProgrammeAsync(db, caller.ProgrammeId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var (outcome, run) = await SettlementService.CloseAsync(db, programme, p, caller.Actor, now, ct);
        if (outcome == SettlementService.Outcome.Done && run!.ClosedAt == now)
        {
            AuditLog.Add(db, caller.ProgrammeId, AuditActor.Api(http), AuditActions.SettlementClosed, now, run.Label,
                $"partners={run.Statements.Count}, transactions={run.TransactionCount}");
            await db.SaveChangesAsync(ct);
        }
        return Answer(outcome, run, p, "period");
    }

    private static ProblemHttpResult Invalid(string field, string message)
    {
        var v = new Validation();
        v.Add(field, message);
        return v.Problem();
    }

    private static Results<Ok<SettlementRunView>, ProblemHttpResult> Answer(SettlementService.Outcome outcome, SettlementRun? run, SettlementPeriod period, string field) =>
        outcome switch
        {
            SettlementService.Outcome.WrongKind => Problems.Problem("settlement_period_kind",
                $"The programme settles by {(period.Kind == SettlementPeriodKind.Month ? "week" : "month")}; {period.Label} is not such a period.", field),
            SettlementService.Outcome.Settled => Problems.Problem("settlement_period_settled", $"A later period is closed: {period.Label} has nothing left to settle.", field),
            SettlementService.Outcome.NotOver => Problems.Problem("settlement_period_not_over", $"The period {period.Label} has not ended yet.", field),
            _ => TypedResults.Ok(SettlementService.View(run!, null)),
        };

    private static async Task<Ok<IReadOnlyList<SettlementRunView>>> ListRuns(HttpContext http, TreueDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var runs = await db.SettlementRuns.AsNoTracking().Include(r => r.Statements).Where(r => r.ProgrammeId == caller.ProgrammeId)
            .OrderByDescending(r => r.StartDay).Take(200).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<SettlementRunView>>([.. runs.Select(r => SettlementService.View(r, caller.PartnerCode))]);
    }

    private static async Task<Results<Ok<SettlementRunView>, ProblemHttpResult>> GetRun(string period, HttpContext http, TreueDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var run = await FindRunAsync(db, caller.ProgrammeId, period, ct);
        return run is null ? Problems.NotFound("settlement_run_not_found", "The settlement run", "period") : TypedResults.Ok(SettlementService.View(run, caller.PartnerCode));
    }

    private static async Task<SettlementRun?> FindRunAsync(TreueDb db, Guid programmeId, string period, CancellationToken ct) =>
        SettlementPeriod.Parse(period) is { } p ? await SettlementService.FindAsync(db, programmeId, p, ct) : null;

    private static async Task<(SettlementRun? Run, SettlementStatement? Statement, ProblemHttpResult? Problem)> FindStatementAsync(string period, string partnerCode,
        HttpContext http, TreueDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var run = await FindRunAsync(db, caller.ProgrammeId, period, ct);
        if (run is null) return (null, null, Problems.NotFound("settlement_run_not_found", "The settlement run", "period"));
        // Another partner's statement does not exist for a partner's key.
        var statement = caller.PartnerCode is not null && caller.PartnerCode != partnerCode ? null
            : run.Statements.SingleOrDefault(s => s.PartnerCode == partnerCode);
        return statement is null ? (run, null, Problems.NotFound("statement_not_found", "The partner's statement", "partnerCode")) : (run, statement, null);
    }

    private static async Task<Results<Ok<StatementView>, ProblemHttpResult>> GetStatement(string period, string partnerCode, HttpContext http, TreueDb db,
        CancellationToken ct)
    {
        var (run, statement, problem) = await FindStatementAsync(period, partnerCode, http, db, ct);
        return problem ?? (Results<Ok<StatementView>, ProblemHttpResult>)TypedResults.Ok(SettlementService.Statement(run!, statement!));
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetCsv(string period, string partnerCode, HttpContext http, TreueDb db, Loc l,
        CancellationToken ct)
    {
        var (run, statement, problem) = await FindStatementAsync(period, partnerCode, http, db, ct);
        if (problem is not null) return problem;
        var bytes = await StatementDocuments.CsvAsync(SettlementService.Statement(run!, statement!), l, ct);
        return TypedResults.File(bytes, "text/csv; charset=utf-8", FileName(run!, statement!, "csv"));
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetPdf(string period, string partnerCode, HttpContext http, TreueDb db, Loc l,
        CancellationToken ct)
    {
        var (run, statement, problem) = await FindStatementAsync(period, partnerCode, http, db, ct);
        if (problem is not null) return problem;
        var programme = await ProgrammeAsync(db, run!.ProgrammeId, ct);
        return TypedResults.File(Pdf(programme, run, statement!, l), "application/pdf", FileName(run, statement!, "pdf"));
    }

    /// <summary>A statement as a PDF, with the closing time in the programme's zone.</summary>
    public static byte[] Pdf(Programme programme, SettlementRun run, SettlementStatement statement, Loc l)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(programme.TimeZone);
        return StatementDocuments.Pdf(SettlementService.Statement(run, statement), programme.Name, run.StartDay, run.EndDay.AddDays(-1),
            run.ClosedAt is { } closed ? Loc.DateTime(closed, zone) : null, l);
    }

    /// <summary>The file name of a statement's download.</summary>
    public static string FileName(SettlementRun run, SettlementStatement statement, string extension) =>
        $"statement-{run.Label}-{new string([.. statement.PartnerCode.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')])}.{extension}";
}
