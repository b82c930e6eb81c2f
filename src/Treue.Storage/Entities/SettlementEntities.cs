using Treue.Domain.Settlement;

namespace Treue.Storage.Entities;

// Coalition settlement (see docs/coalition.md): each partner's economics, the programme's settlement period, the runs
// of each period with their statements, and the ledger transactions a closed run settled. Stored in their own tables.

/// <summary>A programme's coalition settings: how long its settlement periods are.</summary>
public sealed class SettlementSettings
{
    public Guid ProgrammeId { get; set; }
    public SettlementPeriodKind Period { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>What a partner pays and is paid for points. Without a row, the partner settles at the programme's point value without fees.</summary>
public sealed class PartnerEconomics
{
    public Guid PartnerId { get; set; }
    public Guid ProgrammeId { get; set; }
    /// <summary>What the partner pays per point it issues; null: the programme's point value.</summary>
    public decimal? IssuePrice { get; set; }
    /// <summary>What the operator pays per point redeemed at the partner; null: the programme's point value.</summary>
    public decimal? RedemptionPrice { get; set; }
    public decimal FeePerPoint { get; set; }
    public decimal FeePercent { get; set; }
    public long MonthlyFeeMinor { get; set; }
    public BreakageBeneficiary Breakage { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public enum SettlementRunStatus { Open, Closed }

/// <summary>
/// The settlement of one period. Running an open period again replaces its statements; closing it freezes them and
/// claims the ledger transactions it settled, so that a movement recorded later lands in the next open period.
/// </summary>
public sealed class SettlementRun
{
    public Guid Id { get; set; }
    public Guid ProgrammeId { get; set; }
    public SettlementPeriodKind Kind { get; set; }
    /// <summary>The period's name: 2026-11 or 2026-W48.</summary>
    public required string Label { get; set; }
    /// <summary>The period's first day in the programme's time zone.</summary>
    public DateOnly StartDay { get; set; }
    /// <summary>The day after the period's last day.</summary>
    public DateOnly EndDay { get; set; }
    /// <summary>The UTC instant the period ends: movements that occurred before it and are not settled yet belong to it.</summary>
    public DateTime EndsAt { get; set; }
    public required string Currency { get; set; }
    public SettlementRunStatus Status { get; set; }
    public DateTime ComputedAt { get; set; }
    public required string ComputedBy { get; set; }
    public DateTime? ClosedAt { get; set; }
    public string? ClosedBy { get; set; }
    /// <summary>How many ledger transactions the statements were computed from.</summary>
    public int TransactionCount { get; set; }
    public long FeesMinor { get; set; }
    public long BreakageKeptMinor { get; set; }
    public long PointsFundMinor { get; set; }
    public long OperatorNetMinor { get; set; }
    public List<SettlementStatement> Statements { get; set; } = [];
}

/// <summary>A partner's statement of a run: the points it moved, the prices they were settled at, and the money.</summary>
public sealed class SettlementStatement
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid PartnerId { get; set; }
    public required string PartnerCode { get; set; }
    public required string PartnerName { get; set; }
    public long PointsIssued { get; set; }
    public long PointsReturned { get; set; }
    public long PointsRedeemed { get; set; }
    public long PointsRefunded { get; set; }
    public long PointsExpired { get; set; }
    public decimal IssuePrice { get; set; }
    public decimal RedemptionPrice { get; set; }
    public decimal FeePerPoint { get; set; }
    public decimal FeePercent { get; set; }
    public BreakageBeneficiary Breakage { get; set; }
    public long IssuedMinor { get; set; }
    public long ReturnsMinor { get; set; }
    public long RedeemedMinor { get; set; }
    public long BreakageRefundMinor { get; set; }
    public long BreakageKeptMinor { get; set; }
    public long PointFeeMinor { get; set; }
    public long PercentFeeMinor { get; set; }
    public long MonthlyFeeMinor { get; set; }
    /// <summary>What the partner receives; negative when it pays the operator.</summary>
    public long NetMinor { get; set; }
}

/// <summary>A ledger transaction settled by a closed run: it counts in that run and in no other.</summary>
public sealed class SettlementClaim
{
    public long TransactionId { get; set; }
    public Guid ProgrammeId { get; set; }
    public Guid RunId { get; set; }
}
