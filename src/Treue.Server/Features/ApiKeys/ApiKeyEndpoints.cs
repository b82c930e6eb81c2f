using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.ApiKeys;

public sealed record CreateApiKeyRequest(string Name, ApiRole Role, string? Partner = null);

public sealed record ApiKeyView(Guid Id, string Name, ApiRole Role, string? Partner, string Prefix, DateTime CreatedAt, DateTime? RevokedAt, DateTime? LastUsedAt)
{
    public static ApiKeyView From(ApiKey k) => new(k.Id, k.Name, k.Role, k.PartnerCode, k.Prefix, k.CreatedAt, k.RevokedAt, k.LastUsedAt);
}

/// <summary>A newly created key. <see cref="Key"/> is shown this once and never stored.</summary>
public sealed record CreatedApiKey(ApiKeyView ApiKey, string Key);

/// <summary>Creating, listing and revoking API keys of the caller's programme (admin).</summary>
public static class ApiKeyEndpoints
{
    public static RouteGroupBuilder MapApiKeys(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/api-keys").WithTags("API keys").RequireAuthorization(Policies.Admin);
        g.MapGet("/", List).WithName("listApiKeys").WithSummary("The programme's API keys (without secrets)");
        g.MapPost("/", Create).WithName("createApiKey").Refuses(422, "partner_not_found").WithSummary("Create a key; the secret is in the response only");
        g.MapPost("/{keyId:guid}/revoke", Revoke).WithName("revokeApiKey").Refuses(404, "not_found").WithSummary("Revoke a key");
        return api;
    }

    /// <summary>Creates a key for a programme and returns it with its secret.</summary>
    public static async Task<CreatedApiKey> CreateAsync(TreueDb db, Guid programmeId, string name, ApiRole role, string? partner, DateTime now, CancellationToken ct)
    {
        var (key, hash, prefix) = ApiKeyAuthentication.NewKey();
        var entity = new ApiKey { Id = Guid.CreateVersion7(), ProgrammeId = programmeId, Name = name, Role = role, PartnerCode = partner, Prefix = prefix, Hash = hash, CreatedAt = now };
        db.ApiKeys.Add(entity);
        await db.SaveChangesAsync(ct);
        return new CreatedApiKey(ApiKeyView.From(entity), key);
    }

    private static async Task<Ok<List<ApiKeyView>>> List(HttpContext http, TreueDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.ProgrammeId == caller.ProgrammeId).OrderBy(k => k.CreatedAt).ToListAsync(ct);
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
        if (req.Partner is not null && !await db.Partners.AnyAsync(p => p.ProgrammeId == caller.ProgrammeId && p.Code == req.Partner, ct))
            return Problems.Problem("partner_not_found", "The partner is not part of this programme.", "partner");
        var created = await CreateAsync(db, caller.ProgrammeId, req.Name, req.Role, req.Partner, clock.GetUtcNow().UtcDateTime, ct);
        return TypedResults.Created($"/api/v1/api-keys/{created.ApiKey.Id}", created);
    }

    private static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> Revoke(Guid keyId, HttpContext http, TreueDb db, TimeProvider clock,
        ApiKeyCache keys, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == keyId && k.ProgrammeId == caller.ProgrammeId, ct);
        if (key is null) return Problems.NotFound("not_found", "The API key", "keyId");
        key.RevokedAt ??= clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        keys.Forget(key.Id);
        return TypedResults.Ok(ApiKeyView.From(key));
    }
}
