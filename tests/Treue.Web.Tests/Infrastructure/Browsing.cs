using Microsoft.Playwright;

namespace Treue.Web.Tests.Infrastructure;

/// <summary>Steps the browser tests share.</summary>
public static class Browsing
{
    /// <summary>Opens a page and waits until it is interactive (its buttons answer).</summary>
    public static async Task OpenAsync(this IPage page, string path)
    {
        await page.GotoAsync(path);
        await page.WaitForReadyAsync();
    }

    public static Task WaitForReadyAsync(this IPage page) =>
        page.Locator("#treue-ready").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });

    public static async Task StaffSignInAsync(this IPage page, string email, string password = WebServer.Password)
    {
        await page.GotoAsync("/admin/signin");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        await page.WaitForReadyAsync();
    }

    public static async Task MemberSignInAsync(this IPage page, string email, string password = WebServer.Password)
    {
        await page.GotoAsync("/portal/signin");
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        await page.WaitForReadyAsync();
    }

    /// <summary>
    /// Waits after a form's submit until the page arrived at <paramref name="path"/> or the form showed its error
    /// summary (element <paramref name="errorsId"/>), and fails with the summary's text in the second case. Polls the
    /// address instead of waiting for a navigation event, so a client-side navigation that happened before the wait
    /// began still counts.
    /// </summary>
    public static async Task ExpectArrivalAsync(this IPage page, string path, string errorsId)
    {
        await page.WaitForFunctionAsync("([p, e]) => location.pathname === p || document.getElementById(e) !== null",
            new object[] { path, errorsId }, new PageWaitForFunctionOptions { PollingInterval = 100 });
        var errors = page.Locator("#" + errorsId);
        if (await errors.CountAsync() > 0) Xunit.Assert.Fail($"Expected to arrive at {path}, but the form said: {await errors.InnerTextAsync()}");
    }

    /// <summary>Saves a screenshot for the documentation (docs/screenshots/NAME.png).</summary>
    public static async Task ScreenshotAsync(this IPage page, string name)
    {
        var folder = Path.Combine(WebServer.RepositoryRoot(), "docs", "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }
}

public static class SignInAttempts
{
    /// <summary>Submits the staff sign-in form once, whatever the outcome.</summary>
    public static async Task StaffSignInAttemptAsync(this IPage page, string email, string password)
    {
        await page.GotoAsync("/admin/signin");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
    }
}

public static class LanguageNeutralSignIn
{
    /// <summary>Signs a staff user in by the form's ids, whatever the language of the page.</summary>
    public static async Task StaffSignInByIdAsync(this IPage page, string email, string password = WebServer.Password)
    {
        await page.GotoAsync("/admin/signin");
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("#password").PressAsync("Enter");
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        await page.WaitForReadyAsync();
    }
}
