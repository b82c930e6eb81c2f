using Microsoft.Extensions.DependencyInjection.Extensions;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Scalar.AspNetCore;
using Treue.Server.Features.Analytics;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Bench;
using Treue.Server.Features.Privacy;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Features.Cards;
using Treue.Server.Features.Demo;
using Treue.Server.Features.Ledger;
using Treue.Server.Features.Members;
using Treue.Server.Features.Programmes;
using Treue.Server.Features.Purchases;
using Treue.Server.Features.Promotions;
using Treue.Server.Features.Rewards;
using Treue.Server.Features.Settlement;
using Treue.Server.Features.Tiers;
using Treue.Server.Features.Referrals;
using Treue.Server.Features.Triggers;
using Treue.Server.Features.Mail;
using Treue.Server.Infrastructure;
using Treue.Server.Web.Shared;
using Treue.Storage;
using Treue.Storage.Purchases;

namespace Treue.Server;

/// <summary>Settings under the <c>Treue</c> section.</summary>
public sealed class TreueOptions
{
    /// <summary>Folder for the SQLite database and other local files. Relative paths start at the working directory.</summary>
    public string DataFolder { get; set; } = "data";
    /// <summary>Apply database migrations when the server starts.</summary>
    public bool MigrateOnStart { get; set; } = true;
    /// <summary>Create the demo programme on start (if missing) and fill it with synthetic activity.</summary>
    public bool Demo { get; set; }
    /// <summary>Members the demo enrols.</summary>
    public int DemoMembers { get; set; } = 2000;
    /// <summary>
    /// The address members and clients reach the server at (<c>https://loyalty.example.com/</c>): sign-in links and the
    /// OpenAPI document's server are built from it, never from a request's Host header. Unset: the address the server
    /// listens on.
    /// </summary>
    public string? PublicBaseUrl { get; set; }
}

/// <summary>The answer of the health endpoints: <c>ok</c>, and the database kind where it was reached.</summary>
public sealed record HealthView(string Status, string? Database = null);

