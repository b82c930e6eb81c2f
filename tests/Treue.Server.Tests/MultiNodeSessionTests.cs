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

/// <summary>Two server processes on one PostgreSQL database: a session that ends on one node ends on the other too.</summary>
public sealed class MultiNodeSessionTests(PostgresCluster cluster)
{
    private const string Password = "correct-horse-battery";

    [Fact]
    public async Task Signing_out_or_disabling_on_one_node_ends_the_session_on_the_other()
    {
        var cs = await cluster.CreateDatabaseAsync();
        await using var first = await ServerProcess.StartAsync(cs); // migrates the database
        await using var second = await ServerProcess.StartAsync(cs);
        var (programme, alice, bob) = await SeedAsync(cs);

        // Signed out on the first node: a copy of the cookie sent to the second is refused once its short memory has passed.
        using var onFirst = PageClient.For(first.Address);
        Assert.Equal(HttpStatusCode.Redirect, (await onFirst.StaffSignInAsync(alice, Password)).StatusCode);
        using var onSecond = onFirst.CopyTo(PageClient.For(second.Address));
        Assert.True(await onSecond.CanOpenAsync("/admin"));
        var token = await onFirst.TokenAsync("/admin");
        Assert.Equal(HttpStatusCode.Redirect, (await onFirst.PostFormAsync("/admin/signout", new Dictionary<string, string> { ["__RequestVerificationToken"] = token })).StatusCode);
        await Task.Delay(WebSessions.CacheTime + TimeSpan.FromMilliseconds(500));
        Assert.False(await onSecond.CanOpenAsync("/admin"));

        // Disabled in the database (by the first node, or any other): refused on both.
        using var bobFirst = PageClient.For(first.Address);
        Assert.Equal(HttpStatusCode.Redirect, (await bobFirst.StaffSignInAsync(bob, Password)).StatusCode);
        using var bobSecond = bobFirst.CopyTo(PageClient.For(second.Address));
        Assert.True(await bobSecond.CanOpenAsync("/admin"));
        await using (var db = Db(cs))
            await db.StaffUsers.Where(u => u.ProgrammeId == programme && u.EmailKey == bob).ExecuteUpdateAsync(s => s.SetProperty(u => u.Active, false));
        await Task.Delay(WebSessions.CacheTime + TimeSpan.FromMilliseconds(500));
        Assert.False(await bobSecond.CanOpenAsync("/admin"));
        Assert.False(await bobFirst.CanOpenAsync("/admin"));
    }

    private static TreueDb Db(string cs)
    {
        var options = new DbContextOptionsBuilder<TreueDb>();
        options.UseTreueDatabase(cs);
        return new TreueDb(options.Options);
    }

    private static async Task<(Guid Programme, string Alice, string Bob)> SeedAsync(string cs)
    {
        await using var db = Db(cs);
        var (result, _) = await new ProgrammeApplier(db, TimeProvider.System).ApplyAsync(TestProgramme.DefaultDocument with { Code = "nodes" }, CancellationToken.None);
        var accounts = new StaffAccounts(db, new SignInThrottle(TimeProvider.System), TimeProvider.System, new ConfigurationBuilder().Build(),
            NullLogger<StaffAccounts>.Instance);
        await accounts.CreateAsync(result!.ProgrammeId, "alice@nodes.test", "Alice", StaffRole.Admin, Password, AuditActor.System, CancellationToken.None);
        await accounts.CreateAsync(result.ProgrammeId, "bob@nodes.test", "Bob", StaffRole.Support, Password, AuditActor.System, CancellationToken.None);
        return (result.ProgrammeId, "alice@nodes.test", "bob@nodes.test");
    }
}
