using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>
/// The console's triggers: a birthday trigger made in the editor with its preview of who it reaches today, listed in words,
/// run after asking, and the member's page showing the gift and the message it queued; in English and German.
/// </summary>
public sealed class TriggerPagesTests(WebServer server)
{
    [Theory]
    [InlineData("en-GB", "A message", "Today this trigger would reach", "on the member's birthday", "Cancel", "Run now", "gifts given", "queued")]
    [InlineData("de-DE", "Eine Nachricht", "Heute würde dieser Auslöser", "am Geburtstag des Mitglieds", "Abbrechen", "Jetzt ausführen", "Geschenke vergeben", "wartend")]
    public async Task A_birthday_trigger_is_made_with_a_preview_run_after_asking_and_shown_on_the_member_page(string language, string messageOption,
        string preview, string when, string cancel, string run, string done, string queued)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var member = await server.AddMemberAsync(server.ProgrammeId, "Gina Geburtstag " + suffix, $"gina.{suffix}@example.org");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await using (var db = server.Db())
            await db.Members.Where(m => m.Id == member.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.Birthday, new DateOnly(1992, today.Month, today.Day)));
        var id = "bday-" + suffix;
        var page = await server.NewPageAsync(language);
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        try
        {
            await page.OpenAsync("/admin/triggers/new");
            await page.Locator("#trigger-id").FillAsync(id);
            await page.Locator("#trigger-name").FillAsync("Birthday " + suffix);
            await ListPagingTests.ChooseAsync(page, "trigger-action", messageOption);
            await page.Locator("#trigger-template").FillAsync("birthday");
            await page.Locator("#trigger-preview-button").ClickAsync();
            await Assertions.Expect(page.Locator("#trigger-preview")).ToContainTextAsync(preview);
            await Assertions.Expect(page.Locator("#trigger-preview-members")).ToContainTextAsync(member.Name);
            await page.AssertAccessibleAsync();
            await page.Locator("#trigger-save").ClickAsync();
            await page.ExpectArrivalAsync("/admin/triggers", "trigger-errors");

            var row = page.Locator($"tr[data-trigger='{id}']");
            await Assertions.Expect(row).ToContainTextAsync(when);
            await page.AssertAccessibleAsync();
            await page.Locator("#triggers-run").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByRole(AriaRole.Button, new() { Name = cancel, Exact = true }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await using (var db = server.Db())
                Assert.Equal(0, await db.TriggerFirings.CountAsync(f => f.MemberId == member.Id));

            await page.Locator("#triggers-run").ClickAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = run, Exact = true }).ClickAsync();
            await Assertions.Expect(page.Locator("#triggers-message")).ToContainTextAsync(done);
            await using (var db = server.Db())
            {
                Assert.Equal(1, await db.TriggerFirings.CountAsync(f => f.MemberId == member.Id && f.TriggerId == id));
                Assert.Equal(1, await db.Outbox.CountAsync(m => m.MemberId == member.Id && m.Template == "birthday"));
            }

            await page.OpenAsync($"/admin/members/{member.Id}");
            await Assertions.Expect(page.Locator("#member-gifts")).ToContainTextAsync("Birthday " + suffix);
            await Assertions.Expect(page.Locator("#member-outbox tr[data-state='queued']")).ToContainTextAsync(queued);
        }
        finally
        {
            await server.AdminApi.DeleteAsync($"/api/v1/triggers/{id}");
        }
    }
}
