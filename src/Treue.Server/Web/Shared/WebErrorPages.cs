using System.Globalization;
using System.Net;

namespace Treue.Server.Web.Shared;

/// <summary>
/// Friendly pages instead of the API's problem documents for the web pages: a failure is logged with its details
/// and the browser gets a short page in the visitor's language, never a stack trace.
/// </summary>
public sealed class WebErrorPages(RequestDelegate next, ILogger<WebErrorPages> log)
{
    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http);
        }
        catch (Exception e) when (!http.RequestAborted.IsCancellationRequested)
        {
            log.LogError(e, "Unhandled error on page {Method} {Path}", http.Request.Method, http.Request.Path);
            if (http.Response.HasStarted) return;
            http.Response.Clear();
            await WriteAsync(http, 500, "Something went wrong", "The error was logged. Please try again in a moment.");
            return;
        }
        if (http.Response is { StatusCode: 404 or 400 or 405, HasStarted: false, ContentType: null })
        {
            if (http.Response.StatusCode == 404)
                await WriteAsync(http, 404, "Page not found", "There is no page at this address.");
            else
                await WriteAsync(http, http.Response.StatusCode, "The request could not be handled", "Please go back and try again.");
        }
    }

    private static Task WriteAsync(HttpContext http, int status, string title, string text)
    {
        var de = CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "de";
        if (de)
        {
            title = title switch
            {
                "Something went wrong" => "Etwas ist schiefgegangen",
                "Page not found" => "Seite nicht gefunden",
                _ => "Die Anfrage konnte nicht bearbeitet werden",
            };
            text = text switch
            {
                "The error was logged. Please try again in a moment." => "Der Fehler wurde protokolliert. Bitte versuchen Sie es gleich noch einmal.",
                "There is no page at this address." => "Unter dieser Adresse gibt es keine Seite.",
                _ => "Bitte gehen Sie zurück und versuchen Sie es erneut.",
            };
        }
        var home = http.Request.Path.StartsWithSegments("/portal") ? "/portal" : http.Request.Path.StartsWithSegments("/admin") ? "/admin" : "/";
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/html; charset=utf-8";
        return http.Response.WriteAsync($"""
            <!DOCTYPE html>
            <html lang="{(de ? "de" : "en")}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{WebUtility.HtmlEncode(title)} – Treue</title><link rel="stylesheet" href="/treue.css"></head>
            <body><main class="plain"><div class="plain-card"><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(text)}</p>
            <p><a href="{home}">{(de ? "Zur Startseite" : "Back to the start page")}</a></p></div></main></body></html>
            """);
    }
}
