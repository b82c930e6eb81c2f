using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Domain.Promotions;
using Treue.Server.Features.Programmes;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Promotions;

/// <summary>A campaign to create or replace, with its generic code when it has one.</summary>
/// <param name="Campaign">The campaign (see docs/promotions.md for each offer kind).</param>
/// <param name="Code">For a campaign with one generic code: the code (<c>SUMMER10</c>).</param>
public sealed record CampaignRequest(Campaign Campaign, string? Code = null);

/// <summary>What a campaign has given so far.</summary>
/// <param name="Uses">Purchases it applied to.</param>
/// <param name="MoneySpent">Discount given, in the programme currency.</param>
/// <param name="PointsSpent">Points given.</param>
/// <param name="BudgetLeft">What is left of its budget (in its unit), or null without a budget.</param>
public sealed record CampaignUsageView(long Uses, decimal MoneySpent, long PointsSpent, decimal? BudgetLeft);

/// <summary>A campaign with its use.</summary>
public sealed record CampaignView(Campaign Campaign, CampaignUsageView Usage, bool Active);

/// <summary>A batch of unique codes to generate.</summary>
/// <param name="Count">How many, 1 to 10,000.</param>
/// <param name="Pattern">The pattern: <c>#</c> a random character, <c>?</c> the check character (see docs/promotions.md).</param>
public sealed record CodeBatchRequest(int Count, string Pattern);

/// <summary>The codes generated.</summary>
public sealed record CodeBatchView(string CampaignId, IReadOnlyList<string> Codes);

/// <summary>A personal code to create for a member.</summary>
/// <param name="MemberId">The member.</param>
/// <param name="Code">The code; generated when not given.</param>
public sealed record PersonalCodeRequest(Guid MemberId, string? Code = null);

/// <summary>A code of a campaign.</summary>
public sealed record CouponView(string Code, string CampaignId, string CampaignName, Guid? MemberId, int Uses, int? UsesLeft, DateTime ValidFrom, DateTime? ValidTo);

/// <summary>A member's stamp card: the stamps on the card being filled and the cards filled.</summary>
public sealed record MemberStampCardView(string CardId, string Name, int StampsPerCard, int Number, int Stamps, int CardsFilled, int RewardsHeld,
    IReadOnlyList<DateTime?> StampsExpireAt);

/// <summary>A member's personal coupon with its campaign.</summary>
/// <param name="View">The code as the API shows it.</param>
/// <param name="Campaign">Its campaign, for what it gives.</param>
/// <param name="UsedUp">True when the code has no use left.</param>
public sealed record MemberCoupon(CouponView View, Campaign Campaign, bool UsedUp);

/// <summary>Campaigns, coupon codes and stamp cards (see docs/promotions.md).</summary>
public static class PromotionEndpoints
{
    private const int MaxBatch = 10_000;

