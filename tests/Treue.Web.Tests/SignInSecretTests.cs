using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>Sign-in codes and links are kept as keyed hashes, and the files beside the database are the server user's alone.</summary>
public sealed class SignInSecretTests(WebServer server)
{
    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task A_sign_in_code_is_stored_as_a_keyed_hash_and_still_signs_in()
    {
        var ct = TestContext.Current.CancellationToken;
        var page = await server.NewPageAsync();
        await page.GotoAsync("/portal/signin");
        await page.Locator("#code-email").FillAsync(server.Ana.Email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send me a code" }).ClickAsync();
        await page.WaitForURLAsync("**/portal/signin/code**");

        var folder = Path.GetDirectoryName(server.ConnectionString["Data Source=".Length..])!;
        var log = Path.Combine(folder, "sign-in-codes.log");
        var fields = File.ReadAllLines(log).Last(l => l.Contains(server.Ana.Email, StringComparison.Ordinal)).Split('\t');
        var code = fields[2];
        var token = System.Web.HttpUtility.ParseQueryString(new Uri(fields[3]).Query)["token"]!;

        await using (var db = server.Db())
        {
            var row = await db.SignInCodes.AsNoTracking().Where(c => c.MemberId == server.Ana.Id).OrderByDescending(c => c.CreatedAt).FirstAsync(ct);
            // Unkeyed, the hash of six digits is found by hashing all million codes; keyed, the database alone gives nothing.
            Assert.NotEqual(Sha256(code), row.CodeHash);
            Assert.NotEqual(Sha256(token), row.LinkHash);
            Assert.DoesNotContain(code, row.CodeHash, StringComparison.Ordinal);
            Assert.Equal(64, row.CodeHash.Length);
        }
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "secret.key")));
        }

        await page.Locator("#code").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/portal", StringComparison.Ordinal));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, " + server.Ana.Name })).ToBeVisibleAsync();
    }
}
