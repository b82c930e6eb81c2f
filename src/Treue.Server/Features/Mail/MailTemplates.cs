using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Treue.Server.Features.Mail;

/// <summary>A message written out: subject, plain text and the HTML made from it.</summary>
public sealed record RenderedMail(string Subject, string Text, string Html);

/// <summary>One template's text in one language.</summary>
/// <param name="Template">The template's key.</param>
/// <param name="Language"><c>en</c> or <c>de</c>.</param>
/// <param name="Subject">The subject line, with <c>{{placeholders}}</c>.</param>
/// <param name="Body">The plain-text body, with <c>{{placeholders}}</c>; blank lines separate paragraphs.</param>
/// <param name="Custom">Whether the programme wrote it (true) or it is the built-in text.</param>
public sealed record MailTemplateView(string Template, string Language, string Subject, string Body, bool Custom);

/// <summary>
/// The built-in message templates in English and German, and how a template is filled in. A programme can replace any
/// template's text per language (<c>PUT /api/v1/mail/templates/{template}/{language}</c>); placeholders are
/// <c>{{name}}</c> (the member's name), <c>{{programme}}</c> (the programme's name) and the message's own data
/// (<c>{{code}}</c>, <c>{{link}}</c>, <c>{{points}}</c>...). A placeholder without a value is left empty.
/// </summary>
public static partial class MailTemplates
{
    /// <summary>The languages templates are written in.</summary>
    public static readonly string[] Languages = ["en", "de"];

    /// <summary>
    /// Templates that serve the membership itself (signing in, orders, expiring points, the retention warning, the
    /// welcome). All others are direct marketing and go only to members who consented to marketing e-mail and did not
    /// object.
    /// </summary>
    public static readonly HashSet<string> Service = new(StringComparer.Ordinal)
        { "sign_in_code", "welcome", "points_expiring", "reward_order_placed", "reward_order_fulfilled", "retention_warning" };

    /// <summary>Templates whose data must not outlive the delivery (a sign-in code): emptied once the message is sent or given up.</summary>
    public static readonly HashSet<string> Secret = new(StringComparer.Ordinal) { "sign_in_code" };

    private static readonly Dictionary<(string Template, string Language), (string Subject, string Body)> BuiltIn = new()
    {
        [("sign_in_code", "en")] = ("Your sign-in code for {{programme}}",
            "Hello {{name}},\n\nyour sign-in code is {{code}}. You can also sign in with one click:\n{{link}}\n\nThe code and the link work once, until {{expires}}. If you did not ask for them, ignore this message."),
        [("sign_in_code", "de")] = ("Ihr Anmeldecode für {{programme}}",
            "Hallo {{name}},\n\nIhr Anmeldecode lautet {{code}}. Sie können sich auch mit einem Klick anmelden:\n{{link}}\n\nCode und Link gelten einmal, bis {{expires}}. Wenn Sie sie nicht angefordert haben, beachten Sie diese Nachricht nicht."),
        [("welcome", "en")] = ("Welcome to {{programme}}",
            "Hello {{name}},\n\nwelcome to {{programme}}. From now on every purchase with your card earns points, which you can redeem for rewards.\n\nWe are glad to have you."),
        [("welcome", "de")] = ("Willkommen bei {{programme}}",
            "Hallo {{name}},\n\nwillkommen bei {{programme}}. Ab jetzt sammeln Sie mit Ihrer Karte bei jedem Einkauf Punkte, die Sie gegen Prämien einlösen können.\n\nSchön, dass Sie dabei sind."),
        [("birthday", "en")] = ("Happy birthday, {{name}}!",
            "Hello {{name}},\n\nall of us at {{programme}} wish you a happy birthday. A small gift is waiting for you at your next visit."),
        [("birthday", "de")] = ("Alles Gute zum Geburtstag, {{name}}!",
            "Hallo {{name}},\n\nalle bei {{programme}} wünschen Ihnen alles Gute zum Geburtstag. Bei Ihrem nächsten Besuch wartet ein kleines Geschenk auf Sie."),
        [("anniversary", "en")] = ("Another year with {{programme}}",
            "Hello {{name}},\n\nanother year of your membership in {{programme}} has passed. Thank you for your loyalty."),
        [("anniversary", "de")] = ("Wieder ein Jahr mit {{programme}}",
            "Hallo {{name}},\n\nwieder ist ein Jahr Ihrer Mitgliedschaft bei {{programme}} vergangen. Danke für Ihre Treue."),
        [("win_back", "en")] = ("We miss you, {{name}}",
            "Hello {{name}},\n\nit has been a while since your last visit. Your points at {{programme}} are waiting for you, and so are we."),
        [("win_back", "de")] = ("Wir vermissen Sie, {{name}}",
            "Hallo {{name}},\n\nIhr letzter Besuch ist eine Weile her. Ihre Punkte bei {{programme}} warten auf Sie, und wir auch."),
        [("points_expiring", "en")] = ("Your points at {{programme}} expire soon",
            "Hello {{name}},\n\n{{points}} of your points expire on {{expires}}. Redeem them for a reward before then."),
        [("points_expiring", "de")] = ("Ihre Punkte bei {{programme}} verfallen bald",
            "Hallo {{name}},\n\n{{points}} Ihrer Punkte verfallen am {{expires}}. Lösen Sie sie vorher gegen eine Prämie ein."),
        [("reward_order_placed", "en")] = ("Your order at {{programme}}: {{reward}}",
            "Hello {{name}},\n\nwe have your order for {{reward}} and will let you know when it is ready."),
        [("reward_order_placed", "de")] = ("Ihre Bestellung bei {{programme}}: {{reward}}",
            "Hallo {{name}},\n\nwir haben Ihre Bestellung für {{reward}} erhalten und melden uns, sobald sie bereit ist."),
        [("reward_order_fulfilled", "en")] = ("Your reward is ready: {{reward}}",
            "Hello {{name}},\n\nyour reward {{reward}} is ready. Enjoy it!"),
        [("reward_order_fulfilled", "de")] = ("Ihre Prämie ist bereit: {{reward}}",
            "Hallo {{name}},\n\nIhre Prämie {{reward}} ist bereit. Viel Freude damit!"),
        [("tier_upgrade", "en")] = ("Welcome to {{tier}}",
            "Hello {{name}},\n\ncongratulations: you have reached {{tier}} at {{programme}}."),
        [("tier_upgrade", "de")] = ("Willkommen in {{tier}}",
            "Hallo {{name}},\n\nherzlichen Glückwunsch: Sie haben bei {{programme}} {{tier}} erreicht."),
        [("greeting", "en")] = ("Greetings from {{programme}}",
            "Hello {{name}},\n\nall of us at {{programme}} send you our warmest wishes."),
        [("greeting", "de")] = ("Grüße von {{programme}}",
            "Hallo {{name}},\n\nalle bei {{programme}} senden Ihnen herzliche Grüße."),
        [("retention_warning", "en")] = ("Your membership in {{programme}} will be closed",
            "Hello {{name}},\n\nyou have not used your membership in {{programme}} for a long time. Unless you use your card or sign in before {{eraseAfter}}, we will erase your data and your points."),
        [("retention_warning", "de")] = ("Ihre Mitgliedschaft bei {{programme}} wird beendet",
            "Hallo {{name}},\n\nSie haben Ihre Mitgliedschaft bei {{programme}} lange nicht genutzt. Wenn Sie Ihre Karte nicht vor dem {{eraseAfter}} nutzen oder sich anmelden, löschen wir Ihre Daten und Punkte."),
    };

