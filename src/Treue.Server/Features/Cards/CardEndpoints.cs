using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Server.Features.Audit;
using Treue.Server.Infrastructure;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Cards;

public sealed record IssueCardRequest(CardKind Kind = CardKind.Physical, string? Number = null);

/// <summary>A replacement card: by default of the blocked card's kind.</summary>
public sealed record ReplaceCardRequest(CardKind? Kind = null, string? Number = null);

public sealed record BlockCardRequest(string? Reason = null);

public sealed record CardView(string Number, CardKind Kind, CardStatus Status, string? Token, string? QrPayload, DateTime IssuedAt,
    DateTime? BlockedAt, string? BlockReason, string? ReplacedBy, Guid MemberId)
{
    public static CardView From(Card c) => new(c.Number, c.Kind, c.Status, c.Token,
        c.Token is null ? null : "treue:card:" + c.Token, c.IssuedAt, c.BlockedAt, c.BlockReason, c.ReplacedBy, c.MemberId);
}

/// <summary>Customer cards: physical numbers with a check digit, digital cards with an unguessable QR token.</summary>
public static class CardEndpoints
{
    public static RouteGroupBuilder MapCards(this RouteGroupBuilder api)
    {
        api.MapPost("/members/{memberId:guid}/cards", Issue).WithName("issueCard").WithTags("Cards").RequireAuthorization(Policies.Pos)
            .Refuses(404, "member_not_found").Refuses(409, "card_number_taken").Refuses(422, "member_closed")
            .WithSummary("Issue a card to a member (a pre-printed physical number may be given)");
        var g = api.MapGroup("/cards").WithTags("Cards").RequireAuthorization(Policies.Pos);
        g.MapGet("/{number}", Get).WithName("getCard").Refuses(404, "card_not_found").WithSummary("A card by its number, or by the token of its QR code");
        g.MapPost("/{number}/block", Block).WithName("blockCard").Refuses(404, "card_not_found").WithSummary("Block a lost or stolen card");
        g.MapPost("/{number}/replace", Replace).WithName("replaceCard")
            .Refuses(404, "card_not_found").Refuses(409, "card_already_replaced", "card_number_taken").Refuses(422, "member_closed")
            .WithSummary("Block a card and issue a replacement; the balance stays with the member");
        return api;
    }

    /// <summary>Makes a new active card for a member.</summary>
    public static Card NewCard(Member member, CardKind kind, string? number, DateTime now) => new()
    {
        Id = Guid.CreateVersion7(), ProgrammeId = member.ProgrammeId, MemberId = member.Id, Kind = kind, Status = CardStatus.Active,
        Number = number ?? CardNumbers.Create(), Token = kind == CardKind.Digital ? CardNumbers.CreateDigitalToken() : null, IssuedAt = now,
    };

    /// <summary>
    /// Finds the active card with this number (or QR token) in the caller's programme. A card of another programme
    /// is reported exactly like an unknown card, so that numbers cannot be probed across programmes.
    /// </summary>
    public static async Task<(Card? Card, ProblemHttpResult? Problem)> ResolveActiveAsync(TreueDb db, Guid programmeId, string number, string field, CancellationToken ct)
    {
        var (card, _, problem) = await ResolveActiveAsync(db, programmeId, number, field, withMember: false, ct);
        return (card, problem);
    }

    /// <summary>
    /// Like <see cref="ResolveActiveAsync(TreueDb, Guid, string, string, CancellationToken)"/>, and reads the card's member
    /// in the same query (null if the member is not of the programme).
    /// </summary>
    public static Task<(Card? Card, Member? Member, ProblemHttpResult? Problem)> ResolveActiveWithMemberAsync(TreueDb db, Guid programmeId, string number,
        string field, CancellationToken ct) =>
        ResolveActiveAsync(db, programmeId, number, field, withMember: true, ct);

    private static async Task<(Card? Card, Member? Member, ProblemHttpResult? Problem)> ResolveActiveAsync(TreueDb db, Guid programmeId, string number,
        string field, bool withMember, CancellationToken ct)
    {
        if (number.Length > 64) return (null, null, Problems.Problem("validation_failed", "is too long", field, 400));
        var (card, member) = number.Any(char.IsControl) ? (null, null) : await FindActiveAsync(db, programmeId, number, Token(number), withMember, ct);
        if (card is null)
        {
            var reason = number.All(char.IsAsciiDigit) && !CardNumbers.IsValid(number) ? "has a wrong length or check digit" : "is not a card of this programme";
            return (null, null, Problems.Problem("card_not_found", $"The card {reason}.", field, 404));
        }
        if (card.Status == CardStatus.Blocked)
            return (null, null, Problems.Problem("card_blocked", "The card is blocked" + (card.ReplacedBy is null ? "." : "; it was replaced by another card."), field));
        return (card, member, null);
    }

