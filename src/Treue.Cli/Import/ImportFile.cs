using System.Text.RegularExpressions;
using Treue.Server.Features.Purchases;

namespace Treue.Cli.Import;

/// <summary>A purchase read from a file, ready for <see cref="PurchaseRecorder"/>.</summary>
/// <param name="Line">The file line of its first row.</param>
/// <param name="LineNumbers">The file line of each receipt line, in the order of <see cref="PurchaseRequest.Lines"/>.</param>
/// <param name="MemberRef">The member's external reference; null for an anonymous purchase or one identified by card.</param>
/// <param name="Request">The purchase; the importer fills in the member.</param>
internal sealed record ImportedPurchase(int Line, IReadOnlyList<int> LineNumbers, string? MemberRef, PurchaseRequest Request);

/// <summary>Why a row was not imported.</summary>
/// <param name="Line">The line in the file.</param>
/// <param name="Column">The column (or option) at fault.</param>
/// <param name="Message">What is wrong with it.</param>
/// <param name="Receipt">The receipt the row belongs to, when known.</param>
internal sealed record ImportError(int Line, string Column, string Message, string? Receipt = null)
{
    public override string ToString() =>
        $"line {Line}{(Receipt is null ? "" : $" (receipt {Receipt})")}, {Column}: {Message}";
}

/// <summary>What a reader made of a file: the purchases, the rows it could not read, and how the file names its columns.</summary>
internal sealed partial class ImportFile(Func<string, string> columnOf)
{
    public List<ImportedPurchase> Purchases { get; } = [];
    public List<ImportError> Errors { get; } = [];
    /// <summary>Data rows read (the header does not count).</summary>
    public int Rows { get; set; }
    /// <summary>Rows not imported because they, or another row of their receipt, could not be read.</summary>
    public int RejectedRows { get; set; }

    /// <summary>Maps a field the server refused (<c>lines[2].unitPrice</c>) to the file's line and column.</summary>
    public ImportError ErrorAt(ImportedPurchase purchase, string field, string message)
    {
        var match = LineField().Match(field);
        if (match.Success && int.TryParse(match.Groups[1].Value, out var i) && i < purchase.LineNumbers.Count)
            return new ImportError(purchase.LineNumbers[i], columnOf("lines." + match.Groups[2].Value), message, purchase.Request.ReceiptId);
        return new ImportError(purchase.Line, columnOf(field), message, purchase.Request.ReceiptId);
    }

    [GeneratedRegex(@"^lines\[(\d+)\]\.(\w+)$")]
    private static partial Regex LineField();
}

/// <summary>Amounts in a canonical form: the same value always reads the same, whatever trailing zeros a file wrote.</summary>
internal static class Amounts
{
    /// <summary>Drops trailing zeros (12.50 becomes 12.5), so that a receipt read twice has the same fingerprint.</summary>
    public static decimal Canonical(decimal value) => value / 1.0000000000000000000000000000m;
}
