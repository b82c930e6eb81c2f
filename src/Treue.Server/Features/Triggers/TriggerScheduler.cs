using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Treue.Domain.Triggers;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Ledger;
using Treue.Server.Features.Programmes;
using Treue.Server.Features.Promotions;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Triggers;

/// <summary>What a run of the scheduler did.</summary>
/// <param name="Fired">Occasions fired by this run.</param>
/// <param name="OverBudget">Occasions the budget held back.</param>
/// <param name="AlreadyFired">Occasions another run (or node) had fired.</param>
/// <param name="Failed">Occasions whose action could not be done (a campaign deleted since).</param>
public sealed record TriggerRunView(int Fired, int OverBudget, int AlreadyFired, int Failed);

/// <summary>
/// The scheduler of triggers, on the injected clock in each programme's time zone. For every active trigger it lists the
/// occasions due on the days after the trigger's <see cref="TriggerRecord.CheckedThrough"/> up to today (so a run after
/// downtime catches up) and fires each in its own transaction: the firing row under its unique key together with the points
/// (through the ledger's adjustment path), the personal coupon (through the promotions' personal-code path) or the outbox
/// message. The transaction first raises the trigger's firing count, which locks the trigger's row: the firings of one
/// trigger are serialised across nodes, so the check for an earlier firing and the budget count see every committed
/// firing, and the unique key is the last guard. Afterwards the trigger is checked through yesterday, never further: today's
/// occasions (a member who enrols later today, a purchase later today) are looked at again by the next run.
/// Purchase-driven triggers (enrolment, the n-th purchase, a tier upgrade) fire from here too, not in the purchase's
/// transaction: one path, at the scheduler's interval after the act.
/// </summary>
public sealed class TriggerScheduler(TreueDb db, PointsLedger ledger, ProgrammeCache programmes, ILogger<TriggerScheduler> log)
{
    /// <summary>Runs the triggers of every programme that has active ones.</summary>
    public async Task<TriggerRunView> RunAllAsync(DateTime nowUtc, CancellationToken ct)
    {
        var ids = await db.Triggers.AsNoTracking().Where(t => t.Active).Select(t => t.ProgrammeId).Distinct().ToListAsync(ct);
        var total = new TriggerRunView(0, 0, 0, 0);
        foreach (var id in ids)
        {
            var r = await RunAsync(id, nowUtc, ct);
            total = new TriggerRunView(total.Fired + r.Fired, total.OverBudget + r.OverBudget, total.AlreadyFired + r.AlreadyFired, total.Failed + r.Failed);
        }
        return total;
    }

