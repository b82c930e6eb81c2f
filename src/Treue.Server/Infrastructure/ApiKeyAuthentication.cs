using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Infrastructure;

/// <summary>Who is calling: the programme the API key is bound to, its role and, for a partner's till, the partner.</summary>
public sealed record Caller(Guid ProgrammeId, Guid KeyId, ApiRole Role, string? PartnerCode)
{
    /// <summary>Reads the caller from an authenticated request.</summary>
    public static Caller From(ClaimsPrincipal user) => new(
        Guid.Parse(user.FindFirstValue(ApiKeyAuthentication.ProgrammeClaim)!),
        Guid.Parse(user.FindFirstValue(ApiKeyAuthentication.KeyClaim)!),
        Enum.Parse<ApiRole>(user.FindFirstValue(ClaimTypes.Role)!),
        user.FindFirstValue(ApiKeyAuthentication.PartnerClaim));

    /// <summary>A short name for the ledger's actor column.</summary>
    public string Actor => $"apikey:{KeyId}";
}

/// <summary>API keys: <c>Authorization: Bearer trk_...</c> or <c>X-Api-Key: trk_...</c>. Keys are stored as SHA-256 hashes.</summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    TimeProvider clock, ApiKeyCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ProgrammeClaim = "treue:programme";
    public const string KeyClaim = "treue:key";
    public const string PartnerClaim = "treue:partner";
    public const string AdminPolicy = "admin";
    public const string PosPolicy = "pos";

    /// <summary>The prefix every key starts with, so that leaked keys are easy to recognise.</summary>
    public const string KeyPrefix = "trk_";

    /// <summary>Makes a new random key and its stored hash.</summary>
    public static (string Key, string Hash, string Prefix) NewKey()
    {
        var key = KeyPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        return (key, Hash(key), key[..12]);
    }

    /// <summary>The stored form of a key.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? key = null;
        var auth = Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) key = auth[7..].Trim();
        else if (Request.Headers.TryGetValue("X-Api-Key", out var header)) key = header.ToString().Trim();
        if (string.IsNullOrEmpty(key)) return AuthenticateResult.NoResult();
        if (key.Length > 200 || !key.StartsWith(KeyPrefix, StringComparison.Ordinal))
            return AuthenticateResult.Fail("Malformed API key.");

        var hash = Hash(key);
        var now = clock.GetUtcNow().UtcDateTime;
        var found = cache.Get(hash, now);
        if (found is null)
        {
            found = await FindKeyAsync(Db, hash, Context.RequestAborted);
            if (found is null) return AuthenticateResult.Fail("Unknown or revoked API key.");
            cache.Put(hash, found, now);
        }

        // "Last used" is coarse on purpose: writing it on every request would make every read a write.
        if (found.LastUsedAt is null || now - found.LastUsedAt > TimeSpan.FromMinutes(5))
        {
            var id = found.Id;
            await Db.ApiKeys.Where(k => k.Id == id).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), Context.RequestAborted);
            cache.Put(hash, found with { LastUsedAt = now }, now);
        }

        var claims = new List<Claim>
        {
            new(ProgrammeClaim, found.ProgrammeId.ToString()),
            new(KeyClaim, found.Id.ToString()),
            new(ClaimTypes.Role, found.Role.ToString()),
        };
        if (found.PartnerCode is not null) claims.Add(new Claim(PartnerClaim, found.PartnerCode));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    // Taken from the request's services only when needed: most requests find their key in the cache, and a request
    // that never touches the database (a health check) then makes no database context at all.
    private TreueDb Db => Context.RequestServices.GetRequiredService<TreueDb>();

    private static async Task<VerifiedKey?> FindKeyAsync(TreueDb db, string hash, CancellationToken ct)
    {
        await using var q = await DirectQuery.OpenAsync(db,
            "SELECT id, programme_id, role, partner_code, last_used_at FROM api_keys WHERE hash = @hash AND revoked_at IS NULL", ct);
        await using var r = await q.Text("@hash", hash).ReadAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var key = new VerifiedKey(r.GetId(0), r.GetId(1), r.GetEnum<ApiRole>(2), r.GetTextOrNull(3), r.GetUtcOrNull(4));
        // The hash is unique; a second row would be a broken database, as it was for the query this replaced.
        return await r.ReadAsync(ct) ? throw new InvalidOperationException("Two API keys have the same hash.") : key;
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblem(401, "unauthorized", "A valid API key is required: send 'Authorization: Bearer <key>'.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(403, "forbidden", Context.User.FindFirstValue(PartnerClaim) is { } partner
            ? $"This API key is bound to partner '{partner}' and may not do what concerns the whole programme or other partners."
            : "This API key's role may not do this.");

    private Task WriteProblem(int status, string code, string detail)
    {
        if (status == 401) Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.Problem(code, detail, status: status).ExecuteAsync(Context);
    }
}

/// <summary>An API key that was found and not revoked.</summary>
public sealed record VerifiedKey(Guid Id, Guid ProgrammeId, ApiRole Role, string? PartnerCode, DateTime? LastUsedAt);

/// <summary>
/// Remembers verified API keys for <see cref="Lifetime"/>, so that a busy till does not cost a database read per request.
/// Revoking a key through this server forgets it at once; a key revoked through another server or the command line stops
/// working here within <see cref="Lifetime"/>. Only keys that exist are kept, so the cache cannot be grown by guessing.
/// </summary>
public sealed class ApiKeyCache
{
    /// <summary>How long a verified key is trusted without asking the database again.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(2);

    private const int MaxKeys = 10_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (VerifiedKey Key, DateTime Until)> _keys = new(StringComparer.Ordinal);

    /// <summary>The key with this hash, if it was verified less than <see cref="Lifetime"/> ago.</summary>
    public VerifiedKey? Get(string hash, DateTime nowUtc) =>
        _keys.TryGetValue(hash, out var e) && nowUtc < e.Until && nowUtc >= e.Until - Lifetime ? e.Key : null;

    /// <summary>Remembers a key just read from the database.</summary>
    public void Put(string hash, VerifiedKey key, DateTime nowUtc)
    {
        if (_keys.Count >= MaxKeys) _keys.Clear();
        _keys[hash] = (key, nowUtc + Lifetime);
    }

    /// <summary>Forgets a key (after it was revoked).</summary>
    public void Forget(Guid keyId)
    {
        foreach (var (hash, entry) in _keys)
            if (entry.Key.Id == keyId) _keys.TryRemove(hash, out _);
    }
}
