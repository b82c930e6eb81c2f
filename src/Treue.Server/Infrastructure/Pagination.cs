using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Treue.Server.Infrastructure;

/// <summary>A page of results and the cursor of the next page (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>Cursor pagination: opaque cursors, and a page size that is bounded.</summary>
public static class Pagination
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>Validates <c>limit</c> and decodes <c>cursor</c>; returns a problem naming the bad parameter.</summary>
    public static ProblemHttpResult? Read(int? limit, string? cursor, out int take, out string? after)
    {
        take = limit ?? DefaultLimit;
        after = null;
        if (take is < 1 or > MaxLimit)
            return Problems.Problem("validation_failed", $"must be between 1 and {MaxLimit}", "limit", 400);
        if (string.IsNullOrEmpty(cursor)) return null;
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            after = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            return null;
        }
        catch (FormatException)
        {
            return Problems.Problem("invalid_cursor", "is not a cursor this API returned", "cursor", 400);
        }
    }

    /// <summary>Encodes a position as an opaque cursor.</summary>
    public static string Cursor(string position) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(position)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Builds a page from <paramref name="rows"/> fetched with one extra row to detect a next page.</summary>
    public static Page<T> Build<T>(List<T> rows, int take, Func<T, string> position) =>
        rows.Count > take
            ? new Page<T>(rows.Take(take).ToList(), Cursor(position(rows[take - 1])))
            : new Page<T>(rows, null);
}
