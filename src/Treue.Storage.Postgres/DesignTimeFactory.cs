using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Treue.Storage.Postgres;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model for PostgreSQL (no server is contacted).</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<TreueDb>
{
    public TreueDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<TreueDb>();
        options.UseTreueDatabase("Host=localhost;Database=treue");
        return new TreueDb(options.Options);
    }
}
