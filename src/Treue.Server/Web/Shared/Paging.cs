using Microsoft.EntityFrameworkCore;

namespace Treue.Server.Web.Shared;

/// <summary>
/// One page of a list: the database counts the rows and returns only the page, so a list of any length stays cheap
/// and every row can still be reached.
/// </summary>
public static class Paging
{
    /// <summary>The rows a console or portal list shows at once.</summary>
    public const int PageSize = 50;

    /// <summary>A list with no rows yet, before its first query.</summary>
    public static PageOf<T> Empty<T>() => new([], 0, 0, PageSize);

    /// <summary>
    /// The total of <paramref name="query"/> and the rows of page <paramref name="page"/> (from 0). A page past the end
    /// (the list shrank since) becomes the last page, so a filter never leaves an empty page behind a non-zero total.
    /// </summary>
    public static async Task<PageOf<T>> PageAsync<T>(this IQueryable<T> query, int page, int pageSize = PageSize, CancellationToken ct = default)
    {
        var total = await query.CountAsync(ct);
        var last = Math.Max(0, (total - 1) / pageSize);
        page = Math.Clamp(page, 0, last);
        var rows = total == 0 ? [] : await query.Skip(page * pageSize).Take(pageSize).ToListAsync(ct);
        return new PageOf<T>(rows, total, page, pageSize);
    }
}

/// <summary>The rows of one page, the total of the whole list and where the page is in it.</summary>
public sealed record PageOf<T>(List<T> Rows, int Total, int Page, int PageSize);
