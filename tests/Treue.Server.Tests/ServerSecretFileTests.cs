using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Treue.Server;
using Treue.Server.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>The key file of a data folder that several servers start on at once.</summary>
public sealed class ServerSecretFileTests
{
    [Fact]
    public async Task Servers_starting_at_once_on_an_empty_folder_all_read_one_whole_key()
    {
        for (var round = 0; round < 20; round++)
        {
            var folder = Path.Combine(Path.GetTempPath(), "treue-secret-" + Guid.NewGuid().ToString("N"));
            try
            {
                var options = Options.Create(new TreueOptions { DataFolder = folder });
                var config = new ConfigurationBuilder().Build();
                using var start = new Barrier(8);
                var secrets = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
                {
                    start.SignalAndWait();
                    return new ServerSecret(config, options).Hash("probe", "123456");
                })));
                Assert.Single(secrets.Distinct());
                // The file holds that same key, and no temporary file is left beside it.
                Assert.Equal(secrets[0], new ServerSecret(config, options).Hash("probe", "123456"));
                Assert.Equal([ServerSecret.FileName], Directory.GetFiles(folder).Select(Path.GetFileName));
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