    /// <summary>Runs one programme's active triggers (optionally only <paramref name="onlyTrigger"/>).</summary>
    public async Task<TriggerRunView> RunAsync(Guid programmeId, DateTime nowUtc, CancellationToken ct, string? onlyTrigger = null)
    {
        var triggers = await db.Triggers.AsNoTracking().Where(t => t.ProgrammeId == programmeId && t.Active && (onlyTrigger == null || t.Id == onlyTrigger))
            .OrderBy(t => t.Id).ToListAsync(ct);
        if (triggers.Count == 0) return new TriggerRunView(0, 0, 0, 0);
        var zone = await TriggerService.ZoneAsync(db, programmeId, ct);
        var today = TriggerRules.Today(nowUtc, zone);
        var facts = await TriggerService.FactsAsync(db, programmeId, zone, triggers.Select(t => t.Definition.Kind).ToHashSet(), ct);
        var languages = await db.Members.AsNoTracking().Where(m => m.ProgrammeId == programmeId).Select(m => new { m.Id, m.Language })
            .ToDictionaryAsync(m => m.Id, m => m.Language, ct);
        var (fired, over, already, failed) = (0, 0, 0, 0);
        foreach (var trigger in triggers)
        {
            var definition = trigger.Definition with { Id = trigger.Id };
            var lastRun = trigger.CheckedThrough ?? TriggerRules.Today(trigger.CreatedAt, zone).AddDays(-1);
            var done = await TriggerService.FiredAsync(db, programmeId, trigger.Id, ct);
            var due = facts.SelectMany(m => TriggerRules.Due(definition, m, lastRun, today)).OrderBy(o => o.Day).ToList();
            foreach (var occasion in due)
            {
                if (done.Contains((occasion.Member, occasion.Name)))
                {
                    already++;
                    continue;
                }
                switch (await FireAsync(programmeId, trigger.Name, definition, occasion, languages.GetValueOrDefault(occasion.Member) ?? "en", nowUtc, ct))
                {
                    case FireOutcome.Fired: fired++; break;
                    case FireOutcome.OverBudget: over++; break;
                    case FireOutcome.AlreadyFired: already++; break;
                    case FireOutcome.Failed: failed++; break;
                }
            }
            // Checked through yesterday at most, and never back: a node whose clock is behind does not undo another's progress.
            var through = today.AddDays(-1);
            await db.Triggers.Where(t => t.ProgrammeId == programmeId && t.Id == trigger.Id && (t.CheckedThrough == null || t.CheckedThrough < through))
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.CheckedThrough, through), ct);
        }
        return new TriggerRunView(fired, over, already, failed);
    }

    private enum FireOutcome { Fired, OverBudget, AlreadyFired, Failed, Inactive }

    /// <summary>Fires one occasion in its own transaction, or finds it fired, over budget or the trigger switched off.</summary>
    private async Task<FireOutcome> FireAsync(Guid programmeId, string name, TriggerDefinition trigger, Occasion occasion, string language, DateTime now,
        CancellationToken ct)
    {
        try
        {
            await using var work = await Work.BeginAsync(db, ct);
            // The lock: raising the count waits for any other node's firing of this trigger to commit or roll back.
            var locked = await db.Triggers.Where(t => t.ProgrammeId == programmeId && t.Id == trigger.Id && t.Active)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.Firings, t => t.Firings + 1), ct);
            if (locked == 0) return FireOutcome.Inactive;
            if (await db.TriggerFirings.AnyAsync(f => f.ProgrammeId == programmeId && f.TriggerId == trigger.Id && f.MemberId == occasion.Member
                    && f.Occasion == occasion.Name, ct))
                return FireOutcome.AlreadyFired;
            var period = (trigger.Budget ?? new TriggerBudget(TriggerBudgetUnit.Firings, 0, TriggerBudgetPeriod.Year)).PeriodOf(occasion.Day);
            if (trigger.Budget is { } budget)
            {
                var q = db.TriggerFirings.Where(f => f.ProgrammeId == programmeId && f.TriggerId == trigger.Id && f.Period == period);
                var used = budget.Unit == TriggerBudgetUnit.Firings ? await q.LongCountAsync(ct) : await q.SumAsync(f => f.Points, ct);
                if (TriggerRules.WithinBudget(trigger, [occasion], _ => used).Fire.Count == 0) return FireOutcome.OverBudget;
            }
            var firing = new TriggerFiring
            {
                ProgrammeId = programmeId, TriggerId = trigger.Id, MemberId = occasion.Member, Occasion = occasion.Name, Day = occasion.Day, Period = period,
                FiredAt = now,
            };
            switch (occasion.Action)
            {
                case AwardPoints award:
                    var reason = $"{name} ({occasion.Name})";
                    var (tx, problem) = await LedgerEndpoints.AdjustAsync(db, ledger, programmes, programmeId, occasion.Member, award.Points,
                        reason.Length <= 500 ? reason : reason[..500], TriggerActor, now, ct);
                    if (problem is not null) return FireOutcome.Failed;
                    firing.Points = award.Points;
                    firing.LedgerTransactionId = tx!.Id;
                    break;
                case IssueCoupon coupon:
                    var (view, invalid, refused) = await PromotionEndpoints.PersonalAsync(db, programmeId, coupon.CampaignId, new PersonalCodeRequest(occasion.Member), now, ct);
                    if (view is null || invalid is not null || refused is not null)
                    {
                        log.LogWarning("Trigger {Trigger} could not issue a coupon of campaign {Campaign}", trigger.Id, coupon.CampaignId);
                        return FireOutcome.Failed;
                    }
                    firing.CouponCode = view.Code;
                    break;
                case QueueMessage message:
                    var data = new Dictionary<string, string>(message.Data ?? new Dictionary<string, string>(), StringComparer.Ordinal);
                    foreach (var (key, value) in occasion.Data) data[key] = value;
                    var row = new OutboxMessage
                    {
                        ProgrammeId = programmeId, MemberId = occasion.Member, Template = message.Template, Language = language,
                        Data = JsonSerializer.Serialize(data, TreueJson.Options), Source = "trigger:" + trigger.Id, State = OutboxState.Queued,
                        NextAttemptAt = now, CreatedAt = now,
                    };
                    db.Outbox.Add(row);
                    await db.SaveChangesAsync(ct);
                    firing.OutboxMessageId = row.Id;
                    break;
            }
            db.TriggerFirings.Add(firing);
            await work.CommitAsync(ct);
            return FireOutcome.Fired;
        }
        catch (DbUpdateException)
        {
            // The unique key: another node fired the occasion first (the lock makes this rare).
            db.ChangeTracker.Clear();
            return FireOutcome.AlreadyFired;
        }
    }

    /// <summary>The actor the triggers' points are recorded under in the ledger and the audit log.</summary>
    public static readonly AuditActor TriggerActor = new(AuditActorKind.System, null, "triggers", null);
}

/// <summary>Runs the triggers on every node at the ledger jobs' interval (<c>Treue:Jobs:Interval</c>; zero turns it off).</summary>
public sealed class TriggerJobs(IServiceScopeFactory scopes, TimeProvider clock, Microsoft.Extensions.Options.IOptions<LedgerJobOptions> options, ILogger<TriggerJobs> log)
    : Infrastructure.PeriodicJob(scopes, clock, log)
{
    protected override TimeSpan Interval => options.Value.Interval;
    protected override string Name => "The triggers";

    protected override Task RunAsync(IServiceProvider services, DateTime now, CancellationToken ct) =>
        services.GetRequiredService<TriggerScheduler>().RunAllAsync(now, ct);
}