    /// <summary>The keys of the built-in templates.</summary>
    public static IReadOnlyList<string> Keys { get; } = BuiltIn.Keys.Select(k => k.Template).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>The built-in text of a template in a language (English when the language has none), or null for an unknown template.</summary>
    public static MailTemplateView? Default(string template, string language)
    {
        if (BuiltIn.TryGetValue((template, language), out var t) || BuiltIn.TryGetValue((template, "en"), out t))
            return new MailTemplateView(template, language, t.Subject, t.Body, false);
        return null;
    }

    [GeneratedRegex(@"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")]
    private static partial Regex Placeholder();

    /// <summary>Fills a template in: the subject and text with the values as they are, the HTML with them escaped and links made clickable.</summary>
    public static RenderedMail Render(MailTemplateView template, IReadOnlyDictionary<string, string> values, string programmeName)
    {
        string Fill(string text, Func<string, string> encode) =>
            Placeholder().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var v) ? encode(v) : "");
        var subject = Fill(template.Subject, v => v).ReplaceLineEndings(" ");
        var text = Fill(template.Body, v => v);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"").Append(template.Language).Append("\"><head><meta charset=\"utf-8\"><title>")
            .Append(WebUtility.HtmlEncode(subject)).Append("</title></head>")
            .Append("<body style=\"margin:0;padding:0;background:#f4f4f6;font-family:Arial,Helvetica,sans-serif;color:#222\">")
            .Append("<div style=\"max-width:560px;margin:0 auto;background:#fff\">")
            .Append("<div style=\"background:#3b3b98;color:#fff;padding:16px 24px;font-size:20px;font-weight:bold\">")
            .Append(WebUtility.HtmlEncode(programmeName)).Append("</div><div style=\"padding:8px 24px 24px;font-size:15px;line-height:1.5\">");
        foreach (var paragraph in Fill(template.Body, Encode).ReplaceLineEndings("\n").Split("\n\n"))
            html.Append("<p>").Append(paragraph.Replace("\n", "<br>", StringComparison.Ordinal)).Append("</p>");
        html.Append("</div></div></body></html>");
        return new RenderedMail(subject, text, html.ToString());

        static string Encode(string value) =>
            Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
                ? $"<a href=\"{WebUtility.HtmlEncode(uri.AbsoluteUri)}\">{WebUtility.HtmlEncode(value)}</a>"
                : WebUtility.HtmlEncode(value);
    }
}
