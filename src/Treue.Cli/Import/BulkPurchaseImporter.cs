using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Treue.Domain.Earning;
using Treue.Domain.Ledger;
using Treue.Server.Features.Programmes;
using Treue.Server.Features.Purchases;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Cli.Import;

/// <summary>
/// The bulk import of purchases into SQLite (<c>treue import purchases FILE --bulk</c>). It writes the same rows as
/// <see cref="PurchaseImporter"/> (purchase, lines, an earn transaction of two entries that sum to zero, a point lot,
/// the member's cached balances), earning by the same compiled <see cref="EarningScheme"/> and refusing what
/// <see cref="PurchaseRecorder"/> refuses, but streams the file and writes through one connection with prepared
/// statements in large transactions, keeping members' balances in memory and writing each member once per batch.
/// </summary>
/// <remarks>
/// It handles what the purchase CSV can say: members by external reference or card, anonymous purchases, any
/// earning rules. It needs a receipt's rows to stand together in the file (the caller checks this first), reads the
/// members of the programme once at the start, and runs with <c>synchronous=NORMAL</c>: a power cut can lose the
/// last committed batches, and since the import is idempotent by receipt id, running it again restores them.
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
        var connectionString = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()) { Pooling = false, DefaultTimeout = 60 }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=60000; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-524288;");

        var writer = new Writer(connection, programme, actor);
        var refs = writer.LoadMembers();
        var now = clock.GetUtcNow().UtcDateTime;
        // Rules for the first purchase make earning depend on the order of purchases: then the writer, which knows the
        // member's purchases so far, evaluates a member's first purchase again.
        var rules = await db.Rules.AsNoTracking().Where(r => r.ProgrammeId == programmeId && r.Active).Select(r => r.Definition).ToListAsync(ct);
        var orderFree = !rules.Any(r => r.Conditions.FirstPurchaseOnly);

        var queue = System.Threading.Channels.Channel.CreateBounded<List<Prepared>>(new System.Threading.Channels.BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
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
                    if (chunk.Errors.Count > 0 || chunk.RejectedRows > 0) prepared.Add(new Prepared(null, null, "", null, null, null, null, false, chunk));
                    foreach (var purchase in chunk.Purchases) prepared.Add(Prepare(programme, purchase, refs, now, orderFree));
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
        try
        {
            writer.Begin();
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
                    writer.Record(item, now, batch);
                    if (++done % 1000 == 0) progress(done);
                    if (++inBatch < batchSize) continue;
                    writer.Commit();
                    outcome.Add(batch);
                    batch = new Tally();
                    inBatch = 0;
                    now = clock.GetUtcNow().UtcDateTime;
                    writer.Begin();
                }
            }
            writer.Commit();
            outcome.Add(batch);
            progress(done);
        }
        catch (Exception e)
        {
            await stop.CancelAsync();
            writer.Rollback();
            try { await reading; } catch (OperationCanceledException) { }
            if (e is OperationCanceledException)
                throw new CliError($"Interrupted. {outcome.Created:N0} new purchases were saved before; importing the file again skips them.", ExitCodes.Interrupted);
            if (e is CliError) throw;
            throw new CliError((current is null ? "The import stopped" : $"The import stopped at line {current.Line}") + $": {Cli.Describe(e)}. " +
                $"{outcome.Created:N0} new purchases were saved before; importing the file again skips them.", ExitCodes.Failed);
        }
        finally
        {
            writer.Dispose();
        }
        await reading;
        errors.AddRange(outcome.Errors);
        errors.Sort((a, b) => a.Line.CompareTo(b.Line));
        return new ImportOutcome(outcome.Created, outcome.Existing, outcome.Rejected, rejectedRows + outcome.RejectedRows,
            outcome.Enrolled, outcome.Points, errors);
    }

    /// <summary>
    /// What can be worked out for a purchase without the database: the member's id, the fingerprint, the checks, the
    /// column values and the earning of a purchase that is not the member's first. Runs on the reading thread, beside the writer.
    /// </summary>
    private static Prepared Prepare(CompiledProgramme programme, ImportedPurchase purchase, Dictionary<string, MemberRef> refs, DateTime now, bool orderFree)
    {
        var request = purchase.Request;
        MemberRef? member = null;
        if (purchase.MemberRef is { } reference)
        {
            if (!refs.TryGetValue(reference, out member)) refs[reference] = member = new MemberRef(Guid.CreateVersion7(), reference, Existing: false);
            request = request with { MemberId = member.Id };
        }
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request, TreueJson.Options)));
        var check = BulkChecks.Check(programme, request, now);
        Written? earning = null;
        Values? values = null;
        if (check.Basket is { } basket)
        {
            // What a member earns when it is not their first purchase; the writer asks again for a first purchase when that matters.
            earning = request.MemberId is not null || request.CardNumber is not null
                ? Written.Of(programme.Scheme.Evaluate(basket, new EarningContext(false)))
                : Written.Empty(basket);
            values = Values.Of(programme, basket, request.OccurredAt?.UtcDateTime ?? now);
        }
        return new Prepared(purchase, request, fingerprint, check, member, earning, values, orderFree, null);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>A member named by external reference in the file; <c>Existing</c> when the database had them at the start.</summary>
    private sealed record MemberRef(Guid Id, string Reference, bool Existing);

    /// <summary>A purchase ready for the writer, or (with <c>Chunk</c>) rows that could not be read.</summary>
    private sealed record Prepared(ImportedPurchase? Purchase, PurchaseRequest? Request, string Fingerprint, BulkChecks.Outcome? Check,
        MemberRef? Member, Written? Earning, Values? Values, bool OrderFree, ImportChunk? Chunk);

    /// <summary>The column values of a valid purchase and its lines, in the form they are stored.</summary>
    private sealed record Values(byte[] PurchaseId, long Occurred, DateTime AvailableAt, long Available, long? Expires,
        long TotalMinor, (long Unit, long Discount, long Net, string Quantity)[] Lines)
    {
        public static Values Of(CompiledProgramme p, Basket basket, DateTime occurredAt)
        {
            var currency = p.Currency;
            var lines = new (long, long, long, string)[basket.Lines.Count];
            for (var i = 0; i < lines.Length; i++)
            {
                var l = basket.Lines[i];
                lines[i] = (currency.ToMinor(l.UnitPrice), currency.ToMinor(l.Discount), currency.ToMinor(l.Net), Quantity(l.Quantity));
            }
            var availableAt = occurredAt.AddDays(p.Settings.PendingDays);
            return new Values(Id(Guid.CreateVersion7()), Time(occurredAt), availableAt, Time(availableAt),
                p.Settings.Expiry.ExpiresAt(occurredAt) is { } e ? Time(e) : null, currency.ToMinor(basket.Total), lines);
        }
    }

    /// <summary>
    /// An earning and its JSON as the database stores it. The earn transaction's explanation is stored empty: it is
    /// the lines' contributions and the bonuses, which the purchase holds (see <see cref="EarnExplanations"/>).
    /// </summary>
    private sealed record Written(EarningResult Result, string[] LineJson, string BonusJson)
    {
        public long BonusPoints { get; } = Result.Bonuses.Sum(b => b.Points);

        private static readonly string[] NoLines = [];

        public static Written Of(EarningResult e)
        {
            var lines = e.Lines.Count == 0 ? NoLines : new string[e.Lines.Count];
            for (var i = 0; i < lines.Length; i++) lines[i] = StoredContributions.Write(e.Lines[i].Contributions);
            return new Written(e, lines, StoredContributions.Write(e.Bonuses));
        }

        public static Written Empty(Basket basket) =>
            Of(new EarningResult(0, basket.Lines.Select(l => new LineEarning(l.LineNo, 0, [])).ToList(), []));
    }

    /// <summary>A member's state during the import: what the database holds plus what this batch adds.</summary>
    private sealed class MemberState(Guid id, MemberStatus status, int purchaseCount, bool inDatabase)
    {
        public Guid Id { get; } = id;
        public MemberStatus Status { get; } = status;
        public int PurchaseCount { get; set; } = purchaseCount;
        public bool InDatabase { get; set; } = inDatabase;
        public string? Reference { get; init; }
        /// <summary>For a member this import enrols: the earliest purchase of theirs in the file so far, which is when they joined.</summary>
        public DateTime FirstSeen { get; set; } = DateTime.MaxValue;
        public DateTime? WrittenJoined { get; set; }
        public bool Enrolled { get; set; }
        public long Available { get; set; }
        public long Pending { get; set; }
        public int Purchases { get; set; }
        public bool Dirty { get; set; }
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

    /// <summary>The database side: prepared statements on one connection, one transaction per batch.</summary>
    private sealed class Writer : IDisposable
    {
        private readonly SqliteConnection _c;
        private readonly CompiledProgramme _p;
        private readonly byte[] _programme;
        private readonly string _actor;
        private readonly Dictionary<Guid, MemberState> _members = [];
        private readonly List<MemberState> _dirty = [];
        private readonly BulkStatement _existing, _purchase, _line, _transaction, _entry, _lot, _card, _member, _enrol, _change, _joined, _maxTx;
        private readonly Guid _partnerId;
        private readonly byte[] _partnerIdBytes;
        private DateTime _recordedFor;
        private long _recorded;
        private bool _open;
        private bool _hadPurchases;
        private long _nextTx;

        public Writer(SqliteConnection connection, CompiledProgramme programme, string actor)
        {
            _c = connection;
            _p = programme;
            _programme = Id(programme.Settings.Id);
            // Most files are one partner's: its id is converted once.
            _partnerId = programme.Partners.Values.FirstOrDefault()?.Id ?? Guid.Empty;
            _partnerIdBytes = Id(_partnerId);
            _actor = actor;
            _existing = Statement("SELECT fingerprint FROM purchases WHERE programme_id = $p AND partner_id = $partner AND receipt_id = $receipt", "$partner", "$receipt");
            _purchase = Statement("""
                INSERT INTO purchases (id, programme_id, member_id, card_number, partner_id, partner_code, store_code, channel, receipt_id,
                    fingerprint, occurred_at, recorded_at, currency, total_minor, points_earned, bonus_points, points_paid,
                    points_discount_minor, returned_minor, points_reversed, paid_points_refunded, payment_transaction_id, bonuses)
                VALUES ($id, $p, $member, $card, $partner, $partner_code, $store, $channel, $receipt,
                    $fingerprint, $occurred, $recorded, $currency, $total, $points, $bonus, 0, 0, 0, 0, 0, NULL, $bonuses)
                ON CONFLICT DO NOTHING
                """, "$id", "$member", "$card", "$partner", "$partner_code", "$store", "$channel", "$receipt", "$fingerprint", "$occurred",
                "$recorded", "$currency", "$total", "$points", "$bonus", "$bonuses");
            _line = Statement("""
                INSERT INTO purchase_lines (purchase_id, line_no, programme_id, member_id, sku, category, quantity, unit_price_minor,
                    discount_minor, net_minor, points, contributions, returned_quantity, returned_minor, points_reversed)
                VALUES ($purchase, $line_no, $p, $member, $sku, $category, $quantity, $unit, $discount, $net, $points, $contributions, '0.0', 0, 0)
                """, "$purchase", "$line_no", "$member", "$sku", "$category", "$quantity", "$unit", "$discount", "$net", "$points", "$contributions");
            _transaction = Statement("""
                INSERT INTO ledger_transactions (id, programme_id, member_id, kind, occurred_at, recorded_at, idempotency_key, purchase_id,
                    return_id, reward_order_id, lot_id, reason, actor, explanation)
                VALUES ($id, $p, $member, $kind, $occurred, $recorded, NULL, $purchase, NULL, NULL, NULL, NULL, $actor, '[]')
                """, "$id", "$member", "$kind", "$occurred", "$recorded", "$purchase", "$actor");
            _entry = Statement("INSERT INTO ledger_entries (transaction_id, programme_id, member_id, account, amount) VALUES ($tx, $p, $member, $account, $amount)",
                "$tx", "$member", "$account", "$amount");
            _lot = Statement("""
                INSERT INTO point_lots (programme_id, member_id, purchase_id, source, earned_at, available_at, expires_at, amount, remaining, status)
                VALUES ($p, $member, $purchase, 'earn', $earned, $available, $expires, $amount, $amount, $status)
                """, "$member", "$purchase", "$earned", "$available", "$expires", "$amount", "$status");
            _card = Statement("SELECT member_id, number, status, replaced_by FROM cards WHERE programme_id = $p AND (number = $number OR token = $token) LIMIT 2",
                "$number", "$token");
            _member = Statement("SELECT status, purchase_count FROM members WHERE id = $id AND programme_id = $p", "$id");
            _enrol = Statement("""
                INSERT INTO members (id, programme_id, external_ref, name, email, email_key, birthday, language, status, enrolled_at,
                    available, pending, purchase_count)
                VALUES ($id, $p, $ref, $ref, NULL, NULL, NULL, 'en', $active, $joined, $available, $pending, $count)
                """, "$id", "$ref", "$active", "$joined", "$available", "$pending", "$count");
            _change = Statement("""
                UPDATE members SET available = available + $available, pending = pending + $pending, purchase_count = purchase_count + $count
                WHERE id = $id
                """, "$id", "$available", "$pending", "$count");
            _joined = Statement("UPDATE members SET enrolled_at = $joined WHERE id = $id", "$id", "$joined");
            _maxTx = Statement("""
                SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'ledger_transactions'), 0),
                           coalesce((SELECT max(id) FROM ledger_transactions), 0))
                """);
        }

        /// <summary>Reads the programme's members with an external reference (the first enrolled wins, as in the normal import).</summary>
        public Dictionary<string, MemberRef> LoadMembers()
        {
            var refs = new Dictionary<string, MemberRef>(StringComparer.Ordinal);
            using (var cmd = Query("SELECT id, external_ref, status, purchase_count FROM members WHERE programme_id = $p AND external_ref IS NOT NULL ORDER BY enrolled_at"))
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    var id = new Guid(r.GetFieldValue<byte[]>(0), bigEndian: true);
                    var reference = r.GetString(1);
                    if (!refs.TryAdd(reference, new MemberRef(id, reference, Existing: true))) continue;
                    _members[id] = new MemberState(id, (MemberStatus)r.GetInt32(2), r.GetInt32(3), inDatabase: true);
                }
            }
            using var any = Query("SELECT EXISTS (SELECT 1 FROM purchases WHERE programme_id = $p)");
            _hadPurchases = Convert.ToInt64(any.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
            return refs;
        }

        public void Begin()
        {
            // IMMEDIATE takes the write lock now, so the ids read below stay ours until the commit.
            Execute(_c, "BEGIN IMMEDIATE");
            _open = true;
            _nextTx = (long)_maxTx.Rows(1)[0][0]! + 1;
        }

        public void Commit()
        {
            FlushMembers();
            Execute(_c, "COMMIT");
            _open = false;
        }

        public void Rollback()
        {
            if (!_open) return;
            Execute(_c, "ROLLBACK");
            _open = false;
        }

        public void Record(Prepared item, DateTime now, Tally batch)
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
                if (state.Reference is not null && at < state.FirstSeen)
                {
                    state.FirstSeen = at;
                    if (state.Enrolled) Touch(state);
                }
            }

            // As at a till: a receipt already recorded answers with the first purchase, before anything else is checked.
            var partnerForLookup = _p.Partners.GetValueOrDefault(req.Partner ?? "");
            if (_hadPurchases && partnerForLookup is not null && req.ReceiptId is { Length: > 0 and <= 100 } && !req.ReceiptId.Any(char.IsControl)
                && Existing(partnerForLookup.Id, req.ReceiptId, item.Fingerprint, purchase, batch))
                return;
            if (check.Problems is { } problems)
            {
                Reject(purchase, batch, problems);
                return;
            }

            string? cardNumber = null;
            if (req.CardNumber is { } number)
            {
                var (card, problem) = Card(number);
                if (problem is not null)
                {
                    Reject(purchase, batch, [problem.Value]);
                    return;
                }
                cardNumber = card!.Value.Number;
                state = StateOf(card.Value.MemberId);
            }
            if (state is not null && state.Status != MemberStatus.Active)
            {
                Reject(purchase, batch, [(req.CardNumber is null ? "memberId" : "cardNumber", $"The member's account is {state.Status.ToString().ToLowerInvariant()}.")]);
                return;
            }

            var basket = check.Basket!;
            var earning = state is not null && !item.OrderFree && state.PurchaseCount == 0
                ? Written.Of(_p.Scheme.Evaluate(basket, new EarningContext(true)))
                : item.Earning!;
            var v = item.Values!;
            var purchaseId = v.PurchaseId;
            var memberId = state is null ? null : Id(state.Id);
            if (now != _recordedFor) (_recordedFor, _recorded) = (now, Time(now));
            var recorded = _recorded;
            var occurred = v.Occurred;

            var inserted = _purchase.Run(purchaseId, memberId, cardNumber, check.Partner!.Id == _partnerId ? _partnerIdBytes : Id(check.Partner.Id), check.Partner.Code,
                check.Store?.Code, (long)req.Channel, req.ReceiptId, Convert.FromHexString(item.Fingerprint), occurred, recorded,
                _p.Currency.Code, v.TotalMinor, earning.Result.Points, earning.BonusPoints, earning.BonusJson);
            if (inserted == 0)
            {
                // Another writer recorded this receipt since the import started.
                if (!Existing(check.Partner.Id, req.ReceiptId, item.Fingerprint, purchase, batch))
                    throw new InvalidOperationException($"Receipt {req.ReceiptId} conflicts but cannot be found.");
                return;
            }
            for (var i = 0; i < basket.Lines.Count; i++)
            {
                var l = basket.Lines[i];
                var (unit, discount, net, quantity) = v.Lines[i];
                _line.Run(purchaseId, l.LineNo, memberId, l.Sku, l.Category, quantity, unit, discount, net, earning.Result.Lines[i].Points, earning.LineJson[i]);
            }

            if (state is not null)
            {
                var points = earning.Result.Points;
                if (points > 0)
                {
                    var pending = v.AvailableAt > now;
                    var tx = _nextTx++;
                    _transaction.Run(tx, memberId, (long)LedgerKind.Earn, occurred, recorded, purchaseId, _actor);
                    _entry.Run(tx, null, LedgerAccounts.PartnerIssued(check.Partner.Code), -points);
                    _entry.Run(tx, memberId, pending ? LedgerAccounts.MemberPending : LedgerAccounts.MemberAvailable, points);
                    _lot.Run(memberId, purchaseId, occurred, v.Available, v.Expires, points,
                        (long)(pending ? LotStatus.Pending : LotStatus.Available));
                    if (pending) state.Pending += points;
                    else state.Available += points;
                    batch.Points += points;
                }
                state.PurchaseCount++;
                state.Purchases++;
                if (!state.InDatabase && !state.Enrolled)
                {
                    state.Enrolled = true;
                    batch.Enrolled++;
                }
                Touch(state);
            }
            batch.Created++;
        }

        private bool Existing(Guid partnerId, string receiptId, string fingerprint, ImportedPurchase purchase, Tally batch)
        {
            var found = _existing.Rows(1, Id(partnerId), receiptId);
            if (found.Count == 0 || found[0][0] is not byte[] stored) return false;
            if (Convert.ToHexStringLower(stored) == fingerprint) batch.Existing++;
            else Reject(purchase, batch, [("receiptId", "This receipt id was already recorded with different content.")]);
            return true;
        }

        private static void Reject(ImportedPurchase purchase, Tally batch, List<(string Field, string Message)> problems)
        {
            batch.Rejected++;
            batch.RejectedRows += purchase.LineNumbers.Count;
            foreach (var (field, message) in problems)
                batch.Errors.Add(ErrorAt(purchase, field, message));
        }

        private static ImportError ErrorAt(ImportedPurchase purchase, string field, string message) =>
            new ImportFile(PurchaseCsv.ColumnOf).ErrorAt(purchase, field, message);

        private ((Guid MemberId, string Number)? Card, (string, string)? Problem) Card(string number)
        {
            const string field = "cardNumber";
            if (number.Length > 64) return (null, (field, "is too long"));
            byte[]? memberId = null;
            string? found = null, replacedBy = null;
            long? status = null;
            if (!number.Any(char.IsControl))
            {
                var token = number.StartsWith("treue:card:", StringComparison.Ordinal) ? number["treue:card:".Length..] : number;
                var rows = _card.Rows(2, number, token);
                if (rows.Count > 1) throw new InvalidOperationException($"Card '{number}' matches more than one card.");
                if (rows.Count == 1)
                {
                    (memberId, found, status, replacedBy) = ((byte[])rows[0][0]!, (string)rows[0][1]!, (long)rows[0][2]!, rows[0][3] as string);
                }
            }
            if (memberId is null)
            {
                var reason = number.All(char.IsAsciiDigit) && !Treue.Domain.CardNumbers.IsValid(number) ? "has a wrong length or check digit" : "is not a card of this programme";
                return (null, (field, $"The card {reason}."));
            }
            if (status == (long)CardStatus.Blocked)
                return (null, (field, "The card is blocked" + (replacedBy is null ? "." : "; it was replaced by another card.")));
            return ((new Guid(memberId, bigEndian: true), found!), null);
        }

        private MemberState StateOf(MemberRef named)
        {
            if (_members.TryGetValue(named.Id, out var state)) return state;
            // Named by the file and not in the database: enrolled with their first recorded purchase.
            state = new MemberState(named.Id, MemberStatus.Active, 0, inDatabase: false) { Reference = named.Reference };
            _members[named.Id] = state;
            return state;
        }

        private MemberState StateOf(Guid memberId)
        {
            if (_members.TryGetValue(memberId, out var state)) return state;
            var rows = _member.Rows(1, Id(memberId));
            if (rows.Count == 0) throw new InvalidOperationException($"The member {memberId} of a card does not exist.");
            state = new MemberState(memberId, (MemberStatus)(long)rows[0][0]!, checked((int)(long)rows[0][1]!), inDatabase: true);
            _members[memberId] = state;
            return state;
        }

        private void Touch(MemberState state)
        {
            if (state.Dirty) return;
            state.Dirty = true;
            _dirty.Add(state);
        }

        /// <summary>Writes each member the batch touched once: new members with their totals, others by their changes.</summary>
        private void FlushMembers()
        {
            foreach (var m in _dirty)
            {
                if (!m.InDatabase)
                {
                    if (!m.Enrolled) continue;
                    _enrol.Run(Id(m.Id), m.Reference!, (long)MemberStatus.Active, Time(m.FirstSeen), m.Available, m.Pending, m.Purchases);
                    m.InDatabase = true;
                    m.WrittenJoined = m.FirstSeen;
                }
                else
                {
                    if (m.Available != 0 || m.Pending != 0 || m.Purchases != 0)
                    {
                        if (_change.Run(Id(m.Id), m.Available, m.Pending, m.Purchases) != 1) throw new InvalidOperationException($"Member {m.Id} disappeared during the import.");
                    }
                    if (m.WrittenJoined is { } joined && m.FirstSeen < joined)
                    {
                        _joined.Run(Id(m.Id), Time(m.FirstSeen));
                        m.WrittenJoined = m.FirstSeen;
                    }
                }
                m.Available = m.Pending = m.Purchases = 0;
                m.Dirty = false;
            }
            _dirty.Clear();
        }

        private BulkStatement Statement(string sql, params string[] parameters) => new(_c, sql, _programme, parameters);

        private SqliteCommand Query(string sql)
        {
            var cmd = _c.CreateCommand();
            cmd.CommandText = sql;
            cmd.Parameters.AddWithValue("$p", _programme);
            return cmd;
        }

        public void Dispose()
        {
            foreach (var cmd in new[] { _existing, _purchase, _line, _transaction, _entry, _lot, _card, _member, _enrol, _change, _joined, _maxTx })
                cmd.Dispose();
        }
    }

    // The forms Treue's SQLite model stores (see TreueDb.ConfigureConventions), so that rows written here read back
    // exactly like rows EF Core wrote: ids as 16 big-endian bytes, times as microseconds since 1970, enums as numbers.
    private static byte[] Id(Guid id) => TreueDb.StoredId(id);

    private static long Time(DateTime utc) => TreueDb.StoredTime(utc);

    private static string Quantity(decimal value) => value.ToString("0.0###########################", CultureInfo.InvariantCulture);
}
