using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Treue.Server.Features.Programmes;
using Treue.Server.Features.Purchases;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Purchases;

namespace Treue.Server.Tests.Model;

/// <summary>The clock of the sequence a scope works for: every sequence has its own, so sequences can run side by side.</summary>
public sealed class SequenceClock
{
    public FakeTimeProvider? Current { get; set; }
}

/// <summary>
/// The server's ledger services on one real database, without HTTP: the same registrations as the server
/// (a database context per scope, the programme cache as a singleton), except that the clock is the sequence's own.
/// </summary>
public sealed class ModelDatabase : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string? _folder;

    private ModelDatabase(ServiceProvider services, string? folder, string description)
    {
        _services = services;
        _folder = folder;
        Description = description;
    }

    /// <summary>Where the database is, for the test output.</summary>
    public string Description { get; }

    public static async Task<ModelDatabase> CreateAsync(string connectionString, string? folder, string description)
    {
        var services = new ServiceCollection();
        services.AddDbContext<TreueDb>(o => o.UseTreueDatabase(connectionString));
        services.AddSingleton<ProgrammeCache>();
        services.AddScoped<SequenceClock>();
        services.AddScoped<TimeProvider>(sp => sp.GetRequiredService<SequenceClock>().Current
            ?? throw new InvalidOperationException("The scope has no sequence clock."));
        services.AddScoped<PointsLedger>();
        services.AddScoped<ProgrammeApplier>();
        services.AddScoped<PurchaseRecorder>();
        // Not started here, so the recorder writes in its own transaction, as a command of the CLI does.
        services.AddLogging();
        services.AddSingleton<GroupCommit>();
        services.AddScoped(s => PurchaseStores.For(s.GetRequiredService<TreueDb>(), s.GetRequiredService<TimeProvider>()));
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        await using (var scope = provider.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<TreueDb>().Database.MigrateAsync();
        return new ModelDatabase(provider, folder, description);
    }

    /// <summary>A SQLite file in <paramref name="folder"/>, created and migrated.</summary>
    public static Task<ModelDatabase> CreateSqliteAsync(string folder)
    {
        Directory.CreateDirectory(folder);
        return CreateAsync(StorageSetup.DefaultConnectionString(folder), folder, "sqlite:" + Path.Combine(folder, "treue.db"));
    }

    /// <summary>A scope, as one request would have, working with <paramref name="clock"/>.</summary>
    public AsyncServiceScope Scope(FakeTimeProvider clock)
    {
        var scope = _services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<SequenceClock>().Current = clock;
        return scope;
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        if (_folder is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        }
    }
}
