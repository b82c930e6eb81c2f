namespace Treue.Storage.Entities;

/// <summary>How the connection to the SMTP server is secured.</summary>
public enum MailSecurity
{
    /// <summary>STARTTLS when the server offers it, plain otherwise (a local relay).</summary>
    Auto,
    /// <summary>No encryption at all (a relay on the same host or a test server).</summary>
    None,
    /// <summary>STARTTLS, required (port 587).</summary>
    StartTls,
    /// <summary>TLS from the first byte (port 465).</summary>
    Tls,
}

/// <summary>
/// A programme's SMTP server and sender address. The password is kept encrypted with the server's data-protection keys,
/// which every node shares through the database.
/// </summary>
public sealed class MailSettings
{
    public Guid ProgrammeId { get; set; }
    public required string Host { get; set; }
    public int Port { get; set; } = 587;
    public MailSecurity Security { get; set; }
    public string? UserName { get; set; }
    /// <summary>The password, encrypted; null when the server takes mail without signing in.</summary>
    public string? ProtectedPassword { get; set; }
    public required string FromAddress { get; set; }
    public required string FromName { get; set; }
    /// <summary>Where members' answers go, if not to the sender address.</summary>
    public string? ReplyTo { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A programme's own text for one message template in one language, in place of the built-in text.</summary>
public sealed class MailTemplateText
{
    public Guid ProgrammeId { get; set; }
    /// <summary>The template's key (<c>sign_in_code</c>, <c>birthday</c>).</summary>
    public required string Template { get; set; }
    /// <summary><c>en</c> or <c>de</c>.</summary>
    public required string Language { get; set; }
    public required string Subject { get; set; }
    /// <summary>The plain-text body; the HTML part is made from it.</summary>
    public required string Body { get; set; }
    public DateTime UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}
