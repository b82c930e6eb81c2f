namespace Treue.Storage;

/// <summary>
/// An EF Core compiled query for each database provider. A compiled query is bound to the model it was first run with,
/// and SQLite and PostgreSQL have a model each, so one process that talks to both (the tests do) needs one per provider.
/// </summary>
/// <typeparam name="TQuery">The delegate <c>EF.CompileAsyncQuery</c> returns.</typeparam>
public sealed class ProviderCompiled<TQuery>(Func<TQuery> compile) where TQuery : class
{
    private readonly Lazy<TQuery> _sqlite = new(compile);
    private readonly Lazy<TQuery> _postgres = new(compile);

    /// <summary>The compiled query for the provider behind <paramref name="db"/>.</summary>
    public TQuery For(TreueDb db) => db.IsSqlite ? _sqlite.Value : _postgres.Value;
}
