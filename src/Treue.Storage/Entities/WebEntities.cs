namespace Treue.Storage.Entities;

// Accounts and records of the admin console and the member portal.

public enum StaffRole { Admin, Marketer, Support, Analyst }

/// <summary>A person who works in the admin console of one programme.</summary>
public sealed class StaffUser
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public required string Email { get; set; }
    /// <summary>Lower-cased e-mail, unique per programme.</summary>
    public required string EmailKey { get; set; }
    public required string Name { get; set; }
    public StaffRole Role { get; set; }
    /// <summary>ASP.NET Core PasswordHasher output (PBKDF2 with a per-user salt).</summary>
    public required string PasswordHash { get; set; }
    public bool Active { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    public DateTime? LastSignInAt { get; set; }
}

/// <summary>A member's portal password. Members without one sign in with a one-time code.</summary>
public sealed class MemberCredential
{
    public Guid MemberId { get; set; }
    public Guid ProgrammeId { get; set; }
    public required string PasswordHash { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A one-time sign-in code (and link) for the member portal. Only its hash is stored.</summary>
public sealed class SignInCode
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid MemberId { get; set; }
    /// <summary>SHA-256 of the code typed by the member.</summary>
    public required string CodeHash { get; set; }
    /// <summary>SHA-256 of the token in the sign-in link.</summary>
    public required string LinkHash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
    public int Attempts { get; set; }
}

/// <summary>One change of a programme's configuration, from the console, the API or the CLI: who, when, what.</summary>
public sealed class ProgrammeChange
{
    public long Id { get; set; }
    public Guid ProgrammeId { get; set; }
    /// <summary>The configuration version the change produced.</summary>
    public int Version { get; set; }
    public DateTime At { get; set; }
    /// <summary>The staff user's e-mail, the API key (<c>apikey:…</c>) or <c>cli</c>.</summary>
    public required string Author { get; set; }
    /// <summary>What was done ("rule double-saturday saved", "applied through the API").</summary>
    public required string Summary { get; set; }
    /// <summary>The change lines of the programme applier.</summary>
    public List<string> Changes { get; set; } = [];
}

public enum SessionKind { Staff, Member }

/// <summary>
/// One sign-in to the console or the portal. The cookie carries only the session's id; every request checks that
/// the row is still open and that its account may still sign in, so signing out or disabling an account ends it.
/// </summary>
public sealed class WebSession
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public SessionKind Kind { get; set; }
    /// <summary>The staff user or the member who signed in.</summary>
    public Guid SubjectId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? EndedAt { get; set; }
}

public enum AuditActorKind { Staff, ApiKey, Member, Cli, System }

/// <summary>
/// One administrative act, append-only: who, when, from where, what and on what. Rows about a member carry the
/// member, so that erasing the member can find them.
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid? MemberId { get; set; }
    public DateTime At { get; set; }
    public AuditActorKind ActorKind { get; set; }
    /// <summary>The staff user's or API key's id, when there is one.</summary>
    public Guid? ActorId { get; set; }
    /// <summary>A readable name of the actor: the staff e-mail, the key's name, <c>cli</c>.</summary>
    public required string Actor { get; set; }
    /// <summary>The remote address of the request, when the act came over the network.</summary>
    public string? Address { get; set; }
    /// <summary>A stable code such as <c>staff.signin</c> or <c>card.block</c>.</summary>
    public required string Action { get; set; }
    /// <summary>What the act was done to: a card number's last digits, a key id, an e-mail.</summary>
    public string? Target { get; set; }
    public string? Details { get; set; }
}
