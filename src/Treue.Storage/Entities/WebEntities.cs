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