    public static RouteGroupBuilder MapPromotions(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/campaigns").WithTags("Promotions");
        g.MapPost("/", Create).WithName("createCampaign").Refuses(409, "campaign_exists", "code_exists").RequireAuthorization(Policies.Admin)
            .WithSummary("Create a campaign (and its generic code)");
        g.MapGet("/", List).WithName("listCampaigns").RequireAuthorization(Policies.Admin).WithSummary("The programme's campaigns with their use");
        g.MapGet("/{campaignId}", Get).WithName("getCampaign").Refuses(404, "campaign_not_found").RequireAuthorization(Policies.Admin)
            .WithSummary("A campaign with its use");
        g.MapPut("/{campaignId}", Update).WithName("updateCampaign").Refuses(404, "campaign_not_found").RequireAuthorization(Policies.Admin)
            .WithSummary("Replace a campaign's definition; its codes and use stay");
        g.MapPost("/{campaignId}/end", End).WithName("endCampaign").Refuses(404, "campaign_not_found").RequireAuthorization(Policies.Admin)
            .WithSummary("End a campaign now");
        g.MapGet("/{campaignId}/usage", Usage).WithName("getCampaignUsage").Refuses(404, "campaign_not_found").RequireAuthorization(Policies.Pos)
            .WithSummary("A campaign's uses and budget spent");
        g.MapPost("/{campaignId}/codes", Generate).WithName("generateCouponCodes").Refuses(404, "campaign_not_found").RequireAuthorization(Policies.Admin)
            .WithSummary("Generate a batch of unique codes from a pattern");
        g.MapGet("/{campaignId}/codes.csv", Export).WithName("exportCouponCodes").Produces<string>(200, "text/csv").Refuses(404, "campaign_not_found")
            .RequireAuthorization(Policies.Admin).WithSummary("The campaign's codes as CSV, for print or e-mail");
        g.MapPost("/{campaignId}/personal-codes", Personal).WithName("createPersonalCode").Refuses(404, "campaign_not_found", "member_not_found")
            .Refuses(409, "code_exists").RequireAuthorization(Policies.Admin).WithSummary("Create a personal code for a member");
        var s = api.MapGroup("/stamp-cards").WithTags("Promotions");
        s.MapPut("/{cardId}", PutCard).WithName("putStampCard").RequireAuthorization(Policies.Admin).WithSummary("Create or replace a stamp card");
        s.MapGet("/", Cards).WithName("listStampCards").RequireAuthorization(Policies.Admin).WithSummary("The programme's stamp cards");
        api.MapGet("/members/{memberId:guid}/stamp-cards", MemberCards).WithName("listMemberStampCards").Refuses(404, "member_not_found")
            .WithTags("Promotions").RequireAuthorization(Policies.Pos).WithSummary("A member's stamp cards");
        api.MapGet("/members/{memberId:guid}/coupons", MemberCoupons).WithName("listMemberCoupons").Refuses(404, "member_not_found")
            .WithTags("Promotions").RequireAuthorization(Policies.Pos).WithSummary("A member's personal coupons that can still be used");
        return api;
    }

    private static async Task<Results<Created<CampaignView>, ProblemHttpResult>> Create(CampaignRequest req, HttpContext http, TreueDb db, TimeProvider clock,
        CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow().UtcDateTime;
        if (await CreateAsync(db, caller.ProgrammeId, req, now, ct) is { } problem) return problem;
        var campaign = req.Campaign;
        return TypedResults.Created($"/api/v1/campaigns/{campaign.Id}", new CampaignView(campaign, new CampaignUsageView(0, 0, 0, campaign.Limits.Budget?.Amount), IsActive(campaign, now)));
    }

    /// <summary>
    /// Creates a campaign with its generic code, if it has one, and raises the programme's configuration version: the API's
    /// creation, and the demo's. Returns the problem instead when the request is not valid or the id or code is taken.
    /// </summary>
    public static async Task<ProblemHttpResult?> CreateAsync(TreueDb db, Guid programmeId, CampaignRequest req, DateTime now, CancellationToken ct)
    {
        if (Invalid(req, null) is { } bad) return bad;
        var campaign = req.Campaign;
        if (await db.Campaigns.AnyAsync(c => c.ProgrammeId == programmeId && c.Id == campaign.Id, ct))
            return Problems.Problem("campaign_exists", "A campaign with this id exists in this programme.", "campaign.id", 409);
        var code = req.Code is null ? null : CouponCodes.Normalise(req.Code);
        if (code is not null && await db.CouponCodes.AnyAsync(c => c.ProgrammeId == programmeId && c.Code == code, ct))
            return Problems.Problem("code_exists", "This code is taken by another campaign of this programme.", "code", 409);
        await using var work = await Work.BeginAsync(db, ct);
        db.Campaigns.Add(new CampaignRecord { ProgrammeId = programmeId, Id = campaign.Id, Definition = campaign, CreatedAt = now, UpdatedAt = now });
        db.CampaignUsage.Add(new CampaignUsageRecord { ProgrammeId = programmeId, CampaignId = campaign.Id });
        if (code is not null) db.CouponCodes.Add(new CouponCode { ProgrammeId = programmeId, Code = code, CampaignId = campaign.Id, CreatedAt = now });
        await NewVersionAsync(db, programmeId, ct);
        await work.CommitAsync(ct);
        return null;
    }

