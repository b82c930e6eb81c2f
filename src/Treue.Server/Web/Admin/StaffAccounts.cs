using System.Net.Mail;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Features.Audit;
using Treue.Server.Web.Shared;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Web.Admin;

/// <summary>Outcome of a staff sign-in attempt. The message never says whether the e-mail is known.</summary>
public enum SignInOutcome { Success, Failed, Throttled }

/// <summary>Staff accounts of the admin console: the first admin, sign-in, and accounts created by an admin.</summary>
public sealed class StaffAccounts(TreueDb db, SignInThrottle throttle, TimeProvider clock, IConfiguration config, ILogger<StaffAccounts> log,
    WebSessions? sessions = null)
{
    private static readonly PasswordHasher<StaffUser> Hasher = new();
    public const int MinPasswordLength = 10;

    /// <summary>
    /// Creates the first admin of the programme when no staff account exists yet: with the e-mail and password of
    /// <c>Treue:Admin:Email</c> and <c>Treue:Admin:Password</c>, or with a random password that is logged this once.
    /// <c>Treue:Admin:Programme</c> names the programme; by default it is the oldest one.
    /// </summary>
    public async Task EnsureFirstAdminAsync(CancellationToken ct)
    {
        if (await db.StaffUsers.AnyAsync(ct)) return;
        var code = config["Treue:Admin:Programme"];
        var programme = await db.Programmes.AsNoTracking().Where(p => code == null || p.Code == code)
            .OrderBy(p => p.CreatedAt).ThenBy(p => p.Code).FirstOrDefaultAsync(ct);
        if (programme is null) return;
        var email = config["Treue:Admin:Email"] ?? "admin@localhost";
        var password = config["Treue:Admin:Password"];
        var generated = string.IsNullOrEmpty(password);
        if (generated) password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)).Replace('+', 'x').Replace('/', 'y');
        try
        {
            await CreateAsync(programme.Id, email, "Administrator", StaffRole.Admin, password!, AuditActor.System, ct);
        }
        catch (DbUpdateException)
        {
            return; // another node created it at the same moment
        }
        if (generated)
        {
            log.LogWarning("Created the first admin of the console for programme '{Programme}': e-mail {Email}, password {Password} " +
                "(shown only now; change it under /admin/staff, or set Treue:Admin:Password)", programme.Code, email, password);
        }
        else
        {
            log.LogInformation("Created the first admin of the console for programme '{Programme}': {Email} (password from configuration)", programme.Code, email);
        }
    }

    /// <summary>
    /// Checks an e-mail and password. Every failure looks the same and is counted by the throttle. Successes and
    /// failures on a known account are audited in its programme; an unknown e-mail belongs to no programme.
    /// </summary>
    public async Task<(SignInOutcome Outcome, StaffUser? User)> SignInAsync(string email, string password, string? address, CancellationToken ct)
    {
        email = (email ?? "").Trim();
        if (!throttle.IsAllowed("staff", email, address)) return (SignInOutcome.Throttled, null);
        var key = email.ToLowerInvariant();
        var candidates = key.Length is 0 or > 254 ? [] : await db.StaffUsers.Where(u => u.EmailKey == key && u.Active).ToListAsync(ct);
        foreach (var user in candidates)
        {
            var check = Hasher.VerifyHashedPassword(user, user.PasswordHash, password ?? "");
            if (check == PasswordVerificationResult.Failed) continue;
            if (check == PasswordVerificationResult.SuccessRehashNeeded) user.PasswordHash = Hasher.HashPassword(user, password!);
            user.LastSignInAt = clock.GetUtcNow().UtcDateTime;
            AuditLog.Add(db, user.ProgrammeId, new AuditActor(AuditActorKind.Staff, user.Id, user.Email, address), AuditActions.StaffSignIn,
                user.LastSignInAt.Value, user.Email);
            await db.SaveChangesAsync(ct);
            throttle.Succeeded("staff", email);
            return (SignInOutcome.Success, user);
        }
        if (candidates.Count == 0) Hasher.HashPassword(new StaffUser { Email = "", EmailKey = "", Name = "", PasswordHash = "" }, password ?? ""); // same cost either way
        throttle.Failed("staff", email, address);
        if (key.Length is > 0 and <= 254)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            foreach (var known in await db.StaffUsers.AsNoTracking().Where(u => u.EmailKey == key).ToListAsync(ct))
            {
                AuditLog.Add(db, known.ProgrammeId, new AuditActor(AuditActorKind.Staff, known.Id, known.Email, address), AuditActions.StaffSignInFailed,
                    now, known.Email, known.Active ? "wrong password" : "account disabled");
            }
            await db.SaveChangesAsync(ct);
        }
        return (SignInOutcome.Failed, null);
    }

    /// <summary>Checks the fields of a new account; returns a message or null.</summary>
    public static string? Invalid(string? email, string? name, string? password)
    {
        if (string.IsNullOrWhiteSpace(email) || email.Length > 254 || !MailAddress.TryCreate(email.Trim(), out _)) return "E-mail is not an e-mail address.";
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200) return "Name is required (at most 200 characters).";
        if (password is null || password.Length < MinPasswordLength || password.Length > 200) return $"The password needs at least {MinPasswordLength} characters.";
        return null;
    }

    /// <summary>Creates a staff account.</summary>
    public async Task<StaffUser> CreateAsync(Guid programmeId, string email, string name, StaffRole role, string password, AuditActor actor, CancellationToken ct)
    {
        var user = new StaffUser
        {
            Id = Guid.CreateVersion7(), ProgrammeId = programmeId, Email = email.Trim(), EmailKey = email.Trim().ToLowerInvariant(),
            Name = name.Trim(), Role = role, PasswordHash = "", CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        user.PasswordHash = Hasher.HashPassword(user, password);
        db.StaffUsers.Add(user);
        AuditLog.Add(db, programmeId, actor, AuditActions.StaffCreated, user.CreatedAt, user.Email, $"{user.Name}, {role.ToString().ToLowerInvariant()}");
        await db.SaveChangesAsync(ct);
        return user;
    }

    /// <summary>
    /// Disables or enables an account of the programme. A disabled account's sessions end on their next request, on
    /// every node; this node forgets what it remembered about sessions at once.
    /// </summary>
    public async Task<bool> SetActiveAsync(Guid programmeId, Guid userId, bool active, AuditActor actor, CancellationToken ct)
    {
        var user = await db.StaffUsers.SingleOrDefaultAsync(u => u.Id == userId && u.ProgrammeId == programmeId, ct);
        if (user is null) return false;
        if (user.Active != active)
        {
            user.Active = active;
            AuditLog.Add(db, programmeId, actor, active ? AuditActions.StaffEnabled : AuditActions.StaffDisabled, clock.GetUtcNow().UtcDateTime, user.Email);
            await db.SaveChangesAsync(ct);
        }
        sessions?.Forget();
        return true;
    }

    /// <summary>Gives an account another role; its open sessions carry the new role from their next request on.</summary>
    public async Task<bool> SetRoleAsync(Guid programmeId, Guid userId, StaffRole role, AuditActor actor, CancellationToken ct)
    {
        var user = await db.StaffUsers.SingleOrDefaultAsync(u => u.Id == userId && u.ProgrammeId == programmeId, ct);
        if (user is null || !Enum.IsDefined(role)) return false;
        if (user.Role != role)
        {
            AuditLog.Add(db, programmeId, actor, AuditActions.StaffRoleChanged, clock.GetUtcNow().UtcDateTime, user.Email,
                $"{user.Role.ToString().ToLowerInvariant()} -> {role.ToString().ToLowerInvariant()}");
            user.Role = role;
            await db.SaveChangesAsync(ct);
        }
        sessions?.Forget();
        return true;
    }

    /// <summary>Sets a new password.</summary>
    public async Task SetPasswordAsync(StaffUser user, string password, CancellationToken ct)
    {
        user.PasswordHash = Hasher.HashPassword(user, password);
        await db.SaveChangesAsync(ct);
    }
}
