using Microsoft.EntityFrameworkCore;
using Treue.Cli.Tests.Infrastructure;
using Treue.Server.Infrastructure;
using Treue.Storage.Entities;

namespace Treue.Cli.Tests;

public sealed class ApiKeyCommandTests
{
    [Fact]
    public async Task Apikey_create_prints_a_key_that_is_stored_only_as_its_hash()
    {
        using var cli = new TestCli();
        await cli.SucceedAsync("programme", "apply", cli.Write("shop.json", Programmes.Shop));

        var run = await cli.SucceedAsync("apikey", "create", "--programme", "shop", "--role", "pos", "--name", "Till 3", "--partner", "main");

        var key = ProgrammeCommandTests.ApiKey().Match(run.Out).Value;
        Assert.NotEmpty(key);
        await using var db = cli.Db();
        var stored = await db.ApiKeys.SingleAsync(TestContext.Current.CancellationToken);
        Assert.Equal(ApiKeyAuthentication.Hash(key), stored.Hash);
        Assert.Equal(("Till 3", ApiRole.Pos, "main"), (stored.Name, stored.Role, stored.PartnerCode));
    }

    [Fact]
    public async Task Apikey_create_refuses_an_unknown_programme_partner_or_role_with_exit_code_2()
    {
        using var cli = new TestCli();
        await cli.SucceedAsync("programme", "apply", cli.Write("shop.json", Programmes.Shop));

        var programme = await cli.RunAsync("apikey", "create", "--programme", "nope", "--role", "admin");
        var partner = await cli.RunAsync("apikey", "create", "--programme", "shop", "--role", "pos", "--partner", "elsewhere");
        var role = await cli.RunAsync("apikey", "create", "--programme", "shop", "--role", "owner");

        Assert.Equal((2, 2, 2), (programme.ExitCode, partner.ExitCode, role.ExitCode));
        Assert.Contains("There is no programme 'nope'", programme.Error);
        Assert.Contains("'elsewhere' is not a partner", partner.Error);
        Assert.Contains("owner", role.Error);
        await using var db = cli.Db();
        Assert.Equal(0, await db.ApiKeys.CountAsync(TestContext.Current.CancellationToken));
    }
}