    private static async Task<Ok<IReadOnlyList<CampaignView>>> List(HttpContext http, TreueDb db, TimeProvider clock, ProgrammeCache programmes, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var p = await programmes.GetAsync(db, caller.ProgrammeId, ct);
        var campaigns = await db.Campaigns.AsNoTracking().Where(c => c.ProgrammeId == caller.ProgrammeId).OrderBy(c => c.Id).ToListAsync(ct);
        var usage = await db.CampaignUsage.AsNoTracking().Where(u => u.ProgrammeId == caller.ProgrammeId).ToDictionaryAsync(u => u.CampaignId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        return TypedResults.Ok<IReadOnlyList<CampaignView>>(campaigns
            .Select(c => new CampaignView(c.Definition, UsageView(c.Definition, usage.GetValueOrDefault(c.Id), p.Currency), IsActive(c.Definition, now))).ToList());
    }

    private static async Task<Results<Ok<CampaignView>, ProblemHttpResult>> Get(string campaignId, HttpContext http, TreueDb db, TimeProvider clock,
        ProgrammeCache programmes, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var view = await ViewAsync(db, programmes, caller.ProgrammeId, campaignId, clock.GetUtcNow().UtcDateTime, ct);
        return view is null ? NotFound() : TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<CampaignView>, ProblemHttpResult>> Update(string campaignId, CampaignRequest req, HttpContext http, TreueDb db,
        TimeProvider clock, ProgrammeCache programmes, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        if (Invalid(req, campaignId) is { } bad) return bad;
        var now = clock.GetUtcNow().UtcDateTime;
        if (!await ReplaceAsync(db, caller.ProgrammeId, campaignId, _ => req.Campaign, now, ct)) return NotFound();
        return TypedResults.Ok((await ViewAsync(db, programmes, caller.ProgrammeId, campaignId, now, ct))!);
    }

    private static async Task<Results<Ok<CampaignView>, ProblemHttpResult>> End(string campaignId, HttpContext http, TreueDb db, TimeProvider clock,
        ProgrammeCache programmes, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow().UtcDateTime;
        var ended = await ReplaceAsync(db, caller.ProgrammeId, campaignId,
            c => c with { ValidToUtc = c.ValidToUtc is { } to && to <= now ? to : now }, now, ct);
        if (!ended) return NotFound();
        return TypedResults.Ok((await ViewAsync(db, programmes, caller.ProgrammeId, campaignId, now, ct))!);
    }

    private static async Task<Results<Ok<CampaignUsageView>, ProblemHttpResult>> Usage(string campaignId, HttpContext http, TreueDb db, TimeProvider clock,
        ProgrammeCache programmes, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var view = await ViewAsync(db, programmes, caller.ProgrammeId, campaignId, clock.GetUtcNow().UtcDateTime, ct);
        return view is null ? NotFound() : TypedResults.Ok(view.Usage);
    }

    private static async Task<Results<Created<CodeBatchView>, ProblemHttpResult>> Generate(string campaignId, CodeBatchRequest req, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var v = new Validation();
        v.Check(req.Count is >= 1 and <= MaxBatch, "count", "must be between 1 and 10,000");
        if (CouponCodes.Problem(req.Pattern) is { } problem) v.Add("pattern", problem);
        if (v.Failed) return v.Problem();
        if (!await db.Campaigns.AnyAsync(c => c.ProgrammeId == caller.ProgrammeId && c.Id == campaignId, ct)) return NotFound();
        var now = clock.GetUtcNow().UtcDateTime;
        await using var work = await Work.BeginAsync(db, ct);
        // Codes already taken in the programme are drawn again; with 40 bits or more a clash is rare.
        var codes = new List<string>();
        using var random = RandomNumberGenerator.Create();
        while (codes.Count < req.Count)
        {
            var batch = CouponCodes.GenerateBatch(req.Pattern, req.Count - codes.Count, random).Except(codes).ToList();
            var taken = await db.CouponCodes.Where(c => c.ProgrammeId == caller.ProgrammeId && batch.Contains(c.Code)).Select(c => c.Code).ToListAsync(ct);
            codes.AddRange(batch.Except(taken));
        }
        foreach (var code in codes) db.CouponCodes.Add(new CouponCode { ProgrammeId = caller.ProgrammeId, Code = code, CampaignId = campaignId, CreatedAt = now });
        await work.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/campaigns/{campaignId}/codes.csv", new CodeBatchView(campaignId, codes));
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> Export(string campaignId, HttpContext http, TreueDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        if (!await db.Campaigns.AnyAsync(c => c.ProgrammeId == caller.ProgrammeId && c.Id == campaignId, ct)) return NotFound();
        var codes = await db.CouponCodes.AsNoTracking().Where(c => c.ProgrammeId == caller.ProgrammeId && c.CampaignId == campaignId)
            .OrderBy(c => c.Code).Select(c => new { c.Code, c.MemberId, c.Uses }).ToListAsync(ct);
        var csv = new StringBuilder("code,campaign,member,uses\n");
        foreach (var c in codes) csv.Append(c.Code).Append(',').Append(campaignId).Append(',').Append(c.MemberId).Append(',').Append(c.Uses).Append('\n');
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{campaignId}-codes.csv\"";
        return TypedResults.Text(csv.ToString(), "text/csv; charset=utf-8");
    }

    private static async Task<Results<Created<CouponView>, ProblemHttpResult>> Personal(string campaignId, PersonalCodeRequest req, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var (view, problem) = await CreatePersonalAsync(db, caller.ProgrammeId, campaignId, req, clock.GetUtcNow().UtcDateTime, ct);
        if (problem is not null) return problem;
        return TypedResults.Created($"/api/v1/members/{req.MemberId}/coupons", view!);
    }

    /// <summary>Creates a personal code of a campaign for a member: the API's and the demo's. Returns the problem instead when it cannot.</summary>
    public static async Task<(CouponView? View, ProblemHttpResult? Problem)> CreatePersonalAsync(TreueDb db, Guid programmeId, string campaignId, PersonalCodeRequest req,
        DateTime now, CancellationToken ct)
    {
        var v = new Validation();
        if (req.Code is not null && v.Text(req.Code, "code", 64)) v.Check(CouponCodes.Normalise(req.Code).All(char.IsAsciiLetterOrDigit), "code", "may hold only letters and digits");
        if (v.Failed) return (null, v.Problem());
        var campaign = await db.Campaigns.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.Id == campaignId).Select(c => c.Definition).SingleOrDefaultAsync(ct);
        if (campaign is null) return (null, NotFound());
        if (campaign.Codes != CodeKind.Personal) return (null, Problems.Problem("validation_failed", "the campaign's codes are not personal", "campaignId", 400));
        if (!await db.Members.AnyAsync(m => m.Id == req.MemberId && m.ProgrammeId == programmeId, ct))
            return (null, Problems.NotFound("member_not_found", "The member", "memberId"));
        using var random = RandomNumberGenerator.Create();
        var code = req.Code is null ? CouponCodes.Generate(Storage.Purchases.PromotionStore.RewardPattern, random) : CouponCodes.Normalise(req.Code);
        if (await db.CouponCodes.AnyAsync(c => c.ProgrammeId == programmeId && c.Code == code, ct))
            return (null, Problems.Problem("code_exists", "This code is taken in this programme.", "code", 409));
        db.CouponCodes.Add(new CouponCode { ProgrammeId = programmeId, Code = code, CampaignId = campaignId, MemberId = req.MemberId, CreatedAt = now });
        await db.SaveChangesAsync(ct);
        return (new CouponView(code, campaignId, campaign.Name, req.MemberId, 0, campaign.Limits.UsesPerCode, campaign.ValidFromUtc, campaign.ValidToUtc), null);
    }

    private static async Task<Ok<IReadOnlyList<StampCardDefinition>>> PutCard(string cardId, StampCardDefinition card, HttpContext http, TreueDb db, TimeProvider clock,
        CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        await PutCardAsync(db, caller.ProgrammeId, card with { Id = cardId }, clock.GetUtcNow().UtcDateTime, ct);
        return await Cards(http, db, ct);
    }

    /// <summary>Creates or replaces a stamp card and raises the programme's configuration version: the API's and the demo's.</summary>
    public static async Task PutCardAsync(TreueDb db, Guid programmeId, StampCardDefinition card, DateTime now, CancellationToken ct)
    {
        await using var work = await Work.BeginAsync(db, ct);
        var row = await db.StampCards.SingleOrDefaultAsync(c => c.ProgrammeId == programmeId && c.Id == card.Id, ct);
        if (row is null) db.StampCards.Add(new StampCardRecord { ProgrammeId = programmeId, Id = card.Id, Definition = card, CreatedAt = now, UpdatedAt = now });
        else
        {
            row.Definition = card;
            row.UpdatedAt = now;
        }
        await NewVersionAsync(db, programmeId, ct);
        await work.CommitAsync(ct);
    }

    private static async Task<Ok<IReadOnlyList<StampCardDefinition>>> Cards(HttpContext http, TreueDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var cards = await db.StampCards.AsNoTracking().Where(c => c.ProgrammeId == caller.ProgrammeId).OrderBy(c => c.Id).Select(c => c.Definition).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<StampCardDefinition>>(cards);
    }

    private static async Task<Results<Ok<IReadOnlyList<MemberStampCardView>>, ProblemHttpResult>> MemberCards(Guid memberId, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        if (!await db.Members.AnyAsync(m => m.Id == memberId && m.ProgrammeId == caller.ProgrammeId, ct)) return Problems.NotFound("member_not_found", "The member", "memberId");
        var cards = await MemberStampCardsAsync(db, caller.ProgrammeId, memberId, clock.GetUtcNow().UtcDateTime, ct);
        return TypedResults.Ok<IReadOnlyList<MemberStampCardView>>(cards.Select(c => c.View).ToList());
    }

    /// <summary>
    /// A member's stamp cards, each with its definition: the API's list and the portal's cards. Stamps expired by
    /// <paramref name="now"/> are not counted.
    /// </summary>
    public static async Task<IReadOnlyList<(StampCardDefinition Card, MemberStampCardView View)>> MemberStampCardsAsync(TreueDb db, Guid programmeId, Guid memberId,
        DateTime now, CancellationToken ct)
    {
        var cards = await db.StampCards.AsNoTracking().Where(c => c.ProgrammeId == programmeId).OrderBy(c => c.Id).Select(c => c.Definition).ToListAsync(ct);
        var states = await db.MemberStampCards.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.MemberId == memberId)
            .ToDictionaryAsync(c => c.CardId, c => c.State, ct);
        return cards.Select(card =>
        {
            var state = states.GetValueOrDefault(card.Id) ?? StampCardState.Start(card.Id);
            var stamps = state.Stamps.Where(s => s.ExpiresAtUtc is null || s.ExpiresAtUtc > now).ToList();
            return (card, new MemberStampCardView(card.Id, card.Name, card.StampsPerCard, state.Number, stamps.Count, state.Completed.Count, state.RewardsHeld,
                stamps.Select(s => s.ExpiresAtUtc).ToList()));
        }).ToList();
    }

    private static async Task<Results<Ok<IReadOnlyList<CouponView>>, ProblemHttpResult>> MemberCoupons(Guid memberId, HttpContext http, TreueDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        if (!await db.Members.AnyAsync(m => m.Id == memberId && m.ProgrammeId == caller.ProgrammeId, ct)) return Problems.NotFound("member_not_found", "The member", "memberId");
        var coupons = await MemberCouponsAsync(db, caller.ProgrammeId, memberId, ct);
        return TypedResults.Ok<IReadOnlyList<CouponView>>(coupons.Where(c => !c.UsedUp).Select(c => c.View).ToList());
    }

    /// <summary>
    /// A member's personal coupons, used up or not, oldest first, each with its campaign: the API lists those that can still
    /// be used, the portal shows them all.
    /// </summary>
    public static async Task<IReadOnlyList<MemberCoupon>> MemberCouponsAsync(TreueDb db, Guid programmeId, Guid memberId, CancellationToken ct)
    {
        var codes = await db.CouponCodes.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.MemberId == memberId).OrderBy(c => c.CreatedAt).ToListAsync(ct);
        var ids = codes.Select(c => c.CampaignId).Distinct().ToList();
        var campaigns = await db.Campaigns.AsNoTracking().Where(c => c.ProgrammeId == programmeId && ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Definition, ct);
        return codes
            .Where(c => campaigns.ContainsKey(c.CampaignId))
            .Select(c => (Code: c, Campaign: campaigns[c.CampaignId]))
            .Select(x => new MemberCoupon(new CouponView(x.Code.Code, x.Campaign.Id, x.Campaign.Name, memberId, x.Code.Uses,
                    x.Campaign.Limits.UsesPerCode is { } l ? Math.Max(0, l - x.Code.Uses) : null, x.Campaign.ValidFromUtc, x.Campaign.ValidToUtc),
                x.Campaign, x.Campaign.Limits.UsesPerCode is { } limit && x.Code.Uses >= limit)).ToList();
    }

