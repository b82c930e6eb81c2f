using Treue.Cli.Tests.Infrastructure;

namespace Treue.Cli.Tests;

/// <summary>The data folder holds the database, the server's key and the demo's API keys: only their owner may read them.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DataFileModeTests
{
    private const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task A_fresh_data_folder_and_its_files_are_readable_by_their_owner_only()
    {
        using var cli = new TestCli();
        Assert.False(Directory.Exists(cli.DataFolder));

        await cli.SucceedAsync("demo", "--members", "3");

        Assert.Equal(Owner | UnixFileMode.UserExecute, File.GetUnixFileMode(cli.DataFolder));
        var files = Directory.GetFiles(cli.DataFolder).Select(Path.GetFileName).ToList();
        Assert.Contains("treue.db", files);
        Assert.Contains("demo-api-keys.json", files);
        Assert.Contains("secret.key", files);
        foreach (var file in Directory.GetFiles(cli.DataFolder))
            Assert.True(File.GetUnixFileMode(file) == Owner, $"{Path.GetFileName(file)} is {File.GetUnixFileMode(file)}");
    }
}
