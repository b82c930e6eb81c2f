namespace Treue.Server.Infrastructure;

/// <summary>
/// Authorisation policies of the API. <c>admin</c> may do everything a <c>pos</c> key may. A key bound to a partner
/// acts for that partner only: it never passes <see cref="Admin"/>, whose acts concern the whole programme, and may
/// manage only its own partner's keys (<see cref="KeyAdmin"/>).
/// </summary>
public static class Policies
{
    /// <summary>Configuration, manual adjustments, jobs, exports, analytics: administrators of the whole programme (an unbound admin key).</summary>
    public const string Admin = "admin";
    /// <summary>API keys: an admin key; one bound to a partner manages that partner's keys only.</summary>
    public const string KeyAdmin = "key-admin";
    /// <summary>Tills, web shops and app backends: members, cards, purchases, returns, redemptions.</summary>
    public const string Pos = "pos";
}