    /// <summary>Why a campaign cannot be stored, naming the field; null when it can.</summary>
    private static ProblemHttpResult? Invalid(CampaignRequest req, string? id)
    {
        var v = new Validation();
        if (req.Campaign is not { } c) return Problems.Problem("validation_failed", "is required", "campaign", 400);
        if (v.Text(c.Id, "campaign.id", 64)) v.Check(c.Id.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'), "campaign.id", "may hold only letters, digits, '-' and '_'");
        if (id is not null) v.Check(c.Id == id, "campaign.id", "must be the id in the path");
        v.Text(c.Name, "campaign.name", 200);
        v.Check(c.Offer is not null, "campaign.offer", "is required");
        v.Check(c.ValidToUtc is null || c.ValidToUtc > c.ValidFromUtc, "campaign.validToUtc", "must be after validFromUtc");
        v.Check(c.Limits is null || (c.Limits.UsesPerCode is null or >= 1 && c.Limits.UsesPerMember is null or >= 1 && c.Limits.Budget is null or { Amount: >= 0 }),
            "campaign.limits", "limits must be at least 1 and a budget not negative");
        if (c.Codes == CodeKind.Generic) v.Text(req.Code, "code", 64);
        else v.Check(req.Code is null, "code", "only a campaign with a generic code takes one");
        if (req.Code is not null && !v.Failed) v.Check(CouponCodes.Normalise(req.Code).All(char.IsAsciiLetterOrDigit), "code", "may hold only letters and digits");
        return v.Failed ? v.Problem() : null;
    }

    private static bool IsActive(Campaign c, DateTime now) => c.ValidFromUtc <= now && (c.ValidToUtc is null || c.ValidToUtc > now);

    private static CampaignUsageView UsageView(Campaign c, CampaignUsageRecord? u, Domain.Currency currency)
    {
        var money = currency.FromMinor(u?.MoneySpentMinor ?? 0);
        var points = u?.PointsSpent ?? 0;
        decimal? left = c.Limits.Budget is { } b ? Math.Max(0, b.Amount - (b.Unit == BudgetUnit.Money ? money : points)) : null;
        return new CampaignUsageView(u?.Uses ?? 0, money, points, left);
    }

    private static async Task<CampaignView?> ViewAsync(TreueDb db, ProgrammeCache programmes, Guid programmeId, string campaignId, DateTime now, CancellationToken ct)
    {
        var row = await db.Campaigns.AsNoTracking().SingleOrDefaultAsync(c => c.ProgrammeId == programmeId && c.Id == campaignId, ct);
        if (row is null) return null;
        var usage = await db.CampaignUsage.AsNoTracking().SingleOrDefaultAsync(u => u.ProgrammeId == programmeId && u.CampaignId == campaignId, ct);
        var p = await programmes.GetAsync(db, programmeId, ct);
        return new CampaignView(row.Definition, UsageView(row.Definition, usage, p.Currency), IsActive(row.Definition, now));
    }

    /// <summary>Replaces a campaign's definition and raises the programme's configuration version. False when it does not exist.</summary>
    private static async Task<bool> ReplaceAsync(TreueDb db, Guid programmeId, string campaignId, Func<Campaign, Campaign> change, DateTime now, CancellationToken ct)
    {
        await using var work = await Work.BeginAsync(db, ct);
        var row = await db.Campaigns.SingleOrDefaultAsync(c => c.ProgrammeId == programmeId && c.Id == campaignId, ct);
        if (row is null) return false;
        row.Definition = change(row.Definition);
        row.UpdatedAt = now;
        await NewVersionAsync(db, programmeId, ct);
        await work.CommitAsync(ct);
        return true;
    }

    /// <summary>A new configuration version, so every node compiles the programme's terms again with the change.</summary>
    private static Task<int> NewVersionAsync(TreueDb db, Guid programmeId, CancellationToken ct) =>
        db.Programmes.Where(p => p.Id == programmeId).ExecuteUpdateAsync(s => s.SetProperty(p => p.ConfigVersion, p => p.ConfigVersion + 1), ct);

    private static ProblemHttpResult NotFound() => Problems.NotFound("campaign_not_found", "The campaign", "campaignId");
}
