using System.Threading.Channels;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Treue.Domain.Purchases;
using Treue.Server.Features.Cards;
using Treue.Server.Features.Programmes;
using Treue.Server.Features.Purchases;
using Treue.Storage;
using Treue.Storage.Entities;
using Treue.Storage.Purchases;

namespace Treue.Cli.Import;

/// <summary>
/// The bulk import of purchases into SQLite (<c>treue import purchases FILE --bulk</c>). Each purchase goes the one
/// purchase pipeline: it is checked by <see cref="PurchaseRecorder.Shape"/>, decided by <see cref="PurchaseDecider.Decide"/>,
/// built into a write by <see cref="PurchaseRecorder.Write"/> and written by the <see cref="IPurchaseStore"/>, so it is
/// stored exactly as a till's purchase. What makes it a bulk import is around that: the file is streamed and parsed on a
/// thread beside the writer, members and cards are kept in memory (the member's snapshot is updated after each written
/// purchase instead of read again), and one connection writes large transactions, on which the store's statements are prepared once.
/// </summary>
/// <remarks>
/// It needs a receipt's rows to stand together in the file (the caller checks this first), reads the members of the
/// programme once at the start, holds SQLite's write lock for a whole batch (so no other writer can make a decision
/// stale), and runs with <c>synchronous=NORMAL</c>: a power cut can lose the last committed batches, and since the import
/// is idempotent by receipt id, running it again restores them.
/// </remarks>
internal sealed class BulkPurchaseImporter(TreueDb db, TimeProvider clock)
{
    /// <summary>The transaction size when none is given: large enough that commits cost nothing, small enough to resume quickly.</summary>
    public const int DefaultBatchSize = 50_000;

    private const int ChunkSize = 2_000;

    public async Task<ImportOutcome> ImportAsync(Guid programmeId, string path, string? defaultPartner, string actor, int batchSize,
        Action<int> progress, CancellationToken ct)
    {
        var programme = await ProgrammeCache.CompileAsync(db, programmeId, ct);
        // One connection for the whole import: the context keeps it open, and the inserts of the store are prepared on it once.
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();
        await using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=60000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-524288;";
            await pragma.ExecuteNonQueryAsync(ct);
        }
        // Nothing of a batch is kept when a purchase fails (the import stops), so EF's savepoint around each save would only cost statements.
        db.Database.AutoSavepointsEnabled = false;

        var writer = new Writer(db, programme, PurchaseStores.For(db, clock), actor);
        var refs = await writer.LoadMembersAsync(ct);
        var now = PurchaseRecorder.ToMicroseconds(clock.GetUtcNow().UtcDateTime);

        var queue = Channel.CreateBounded<List<Prepared>>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        var errors = new List<ImportError>();
        var rejectedRows = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reading = Task.Run(async () =>
        {
            try
            {
                await PurchaseCsv.ReadGroupedAsync(path, programme.Currency.Code, defaultPartner, ChunkSize, async chunk =>
                {
                    var prepared = new List<Prepared>(chunk.Purchases.Count + 1);
                    if (chunk.Errors.Count > 0 || chunk.RejectedRows > 0) prepared.Add(new Prepared(null, null, "", null, null, chunk));
                    foreach (var purchase in chunk.Purchases) prepared.Add(Prepare(programme, purchase, refs, now));
                    await queue.Writer.WriteAsync(prepared, stop.Token);
                }, stop.Token);
                queue.Writer.Complete();
            }
            catch (Exception e)
            {
                queue.Writer.Complete(e);
            }
        }, stop.Token);

