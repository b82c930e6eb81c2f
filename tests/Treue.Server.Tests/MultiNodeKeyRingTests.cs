using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Programmes;
using Treue.Server.Tests.Infrastructure;
using Treue.Server.Web.Admin;
using Treue.Server.Web.Shared;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Tests;

/// <summary>
/// The keys that protect the cookies and antiforgery tokens live in the database, not in a server's home folder: a
/// node on another machine, or the same server restarted with a fresh home folder (a container), reads them.
/// </summary>
public sealed class MultiNodeKeyRingTests(PostgresCluster cluster) : IDisposable
{
    private const string Password = "correct-horse-battery";
    private readonly List<DirectoryInfo> _folders = [];

    [Fact]
    public async Task A_session_started_on_one_node_is_accepted_and_ended_on_another_with_its_own_home_folder()
    {
        var cs = await cluster.CreateDatabaseAsync();
        await using var first = await ServerProcess.StartAsync(cs, Folder()); // migrates the database
        await using var second = await ServerProcess.StartAsync(cs, Folder());
        var alice = await SeedAsync(cs);

        using var onFirst = PageClient.For(first.Address);
        Assert.Equal(HttpStatusCode.Redirect, (await onFirst.StaffSignInAsync(alice, Password)).StatusCode);
        using var onSecond = onFirst.CopyTo(PageClient.For(second.Address));
        Assert.True(await onSecond.CanOpenAsync("/admin"), "the second node refused the first node's cookie");

        // The form came from the first node; the second checks its antiforgery token and ends the session.
        var token = await onFirst.TokenAsync("/admin");
        Assert.Equal(HttpStatusCode.Redirect, (await onSecond.PostFormAsync("/admin/signout", new Dictionary<string, string> { ["__RequestVerificationToken"] = token })).StatusCode);
        await Task.Delay(WebSessions.CacheTime + TimeSpan.FromMilliseconds(500));
        Assert.False(await onFirst.CanOpenAsync("/admin"));
    }

    [Fact]
    public async Task A_server_restarted_with_a_new_home_folder_keeps_its_sessions_on_sqlite()
    {
        var data = Folder();
        var cs = StorageSetup.DefaultConnectionString(data.FullName);
        var port = ServerProcess.FreePort();
        using var browser = PageClient.For(new Uri($"http://127.0.0.1:{port}"));
        await using (await ServerProcess.StartAsync(cs, port, Folder()))
        {
            var alice = await SeedAsync(cs);
            Assert.Equal(HttpStatusCode.Redirect, (await browser.StaffSignInAsync(alice, Password)).StatusCode);
            Assert.True(await browser.CanOpenAsync("/admin"));
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        await using (await ServerProcess.StartAsync(cs, port, Folder()))
            Assert.True(await browser.CanOpenAsync("/admin"), "the restarted server refused the cookie it had issued");
    }

    private DirectoryInfo Folder()
    {
        var folder = Directory.CreateTempSubdirectory("treue-node-");
        _folders.Add(folder);
        return folder;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var folder in _folders)
        {
            try { folder.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<string> SeedAsync(string cs)
    {
        var options = new DbContextOptionsBuilder<TreueDb>();
        options.UseTreueDatabase(cs);
        await using var db = new TreueDb(options.Options);
        var (result, _) = await new ProgrammeApplier(db, TimeProvider.System).ApplyAsync(TestProgramme.DefaultDocument with { Code = "keyring" }, CancellationToken.None);
        var accounts = new StaffAccounts(db, new SignInThrottle(TimeProvider.System), TimeProvider.System, new ConfigurationBuilder().Build(),
            NullLogger<StaffAccounts>.Instance);
        await accounts.CreateAsync(result!.ProgrammeId, "alice@keyring.test", "Alice", StaffRole.Admin, Password, AuditActor.System, CancellationToken.None);
        return "alice@keyring.test";
    }
}
