using Microsoft.EntityFrameworkCore;
using Treue.Domain.Ledger;
using Treue.Storage;

namespace Treue.Cli.Tests.Infrastructure;

/// <summary>Checks of the points ledger that must hold after every command.</summary>
public static class Ledger
{
    /// <summary>
    /// Every transaction balances, and every member's cached available and pending balances equal the sums of
    /// the member's ledger entries on those accounts.
    /// </summary>
    public static async Task AssertConsistentAsync(TreueDb db)
    {
        var ct = TestContext.Current.CancellationToken;
        var unbalanced = await db.LedgerEntries.GroupBy(e => e.TransactionId)
            .Where(g => g.Sum(e => e.Amount) != 0).Select(g => g.Key).ToListAsync(ct);
        Assert.Empty(unbalanced);

        var sums = (await db.LedgerEntries.Where(e => e.MemberId != null)
                .GroupBy(e => new { e.MemberId, e.Account })
                .Select(g => new { g.Key.MemberId, g.Key.Account, Sum = g.Sum(e => e.Amount) })
                .ToListAsync(ct))
            .ToDictionary(x => (x.MemberId!.Value, x.Account), x => x.Sum);
        var members = await db.Members.AsNoTracking().Select(m => new { m.Id, m.Available, m.Pending }).ToListAsync(ct);
        var wrong = members
            .Where(m => m.Available != sums.GetValueOrDefault((m.Id, LedgerAccounts.MemberAvailable))
                     || m.Pending != sums.GetValueOrDefault((m.Id, LedgerAccounts.MemberPending)))
            .Select(m => $"{m.Id}: cached {m.Available}/{m.Pending}, entries " +
                $"{sums.GetValueOrDefault((m.Id, LedgerAccounts.MemberAvailable))}/{sums.GetValueOrDefault((m.Id, LedgerAccounts.MemberPending))}")
            .Take(10).ToList();
        Assert.True(wrong.Count == 0, "Cached balances differ from the ledger:\n" + string.Join('\n', wrong));
    }
}
