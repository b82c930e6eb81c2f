using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Features.Audit;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Cli.Commands;

/// <summary><c>treue apikey create</c>: API keys for tills, web shops and administrators.</summary>
internal static class ApiKeyCommand
{
    public static Command Create(CliContext cli)
    {
        var programme = new Option<string>("--programme") { Description = "The programme's code", HelpName = "CODE", Required = true };
        var role = new Option<string>("--role") { Description = "admin: everything; pos: members, cards, purchases and rewards", Required = true };
        role.AcceptOnlyFromAmong("admin", "pos");
        var name = new Option<string?>("--name") { Description = "A name to recognise the key by in lists", HelpName = "NAME" };
        var partner = new Option<string?>("--partner")
        {
            Description = "Restrict the key to one partner's purchases (a coalition partner's till)",
            HelpName = "CODE",
        };
        var create = new Command("create", "Create an API key and print it; the key is shown this once and stored only as a hash")
        {
            programme, role, name, partner,
        };
        create.SetAction((parse, ct) => cli.WithServicesAsync(parse, async services =>
        {
            var db = services.GetRequiredService<TreueDb>();
            var p = await CliContext.ProgrammeAsync(db, parse.GetRequiredValue(programme), ct);
            var apiRole = parse.GetRequiredValue(role) == "admin" ? ApiRole.Admin : ApiRole.Pos;
            var partnerCode = parse.GetValue(partner);
            if (partnerCode is not null && !await db.Partners.AnyAsync(x => x.ProgrammeId == p.Id && x.Code == partnerCode && x.Active, ct))
                throw new CliError($"'{partnerCode}' is not a partner of programme '{p.Code}'.");
            var keyName = parse.GetValue(name) is { Length: > 0 } n ? n.Trim() : $"{apiRole} key" + (partnerCode is null ? "" : $" for {partnerCode}");
            if (keyName.Length > 100) throw new CliError("--name must be at most 100 characters.");
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
            var created = await ApiKeyEndpoints.CreateAsync(db, p.Id, keyName, apiRole, partnerCode, now, ct, AuditActor.Cli);
            cli.Terminal.Say($"Created {apiRole.ToString().ToLowerInvariant()} key '{keyName}' for programme '{p.Code}'" +
                (partnerCode is null ? "." : $", limited to partner '{partnerCode}'."));
            cli.Terminal.Say(created.Key);
            cli.Terminal.Say("Keep the key now: it is not shown again.");
            return ExitCodes.Ok;
        }));
        return new Command("apikey", "Manage API keys") { create };
    }
}
