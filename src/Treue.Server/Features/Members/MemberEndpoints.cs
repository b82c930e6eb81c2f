using System.Net.Mail;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Treue.Domain;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Cards;
using Treue.Server.Features.Programmes;
using Treue.Server.Infrastructure;
using Treue.Server.Web.Shared;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Features.Members;

/// <param name="ReferralCode">Another member's referral code the new member enrols with (see docs/referrals.md).</param>
/// <param name="PaymentReference">A payment reference of the new member (a tokenised card or account), kept only as a hash for the self-referral check.</param>
public sealed record EnrolRequest(string Name, string? Email = null, DateOnly? Birthday = null, string? Language = null,
    string? ExternalRef = null, CardKind? IssueCard = CardKind.Digital, string? ReferralCode = null, string? PaymentReference = null);

/// <param name="Reason">Why the status changes: required with a status (at most 500 characters), kept in the member's history.</param>
public sealed record UpdateMemberRequest(string? Name = null, string? Email = null, DateOnly? Birthday = null,
    string? Language = null, MemberStatus? Status = null, string? Reason = null);

public sealed record MemberView(Guid Id, string Name, string? Email, DateOnly? Birthday, string Language, MemberStatus Status,
    string? ExternalRef, DateTime EnrolledAt, long AvailablePoints, long PendingPoints, IReadOnlyList<CardView> Cards)
{
    public static MemberView From(Member m, IEnumerable<Card> cards) => new(m.Id, m.Name, m.Email, m.Birthday, m.Language, m.Status,
        m.ExternalRef, m.EnrolledAt, m.Available, m.Pending, cards.Select(CardView.From).ToList());

    /// <summary>On enrolment with a referral code: the referral, waiting for the first qualifying purchase or refused with its reason.</summary>
    public Referrals.ReferralView? Referral { get; init; }
}

/// <summary>Enrolment, look-up and profile of members.</summary>
public static partial class MemberEndpoints
{
    public static RouteGroupBuilder MapMembers(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/members").WithTags("Members").RequireAuthorization(Policies.Pos);
        g.MapPost("/", Enrol).WithName("enrolMember").Refuses(409, "email_taken").Refuses(422, "invalid_code")
            .WithSummary("Enrol a member (and issue a card), optionally with another member's referral code");
        g.MapGet("/", Find).WithName("findMembers").WithSummary("Find members by e-mail, card number or card token, or list them");
        g.MapGet("/{memberId:guid}", Get).WithName("getMember").Refuses(404, "member_not_found").WithSummary("A member with cards and balance");
        g.MapPatch("/{memberId:guid}", Update).WithName("updateMember")
            .Refuses(403, "forbidden").Refuses(404, "member_not_found").Refuses(409, "email_taken")
            .WithSummary("Change a member's profile or status (status: admin only)");
        return api;
    }

    internal static Validation? ValidateProfile(string? name, string? email, DateOnly? birthday, string? language, bool nameRequired, DateTime today)
    {
        var v = new Validation();
        v.Text(name, "name", 200, nameRequired);
        if (email is not null && v.Text(email, "email", 254))
            v.Check(MailAddress.TryCreate(email, out var parsed) && parsed.Address == email.Trim(), "email", "is not an e-mail address");
        if (birthday is { } b)
            v.Check(b.Year >= 1900 && b <= DateOnly.FromDateTime(today), "birthday", "must be between 1900-01-01 and today");
        if (language is not null)
            v.Check(LanguagePattern().IsMatch(language), "language", "must be a language tag such as 'en' or 'de-AT'");
        return v.Failed ? v : null;
    }

    private static async Task<Results<Created<MemberView>, ProblemHttpResult>> Enrol(EnrolRequest req, HttpContext http, TreueDb db, ProgrammeCache programmes,
        TimeProvider clock, CancellationToken ct)
    {
        var (view, problem) = await EnrolAsync(db, programmes, Caller.From(http.User).ProgrammeId, req, clock.GetUtcNow().UtcDateTime, ct);
        return problem is not null ? problem : TypedResults.Created($"/api/v1/members/{view!.Id}", view);
    }

