using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Features.Ledger;
using Treue.Server.Features.Programmes;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Tests.Infrastructure;

/// <summary>A Treue server in memory on a real database. Each test class gets its own database.</summary>
public abstract class TreueServer : WebApplicationFactory<Program>, IAsyncLifetime
{
    /// <summary>The clock of the server; tests move it forward.</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero));

    /// <summary>The database the server runs on.</summary>
    public string ConnectionString { get; protected set; } = "";

    public abstract string Provider { get; }

    public virtual ValueTask InitializeAsync()
    {
        _ = Server; // start the host (and migrate) now rather than inside the first test
        return ValueTask.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        // Warnings and errors only: a failing test's message stays readable among hundreds of test hosts. Commands
        // that fail on purpose (the first look for the migrations table) are not errors of a test.
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command", "Critical");
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<DbContextOptions<TreueDb>>();
            services.RemoveAll<IDbContextOptionsConfiguration<TreueDb>>();
            services.AddDbContext<TreueDb>(o => o.UseTreueDatabase(ConnectionString));
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
            services.Configure<LedgerJobOptions>(o => o.Interval = TimeSpan.Zero);
            // Tests deliver the outbox with POST /api/v1/jobs/mail, so they know when it happened.
            services.Configure<Features.Mail.MailOptions>(o => o.PollInterval = TimeSpan.Zero);
        });
    }

    /// <summary>Runs <paramref name="action"/> with a database context of the server.</summary>
    public async Task<T> WithDbAsync<T>(Func<TreueDb, Task<T>> action)
    {
        using var scope = Services.CreateScope();
        return await action(scope.ServiceProvider.GetRequiredService<TreueDb>());
    }

    /// <summary>Creates a programme from <paramref name="document"/> (a unique code is filled in) with an admin and a till key.</summary>
    public async Task<TestProgramme> NewProgrammeAsync(ProgrammeDocument? document = null)
    {
        var code = "p-" + Guid.NewGuid().ToString("N")[..10];
        var doc = (document ?? TestProgramme.DefaultDocument) with { Code = code };
        using var scope = Services.CreateScope();
        var applier = scope.ServiceProvider.GetRequiredService<ProgrammeApplier>();
        var invalid = ProgrammeApplier.Validate(doc);
        if (invalid is not null) throw new InvalidOperationException("Test programme is invalid: " + System.Text.Json.JsonSerializer.Serialize(invalid.Problem().ProblemDetails.Extensions));
        var (result, refusal) = await applier.ApplyAsync(doc, CancellationToken.None);
        if (refusal is not null) throw new InvalidOperationException(refusal.Message);
        var db = scope.ServiceProvider.GetRequiredService<TreueDb>();
        var now = Clock.GetUtcNow().UtcDateTime;
        var admin = await ApiKeyEndpoints.CreateAsync(db, result!.ProgrammeId, "test admin", ApiRole.Admin, null, now, CancellationToken.None);
        var pos = await ApiKeyEndpoints.CreateAsync(db, result.ProgrammeId, "test till", ApiRole.Pos, null, now, CancellationToken.None);
        return new TestProgramme(this, result.ProgrammeId, code, Client(admin.Key), Client(pos.Key));
    }

    /// <summary>An HTTP client that sends <paramref name="key"/> (or no key).</summary>
    public HttpClient Client(string? key)
    {
        var client = CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}

/// <summary>The API on SQLite: a file in a temporary folder, as in production.</summary>
public class SqliteServer : TreueServer
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "treue-test-" + Guid.NewGuid().ToString("N")[..10]);

    public SqliteServer()
    {
        Directory.CreateDirectory(_folder);
        ConnectionString = StorageSetup.DefaultConnectionString(_folder);
    }

    public override string Provider => "sqlite";

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}

/// <summary>The API on a real PostgreSQL server.</summary>
public class PostgresServer(PostgresCluster cluster) : TreueServer
{
    public override string Provider => "postgres";

    public override async ValueTask InitializeAsync()
    {
        ConnectionString = await cluster.CreateDatabaseAsync();
        await base.InitializeAsync();
    }
}
