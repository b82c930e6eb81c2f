using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Treue.Cli.Tests.Infrastructure;
using Treue.Server.Infrastructure;
using Treue.Storage.Entities;

namespace Treue.Cli.Tests;

public sealed partial class ProgrammeCommandTests
{
    [Fact]
    public async Task Applying_a_programme_creates_it_and_applying_it_again_reports_no_changes()
    {
        using var cli = new TestCli();
        var file = cli.Write("shop.json", Programmes.Shop);

        var first = await cli.SucceedAsync("programme", "apply", file);
        Assert.Contains("Programme 'shop' created (version 1)", first.Out);
        Assert.Contains("partner main added", first.Out);
        Assert.Contains("store high-street added", first.Out);
        Assert.Contains("rule saturday added", first.Out);

        var second = await cli.SucceedAsync("programme", "apply", file);
        Assert.Contains("Programme 'shop': no changes (version 1).", second.Out);

        await using var db = cli.Db();
        var programme = await db.Programmes.SingleAsync(TestContext.Current.CancellationToken);
        Assert.Equal(("shop", "EUR", 1), (programme.Code, programme.Currency, programme.ConfigVersion));
        Assert.Equal(1, await db.Rules.CountAsync(r => r.ProgrammeId == programme.Id && r.Active, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Changing_the_document_reports_each_change_and_a_new_version()
    {
        using var cli = new TestCli();
        await cli.SucceedAsync("programme", "apply", cli.Write("shop.json", Programmes.Shop));
        var changed = Programmes.Shop.Replace("\"name\": \"Corner Shop\",", "\"name\": \"Corner Shop & Deli\", \"pendingDays\": 14,");

        var run = await cli.SucceedAsync("programme", "apply", cli.Write("shop-2.json", changed));

        Assert.Contains("Programme 'shop' updated (version 2)", run.Out);
        Assert.Contains("name changed", run.Out);
        Assert.Contains("pendingDays changed", run.Out);
    }

    [Fact]
    public async Task An_invalid_programme_exits_with_2_naming_every_invalid_field_and_writes_nothing()
    {
        using var cli = new TestCli();
        var invalid = Programmes.Shop
            .Replace("\"currency\": \"EUR\"", "\"currency\": \"XYZ\"")
            .Replace("\"code\": \"saturday\"", "\"code\": \"base\"");

        var run = await cli.RunAsync("programme", "apply", cli.Write("invalid.json", invalid));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("currency: is not a known ISO 4217 currency code", run.Error);
        Assert.Contains("rules[0].code:", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
        var export = await cli.RunAsync("programme", "export", "shop");
        Assert.Equal(2, export.ExitCode);
        Assert.Contains("There is no programme 'shop'", export.Error);
    }

    [Fact]
    public async Task A_document_with_an_unknown_member_exits_with_2_naming_its_json_path()
    {
        using var cli = new TestCli();
        var unknown = Programmes.Shop.Replace("\"name\": \"High Street\"", "\"name\": \"High Street\", \"colour\": \"red\"");

        var run = await cli.RunAsync("programme", "apply", cli.Write("unknown.json", unknown));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("$.partners[0].stores[0].colour", run.Error);
        Assert.Single(run.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Malformed_json_exits_with_2_naming_the_line()
    {
        using var cli = new TestCli();
        var file = cli.Write("broken.json", "{\n  \"code\": \"shop\",\n  \"name\": \"Shop\",,\n}");

        var run = await cli.RunAsync("programme", "apply", file);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: " + file + ": invalid JSON", run.Error);
        Assert.Contains("line 3", run.Error);
    }

    [Fact]
    public async Task A_document_missing_a_required_member_exits_with_2_naming_it()
    {
        using var cli = new TestCli();
        var run = await cli.RunAsync("programme", "apply", cli.Write("short.json", """{ "code": "shop", "name": "Shop" }"""));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("'currency'", run.Error);
    }

    [Fact]
    public async Task A_missing_file_exits_with_2()
    {
        using var cli = new TestCli();
        var run = await cli.RunAsync("programme", "apply", Path.Combine(cli.Folder, "nowhere.json"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("file not found", run.Error);
    }

    [Fact]
    public async Task An_exported_programme_applies_again_without_changes()
    {
        using var cli = new TestCli();
        await cli.SucceedAsync("programme", "apply", cli.Write("shop.json", Programmes.Shop));
        var exported = Path.Combine(cli.Folder, "exported.json");

        await cli.SucceedAsync("programme", "export", "shop", exported);
        var toStdout = await cli.SucceedAsync("programme", "export", "shop");
        var again = await cli.SucceedAsync("programme", "apply", exported);

        Assert.Contains("\"code\": \"saturday\"", await File.ReadAllTextAsync(exported, TestContext.Current.CancellationToken));
        Assert.Equal((await File.ReadAllTextAsync(exported, TestContext.Current.CancellationToken)).Trim(), toStdout.Out.Trim());
        Assert.Contains("no changes", again.Out);
    }

    [Fact]
    public async Task Create_keys_prints_an_admin_and_a_till_key_once_and_stores_only_their_hashes()
    {
        using var cli = new TestCli();
        var file = cli.Write("shop.json", Programmes.Shop);

        var run = await cli.SucceedAsync("programme", "apply", file, "--create-keys");
        var again = await cli.SucceedAsync("programme", "apply", file, "--create-keys");

        var admin = ApiKey().Match(run.Out[run.Out.IndexOf("Admin API key", StringComparison.Ordinal)..]).Value;
        var pos = ApiKey().Match(run.Out[run.Out.IndexOf("Till (pos) API key", StringComparison.Ordinal)..]).Value;
        Assert.NotEqual(admin, pos);
        Assert.Empty(ApiKey().Matches(again.Out));
        Assert.Contains("no keys were created", again.Out);
        await using var db = cli.Db();
        var keys = await db.ApiKeys.ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, keys.Count);
        Assert.Equal(ApiRole.Admin, keys.Single(k => k.Hash == ApiKeyAuthentication.Hash(admin)).Role);
        Assert.Equal(ApiRole.Pos, keys.Single(k => k.Hash == ApiKeyAuthentication.Hash(pos)).Role);
    }

    [GeneratedRegex("trk_[0-9a-f]{64}")]
    internal static partial Regex ApiKey();
}
