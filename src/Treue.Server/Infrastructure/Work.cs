using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Treue.Storage;

namespace Treue.Server.Infrastructure;

/// <summary>
/// One unit of work: everything a request writes commits together or not at all. When the request already runs
/// in a transaction (an idempotent request, whose stored response must commit with its effects), the unit is a
/// savepoint of that transaction, so that a refused request leaves nothing behind but its stored refusal.
/// </summary>
public sealed class Work : IAsyncDisposable
{
    private readonly TreueDb _db;
    private readonly IDbContextTransaction? _own;
    private readonly string? _savepoint;
    private bool _done;

    private Work(TreueDb db, IDbContextTransaction? own, string? savepoint)
    {
        _db = db;
        _own = own;
        _savepoint = savepoint;
    }

    /// <summary>Starts a unit of work on <paramref name="db"/>.</summary>
    public static async Task<Work> BeginAsync(TreueDb db, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is { } ambient)
        {
            var name = "w" + Guid.NewGuid().ToString("N")[..8];
            await ambient.CreateSavepointAsync(name, ct);
            return new Work(db, null, name);
        }
        return new Work(db, await db.Database.BeginTransactionAsync(ct), null);
    }

    /// <summary>Saves tracked changes and commits the unit.</summary>
    public async Task CommitAsync(CancellationToken ct)
    {
        await _db.SaveChangesAsync(ct);
        if (_own is not null) await _own.CommitAsync(ct);
        else await _db.Database.CurrentTransaction!.ReleaseSavepointAsync(_savepoint!, ct);
        _done = true;
    }

    /// <summary>Rolls back whatever was not committed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_done)
        {
            _db.ChangeTracker.Clear();
            if (_own is null && _db.Database.CurrentTransaction is { } ambient)
                await ambient.RollbackToSavepointAsync(_savepoint!);
        }
        if (_own is not null) await _own.DisposeAsync();
    }
}
