using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Treue.Storage.Sqlite;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model for SQLite.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<TreueDb>
{
    public TreueDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<TreueDb>();
        options.UseTreueDatabase("Data Source=design-time.db");
        return new TreueDb(options.Options);
    }
}