/// <summary>Builds the Treue server: the one place where services and endpoints are put together.</summary>
public static class TreueApp
{
    /// <summary>Creates the application. <paramref name="configure"/> lets the CLI and tests override settings.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        var options = builder.Configuration.GetSection("Treue").Get<TreueOptions>() ?? new TreueOptions();
        var connectionString = ConnectionString(builder.Configuration);

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = ErrorHandling.MaxBodyBytes;
            // Kestrel answers its own limits with a bare status and no body. Its limits are set well above the
            // application's (ErrorHandling), which refuses oversized heads with a problem response instead.
            k.Limits.MaxRequestHeadersTotalSize = ErrorHandling.HardHeadLimitBytes;
            k.Limits.MaxRequestLineSize = ErrorHandling.HardHeadLimitBytes;
        });
        builder.Services.Configure<TreueOptions>(builder.Configuration.GetSection("Treue"));
        builder.Services.Configure<IdempotencyOptions>(builder.Configuration.GetSection("Treue:Idempotency"));
        builder.Services.Configure<LedgerJobOptions>(builder.Configuration.GetSection("Treue:Jobs"));
        builder.Services.Configure<GroupCommitOptions>(builder.Configuration.GetSection("Treue:GroupCommit"));
        builder.Services.AddSingleton<GroupCommit>();
        builder.Services.AddHostedService(s => s.GetRequiredService<GroupCommit>());
        // One store per database provider; the provider is the context's (tests and the CLI may configure it after this).
        builder.Services.AddSingleton(s =>
        {
            using var scope = s.CreateScope();
            return PurchaseStores.For(scope.ServiceProvider.GetRequiredService<TreueDb>(), s.GetRequiredService<TimeProvider>());
        });
        builder.Services.AddSingleton(new IdempotentResources().AddPurchases());
        var synchronous = builder.Configuration.GetValue(StorageSetup.SqliteSynchronousSetting, SqliteSynchronous.Full);
        // The options are built once: building them per request (per scope) parsed the connection string every time.
        builder.Services.AddDbContext<TreueDb>(o => o.UseTreueDatabase(connectionString, synchronous), optionsLifetime: ServiceLifetime.Singleton);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ProgrammeCache>();
        builder.Services.AddSingleton<ApiKeyCache>();
        builder.Services.AddSingleton<ServerSecret>();
        builder.Services.AddScoped<PointsLedger>();
        builder.Services.AddScoped<ProgrammeApplier>();
        builder.Services.AddScoped<AnalyticsService>();
        builder.Services.AddSingleton<AnalyticsCache>();
        builder.Services.AddScoped<PurchaseRecorder>();
        builder.Services.AddScoped<DemoSeeder>();
        builder.Services.AddHostedService<LedgerJobs>();
        builder.Services.AddHostedService<TierJobs>();
        builder.Services.AddScoped<Features.Triggers.TriggerScheduler>();
        builder.Services.AddHostedService<Features.Triggers.TriggerJobs>();
        builder.Services.AddHostedService<Features.Privacy.RetentionJob>();
        builder.Services.AddHostedService<IdempotencyCleanup>();
        builder.Services.Configure<Features.Mail.MailOptions>(builder.Configuration.GetSection("Treue:Mail"));
        builder.Services.AddScoped<Features.Mail.MailDelivery>();
        builder.Services.AddHostedService<Features.Mail.MailJobs>();

        builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, p => p.RequireRole(nameof(Storage.Entities.ApiRole.Admin))
                .RequireAssertion(c => !c.User.HasClaim(claim => claim.Type == ApiKeyAuthentication.PartnerClaim)))
            .AddPolicy(Policies.KeyAdmin, p => p.RequireRole(nameof(Storage.Entities.ApiRole.Admin)))
            .AddPolicy(Policies.Pos, p => p.RequireRole(nameof(Storage.Entities.ApiRole.Admin), nameof(Storage.Entities.ApiRole.Pos)));
        builder.AddTreueWeb();
        builder.AddTreueEdge();
        builder.Services.ConfigureHttpJsonOptions(o => TreueJson.ConfigureStrict(o.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.Services.AddTreueOpenApi();

        var app = builder.Build();
        // Read (or created) now: a malformed key stops the start instead of the first sign-in.
        app.Services.GetRequiredService<ServerSecret>();
        if (!ServerSecret.IsConfigured(app.Configuration) && StorageSetup.Detect(connectionString) == DatabaseProvider.Postgres)
            app.Logger.LogWarning("{Setting} is not set, so this node keeps its own key in its data folder: sign-in codes and links sent by one node " +
                "do not work on another. Give every node the same {Setting}.", ServerSecret.Setting, ServerSecret.Setting);
        if (synchronous != SqliteSynchronous.Full && StorageSetup.Detect(connectionString) == DatabaseProvider.Sqlite)
            app.Logger.LogWarning("{Setting} is {Value}: a power cut can lose purchases that were acknowledged.", StorageSetup.SqliteSynchronousSetting, synchronous);
        if (options.MigrateOnStart)
        {
            using var scope = app.Services.CreateScope();
            scope.ServiceProvider.GetRequiredService<TreueDb>().Database.MigrateTreue();
        }

        app.UseTreueEdge();
        app.UseTreueErrorHandling();
        app.UseAuthentication();
        app.UseTreueRateLimits();
        app.UseAuthorization();
        app.UseTreueWeb();
        app.UseMiddleware<IdempotencyMiddleware>();

        app.MapOpenApi();
        // Every asset of the reference comes from this server: its fonts from a CDN would keep a machine without internet waiting.
        app.MapScalarApiReference(o => o.WithTitle("Treue API").DisableDefaultFonts().WithFavicon("/favicon.ico"));
        app.MapTreueWeb();
        app.MapGet("/health", async Task<Results<Ok<HealthView>, ProblemHttpResult>> (TreueDb db, CancellationToken ct) =>
                await db.Database.CanConnectAsync(ct)
                    ? TypedResults.Ok(new HealthView("ok", db.IsSqlite ? "sqlite" : "postgres"))
                    : Problems.Problem("database_unavailable", "The database cannot be reached.", status: 503))
            .WithTags("Health").WithName("getHealth").WithSummary("Liveness and database reachability").AllowAnonymous()
            .Refuses(503, "database_unavailable");

        app.MapGet("/health/live", () => TypedResults.Ok(new HealthView("ok")))
            .WithTags("Health").WithName("getLiveness").WithSummary("Liveness only: answers without touching the database").AllowAnonymous();

        var api = app.MapGroup("/api/v1");
        api.AddEndpointFilterFactory(InputBounds.BoundParameters);
        api.MapProgrammes().MapMembers().MapCards().MapPurchases().MapPromotions().MapLedger().MapRewards().MapApiKeys().MapAnalytics().MapAudit().MapPrivacy().MapTiers()
            .MapSettlement().MapReferrals().MapTriggers().MapMail();
        api.MapMinimalEarn(); // a benchmark aid: mapped only when Treue:Bench:MinimalEarn is true
        return app;
    }

    /// <summary>The configured connection string, or a SQLite file in the data folder.</summary>
    public static string ConnectionString(IConfiguration configuration)
    {
        var configured = configuration.GetConnectionString("Treue");
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        var folder = configuration["Treue:DataFolder"] ?? "data";
        return StorageSetup.DefaultConnectionString(Path.GetFullPath(folder));
    }

    /// <summary>Creates the demo programme if needed, prints its keys and fills it with activity in the background.</summary>
    public static async Task StartDemoAsync(WebApplication app, Action<string> say)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TreueOptions>>().Value;
        var keysFile = Path.Combine(Path.GetFullPath(options.DataFolder), "demo-api-keys.json");
        using var scope = app.Services.CreateScope();
        var seeder = scope.ServiceProvider.GetRequiredService<DemoSeeder>();
        var (programmeId, keys) = await seeder.EnsureProgrammeAsync(CancellationToken.None);
        if (keys is not null)
        {
            await PrivateFiles.WriteAllTextAsync(keysFile, JsonSerializer.Serialize(keys, TreueJson.Options));
        }
        else if (File.Exists(keysFile))
        {
            keys = JsonSerializer.Deserialize<DemoKeys>(await File.ReadAllTextAsync(keysFile), TreueJson.Options);
        }
        // Decided before the console's demo member is created, who would otherwise count as the demo being filled.
        var empty = !await seeder.HasMembersAsync(programmeId, CancellationToken.None);
        await Web.WebDemo.EnsureAsync(scope.ServiceProvider, programmeId, say, CancellationToken.None);
        if (keys is not null)
            say($"Demo programme '{DemoSeeder.Code}' is ready. Admin API key: {keys.Admin}  Till (pos) API key: {keys.Pos}  (saved in {keysFile})");
        if (!empty) return;
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Treue.Demo");
        _ = Task.Run(async () =>
        {
            try
            {
                using var seedScope = app.Services.CreateScope();
                var n = await seedScope.ServiceProvider.GetRequiredService<DemoSeeder>()
                    .SeedActivityAsync(programmeId, options.DemoMembers, null, lifetime.ApplicationStopping);
                log.LogInformation("Demo programme filled with {Members} members and {Purchases} purchases", options.DemoMembers, n);
            }
            catch (OperationCanceledException) { }
            catch (Exception e)
            {
                log.LogError(e, "Filling the demo programme failed");
            }
        });
    }
}