    /// <summary>
    /// Enrols a member: the API (and so the till) and the portal's sign-up enrol through here. With a referral code the
    /// referral is written in the same transaction; a code that is not valid refuses the whole enrolment.
    /// </summary>
    internal static async Task<(MemberView? View, ProblemHttpResult? Problem)> EnrolAsync(TreueDb db, ProgrammeCache programmes, Guid programmeId,
        EnrolRequest req, DateTime now, CancellationToken ct)
    {
        var invalid = ValidateProfile(req.Name, req.Email, req.Birthday, req.Language, nameRequired: true, now) ?? new Validation();
        invalid.Text(req.ExternalRef, "externalRef", 100, required: false);
        invalid.Text(req.ReferralCode, "referralCode", 64, required: false);
        invalid.Text(req.PaymentReference, "paymentReference", 200, required: false);
        if (invalid.Failed) return (null, invalid.Problem());
        var p = await programmes.GetAsync(db, programmeId, ct);
        var emailKey = req.Email?.Trim().ToLowerInvariant();
        await using var work = await Work.BeginAsync(db, ct);
        if (emailKey is not null && await db.Members.AnyAsync(m => m.ProgrammeId == programmeId && m.EmailKey == emailKey, ct))
            return (null, Problems.Problem("email_taken", "A member with this e-mail is already enrolled.", "email", 409));
        var member = new Member
        {
            Id = Guid.CreateVersion7(), ProgrammeId = programmeId, Name = req.Name.Trim(), Email = req.Email?.Trim(), EmailKey = emailKey,
            Birthday = req.Birthday, Language = req.Language ?? "en", ExternalRef = req.ExternalRef, Status = MemberStatus.Active, EnrolledAt = now,
        };
        db.Members.Add(member);
        var cards = new List<Card>();
        if (req.IssueCard is { } kind) cards.Add(CardEndpoints.NewCard(member, kind, null, now));
        db.Cards.AddRange(cards);
        var code = string.IsNullOrWhiteSpace(req.ReferralCode) ? null : req.ReferralCode.Trim();
        var (referral, refused) = await Referrals.ReferralService.EnrolAsync(db, p, member, cards, code, Storage.Purchases.ReferralStore.PaymentHash(req.PaymentReference),
            now, ct);
        if (refused is not null) return (null, refused);
        await work.CommitAsync(ct);
        return (MemberView.From(member, cards) with
        {
            Referral = referral is null ? null : Referrals.ReferralService.View(referral, p.Settings.Referrals, referral.EnrolledOn),
        }, null);
    }

    private static async Task<Results<Ok<Page<MemberView>>, ProblemHttpResult>> Find(HttpContext http, TreueDb db,
        string? email, string? cardNumber, string? cardToken, string? externalRef, int? limit, string? cursor, CancellationToken ct)
    {
        if (Pagination.Read(limit, cursor, out var take, out var after) is { } bad) return bad;
        var v = new Validation();
        v.Text(email, "email", 254, required: false);
        v.Text(cardNumber, "cardNumber", 64, required: false);
        v.Text(cardToken, "cardToken", 64, required: false);
        v.Text(externalRef, "externalRef", 100, required: false);
        if (v.Failed) return v.Problem();
        var caller = Caller.From(http.User);
        var q = db.Members.AsNoTracking().Where(m => m.ProgrammeId == caller.ProgrammeId);
        if (email is not null)
        {
            var key = email.Trim().ToLowerInvariant();
            q = q.Where(m => m.EmailKey == key);
        }
        if (externalRef is not null) q = q.Where(m => m.ExternalRef == externalRef);
        // Cards are looked up first, by their own index: a correlated sub-query made SQLite walk every member.
        if (cardNumber is not null)
        {
            var owner = await db.Cards.AsNoTracking().Where(c => c.ProgrammeId == caller.ProgrammeId && c.Number == cardNumber)
                .Select(c => (Guid?)c.MemberId).FirstOrDefaultAsync(ct);
            q = q.Where(m => m.Id == owner);
        }
        if (cardToken is not null)
        {
            var owner = await db.Cards.AsNoTracking().Where(c => c.ProgrammeId == caller.ProgrammeId && c.Token == cardToken)
                .Select(c => (Guid?)c.MemberId).FirstOrDefaultAsync(ct);
            q = q.Where(m => m.Id == owner);
        }
        // A partner's key finds any member by an identifier the member shows at its till, but lists only the members
        // who shopped with that partner.
        if (caller.PartnerCode is { } partner && email is null && externalRef is null && cardNumber is null && cardToken is null)
            q = q.Where(m => db.Purchases.Any(p => p.ProgrammeId == caller.ProgrammeId && p.MemberId == m.Id && p.PartnerCode == partner));
        if (after is not null)
        {
            if (!Guid.TryParse(after, out var afterId)) return Problems.Problem("invalid_cursor", "is not a cursor this API returned", "cursor", 400);
            q = q.Where(m => m.Id.CompareTo(afterId) > 0);
        }
        var members = await q.OrderBy(m => m.Id).Take(take + 1).ToListAsync(ct);
        var ids = members.Select(m => m.Id).ToList();
        var cards = await db.Cards.AsNoTracking().Where(c => c.ProgrammeId == caller.ProgrammeId && ids.Contains(c.MemberId)).ToListAsync(ct);
        var views = members.Select(m => MemberView.From(m, cards.Where(c => c.MemberId == m.Id))).ToList();
        return TypedResults.Ok(Pagination.Build(views, take, v => v.Id.ToString()));
    }

    private static async Task<Results<Ok<MemberView>, ProblemHttpResult>> Get(Guid memberId, HttpContext http, TreueDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var m = await db.Members.AsNoTracking().SingleOrDefaultAsync(x => x.Id == memberId && x.ProgrammeId == caller.ProgrammeId, ct);
        if (m is null) return Problems.NotFound("member_not_found", "The member", "memberId");
        var cards = await db.Cards.AsNoTracking().Where(c => c.MemberId == m.Id && c.ProgrammeId == caller.ProgrammeId).OrderBy(c => c.IssuedAt).ToListAsync(ct);
        return TypedResults.Ok(MemberView.From(m, cards));
    }

