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

/// <summary>A personal code to create for a member, found by exactly one of member id, card number or e-mail address.</summary>
/// <param name="MemberId">The member's id.</param>
/// <param name="Code">The code; generated when not given.</param>
public sealed record PersonalCodeRequest(Guid? MemberId = null, string? Code = null)
{
    /// <summary>The number of one of the member's cards (any status: a blocked card still names its member).</summary>
    public string? CardNumber { get; init; }

    /// <summary>The member's e-mail address (compared without regard to case).</summary>
    public string? Email { get; init; }
}

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
        var stacking = api.MapGroup("/promotion-stacking").WithTags("Promotions");
        stacking.MapGet("/", Stacking).WithName("getPromotionStacking").RequireAuthorization(Policies.Admin)
            .WithSummary("The order in which offer categories apply and the stacking groups");
        stacking.MapPut("/", PutStacking).WithName("putPromotionStacking").RequireAuthorization(Policies.Admin)
            .WithSummary("Set the order in which offer categories apply and the stacking groups");
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
        ProgrammeCache programmes, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var (view, invalid, problem) = await CreateAsync(db, programmes, caller.ProgrammeId, req, clock.GetUtcNow().UtcDateTime, ct);
        if (invalid is not null) return invalid.Problem();
        if (problem is not null) return problem;
        return TypedResults.Created($"/api/v1/campaigns/{view!.Campaign.Id}", view);
    }

    /// <summary>
    /// Creates a campaign with its usage row and, for a generic campaign, its code; raises the configuration version. The
    /// API's and the console's one way to create a campaign: <c>Invalid</c> holds the field errors, <c>Problem</c> a conflict.
    /// </summary>
    internal static async Task<(CampaignView? View, Validation? Invalid, ProblemHttpResult? Problem)> CreateAsync(TreueDb db, ProgrammeCache programmes,
        Guid programmeId, CampaignRequest req, DateTime now, CancellationToken ct)
    {
        if (Check(req, null) is { } invalid) return (null, invalid, null);
        var campaign = req.Campaign;
        if (await db.Campaigns.AnyAsync(c => c.ProgrammeId == programmeId && c.Id == campaign.Id, ct))
            return (null, null, Problems.Problem("campaign_exists", "A campaign with this id exists in this programme.", "campaign.id", 409));
        var code = req.Code is null ? null : CouponCodes.Normalise(req.Code);
        if (code is not null && await db.CouponCodes.AnyAsync(c => c.ProgrammeId == programmeId && c.Code == code, ct))
            return (null, null, Problems.Problem("code_exists", "This code is taken by another campaign of this programme.", "code", 409));
        await using var work = await Work.BeginAsync(db, ct);
        db.Campaigns.Add(new CampaignRecord { ProgrammeId = programmeId, Id = campaign.Id, Definition = campaign, CreatedAt = now, UpdatedAt = now });
        db.CampaignUsage.Add(new CampaignUsageRecord { ProgrammeId = programmeId, CampaignId = campaign.Id });
        if (code is not null) db.CouponCodes.Add(new CouponCode { ProgrammeId = programmeId, Code = code, CampaignId = campaign.Id, CreatedAt = now });
        await NewVersionAsync(db, programmeId, ct);
        await work.CommitAsync(ct);
        return (new CampaignView(campaign, new CampaignUsageView(0, 0, 0, campaign.Limits.Budget?.Amount), IsActive(campaign, now)), null, null);
    }

    private static async Task<Ok<IReadOnlyList<CampaignView>>> List(HttpContext http, TreueDb db, TimeProvider clock, ProgrammeCache programmes, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var campaigns = await db.Campaigns.AsNoTracking().Where(c => c.ProgrammeId == caller.ProgrammeId).OrderBy(c => c.Id).ToListAsync(ct);
        return TypedResults.Ok(await ViewsAsync(db, programmes, caller.ProgrammeId, campaigns, clock.GetUtcNow().UtcDateTime, ct));
    }

    /// <summary>The given campaigns of a programme with their use, in their order.</summary>
    internal static async Task<IReadOnlyList<CampaignView>> ViewsAsync(TreueDb db, ProgrammeCache programmes, Guid programmeId, IReadOnlyList<CampaignRecord> campaigns,
        DateTime now, CancellationToken ct)
    {
        var p = await programmes.GetAsync(db, programmeId, ct);
        var ids = campaigns.Select(c => c.Id).ToList();
        var usage = await db.CampaignUsage.AsNoTracking().Where(u => u.ProgrammeId == programmeId && ids.Contains(u.CampaignId)).ToDictionaryAsync(u => u.CampaignId, ct);
        return campaigns.Select(c => new CampaignView(c.Definition, UsageView(c.Definition, usage.GetValueOrDefault(c.Id), p.Currency), IsActive(c.Definition, now))).ToList();
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
        var (view, invalid, problem) = await UpdateAsync(db, programmes, caller.ProgrammeId, campaignId, req, clock.GetUtcNow().UtcDateTime, ct);
        if (invalid is not null) return invalid.Problem();
        if (problem is not null) return problem;
        return TypedResults.Ok(view!);
    }

    /// <summary>Replaces a campaign's definition (its codes and use stay); the API's and the console's one way to change a campaign.</summary>
    internal static async Task<(CampaignView? View, Validation? Invalid, ProblemHttpResult? Problem)> UpdateAsync(TreueDb db, ProgrammeCache programmes,
        Guid programmeId, string campaignId, CampaignRequest req, DateTime now, CancellationToken ct)
    {
        if (Check(req, campaignId) is { } invalid) return (null, invalid, null);
        if (!await ReplaceAsync(db, programmeId, campaignId, _ => req.Campaign, now, ct)) return (null, null, NotFound());
        return ((await ViewAsync(db, programmes, programmeId, campaignId, now, ct))!, null, null);
    }

    private static async Task<Results<Ok<CampaignView>, ProblemHttpResult>> End(string campaignId, HttpContext http, TreueDb db, TimeProvider clock,
        ProgrammeCache programmes, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var view = await EndAsync(db, programmes, caller.ProgrammeId, campaignId, clock.GetUtcNow().UtcDateTime, ct);
        return view is null ? NotFound() : TypedResults.Ok(view);
    }

    /// <summary>Ends a campaign now (one that has ended already keeps its end); null when it does not exist.</summary>
    internal static async Task<CampaignView?> EndAsync(TreueDb db, ProgrammeCache programmes, Guid programmeId, string campaignId, DateTime now, CancellationToken ct)
    {
        var ended = await ReplaceAsync(db, programmeId, campaignId,
            c => c with { ValidToUtc = c.ValidToUtc is { } to && to <= now ? to : now }, now, ct);
        return ended ? await ViewAsync(db, programmes, programmeId, campaignId, now, ct) : null;
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
        var (batch, invalid, problem) = await GenerateAsync(db, caller.ProgrammeId, campaignId, req, clock.GetUtcNow().UtcDateTime, ct);
        if (invalid is not null) return invalid.Problem();
        if (problem is not null) return problem;
        return TypedResults.Created($"/api/v1/campaigns/{campaignId}/codes.csv", batch!);
    }

    /// <summary>Generates a batch of unique codes for a campaign, none taken in the programme; the API's and the console's one way to do so.</summary>
    internal static async Task<(CodeBatchView? Batch, Validation? Invalid, ProblemHttpResult? Problem)> GenerateAsync(TreueDb db, Guid programmeId, string campaignId,
        CodeBatchRequest req, DateTime now, CancellationToken ct)
    {
        var v = new Validation();
        v.Check(req.Count is >= 1 and <= MaxBatch, "count", "must be between 1 and 10,000");
        if (CouponCodes.Problem(req.Pattern) is { } problem) v.Add("pattern", problem);
        if (v.Failed) return (null, v, null);
        if (!await db.Campaigns.AnyAsync(c => c.ProgrammeId == programmeId && c.Id == campaignId, ct)) return (null, null, NotFound());
        await using var work = await Work.BeginAsync(db, ct);
        // Codes already taken in the programme are drawn again; with 40 bits or more a clash is rare.
        var codes = new List<string>();
        using var random = RandomNumberGenerator.Create();
        while (codes.Count < req.Count)
        {
            var batch = CouponCodes.GenerateBatch(req.Pattern, req.Count - codes.Count, random).Except(codes).ToList();
            var taken = await db.CouponCodes.Where(c => c.ProgrammeId == programmeId && batch.Contains(c.Code)).Select(c => c.Code).ToListAsync(ct);
            codes.AddRange(batch.Except(taken));
        }
        foreach (var code in codes) db.CouponCodes.Add(new CouponCode { ProgrammeId = programmeId, Code = code, CampaignId = campaignId, CreatedAt = now });
        await work.CommitAsync(ct);
        return (new CodeBatchView(campaignId, codes), null, null);
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> Export(string campaignId, HttpContext http, TreueDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var csv = await ExportCsvAsync(db, caller.ProgrammeId, campaignId, ct);
        if (csv is null) return NotFound();
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{campaignId}-codes.csv\"";
        return TypedResults.Text(csv, "text/csv; charset=utf-8");
    }

    /// <summary>A campaign's codes as CSV (code, campaign, member, uses), as the API and the console give them; null when it does not exist.</summary>
    internal static async Task<string?> ExportCsvAsync(TreueDb db, Guid programmeId, string campaignId, CancellationToken ct)
    {
        if (!await db.Campaigns.AnyAsync(c => c.ProgrammeId == programmeId && c.Id == campaignId, ct)) return null;
        var codes = await db.CouponCodes.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.CampaignId == campaignId)
            .OrderBy(c => c.Code).Select(c => new { c.Code, c.MemberId, c.Uses }).ToListAsync(ct);
        var csv = new StringBuilder("code,campaign,member,uses\n");
        foreach (var c in codes) csv.Append(c.Code).Append(',').Append(campaignId).Append(',').Append(c.MemberId).Append(',').Append(c.Uses).Append('\n');
        return csv.ToString();
    }

    private static async Task<Results<Created<CouponView>, ProblemHttpResult>> Personal(string campaignId, PersonalCodeRequest req, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var (coupon, invalid, problem) = await PersonalAsync(db, caller.ProgrammeId, campaignId, req, clock.GetUtcNow().UtcDateTime, ct);
        if (invalid is not null) return invalid.Problem();
        if (problem is not null) return problem;
        return TypedResults.Created($"/api/v1/members/{coupon!.MemberId}/coupons", coupon);
    }

    private static async Task<Ok<PromotionStacking>> Stacking(HttpContext http, TreueDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var stacking = await db.Programmes.AsNoTracking().Where(p => p.Id == caller.ProgrammeId).Select(p => p.PromotionStacking).SingleAsync(ct);
        return TypedResults.Ok(stacking ?? PromotionStacking.Default);
    }

    /// <summary>
    /// Replaces the programme's stacking: the order of offer categories (those not listed apply after, in their natural order)
    /// and the stacking groups. Campaigns naming a group not listed combine freely. Every node prices with it from its next
    /// purchase on (a new configuration version).
    /// </summary>
    private static async Task<Results<Ok<PromotionStacking>, ProblemHttpResult>> PutStacking(PromotionStacking req, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        if (req is null) return Problems.Problem("validation_failed", "is required", "order", 400);
        var v = new Validation();
        foreach (var (field, message) in req.Problems()) v.Add(field, message);
        if (v.Failed) return v.Problem();
        var stacking = new PromotionStacking([.. req.Order], [.. req.Groups ?? []]);
        await using var work = await Work.BeginAsync(db, ct);
        await db.Programmes.Where(p => p.Id == caller.ProgrammeId).ExecuteUpdateAsync(s => s
            .SetProperty(p => p.PromotionStacking, stacking).SetProperty(p => p.UpdatedAt, clock.GetUtcNow().UtcDateTime), ct);
        await NewVersionAsync(db, caller.ProgrammeId, ct);
        await work.CommitAsync(ct);
        return TypedResults.Ok(stacking);
    }

    /// <summary>
    /// Creates a personal code of a campaign for a member (generated when not given), the member found by id, card number or
    /// e-mail address; the API's and the console's one way to do so. <c>Invalid</c> names the field of bad input (and the
    /// request's one way of naming the member when it gives none or several); <c>Problem</c> is a campaign or member not found
    /// (naming the field the member was looked up by) or a code taken.
    /// </summary>
    internal static async Task<(CouponView? Coupon, Validation? Invalid, ProblemHttpResult? Problem)> PersonalAsync(TreueDb db, Guid programmeId, string campaignId,
        PersonalCodeRequest req, DateTime now, CancellationToken ct)
    {
        var v = new Validation();
        if (req.Code is not null && v.Text(req.Code, "code", 64)) v.Check(CouponCodes.Normalise(req.Code).All(char.IsAsciiLetterOrDigit), "code", "may hold only letters and digits");
        var card = string.IsNullOrWhiteSpace(req.CardNumber) ? null : req.CardNumber.Trim();
        var email = string.IsNullOrWhiteSpace(req.Email) ? null : req.Email.Trim().ToLowerInvariant();
        var ways = (req.MemberId is null ? 0 : 1) + (card is null ? 0 : 1) + (email is null ? 0 : 1);
        v.Check(ways == 1, "memberId", ways == 0 ? "give the member's id, a card number or an e-mail address" : "give only one of memberId, cardNumber and email");
        if (card is not null) v.Text(card, "cardNumber", 64);
        if (email is not null) v.Text(email, "email", 254);
        if (v.Failed) return (null, v, null);
        var campaign = await db.Campaigns.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.Id == campaignId).Select(c => c.Definition).SingleOrDefaultAsync(ct);
        if (campaign is null) return (null, null, NotFound());
        if (campaign.Codes != CodeKind.Personal) return (null, null, Problems.Problem("validation_failed", "the campaign's codes are not personal", "campaignId", 400));
        var (memberId, field) = req.MemberId is { } id
            ? (await db.Members.AsNoTracking().Where(m => m.Id == id && m.ProgrammeId == programmeId).Select(m => (Guid?)m.Id).SingleOrDefaultAsync(ct), "memberId")
            : card is not null
                ? (await db.Cards.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.Number == card).Select(c => (Guid?)c.MemberId).FirstOrDefaultAsync(ct), "cardNumber")
                : (await db.Members.AsNoTracking().Where(m => m.ProgrammeId == programmeId && m.EmailKey == email).Select(m => (Guid?)m.Id).FirstOrDefaultAsync(ct), "email");
        if (memberId is null) return (null, null, Problems.NotFound("member_not_found", "The member", field));
        using var random = RandomNumberGenerator.Create();
        var code = req.Code is null ? CouponCodes.Generate(Storage.Purchases.PromotionStore.RewardPattern, random) : CouponCodes.Normalise(req.Code);
        if (await db.CouponCodes.AnyAsync(c => c.ProgrammeId == programmeId && c.Code == code, ct))
            return (null, null, Problems.Problem("code_exists", "This code is taken in this programme.", "code", 409));
        db.CouponCodes.Add(new CouponCode { ProgrammeId = programmeId, Code = code, CampaignId = campaignId, MemberId = memberId, CreatedAt = now });
        await db.SaveChangesAsync(ct);
        return (new CouponView(code, campaignId, campaign.Name, memberId, 0, campaign.Limits.UsesPerCode, campaign.ValidFromUtc, campaign.ValidToUtc), null, null);
    }

    private static async Task<Results<Ok<IReadOnlyList<StampCardDefinition>>, ProblemHttpResult>> PutCard(string cardId, StampCardDefinition card, HttpContext http,
        TreueDb db, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        if (await PutCardAsync(db, caller.ProgrammeId, cardId, card, clock.GetUtcNow().UtcDateTime, ct) is { } invalid) return invalid.Problem();
        return TypedResults.Ok(await CardsAsync(db, caller.ProgrammeId, ct));
    }

    /// <summary>
    /// Creates or replaces a stamp card and raises the configuration version; the API's and the console's one way to do so.
    /// Returns the field errors when the card cannot be stored, null when it was.
    /// </summary>
    internal static async Task<Validation?> PutCardAsync(TreueDb db, Guid programmeId, string cardId, StampCardDefinition card, DateTime now, CancellationToken ct)
    {
        if (CheckCard(card, cardId) is { } invalid) return invalid;
        card = card with { Id = cardId };
        await using var work = await Work.BeginAsync(db, ct);
        var row = await db.StampCards.SingleOrDefaultAsync(c => c.ProgrammeId == programmeId && c.Id == cardId, ct);
        if (row is null) db.StampCards.Add(new StampCardRecord { ProgrammeId = programmeId, Id = cardId, Definition = card, CreatedAt = now, UpdatedAt = now });
        else
        {
            row.Definition = card;
            row.UpdatedAt = now;
        }
        await NewVersionAsync(db, programmeId, ct);
        await work.CommitAsync(ct);
        return null;
    }

    /// <summary>Why a stamp card cannot be stored, field by field; null when it can.</summary>
    internal static Validation? CheckCard(StampCardDefinition? card, string cardId)
    {
        var v = new Validation();
        if (v.Text(cardId, "cardId", 64)) v.Check(cardId.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'), "cardId", "may hold only letters, digits, '-' and '_'");
        if (card is null)
        {
            v.Add("card", "is required");
            return v;
        }
        v.Text(card.Name, "name", 200);
        v.Check(card.StampsPerCard is >= 1 and <= 1000, "stampsPerCard", "must be between 1 and 1000");
        if (card.Basis == StampBasis.PerAmount) v.Check(card.AmountPerStamp > 0, "amountPerStamp", "must be greater than 0");
        v.Check(card.MaxStampsPerPurchase is null or >= 1, "maxStampsPerPurchase", "must be at least 1");
        v.Check(card.StampValidDays is null or >= 1, "stampValidDays", "must be at least 1");
        if (v.Check(card.Reward is not null, "reward", "is required"))
        {
            if (card.Reward!.Kind == StampRewardKind.Points) v.Check(card.Reward.Points >= 1, "reward.points", "must be at least 1");
            else v.Text(card.Reward.CampaignId, "reward.campaignId", 64);
        }
        return v.Failed ? v : null;
    }

    private static async Task<Ok<IReadOnlyList<StampCardDefinition>>> Cards(HttpContext http, TreueDb db, CancellationToken ct) =>
        TypedResults.Ok(await CardsAsync(db, Caller.From(http.User).ProgrammeId, ct));

    /// <summary>The programme's stamp cards, by id.</summary>
    internal static async Task<IReadOnlyList<StampCardDefinition>> CardsAsync(TreueDb db, Guid programmeId, CancellationToken ct) =>
        await db.StampCards.AsNoTracking().Where(c => c.ProgrammeId == programmeId).OrderBy(c => c.Id).Select(c => c.Definition).ToListAsync(ct);

    private static async Task<Results<Ok<IReadOnlyList<MemberStampCardView>>, ProblemHttpResult>> MemberCards(Guid memberId, HttpContext http, TreueDb db,
        TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        if (!await db.Members.AnyAsync(m => m.Id == memberId && m.ProgrammeId == caller.ProgrammeId, ct)) return Problems.NotFound("member_not_found", "The member", "memberId");
        return TypedResults.Ok(await MemberCardsAsync(db, caller.ProgrammeId, memberId, clock.GetUtcNow().UtcDateTime, ct));
    }

    /// <summary>A member's stamp cards (every card of the programme, with the stamps not expired at <paramref name="now"/>).</summary>
    internal static async Task<IReadOnlyList<MemberStampCardView>> MemberCardsAsync(TreueDb db, Guid programmeId, Guid memberId, DateTime now, CancellationToken ct)
    {
        var cards = await CardsAsync(db, programmeId, ct);
        var states = await db.MemberStampCards.AsNoTracking().Where(c => c.ProgrammeId == programmeId && c.MemberId == memberId)
            .ToDictionaryAsync(c => c.CardId, c => c.State, ct);
        return cards.Select(card =>
        {
            var state = states.GetValueOrDefault(card.Id) ?? StampCardState.Start(card.Id);
            var stamps = state.Stamps.Where(s => s.ExpiresAtUtc is null || s.ExpiresAtUtc > now).ToList();
            return new MemberStampCardView(card.Id, card.Name, card.StampsPerCard, state.Number, stamps.Count, state.Completed.Count, state.RewardsHeld,
                stamps.Select(s => s.ExpiresAtUtc).ToList());
        }).ToList();
    }

    private static async Task<Results<Ok<IReadOnlyList<CouponView>>, ProblemHttpResult>> MemberCoupons(Guid memberId, HttpContext http, TreueDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        if (!await db.Members.AnyAsync(m => m.Id == memberId && m.ProgrammeId == caller.ProgrammeId, ct)) return Problems.NotFound("member_not_found", "The member", "memberId");
        return TypedResults.Ok(await MemberCouponsAsync(db, caller.ProgrammeId, memberId, ct));
    }

    /// <summary>A member's personal coupons that can still be used, oldest first.</summary>
    internal static async Task<IReadOnlyList<CouponView>> MemberCouponsAsync(TreueDb db, Guid programmeId, Guid memberId, CancellationToken ct) =>
        (await AllMemberCouponsAsync(db, programmeId, memberId, ct)).Where(c => !c.UsedUp).Select(c => c.View).ToList();

    /// <summary>
    /// Why a campaign cannot be stored, field by field (the API's field paths); null when it can. The console shows the same
    /// errors at its fields.
    /// </summary>
    internal static Validation? Check(CampaignRequest req, string? id)
    {
        var v = new Validation();
        if (req.Campaign is not { } c)
        {
            v.Add("campaign", "is required");
            return v;
        }
        if (v.Text(c.Id, "campaign.id", 64)) v.Check(c.Id.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'), "campaign.id", "may hold only letters, digits, '-' and '_'");
        if (id is not null) v.Check(c.Id == id, "campaign.id", "must be the id in the path");
        v.Text(c.Name, "campaign.name", 200);
        if (v.Check(c.Offer is not null, "campaign.offer", "is required")) CheckOffer(v, c.Offer!);
        v.Check(c.ValidToUtc is null || c.ValidToUtc > c.ValidFromUtc, "campaign.validToUtc", "must be after validFromUtc");
        if (c.Conditions is { } conditions) CheckConditions(v, conditions);
        v.Check(c.Limits is null || (c.Limits.UsesPerCode is null or >= 1 && c.Limits.UsesPerMember is null or >= 1 && c.Limits.Budget is null or { Amount: >= 0 }),
            "campaign.limits", "limits must be at least 1 and a budget not negative");
        if (c.Codes == CodeKind.Generic) v.Text(req.Code, "code", 64);
        else v.Check(req.Code is null, "code", "only a campaign with a generic code takes one");
        if (req.Code is not null && !v.Failed) v.Check(CouponCodes.Normalise(req.Code).All(char.IsAsciiLetterOrDigit), "code", "may hold only letters and digits");
        return v.Failed ? v : null;
    }

    /// <summary>
    /// The conditions' lists: tier and club codes as codes are written (letters, digits, '-' and '_'), SKUs and categories
    /// of at most 64 characters, at most 100 entries each, weekdays that exist.
    /// </summary>
    private static void CheckConditions(Validation v, CampaignConditions c)
    {
        const int most = 100;
        var memberships = c.Memberships ?? [];
        v.Check(memberships.Count <= most, "campaign.conditions.memberships", "at most {0} entries are allowed", most);
        for (var i = 0; i < memberships.Count && i < most; i++)
        {
            if (v.Text(memberships[i], "campaign.conditions.memberships", 64))
                v.Check(memberships[i].All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'), "campaign.conditions.memberships", "may hold only letters, digits, '-' and '_'");
        }
        if (c.Purchase is not { } p) return;
        foreach (var (list, field) in new[] { (p.Skus, "campaign.conditions.purchase.skus"), (p.Categories, "campaign.conditions.purchase.categories") })
        {
            var values = list ?? [];
            v.Check(values.Count <= most, field, "at most {0} entries are allowed", most);
            for (var i = 0; i < values.Count && i < most; i++) v.Text(values[i], field, 64);
        }
        v.Check((p.Weekdays ?? []).All(Enum.IsDefined), "campaign.conditions.purchase.weekdays", "is not a day of the week");
    }

    /// <summary>The bounds of an offer's numbers: percentages 0 to 100, amounts not negative, quantities at least 1.</summary>
    private static void CheckOffer(Validation v, Offer offer)
    {
        const string field = "campaign.offer.";
        switch (offer)
        {
            case PercentOffBasket p:
                v.Check(p.Percent is >= 0 and <= 100, field + "percent", "must be between 0 and 100");
                v.Check(p.MaxDiscount is null or >= 0, field + "maxDiscount", "must not be negative");
                break;
            case AmountOffBasket a:
                v.Check(a.Amount >= 0, field + "amount", "must not be negative");
                break;
            case PercentOffLines p:
                v.Check(p.Percent is >= 0 and <= 100, field + "percent", "must be between 0 and 100");
                break;
            case AmountOffLines a:
                v.Check(a.Amount >= 0, field + "amount", "must not be negative");
                break;
            case FreeItem f:
                v.Text(f.Sku, field + "sku", 64);
                v.Check(f.Quantity >= 1, field + "quantity", "must be at least 1");
                break;
            case BuyXGetY b:
                v.Check(b.BuyQuantity >= 1, field + "buyQuantity", "must be at least 1");
                v.Check(b.GetQuantity >= 1, field + "getQuantity", "must be at least 1");
                v.Check(b.PercentOff is >= 0 and <= 100, field + "percentOff", "must be between 0 and 100");
                break;
            case BundlePrice b:
                v.Check(b.Items is { Count: > 0 } && b.Items.All(i => i.Skus.Count > 0 && i.Quantity >= 1), field + "items", "must name at least one SKU, each part at least 1 unit");
                v.Check(b.Price >= 0, field + "price", "must not be negative");
                break;
            case PointsMultiplier m:
                v.Check(m.Factor > 0, field + "factor", "must be greater than 0");
                break;
        }
    }

    /// <summary>
    /// A member's stamp cards, each with its definition: the portal's cards, counted as the API's list counts them (stamps
    /// expired by <paramref name="now"/> are not counted).
    /// </summary>
    public static async Task<IReadOnlyList<(StampCardDefinition Card, MemberStampCardView View)>> MemberStampCardsAsync(TreueDb db, Guid programmeId, Guid memberId,
        DateTime now, CancellationToken ct)
    {
        var cards = await db.StampCards.AsNoTracking().Where(c => c.ProgrammeId == programmeId).OrderBy(c => c.Id).Select(c => c.Definition).ToListAsync(ct);
        var views = await MemberCardsAsync(db, programmeId, memberId, now, ct);
        return cards.Join(views, c => c.Id, v => v.CardId, (c, v) => (c, v)).ToList();
    }

    /// <summary>A member's personal coupons, used up or not, oldest first, each with its campaign: what the portal shows.</summary>
    public static async Task<IReadOnlyList<MemberCoupon>> AllMemberCouponsAsync(TreueDb db, Guid programmeId, Guid memberId, CancellationToken ct)
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

    private static bool IsActive(Campaign c, DateTime now) => c.ValidFromUtc <= now && (c.ValidToUtc is null || c.ValidToUtc > now);

    private static CampaignUsageView UsageView(Campaign c, CampaignUsageRecord? u, Domain.Currency currency)
    {
        var money = currency.FromMinor(u?.MoneySpentMinor ?? 0);
        var points = u?.PointsSpent ?? 0;
        decimal? left = c.Limits.Budget is { } b ? Math.Max(0, b.Amount - (b.Unit == BudgetUnit.Money ? money : points)) : null;
        return new CampaignUsageView(u?.Uses ?? 0, money, points, left);
    }

    /// <summary>A campaign with its use, or null when the programme has no such campaign.</summary>
    internal static async Task<CampaignView?> ViewAsync(TreueDb db, ProgrammeCache programmes, Guid programmeId, string campaignId, DateTime now, CancellationToken ct)
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
