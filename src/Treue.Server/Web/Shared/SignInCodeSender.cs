namespace Treue.Server.Web.Shared;

/// <summary>A one-time sign-in code on its way to a member.</summary>
/// <param name="Email">Where it goes.</param>
/// <param name="MemberName">Whom it is for.</param>
/// <param name="Code">The six digits to type.</param>
/// <param name="Link">A link that signs in with one click.</param>
/// <param name="ExpiresAt">When code and link stop working (UTC).</param>
public sealed record SignInCodeMessage(string Email, string MemberName, string Code, Uri Link, DateTime ExpiresAt);

/// <summary>Writes sign-in codes where a developer finds them. Members get theirs by e-mail, through the outbox (docs/email.md).</summary>
public interface ISignInCodeSender
{
    Task SendAsync(SignInCodeMessage message, CancellationToken ct);
}

/// <summary>Writes sign-in codes to the server log and appends them to <c>sign-in-codes.log</c> in the data folder (0600).</summary>
public sealed class LogSignInCodeSender(ILogger<LogSignInCodeSender> log, Microsoft.Extensions.Options.IOptions<TreueOptions> options) : ISignInCodeSender
{
    private static readonly SemaphoreSlim FileLock = new(1, 1);

    public async Task SendAsync(SignInCodeMessage m, CancellationToken ct)
    {
        log.LogInformation("Sign-in code for {Email}: {Code} (or open {Link}); valid until {ExpiresAt:u}", m.Email, m.Code, m.Link, m.ExpiresAt);
        var folder = Path.GetFullPath(options.Value.DataFolder);
        await FileLock.WaitAsync(ct);
        try
        {
            await Treue.Storage.PrivateFiles.AppendAllTextAsync(Path.Combine(folder, "sign-in-codes.log"),
                $"{DateTime.UtcNow:u}\t{m.Email}\t{m.Code}\t{m.Link}{Environment.NewLine}", ct);
        }
        finally
        {
            FileLock.Release();
        }
    }
}
