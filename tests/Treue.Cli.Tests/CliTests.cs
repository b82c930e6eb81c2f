using Treue.Cli.Tests.Infrastructure;

namespace Treue.Cli.Tests;

public sealed class CliTests
{
    [Fact]
    public async Task Help_lists_every_command()
    {
        using var cli = new TestCli();
        var run = await cli.SucceedAsync("--help");

        foreach (var command in new[] { "serve", "db", "programme", "apikey", "demo", "import", "export", "jobs", "report" })
            Assert.Contains(command, run.Out);
    }

    [Fact]
    public async Task An_unknown_command_or_a_missing_option_exits_with_2_and_one_clear_line_each()
    {
        using var cli = new TestCli();

        var unknown = await cli.RunAsync("frobnicate");
        var missing = await cli.RunAsync("apikey", "create", "--role", "admin");

        Assert.Equal((2, 2), (unknown.ExitCode, missing.ExitCode));
        Assert.Contains("'frobnicate'", unknown.Error);
        Assert.Contains("--programme", missing.Error);
        Assert.DoesNotContain("   at ", unknown.Error + missing.Error);
    }

    [Fact]
    public async Task A_command_on_an_unknown_programme_exits_with_2()
    {
        using var cli = new TestCli();

        var run = await cli.RunAsync("export", "members", "--programme", "nope");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: There is no programme 'nope'. Create it with 'treue programme apply FILE'.", run.Error.Trim());
    }

    [Fact]
    public async Task An_unreachable_database_exits_with_1_and_one_line_without_a_stack_trace()
    {
        using var cli = new TestCli();
        var blocked = cli.Write("not-a-folder", "a file where the data folder should be");

        var run = await cli.RunAsync("db", "migrate", "--connection", $"Data Source={Path.Combine(blocked, "treue.db")}");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: ", run.Error);
        Assert.Single(run.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Db_migrate_applies_the_migrations_once()
    {
        using var cli = new TestCli();

        var first = await cli.SucceedAsync("db", "migrate");
        var second = await cli.SucceedAsync("db", "migrate");

        Assert.Contains("Applied ", first.Out);
        Assert.Contains(Path.Combine(cli.DataFolder, "treue.db"), first.Out);
        Assert.Contains("The database is up to date", second.Out);
    }

    [Theory]
    [InlineData("db", "migrate")]
    [InlineData("serve", "--urls", "http://127.0.0.1:0")]
    public async Task A_database_made_by_an_earlier_build_is_refused_with_one_line_that_says_what_to_do(params string[] command)
    {
        using var cli = new TestCli();
        Directory.CreateDirectory(cli.DataFolder);
        // The history of a database of the builds before the migrations were made afresh.
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(cli.DataFolder, "treue.db")};Pooling=false"))
        {
            await c.OpenAsync(TestContext.Current.CancellationToken);
            await using var cmd = c.CreateCommand();
            cmd.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE "__EFMigrationsHistory" ("MigrationId" TEXT NOT NULL PRIMARY KEY, "ProductVersion" TEXT NOT NULL);
                INSERT INTO "__EFMigrationsHistory" VALUES ('20261123110720_Initial', '10.0.14');
                """;
            await cmd.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }
        // A server that started anyway would run until stopped: the time limit turns that into a failure.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(60));

        var run = await cli.RunAsync(command, limit.Token);

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Error.Trim().Split('\n'));
        Assert.StartsWith("error: The database was made by another version of Treue", line);
        Assert.Contains("20261123110720_Initial", line);
        Assert.Contains("export its data with the version that made it", line);
        Assert.Contains("move the data folder", line);
        Assert.DoesNotContain("Applied", run.Out);
    }
}