    private static Task<Card?> FindAsync(TreueDb db, Guid programmeId, string numberOrToken, CancellationToken ct)
    {
        // Control characters (NUL above all, which PostgreSQL cannot even receive) are never part of a card.
        if (numberOrToken.Length > 64 || numberOrToken.Any(char.IsControl)) return Task.FromResult<Card?>(null);
        var token = Token(numberOrToken);
        return db.Cards.SingleOrDefaultAsync(c => c.ProgrammeId == programmeId && (c.Number == numberOrToken || c.Token == token), ct);
    }

    private static string Token(string numberOrToken) =>
        numberOrToken.StartsWith("treue:card:", StringComparison.Ordinal) ? numberOrToken["treue:card:".Length..] : numberOrToken;

    private static readonly string FindActiveSql =
        $"SELECT {DirectRows.CardColumns("c")} FROM cards c WHERE c.programme_id = @programme AND (c.number = @number OR c.token = @token)";

    private static readonly string FindActiveWithMemberSql =
        $"SELECT {DirectRows.CardColumns("c")}, {DirectRows.MemberColumns("m")} FROM cards c " +
        "LEFT JOIN members m ON m.id = c.member_id AND m.programme_id = @programme " +
        "WHERE c.programme_id = @programme AND (c.number = @number OR c.token = @token)";

    // The till's look-up on every purchase: one indexed read, with the card's member when asked for.
    private static async Task<(Card? Card, Member? Member)> FindActiveAsync(TreueDb db, Guid programmeId, string number, string token, bool withMember,
        CancellationToken ct)
    {
        await using var q = await DirectQuery.OpenAsync(db, withMember ? FindActiveWithMemberSql : FindActiveSql, ct);
        await using var r = await q.Id("@programme", programmeId).Text("@number", number).Text("@token", token).ReadAsync(ct);
        if (!await r.ReadAsync(ct)) return (null, null);
        var card = DirectRows.Card(r, 0);
        var member = withMember && !r.IsDBNull(DirectRows.CardWidth) ? DirectRows.Member(r, DirectRows.CardWidth) : null;
        // A number that is also another card's token matches twice; the look-up this replaced refused that too.
        if (await r.ReadAsync(ct)) throw new InvalidOperationException("Sequence contains more than one element.");
        return (card, member);
    }

    private static async Task<Results<Created<CardView>, ProblemHttpResult>> Issue(Guid memberId, IssueCardRequest req, HttpContext http,
        TreueDb db, TimeProvider clock, CancellationToken ct)
    {
        if (req.Number is not null && !CardNumbers.IsValid(req.Number))
            return Problems.Problem("validation_failed", $"must be {CardNumbers.Length} digits with a valid check digit", "number", 400);
        var caller = Caller.From(http.User);
        await using var work = await Work.BeginAsync(db, ct);
        var member = await db.Members.AsNoTracking().SingleOrDefaultAsync(m => m.Id == memberId && m.ProgrammeId == caller.ProgrammeId, ct);
        if (member is null) return Problems.NotFound("member_not_found", "The member", "memberId");
        if (member.Status == MemberStatus.Closed) return Problems.Problem("member_closed", "The member's account is closed.", "memberId");
        if (req.Number is not null && await db.Cards.AnyAsync(c => c.ProgrammeId == caller.ProgrammeId && c.Number == req.Number, ct))
            return Problems.Problem("card_number_taken", "This card number is already issued.", "number", 409);
        var now = clock.GetUtcNow().UtcDateTime;
        var card = NewCard(member, req.Kind, req.Number, now);
        db.Cards.Add(card);
        AuditLog.Add(db, member.ProgrammeId, AuditActor.Api(http), AuditActions.CardIssued, now, card.Number, card.Kind.ToString().ToLowerInvariant(), member.Id);
        await work.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/cards/{card.Number}", CardView.From(card));
    }

    private static async Task<Results<Ok<CardView>, ProblemHttpResult>> Get(string number, HttpContext http, TreueDb db, CancellationToken ct)
    {
        var card = await FindAsync(db, Caller.From(http.User).ProgrammeId, number, ct);
        return card is null ? Problems.NotFound("card_not_found", "The card", "number") : TypedResults.Ok(CardView.From(card));
    }

