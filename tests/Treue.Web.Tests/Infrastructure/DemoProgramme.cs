using Microsoft.Extensions.DependencyInjection;
using Treue.Server;
using Treue.Server.Features.Demo;
using Treue.Server.Web;

namespace Treue.Web.Tests.Infrastructure;

/// <summary>
/// The demo programme (a year of synthetic purchases by a few hundred members) in the test server's database, created
/// once per run by the same seeder <c>treue demo</c> uses. The analytics need that much history: the test programme's
/// three members are too few to fit a lifetime-value model. It is a programme of its own, so the other tests'
/// figures do not change; its staff sign in with <see cref="WebDemo"/>'s accounts.
/// </summary>
public static class DemoProgramme
{
    public const int Members = 300;
    public const string MarketerEmail = "marketer@demo.treue";
    public const string AnalystEmail = "analyst@demo.treue";
    public const string SupportEmail = "support@demo.treue";
    public const string Password = WebDemo.Password;

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static Guid? _id;

    public static async Task<Guid> EnsureAsync(WebServer server)
    {
        await Gate.WaitAsync();
        try
        {
            if (_id is { } done) return done;
            var folder = Path.Combine(Path.GetTempPath(), "treue-demo-seed-" + Guid.NewGuid().ToString("N")[..8]);
            await using var app = TreueApp.Build(
            [
                "--ConnectionStrings:Treue=" + server.ConnectionString, "--Treue:DataFolder=" + folder, "--Treue:MigrateOnStart=false",
                "--Logging:LogLevel:Default=Warning",
            ]);
            using var scope = app.Services.CreateScope();
            var seeder = scope.ServiceProvider.GetRequiredService<DemoSeeder>();
            var (id, _) = await seeder.EnsureProgrammeAsync(CancellationToken.None);
            await WebDemo.EnsureAsync(scope.ServiceProvider, id, _ => { }, CancellationToken.None);
            await seeder.SeedActivityAsync(id, Members, null, CancellationToken.None, yieldBetweenBatches: false);
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
            _id = id;
            return id;
        }
        finally
        {
            Gate.Release();
        }
    }
}
