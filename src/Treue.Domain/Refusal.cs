namespace Treue.Domain;

/// <summary>
/// An expected business outcome that stops an operation (not enough points, reward out of stock...).
/// Refusals are values, not exceptions; the HTTP edge turns them into problem details.
/// </summary>
/// <param name="Code">Stable machine-readable code, for example <c>insufficient_points</c>.</param>
/// <param name="Message">A sentence for humans.</param>
/// <param name="Field">The request field at fault, when there is one.</param>
public sealed record Refusal(string Code, string Message, string? Field = null);
