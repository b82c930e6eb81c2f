using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Treue.Server;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Cli;

/// <summary>How a command wants the Treue host built.</summary>
internal sealed record HostRequest
{
    /// <summary>Apply pending migrations while building (unless configuration turns <c>Treue:MigrateOnStart</c> off).</summary>
    public bool Migrate { get; init; } = true;
    /// <summary>Keep the configured loggers; commands other than <c>serve</c> report through the terminal instead.</summary>
    public bool Logging { get; init; }
    /// <summary>Arguments handed to ASP.NET Core's command-line configuration.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];
    /// <summary>Settings that override every other configuration source.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();
    /// <summary>Last changes to the builder.</summary>
    public Action<WebApplicationBuilder>? Configure { get; init; }
}

/// <summary>
/// What every command shares: the terminal, the options that choose the database, and the way to build the
/// Treue host. Commands get their services from the same <see cref="TreueApp.Build"/> the server uses, so the
/// CLI and the server can never disagree about configuration or storage.
/// </summary>
internal sealed class CliContext(Terminal terminal, Action<IServiceCollection>? replaceServices)
{
    public Terminal Terminal => terminal;

    public Option<string?> Data { get; } = new("--data")
    {
        Description = "Data folder for the SQLite database and local files (configuration Treue:DataFolder, default ./data)",
        HelpName = "DIR",
        Recursive = true,
    };

    public Option<string?> Connection { get; } = new("--connection")
    {
        Description = "Database connection string; PostgreSQL strings contain Host= (configuration ConnectionStrings:Treue)",
        HelpName = "CS",
        Recursive = true,
    };

    /// <summary>Builds (but does not start) the Treue host for the database the command line names.</summary>
    public WebApplication BuildHost(ParseResult parse, HostRequest? request = null)
    {
        request ??= new HostRequest();
        var settings = new Dictionary<string, string?>(request.Settings);
        if (parse.GetValue(Data) is { Length: > 0 } data) settings["Treue:DataFolder"] = data;
        if (parse.GetValue(Connection) is { Length: > 0 } connection) settings["ConnectionStrings:Treue"] = connection;
        if (!request.Migrate) settings["Treue:MigrateOnStart"] = "false";
        return TreueApp.Build([.. request.Args], builder =>
        {
            AddShippedDefaults(builder);
            builder.Configuration.AddInMemoryCollection(settings);
            if (!request.Logging) builder.Logging.ClearProviders();
            if (replaceServices is not null) builder.Host.UseServiceProviderFactory(new ReplacingFactory(replaceServices));
            request.Configure?.Invoke(builder);
        });
    }

    /// <summary>Builds the host, opens a scope and runs <paramref name="work"/> in it.</summary>
    public async Task<int> WithServicesAsync(ParseResult parse, Func<IServiceProvider, Task<int>> work, HostRequest? request = null)
    {
        await using var app = BuildHost(parse, request);
        await using var scope = app.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    /// <summary>The programme with this code, or a clear error.</summary>
    public static async Task<Programme> ProgrammeAsync(TreueDb db, string code, CancellationToken ct) =>
        await db.Programmes.AsNoTracking().SingleOrDefaultAsync(p => p.Code == code, ct)
        ?? throw new CliError($"There is no programme '{code}'. Create it with 'treue programme apply FILE'.");

    /// <summary>
    /// The settings shipped next to the executable (log levels, job intervals) are the lowest layer, so that
    /// running from any folder behaves like the server; an appsettings.json in the working directory, environment
    /// variables and options still override them.
    /// </summary>
    private static void AddShippedDefaults(WebApplicationBuilder builder)
    {
        var home = AppContext.BaseDirectory;
        if (!File.Exists(Path.Combine(home, "appsettings.json"))) return;
        if (Path.GetFullPath(home).TrimEnd(Path.DirectorySeparatorChar) == Path.GetFullPath(builder.Environment.ContentRootPath).TrimEnd(Path.DirectorySeparatorChar))
            return;
        builder.Configuration.Sources.Insert(0, new JsonConfigurationSource
        {
            Path = "appsettings.json",
            Optional = true,
            FileProvider = new PhysicalFileProvider(home),
        });
    }

    /// <summary>Applies replacements after the server registered its services (tests swap the clock this way).</summary>
    private sealed class ReplacingFactory(Action<IServiceCollection> replace) : IServiceProviderFactory<IServiceCollection>
    {
        public IServiceCollection CreateBuilder(IServiceCollection services)
        {
            replace(services);
            return services;
        }

        public IServiceProvider CreateServiceProvider(IServiceCollection containerBuilder) => containerBuilder.BuildServiceProvider();
    }
}
