using Microsoft.EntityFrameworkCore;
using Treue.Server.Features.Purchases;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Cli.Import;

/// <summary>What an import did.</summary>
internal sealed record ImportOutcome(int New, int AlreadyThere, int Rejected, int RejectedRows, int MembersEnrolled, long PointsEarned, List<ImportError> Errors);

/// <summary>
/// Records imported purchases through <see cref="PurchaseRecorder"/>, so every purchase earns by the programme's
/// rules exactly as at a till. Members are found by their external reference and enrolled when missing.
/// Purchases are committed in batches: each batch is one database transaction in which every purchase is its own
/// savepoint, so a refused purchase leaves nothing behind and the rest of the batch still commits.
/// </summary>
internal sealed class PurchaseImporter(TreueDb db, PurchaseRecorder recorder)
{
    private const string EnrolSavepoint = "enrol";

    public async Task<ImportOutcome> ImportAsync(Guid programmeId, ImportFile file, string actor, int batchSize, Action<int> progress, CancellationToken ct)
    {
        var members = new Dictionary<string, Guid>(StringComparer.Ordinal);
        var known = db.Members.AsNoTracking()
            .Where(m => m.ProgrammeId == programmeId && m.ExternalRef != null)
            .OrderBy(m => m.EnrolledAt)
            .Select(m => new { m.ExternalRef, m.Id })
            .AsAsyncEnumerable();
        await foreach (var m in known.WithCancellation(ct)) members.TryAdd(m.ExternalRef!, m.Id);

        // A member enrolled by the import joined at their first purchase in the file.
        var joined = file.Purchases.Where(p => p.MemberRef is not null)
            .GroupBy(p => p.MemberRef!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Min(p => p.Request.OccurredAt!.Value.UtcDateTime), StringComparer.Ordinal);

        var errors = new List<ImportError>(file.Errors);
        int created = 0, existing = 0, rejected = 0, rejectedRows = file.RejectedRows, enrolled = 0;
        long points = 0;
        var done = 0;
        var purchases = file.Purchases;
        for (var start = 0; start < purchases.Count; start += batchSize)
        {
            var batch = new Tally();
            var current = purchases[start];
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                for (var i = start; i < Math.Min(start + batchSize, purchases.Count); i++)
                {
                    current = purchases[i];
                    await RecordAsync(programmeId, current, file, actor, members, joined, batch, ct);
                    progress(++done);
                }
                await tx.CommitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                throw new CliError($"Interrupted. {created:N0} new purchases were saved before; importing the file again skips them.", ExitCodes.Interrupted);
            }
            catch (Exception e) when (e is not CliError)
            {
                throw new CliError($"The import stopped at line {current.Line}: {Cli.Describe(e)}. " +
                    $"{created:N0} new purchases were saved before; importing the file again skips them.", ExitCodes.Failed);
            }
            finally
            {
                db.ChangeTracker.Clear();
            }
            foreach (var (name, id) in batch.NewMembers) members[name] = id;
            created += batch.Created;
            existing += batch.Existing;
            rejected += batch.Rejected;
            rejectedRows += batch.RejectedRows;
            enrolled += batch.NewMembers.Count;
            points += batch.Points;
            errors.AddRange(batch.Errors);
        }
        errors.Sort((a, b) => a.Line.CompareTo(b.Line));
        return new ImportOutcome(created, existing, rejected, rejectedRows, enrolled, points, errors);
    }

    private async Task RecordAsync(Guid programmeId, ImportedPurchase purchase, ImportFile file, string actor,
        Dictionary<string, Guid> members, Dictionary<string, DateTime> joined, Tally batch, CancellationToken ct)
    {
        var request = purchase.Request;
        Guid? newMember = null;
        if (purchase.MemberRef is { } reference)
        {
            if (!members.TryGetValue(reference, out var memberId) && !batch.NewMembers.TryGetValue(reference, out memberId))
            {
                // The enrolment and the purchase stand or fall together.
                await db.Database.CurrentTransaction!.CreateSavepointAsync(EnrolSavepoint, ct);
                memberId = Guid.CreateVersion7();
                db.Members.Add(new Member
                {
                    Id = memberId, ProgrammeId = programmeId, ExternalRef = reference, Name = reference,
                    Status = MemberStatus.Active, EnrolledAt = joined[reference],
                });
                await db.SaveChangesAsync(ct);
                newMember = memberId;
            }
            request = request with { MemberId = memberId };
        }

        var result = await recorder.RecordAsync(programmeId, null, request, actor, fullView: false, ct);
        // Everything is saved by now; an empty change tracker keeps each purchase as cheap as the first.
        db.ChangeTracker.Clear();
        if (result.Problem is { } problem)
        {
            if (newMember is not null) await db.Database.CurrentTransaction!.RollbackToSavepointAsync(EnrolSavepoint, ct);
            batch.Rejected++;
            batch.RejectedRows += purchase.LineNumbers.Count;
            foreach (var (field, message) in FieldErrors.Of(problem))
                batch.Errors.Add(file.ErrorAt(purchase, field, message));
            return;
        }
        if (newMember is { } id)
        {
            await db.Database.CurrentTransaction!.ReleaseSavepointAsync(EnrolSavepoint, ct);
            batch.NewMembers[purchase.MemberRef!] = id;
        }
        if (result.Created)
        {
            batch.Created++;
            batch.Points += result.View!.PointsEarned;
        }
        else
        {
            batch.Existing++;
        }
    }

    /// <summary>The counts of one batch; they count only once the batch has committed.</summary>
    private sealed class Tally
    {
        public int Created { get; set; }
        public int Existing { get; set; }
        public int Rejected { get; set; }
        public int RejectedRows { get; set; }
        public long Points { get; set; }
        public Dictionary<string, Guid> NewMembers { get; } = new(StringComparer.Ordinal);
        public List<ImportError> Errors { get; } = [];
    }
}
