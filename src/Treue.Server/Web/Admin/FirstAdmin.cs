namespace Treue.Server.Web.Admin;

/// <summary>Creates the console's first admin when the server starts (see <see cref="StaffAccounts.EnsureFirstAdminAsync"/>).</summary>
public sealed class FirstAdmin(IServiceScopeFactory scopes, ILogger<FirstAdmin> log) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        try
        {
            using var scope = scopes.CreateScope();
            await scope.ServiceProvider.GetRequiredService<StaffAccounts>().EnsureFirstAdminAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A database that is not migrated yet must not keep the API from starting; the sign-in page tries again.
            log.LogWarning(e, "Could not create the first admin of the console at start");
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
