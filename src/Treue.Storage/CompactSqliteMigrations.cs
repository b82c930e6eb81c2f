using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Treue.Storage;

/// <summary>
/// Creates the SQLite tables of <see cref="TreueDb.WithoutRowIdTables"/> <c>WITHOUT ROWID</c>: their rows are stored
/// in the order of their primary key, and there is no second copy of the key in an index beside the table. EF Core
/// has no setting for it, so the migrations' SQL is written here; the migrations themselves are the usual ones.
/// </summary>
public sealed class CompactSqliteMigrations(MigrationsSqlGeneratorDependencies dependencies, IRelationalAnnotationProvider annotations)
    : SqliteMigrationsSqlGenerator(dependencies, annotations)
{
    protected override void Generate(CreateTableOperation operation, IModel? model, MigrationCommandListBuilder builder, bool terminate = true)
    {
        // A table EF Core rebuilds (to alter a column SQLite cannot alter) is created as ef_temp_NAME first.
        var name = operation.Name.StartsWith("ef_temp_", StringComparison.Ordinal) ? operation.Name["ef_temp_".Length..] : operation.Name;
        if (!TreueDb.WithoutRowIdTables.Contains(name))
        {
            base.Generate(operation, model, builder, terminate);
            return;
        }
        base.Generate(operation, model, builder, terminate: false);
        builder.Append(" WITHOUT ROWID");
        if (!terminate) return;
        builder.AppendLine(Dependencies.SqlGenerationHelper.StatementTerminator);
        EndStatement(builder);
    }
}
