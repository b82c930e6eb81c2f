using Microsoft.EntityFrameworkCore;
using Treue.Domain.Ledger;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Server.Tests.Infrastructure;

/// <summary>The ledger's invariants, checked straight against the database.</summary>
public static class LedgerInvariants
{
    /// <summary>
    /// Every transaction sums to zero; every member's cached balances equal the sums of their entries and of their
    /// lots' remaining points; no balance is negative.
    /// </summary>
    public static async Task AssertAsync(TreueDb db, Guid programmeId)
    {
        var unbalanced = await db.LedgerEntries.Where(e => e.ProgrammeId == programmeId).GroupBy(e => e.TransactionId)
            .Select(g => new { g.Key, Sum = g.Sum(e => e.Amount) }).Where(g => g.Sum != 0).ToListAsync();
        Assert.Empty(unbalanced);
        var members = await db.Members.AsNoTracking().Where(m => m.ProgrammeId == programmeId).ToListAsync();
        var entries = await db.LedgerEntries.AsNoTracking().Where(e => e.ProgrammeId == programmeId && e.MemberId != null)
            .GroupBy(e => new { e.MemberId, e.Account }).Select(g => new { g.Key.MemberId, g.Key.Account, Sum = g.Sum(e => e.Amount) }).ToListAsync();
        var lots = await db.PointLots.AsNoTracking().Where(l => l.ProgrammeId == programmeId)
            .GroupBy(l => new { l.MemberId, l.Status }).Select(g => new { g.Key.MemberId, g.Key.Status, Sum = g.Sum(l => l.Remaining) }).ToListAsync();
        foreach (var m in members)
        {
            Assert.True(m.Available >= 0 && m.Pending >= 0, $"member {m.Id} has a negative balance");
            Assert.Equal(entries.Where(e => e.MemberId == m.Id && e.Account == LedgerAccounts.MemberAvailable).Sum(e => e.Sum), m.Available);
            Assert.Equal(entries.Where(e => e.MemberId == m.Id && e.Account == LedgerAccounts.MemberPending).Sum(e => e.Sum), m.Pending);
            Assert.Equal(lots.Where(l => l.MemberId == m.Id && l.Status == LotStatus.Available).Sum(l => l.Sum), m.Available);
            Assert.Equal(lots.Where(l => l.MemberId == m.Id && l.Status == LotStatus.Pending).Sum(l => l.Sum), m.Pending);
        }
    }
}
