namespace Treue.Domain.Ledger;

/// <summary>
/// The accounts of the double-entry points ledger. Every ledger transaction moves points between
/// accounts and its entries sum to zero. Member accounts hold the member's points; programme
/// accounts are where points come from and go to.
/// </summary>
public static class LedgerAccounts
{
    /// <summary>A member's spendable points.</summary>
    public const string MemberAvailable = "member:available";
    /// <summary>A member's points that wait for the return window to pass.</summary>
    public const string MemberPending = "member:pending";
    /// <summary>Points issued by a partner on purchases (the partner owes their value to the programme).</summary>
    public static string PartnerIssued(string partnerCode) => "partner:" + partnerCode + ":issued";
    /// <summary>Points members paid with at a partner's tills (the programme owes their value to the partner).</summary>
    public static string PartnerRedeemed(string partnerCode) => "partner:" + partnerCode + ":redeemed";
    /// <summary>Points spent on reward orders.</summary>
    public const string Redeemed = "programme:redeemed";
    /// <summary>Points used as a means of payment at checkout before payments were booked to the partner's account.</summary>
    public const string PaidAtCheckout = "programme:checkout";
    /// <summary>Points that expired (breakage).</summary>
    public const string Expired = "programme:expired";
    /// <summary>Points given or taken by hand.</summary>
    public const string Adjustments = "programme:adjustments";
    /// <summary>Points a return should have taken back but the member had already spent.</summary>
    public const string Unrecovered = "programme:unrecovered";
    /// <summary>Points given by full stamp cards whose reward is points.</summary>
    public const string StampCards = "programme:stamp-cards";
    /// <summary>Points given to both sides of a referral.</summary>
    public const string Referrals = "programme:referrals";
}

/// <summary>The kinds of ledger transactions.</summary>
public enum LedgerKind
{
    /// <summary>Points earned on a purchase.</summary>
    Earn,
    /// <summary>Pending points become available.</summary>
    Post,
    /// <summary>Points taken back by a return.</summary>
    Reverse,
    /// <summary>Points spent on a reward or paid at checkout.</summary>
    Redeem,
    /// <summary>Points given back: a cancelled reward order or a returned purchase paid with points.</summary>
    Refund,
    /// <summary>Points that expired.</summary>
    Expire,
    /// <summary>A manual correction by staff.</summary>
    Adjust,
    /// <summary>Points moved between members or programmes.</summary>
    Transfer,
}