        var outcome = new Tally();
        var batch = new Tally();
        var done = 0;
        ImportedPurchase? current = null;
        IDbContextTransaction? tx = null;
        try
        {
            tx = await writer.BeginAsync(ct);
            var inBatch = 0;
            await foreach (var chunk in queue.Reader.ReadAllAsync(stop.Token))
            {
                foreach (var item in chunk)
                {
                    if (item.Chunk is { } rejects)
                    {
                        errors.AddRange(rejects.Errors);
                        rejectedRows += rejects.RejectedRows;
                        continue;
                    }
                    current = item.Purchase;
                    await writer.RecordAsync(item, now, batch, ct);
                    if (++done % 1000 == 0) progress(done);
                    if (++inBatch < batchSize) continue;
                    await writer.CommitAsync(tx, ct);
                    tx = null;
                    outcome.Add(batch);
                    batch = new Tally();
                    inBatch = 0;
                    now = PurchaseRecorder.ToMicroseconds(clock.GetUtcNow().UtcDateTime);
                    tx = await writer.BeginAsync(ct);
                }
            }
            await writer.CommitAsync(tx, ct);
            tx = null;
            outcome.Add(batch);
            progress(done);
        }
        catch (Exception e)
        {
            await stop.CancelAsync();
            if (tx is not null) await tx.RollbackAsync(CancellationToken.None);
            try { await reading; } catch (OperationCanceledException) { }
            if (e is OperationCanceledException)
                throw new CliError($"Interrupted. {outcome.Created:N0} new purchases were saved before; importing the file again skips them.", ExitCodes.Interrupted);
            if (e is CliError) throw;
            throw new CliError((current is null ? "The import stopped" : $"The import stopped at line {current.Line}") + $": {Cli.Describe(e)}. " +
                $"{outcome.Created:N0} new purchases were saved before; importing the file again skips them.", ExitCodes.Failed);
        }
        finally
        {
            if (tx is not null) await tx.DisposeAsync();
            db.ChangeTracker.Clear();
            await db.Database.CloseConnectionAsync();
        }
        await reading;
        errors.AddRange(outcome.Errors);
        errors.Sort((a, b) => a.Line.CompareTo(b.Line));
        return new ImportOutcome(outcome.Created, outcome.Existing, outcome.Rejected, rejectedRows + outcome.RejectedRows,
            outcome.Enrolled, outcome.Points, errors);
    }

    /// <summary>
    /// What can be worked out for a purchase without the database and without the member's state: the member's id, the
    /// fingerprint and the checks. Runs on the reading thread, beside the writer.
    /// </summary>
    private static Prepared Prepare(CompiledProgramme programme, ImportedPurchase purchase, Dictionary<string, MemberRef> refs, DateTime now)
    {
        var request = purchase.Request;
        MemberRef? member = null;
        if (purchase.MemberRef is { } reference)
        {
            if (!refs.TryGetValue(reference, out member)) refs[reference] = member = new MemberRef(Guid.CreateVersion7(), reference);
            request = request with { MemberId = member.Id };
        }
        return new Prepared(purchase, request, PurchaseRecorder.Fingerprint(request), BulkChecks.Check(programme, request, now), member, null);
    }

    /// <summary>A member named by external reference in the file.</summary>
    private sealed record MemberRef(Guid Id, string Reference);

    /// <summary>A purchase ready for the writer, or (with <c>Chunk</c>) rows that could not be read.</summary>
    private sealed record Prepared(ImportedPurchase? Purchase, PurchaseRequest? Request, string Fingerprint, BulkChecks.Outcome? Check,
        MemberRef? Member, ImportChunk? Chunk);

    /// <summary>
    /// A member during the import: their row as it stands in the database after the purchases written so far (count and
    /// balance come back from the store's guarded update), which is the snapshot the next purchase is decided on.
    /// </summary>
    private sealed class MemberState(Member row, bool inDatabase)
    {
        public Member Row { get; } = row;
        public bool InDatabase { get; set; } = inDatabase;
        /// <summary>For a member this import enrols: the earliest purchase of theirs in the file so far, which is when they joined.</summary>
        public DateTime FirstSeen { get; set; } = DateTime.MaxValue;
        public bool EnrolledHere { get; set; }

        public MemberSnapshot Snapshot() => new(Row.Id, Row.PurchaseCount, Row.Available, Row.Pending);
    }

    /// <summary>Counts of a batch (added to the import's once the batch commits).</summary>
    private sealed class Tally
    {
        public int Created { get; set; }
        public int Existing { get; set; }
        public int Rejected { get; set; }
        public int RejectedRows { get; set; }
        public int Enrolled { get; set; }
        public long Points { get; set; }
        public List<ImportError> Errors { get; } = [];

        public void Add(Tally b)
        {
            Created += b.Created;
            Existing += b.Existing;
            Rejected += b.Rejected;
            RejectedRows += b.RejectedRows;
            Enrolled += b.Enrolled;
            Points += b.Points;
            Errors.AddRange(b.Errors);
        }
    }

    /// <summary>The database side: one context on one connection, one transaction per batch, the store's writes in it.</summary>
    private sealed class Writer(TreueDb db, CompiledProgramme p, IPurchaseStore store, string actor)
    {
        private readonly Guid _programmeId = p.Settings.Id;
        private readonly Dictionary<Guid, MemberState> _members = [];
        private readonly Dictionary<string, (Card? Card, ProblemHttpResult? Problem)> _cards = new(StringComparer.Ordinal);
        // Receipts this import wrote, by a hash of partner and receipt id: only a receipt whose hash was seen is looked up.
        private readonly HashSet<int> _written = [];
        private readonly List<MemberState> _joinedEarlier = [];
        private bool _hadPurchases;

        /// <summary>Reads the programme's members with an external reference (the first enrolled wins, as in the normal import).</summary>
        public async Task<Dictionary<string, MemberRef>> LoadMembersAsync(CancellationToken ct)
        {
            var refs = new Dictionary<string, MemberRef>(StringComparer.Ordinal);
            var rows = db.Members.AsNoTracking().Where(m => m.ProgrammeId == _programmeId && m.ExternalRef != null).OrderBy(m => m.EnrolledAt).AsAsyncEnumerable();
            await foreach (var m in rows.WithCancellation(ct))
            {
                if (!refs.TryAdd(m.ExternalRef!, new MemberRef(m.Id, m.ExternalRef!))) continue;
                _members[m.Id] = new MemberState(m, inDatabase: true);
            }
            _hadPurchases = await db.Purchases.AnyAsync(x => x.ProgrammeId == _programmeId, ct);
            return refs;
        }

        public async Task<IDbContextTransaction> BeginAsync(CancellationToken ct) =>
            // SQLite's write lock is taken now (BEGIN IMMEDIATE) and held to the commit: no other writer changes a member
            // in between, so the snapshots kept here stay true and the store's guards hold.
            await db.Database.BeginTransactionAsync(ct);

        public async Task CommitAsync(IDbContextTransaction tx, CancellationToken ct)
        {
            // A member enrolled earlier in the import may have turned out to have an earlier purchase since.
            foreach (var m in _joinedEarlier)
            {
                if (m.FirstSeen >= m.Row.EnrolledAt) continue;
                m.Row.EnrolledAt = m.FirstSeen;
                var at = m.FirstSeen;
                await db.Members.Where(x => x.Id == m.Row.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.EnrolledAt, at), ct);
            }
            _joinedEarlier.Clear();
            await tx.CommitAsync(ct);
            await tx.DisposeAsync();
        }

        public async Task RecordAsync(Prepared item, DateTime now, Tally batch, CancellationToken ct)
        {
            var purchase = item.Purchase!;
            var req = item.Request!;
            var check = item.Check!;
            MemberState? state = null;
            if (item.Member is { } named)
            {
                state = StateOf(named);
                // A member this import enrols joined at their earliest purchase in the file, recorded or not.
                var at = req.OccurredAt!.Value.UtcDateTime;
                if (!state.InDatabase || state.EnrolledHere)
                {
                    if (at < state.FirstSeen)
                    {
                        state.FirstSeen = at;
                        if (state.EnrolledHere && !_joinedEarlier.Contains(state)) _joinedEarlier.Add(state);
                    }
                }
            }

            // As at a till: a receipt already recorded answers with the first purchase, before anything else is checked.
            var partnerForLookup = p.Partners.GetValueOrDefault(req.Partner ?? "");
            var receiptHash = 0;
            if (partnerForLookup is not null && req.ReceiptId is { Length: > 0 and <= 100 } && !req.ReceiptId.Any(char.IsControl))
            {
                receiptHash = ReceiptHash(partnerForLookup.Id, req.ReceiptId);
                if ((_hadPurchases || _written.Contains(receiptHash)) && await ExistingAsync(partnerForLookup.Id, req.ReceiptId, item.Fingerprint, purchase, batch))
                    return;
            }
            if (check.Problems is { } problems)
            {
                Reject(purchase, batch, problems);
                return;
            }

            Card? card = null;
            if (req.CardNumber is { } number)
            {
                if (!_cards.TryGetValue(number, out var resolved))
                    _cards[number] = resolved = await CardEndpoints.ResolveActiveAsync(db, _programmeId, number, "cardNumber", ct);
                if (resolved.Problem is { } problem)
                {
                    Reject(purchase, batch, [.. FieldErrors.Of(problem)]);
                    return;
                }
                card = resolved.Card!;
                state = await StateOfAsync(card.MemberId, ct);
            }
            for (var attempt = 1; ; attempt++)
            {
                if (state is not null && state.Row.Status != MemberStatus.Active)
                {
                    Reject(purchase, batch, [(req.CardNumber is null ? "memberId" : "cardNumber", $"The member's account is {state.Row.Status.ToString().ToLowerInvariant()}.")]);
                    return;
                }

                // Decide, as the recorder does, on the member's state after every purchase recorded before this one.
                var occurredAt = req.OccurredAt is { } given ? PurchaseRecorder.ToMicroseconds(given.UtcDateTime) : now;
                var (decision, refusal) = PurchaseDecider.Decide(new PurchaseInput(check.Basket!, occurredAt, req.PointsPayment?.Points, Anonymous: state is null),
                    state?.Snapshot(), p.Terms, now);
                if (refusal is not null)
                {
                    Reject(purchase, batch, [(refusal.Field ?? "", refusal.Message)]);
                    return;
                }

                var write = PurchaseRecorder.Write(Guid.CreateVersion7(), _programmeId, state?.Row, card, check.Partner!, check.Store, req, item.Fingerprint,
                    occurredAt, now, p.Currency, decision!, actor, claim: null);
                var joining = state is { InDatabase: false };
                if (joining)
                {
                    // Named by the file and not in the database: enrolled with their first recorded purchase, by its write.
                    state!.Row.EnrolledAt = state.FirstSeen;
                    write = write with { Enrol = state.Row };
                }
                var written = await store.WriteAsync(db, write, ct);
                if (written.Status == WriteStatus.Written)
                {
                    if (joining)
                    {
                        state!.InDatabase = true;
                        state.EnrolledHere = true;
                        batch.Enrolled++;
                    }
                    if (state is not null)
                    {
                        state.Row.PurchaseCount++;
                        if (written.Balance is { } balance) (state.Row.Available, state.Row.Pending) = (balance.Available, balance.Pending);
                        batch.Points += written.Purchase!.PointsEarned;
                    }
                    break;
                }
                // Stale: the server recorded a purchase of this member between two batches (within a batch the import holds
                // the write lock). The guard failed before anything was written; the member is read again and the
                // purchase decided again, as the recorder does. Anything else means the import's own state is wrong.
                if (written.Status != WriteStatus.Stale || state is null || attempt >= PurchaseRecorder.MaxDecisions)
                    throw new InvalidOperationException($"Receipt {req.ReceiptId} could not be written ({written.Status}).");
                _members.Remove(state.Row.Id);
                var fresh = await StateOfAsync(state.Row.Id, ct);
                (fresh.FirstSeen, fresh.EnrolledHere) = (state.FirstSeen, state.EnrolledHere);
                state = fresh;
            }
            if (receiptHash != 0) _written.Add(receiptHash);
            batch.Created++;
        }

        private async Task<bool> ExistingAsync(Guid partnerId, string receiptId, string fingerprint, ImportedPurchase purchase, Tally batch)
        {
            var stored = await FingerprintOf(db, _programmeId, partnerId, receiptId);
            if (stored is null) return false;
            if (stored == fingerprint) batch.Existing++;
            else Reject(purchase, batch, [("receiptId", "This receipt id was already recorded with different content.")]);
            return true;
        }

        // A collision only costs a look-up that finds nothing.
        private static int ReceiptHash(Guid partnerId, string receiptId) => HashCode.Combine(partnerId, receiptId) | 1;

        private static void Reject(ImportedPurchase purchase, Tally batch, List<(string Field, string Message)> problems)
        {
            batch.Rejected++;
            batch.RejectedRows += purchase.LineNumbers.Count;
            foreach (var (field, message) in problems)
                batch.Errors.Add(new ImportFile(PurchaseCsv.ColumnOf).ErrorAt(purchase, field, message));
        }

        private MemberState StateOf(MemberRef named)
        {
            if (_members.TryGetValue(named.Id, out var state)) return state;
            state = new MemberState(new Member
            {
                Id = named.Id, ProgrammeId = _programmeId, ExternalRef = named.Reference, Name = named.Reference, Status = MemberStatus.Active,
            }, inDatabase: false);
            _members[named.Id] = state;
            return state;
        }

        private async Task<MemberState> StateOfAsync(Guid memberId, CancellationToken ct)
        {
            if (_members.TryGetValue(memberId, out var state)) return state;
            var row = await db.Members.AsNoTracking().SingleOrDefaultAsync(m => m.Id == memberId && m.ProgrammeId == _programmeId, ct)
                ?? throw new InvalidOperationException($"The member {memberId} of a card does not exist.");
            state = new MemberState(row, inDatabase: true);
            _members[memberId] = state;
            return state;
        }

        private static readonly Func<TreueDb, Guid, Guid, string, Task<string?>> FingerprintOf = EF.CompileAsyncQuery(
            (TreueDb db, Guid programmeId, Guid partnerId, string receiptId) => db.Purchases
                .Where(x => x.ProgrammeId == programmeId && x.PartnerId == partnerId && x.ReceiptId == receiptId)
                .Select(x => x.Fingerprint).FirstOrDefault());
    }
}
