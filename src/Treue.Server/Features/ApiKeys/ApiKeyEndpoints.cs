using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Features.Audit;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.ApiKeys;

public sealed record CreateApiKeyRequest(string Name, ApiRole Role, string? Partner = null);

public sealed record ApiKeyView(Guid Id, string Name, ApiRole Role, string? Partner, string Prefix, DateTime CreatedAt, DateTime? RevokedAt, DateTime? LastUsedAt)
{
    public static ApiKeyView From(ApiKey k) => new(k.Id, k.Name, k.Role, k.PartnerCode, k.Prefix, k.CreatedAt, k.RevokedAt, k.LastUsedAt);
}

/// <summary>
/// A newly created key. <see cref="Key"/> is shown this once and never stored: a replay of the creation (the same
/// Idempotency-Key) answers the same key record with <see cref="Key"/> null and <see cref="SecretRedacted"/> true.
/// </summary>
public sealed record CreatedApiKey(ApiKeyView ApiKey, string Key, bool SecretRedacted = false);

/// <summary>Creating, listing and revoking API keys of the caller's programme (admin).</summary>
public static class ApiKeyEndpoints
{
    public static RouteGroupBuilder MapApiKeys(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/api-keys").WithTags("API keys").RequireAuthorization(Policies.KeyAdmin);
        g.MapGet("/", List).WithName("listApiKeys").WithSummary("The programme's API keys (without secrets)");
        g.MapPost("/", Create).WithName("createApiKey").WithSecretInResponse("key").Refuses(403, "forbidden").Refuses(422, "partner_not_found")
            .WithSummary("Create a key; the secret is in the first response only (a replay answers it without the secret)");
        g.MapPost("/{keyId:guid}/revoke", Revoke).WithName("revokeApiKey").Refuses(403, "forbidden").Refuses(404, "not_found").WithSummary("Revoke a key");
        return api;
    }

    /// <summary>Creates a key for a programme and returns it with its secret.</summary>
    public static async Task<CreatedApiKey> CreateAsync(TreueDb db, Guid programmeId, string name, ApiRole role, string? partner, DateTime now, CancellationToken ct,
        AuditActor? actor = null)
    {
        var (key, hash, prefix) = ApiKeyAuthentication.NewKey();
        var entity = new ApiKey { Id = Guid.CreateVersion7(), ProgrammeId = programmeId, Name = name, Role = role, PartnerCode = partner, Prefix = prefix, Hash = hash, CreatedAt = now };
        db.ApiKeys.Add(entity);
        AuditLog.Add(db, programmeId, actor ?? AuditActor.System, AuditActions.ApiKeyCreated, now, entity.Id.ToString(),
            $"{name} ({role.ToString().ToLowerInvariant()}{(partner is null ? "" : ", partner " + partner)}, {prefix}…)");
        await db.SaveChangesAsync(ct);
        return new CreatedApiKey(ApiKeyView.From(entity), key);
    }

    private static async Task<Ok<List<ApiKeyView>>> List(HttpContext http, TreueDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var q = db.ApiKeys.AsNoTracking().Where(k => k.ProgrammeId == caller.ProgrammeId);
        // A partner's key sees its partner's keys only.
        if (caller.PartnerCode is { } partner) q = q.Where(k => k.PartnerCode == partner);
        var keys = await q.OrderBy(k => k.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(keys.Select(ApiKeyView.From).ToList());
    }

    private static async Task<Results<Created<CreatedApiKey>, ProblemHttpResult>> Create(CreateApiKeyRequest req, HttpContext http, TreueDb db, TimeProvider clock, CancellationToken ct)
    {
        var v = new Validation();
        v.Text(req.Name, "name", 100);
        v.Check(Enum.IsDefined(req.Role), "role", "must be admin or pos");
        v.Text(req.Partner, "partner", 64, required: false);
        if (v.Failed) return v.Problem();
        var caller = Caller.From(http.User);
        // A key never makes a key with more rights than its own: not a higher role, not a wider partner binding.
        if (Rank(req.Role) > Rank(caller.Role))
            return Problems.Problem("forbidden", "A key cannot create a key with a higher role than its own.", "role", 403);
        if (caller.PartnerCode is not null && !string.Equals(req.Partner, caller.PartnerCode, StringComparison.Ordinal))
            return Problems.Problem("forbidden", $"This key is bound to partner '{caller.PartnerCode}' and can only create keys bound to it.", "partner", 403);
        if (req.Partner is not null && !await db.Partners.AnyAsync(p => p.ProgrammeId == caller.ProgrammeId && p.Code == req.Partner, ct))
            return Problems.Problem("partner_not_found", "The partner is not part of this programme.", "partner");
        var created = await CreateAsync(db, caller.ProgrammeId, req.Name, req.Role, req.Partner, clock.GetUtcNow().UtcDateTime, ct, AuditActor.Api(http));
        return TypedResults.Created($"/api/v1/api-keys/{created.ApiKey.Id}", created);
    }

    private static int Rank(ApiRole role) => role switch { ApiRole.Admin => 2, _ => 1 };

    private static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> Revoke(Guid keyId, HttpContext http, TreueDb db, TimeProvider clock,
        ApiKeyCache keys, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var partner = await db.ApiKeys.Where(k => k.Id == keyId && k.ProgrammeId == caller.ProgrammeId)
            .Select(k => new { k.PartnerCode }).SingleOrDefaultAsync(ct);
        if (partner is null) return Problems.NotFound("not_found", "The API key", "keyId");
        // A partner-bound key may only revoke keys of its own partner.
        if (caller.PartnerCode is not null && !string.Equals(partner.PartnerCode, caller.PartnerCode, StringComparison.Ordinal))
            return Problems.Problem("forbidden", $"This key is bound to partner '{caller.PartnerCode}' and can only revoke keys bound to it.", "keyId", 403);
        var key = await RevokeAsync(db, keys, caller.ProgrammeId, keyId, AuditActor.Api(http), clock.GetUtcNow().UtcDateTime, ct);
        return key is null ? Problems.NotFound("not_found", "The API key", "keyId") : TypedResults.Ok(ApiKeyView.From(key));
    }

    /// <summary>Revokes a key of the programme (once: revoking a revoked key changes nothing); null when there is no such key.</summary>
    public static async Task<ApiKey?> RevokeAsync(TreueDb db, ApiKeyCache keys, Guid programmeId, Guid keyId, AuditActor actor, DateTime now, CancellationToken ct)
    {
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == keyId && k.ProgrammeId == programmeId, ct);
        if (key is null) return null;
        if (key.RevokedAt is null)
        {
            key.RevokedAt = now;
            AuditLog.Add(db, programmeId, actor, AuditActions.ApiKeyRevoked, now, key.Id.ToString(), $"{key.Name} ({key.Prefix}…)");
            await db.SaveChangesAsync(ct);
        }
        keys.Forget(key.Id);
        return key;
    }
}