    private static async Task<Results<Ok<MemberView>, ProblemHttpResult>> Update(Guid memberId, UpdateMemberRequest req, HttpContext http,
        TreueDb db, WebSessions sessions, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        if (req.Status is not null && caller.Role != ApiRole.Admin)
            return Problems.Problem("forbidden", "Only an admin key may change a member's status.", "status", 403);
        var v = ValidateProfile(req.Name, req.Email, req.Birthday, req.Language, nameRequired: false, clock.GetUtcNow().UtcDateTime) ?? new Validation();
        // The same rule as the console's: a new status says why.
        v.Text(req.Reason, "reason", MaxReasonLength, required: req.Status is not null);
        if (v.Failed) return v.Problem();
        await using var work = await Work.BeginAsync(db, ct);
        var m = await db.Members.SingleOrDefaultAsync(x => x.Id == memberId && x.ProgrammeId == caller.ProgrammeId, ct);
        if (m is null) return Problems.NotFound("member_not_found", "The member", "memberId");
        if (req.Email is not null)
        {
            var key = req.Email.Trim().ToLowerInvariant();
            if (await db.Members.AnyAsync(x => x.ProgrammeId == caller.ProgrammeId && x.EmailKey == key && x.Id != m.Id, ct))
                return Problems.Problem("email_taken", "A member with this e-mail is already enrolled.", "email", 409);
            m.Email = req.Email.Trim();
            m.EmailKey = key;
        }
        if (req.Name is not null) m.Name = req.Name.Trim();
        if (req.Birthday is not null) m.Birthday = req.Birthday;
        if (req.Language is not null) m.Language = req.Language;
        var statusChanged = req.Status is { } status && status != m.Status;
        if (statusChanged)
        {
            // The console's path: the status column and the audit entry with the reason, in this transaction.
            await ChangeStatusAsync(db, m.ProgrammeId, m.Id, req.Status!.Value, req.Reason, AuditActor.Api(http), clock.GetUtcNow().UtcDateTime, ct);
        }
        // Balances are never written through the tracked entity: only the ledger's guarded updates touch them.
        db.Entry(m).Property(x => x.Available).IsModified = false;
        db.Entry(m).Property(x => x.Pending).IsModified = false;
        db.Entry(m).Property(x => x.PurchaseCount).IsModified = false;
        await work.CommitAsync(ct);
        if (statusChanged)
        {
            sessions.Forget();
            // For the answer only: the tracked member still holds the status it was read with.
            m.Status = req.Status!.Value;
        }
        var cards = await db.Cards.AsNoTracking().Where(c => c.MemberId == m.Id && c.ProgrammeId == caller.ProgrammeId).ToListAsync(ct);
        return TypedResults.Ok(MemberView.From(m, cards));
    }

    /// <summary>The longest reason a member change keeps, in the console and through the API alike.</summary>
    internal const int MaxReasonLength = 500;

    /// <summary>
    /// Sets a member's status from the console, in a transaction of its own; the API's profile change runs the same
    /// <see cref="ChangeStatusAsync"/> inside its transaction.
    /// </summary>
    internal static async Task SetStatusAsync(TreueDb db, WebSessions sessions, Guid programmeId, Guid memberId, MemberStatus status, string? reason,
        AuditActor actor, DateTime now, CancellationToken ct)
    {
        await using var work = await Work.BeginAsync(db, ct);
        if (!await ChangeStatusAsync(db, programmeId, memberId, status, reason, actor, now, ct)) return;
        await work.CommitAsync(ct);
        sessions.Forget();
    }

    /// <summary>
    /// The one way a member's status changes: only the status column (balances change through the ledger alone), and
    /// an audit entry with who did it and <paramref name="reason"/>, which the member page shows in the member's
    /// history. Runs in the caller's transaction; false when there is no such member or the status is that already.
    /// </summary>
    private static async Task<bool> ChangeStatusAsync(TreueDb db, Guid programmeId, Guid memberId, MemberStatus status, string? reason,
        AuditActor actor, DateTime now, CancellationToken ct)
    {
        var old = await db.Members.AsNoTracking().Where(m => m.Id == memberId && m.ProgrammeId == programmeId).Select(m => (MemberStatus?)m.Status).SingleOrDefaultAsync(ct);
        if (old is null || old == status) return false;
        await db.Members.Where(m => m.Id == memberId && m.ProgrammeId == programmeId).ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, status), ct);
        var why = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        AuditLog.Add(db, programmeId, actor, AuditActions.MemberStatusChanged, now, memberId.ToString(),
            MemberHistory.StatusDetails(old.Value, status, why is null ? null : why[..Math.Min(MaxReasonLength, why.Length)]), memberId);
        return true;
    }

    [GeneratedRegex("^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
    private static partial Regex LanguagePattern();
}
