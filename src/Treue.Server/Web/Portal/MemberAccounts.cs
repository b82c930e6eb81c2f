using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Infrastructure;
using Treue.Server.Web.Admin;
using Treue.Server.Web.Shared;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Web.Portal;

/// <summary>
/// Sign-in to the member portal: by password, or by a one-time code or link sent to the member's e-mail. No answer
/// reveals whether an account exists: unknown addresses fail (and are throttled) exactly like wrong passwords.
/// </summary>
public sealed class MemberAccounts(TreueDb db, SignInThrottle throttle, ISignInCodeSender sender, TimeProvider clock, IConfiguration config, ServerSecret secret,
    Microsoft.Extensions.Options.IOptions<Features.Mail.MailOptions> mail)
{
    private static readonly PasswordHasher<MemberCredential> Hasher = new();
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(15);
    public const int MaxCodeAttempts = 5;

    /// <summary>
    /// The programme whose members use this portal: <c>Treue:Portal:Programme</c>, or the oldest programme.
    /// </summary>
    public async Task<Guid?> ProgrammeAsync(CancellationToken ct)
    {
        var code = config["Treue:Portal:Programme"];
        return await db.Programmes.AsNoTracking().Where(p => code == null || p.Code == code)
            .OrderBy(p => p.CreatedAt).ThenBy(p => p.Code).Select(p => (Guid?)p.Id).FirstOrDefaultAsync(ct);
    }

    private async Task<Member?> FindAsync(string email, CancellationToken ct)
    {
        var key = email.Trim().ToLowerInvariant();
        if (key.Length is 0 or > 254) return null;
        var programme = await ProgrammeAsync(ct);
        if (programme is null) return null;
        return await db.Members.AsNoTracking().SingleOrDefaultAsync(m => m.ProgrammeId == programme && m.EmailKey == key, ct);
    }

    public async Task<(SignInOutcome Outcome, Member? Member)> SignInWithPasswordAsync(string email, string password, string? address, CancellationToken ct)
    {
        email ??= "";
        if (!throttle.IsAllowed("member", email, address)) return (SignInOutcome.Throttled, null);
        var member = await FindAsync(email, ct);
        var credential = member is null ? null : await db.MemberCredentials.SingleOrDefaultAsync(c => c.MemberId == member.Id, ct);
        var ok = false;
        if (credential is not null && member!.Status != MemberStatus.Closed)
            ok = Hasher.VerifyHashedPassword(credential, credential.PasswordHash, password ?? "") != PasswordVerificationResult.Failed;
        else
            Hasher.HashPassword(new MemberCredential { PasswordHash = "" }, password ?? ""); // the same work whether or not the account exists
        if (!ok)
        {
            throttle.Failed("member", email, address);
            return (SignInOutcome.Failed, null);
        }
        throttle.Succeeded("member", email);
        return (SignInOutcome.Success, member);
    }

    /// <summary>Sends a code and link if the e-mail belongs to a member. The caller always shows the same answer.</summary>
    public async Task<bool> RequestCodeAsync(string email, Uri portalBase, string? address, CancellationToken ct)
    {
        email ??= "";
        if (!throttle.IsAllowed("member-code", email, address)) return false;
        // Every request counts: codes cannot be used to flood a mailbox.
        throttle.Failed("member-code", email, address);
        var member = await FindAsync(email, ct);
        if (member is null || member.Status == MemberStatus.Closed || member.Email is null) return true;
        var now = clock.GetUtcNow().UtcDateTime;
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
        db.SignInCodes.Add(new SignInCode
        {
            Id = Guid.CreateVersion7(), ProgrammeId = member.ProgrammeId, MemberId = member.Id, CodeHash = CodeHash(member.Id, code), LinkHash = LinkHash(token),
            CreatedAt = now, ExpiresAt = now + CodeLifetime,
        });
        // The e-mail leaves through the outbox, written with the code; the code is emptied from it once it is sent.
        var link = new Uri(portalBase, "portal/signin/link?token=" + token);
        var zone = await db.Programmes.AsNoTracking().Where(p => p.Id == member.ProgrammeId).Select(p => p.TimeZone).SingleAsync(ct);
        var culture = System.Globalization.CultureInfo.GetCultureInfo(member.Language == "de" ? "de-DE" : "en-GB");
        var localExpiry = TimeZoneInfo.ConvertTimeFromUtc(now + CodeLifetime, TimeZoneInfo.FindSystemTimeZoneById(zone));
        db.Outbox.Add(new OutboxMessage
        {
            ProgrammeId = member.ProgrammeId, MemberId = member.Id, Template = "sign_in_code", Language = member.Language == "de" ? "de" : "en",
            Data = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["code"] = code, ["link"] = link.AbsoluteUri, ["expires"] = localExpiry.ToString("t", culture),
                ["expiresAtUtc"] = (now + CodeLifetime).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            }),
            Source = "portal:sign-in", State = OutboxState.Queued, NextAttemptAt = now, CreatedAt = now,
        });
        await db.SaveChangesAsync(ct);
        // The log file is for development: by default only a programme without a mail server writes it.
        if (mail.Value.SignInCodeLog ?? !await db.MailSettings.AnyAsync(s => s.ProgrammeId == member.ProgrammeId, ct))
            await sender.SendAsync(new SignInCodeMessage(member.Email, member.Name, code, link, now + CodeLifetime), ct);
        return true;
    }

    /// <summary>Signs in with the newest unused code sent to the e-mail.</summary>
    public async Task<(SignInOutcome Outcome, Member? Member)> SignInWithCodeAsync(string email, string code, string? address, CancellationToken ct)
    {
        email ??= "";
        if (!throttle.IsAllowed("member", email, address)) return (SignInOutcome.Throttled, null);
        var member = await FindAsync(email, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        SignInCode? row = null;
        if (member is not null)
        {
            row = await db.SignInCodes.Where(c => c.MemberId == member.Id && c.UsedAt == null && c.ExpiresAt > now && c.Attempts < MaxCodeAttempts)
                .OrderByDescending(c => c.CreatedAt).FirstOrDefaultAsync(ct);
        }
        if (row is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(row.CodeHash), Encoding.ASCII.GetBytes(CodeHash(member!.Id, (code ?? "").Trim()))))
        {
            row.UsedAt = now;
            await db.SaveChangesAsync(ct);
            throttle.Succeeded("member", email);
            return (SignInOutcome.Success, member);
        }
        if (row is not null)
        {
            row.Attempts++;
            await db.SaveChangesAsync(ct);
        }
        throttle.Failed("member", email, address);
        return (SignInOutcome.Failed, null);
    }

    /// <summary>Signs in with the token of a sign-in link; each link works once.</summary>
    public async Task<Member?> SignInWithLinkAsync(string? token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        var hash = LinkHash(token);
        var used = await db.SignInCodes.Where(c => c.LinkHash == hash && c.UsedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, now), ct);
        if (used == 0) return null;
        var memberId = await db.SignInCodes.Where(c => c.LinkHash == hash).Select(c => c.MemberId).SingleAsync(ct);
        var member = await db.Members.AsNoTracking().SingleAsync(m => m.Id == memberId, ct);
        return member.Status == MemberStatus.Closed ? null : member;
    }

    /// <summary>Sets or changes a member's portal password.</summary>
    public async Task SetPasswordAsync(Guid programmeId, Guid memberId, string password, CancellationToken ct)
    {
        var credential = await db.MemberCredentials.SingleOrDefaultAsync(c => c.MemberId == memberId && c.ProgrammeId == programmeId, ct);
        if (credential is null)
        {
            credential = new MemberCredential { MemberId = memberId, ProgrammeId = programmeId, PasswordHash = "" };
            db.MemberCredentials.Add(credential);
        }
        credential.PasswordHash = Hasher.HashPassword(credential, password);
        credential.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
    }

    // Keyed with the server's secret, so that the stored hash of a six-digit code cannot be reversed by trying every
    // code; the member's id in the input makes equal codes of two members hash differently.
    private string CodeHash(Guid memberId, string code) => secret.Hash("sign-in-code", memberId.ToString("N") + ":" + code);

    private string LinkHash(string token) => secret.Hash("sign-in-link", token);
}