    private static async Task<Results<Ok<CardView>, ProblemHttpResult>> Block(string number, BlockCardRequest? req, HttpContext http,
        TreueDb db, TimeProvider clock, CancellationToken ct)
    {
        var v = new Validation();
        if (!v.Text(req?.Reason, "reason", 500, required: false)) return v.Problem();
        var (card, problem) = await BlockAsync(db, Caller.From(http.User).ProgrammeId, number, req?.Reason, AuditActor.Api(http), clock.GetUtcNow().UtcDateTime, ct);
        return problem is not null ? problem : TypedResults.Ok(CardView.From(card!));
    }

    /// <summary>Blocks a card (again a no-op when it is blocked already). Used by the API and the admin console.</summary>
    internal static async Task<(Card? Card, ProblemHttpResult? Problem)> BlockAsync(TreueDb db, Guid programmeId, string number, string? reason, AuditActor actor,
        DateTime now, CancellationToken ct)
    {
        await using var work = await Work.BeginAsync(db, ct);
        var card = await FindAsync(db, programmeId, number, ct);
        if (card is null) return (null, Problems.NotFound("card_not_found", "The card", "number"));
        if (card.Status != CardStatus.Blocked)
        {
            card.Status = CardStatus.Blocked;
            card.BlockedAt = now;
            card.BlockReason = reason ?? "blocked";
            AuditLog.Add(db, programmeId, actor, AuditActions.CardBlocked, now, card.Number, card.BlockReason, card.MemberId);
        }
        await work.CommitAsync(ct);
        return (card, null);
    }

    private static async Task<Results<Created<CardView>, ProblemHttpResult>> Replace(string number, ReplaceCardRequest? req, HttpContext http,
        TreueDb db, TimeProvider clock, CancellationToken ct)
    {
        if (req?.Number is not null && !CardNumbers.IsValid(req.Number))
            return Problems.Problem("validation_failed", $"must be {CardNumbers.Length} digits with a valid check digit", "number", 400);
        var (card, problem) = await ReplaceAsync(db, Caller.From(http.User).ProgrammeId, number, req?.Kind, req?.Number, null, AuditActor.Api(http),
            clock.GetUtcNow().UtcDateTime, ct);
        return problem is not null ? problem : TypedResults.Created($"/api/v1/cards/{card!.Number}", CardView.From(card));
    }

    /// <summary>
    /// Blocks a card and issues its replacement. Used by the API and the admin console; <paramref name="reason"/> (why
    /// the card is replaced: lost, damaged) is kept on the old card and in the audit log.
    /// </summary>
    internal static async Task<(Card? Card, ProblemHttpResult? Problem)> ReplaceAsync(TreueDb db, Guid programmeId, string number, CardKind? kind,
        string? newNumber, string? reason, AuditActor actor, DateTime now, CancellationToken ct)
    {
        await using var work = await Work.BeginAsync(db, ct);
        var old = await FindAsync(db, programmeId, number, ct);
        if (old is null) return (null, Problems.NotFound("card_not_found", "The card", "number"));
        if (old.ReplacedBy is not null) return (null, Problems.Problem("card_already_replaced", $"The card was already replaced by {old.ReplacedBy}.", "number", 409));
        var member = await db.Members.AsNoTracking().SingleAsync(m => m.Id == old.MemberId, ct);
        if (member.Status == MemberStatus.Closed) return (null, Problems.Problem("member_closed", "The member's account is closed.", "number"));
        if (newNumber is not null && await db.Cards.AnyAsync(c => c.ProgrammeId == programmeId && c.Number == newNumber, ct))
            return (null, Problems.Problem("card_number_taken", "This card number is already issued.", "number", 409));
        // A pre-printed number is a physical card; otherwise the replacement has the kind asked for, or the old card's kind.
        var newKind = newNumber is not null ? CardKind.Physical : kind ?? old.Kind;
        var card = NewCard(member, newKind, newNumber, now);
        old.Status = CardStatus.Blocked;
        old.BlockedAt ??= now;
        old.BlockReason ??= reason ?? "replaced";
        old.ReplacedBy = card.Number;
        db.Cards.Add(card);
        AuditLog.Add(db, programmeId, actor, AuditActions.CardReplaced, now, old.Number, MemberHistory.ReplacedDetails(card.Number, reason), member.Id);
        await work.CommitAsync(ct);
        return (card, null);
    }
}
