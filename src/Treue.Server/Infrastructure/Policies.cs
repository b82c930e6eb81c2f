namespace Treue.Server.Infrastructure;

/// <summary>Authorisation policies of the API. <c>admin</c> may do everything a <c>pos</c> key may.</summary>
public static class Policies
{
    /// <summary>Configuration, manual adjustments, jobs, exports: programme administrators.</summary>
    public const string Admin = "admin";
    /// <summary>Tills, web shops and app backends: members, cards, purchases, returns, redemptions.</summary>
    public const string Pos = "pos";
}
