using System.Globalization;
using Treue.Server.Infrastructure;

namespace Treue.Server.Web.Shared;

/// <summary>A field of a console form: the id of its input and the label it shows (the English key of the text).</summary>
public sealed record FormField(string Id, string Label);

/// <summary>
/// The errors of a console form in the reader's language: each at the field it concerns, and all of them as a
/// summary next to the form's button. Errors come from the validation the API applies (its field paths mapped to
/// the form's fields, its message templates translated) and from the form's own checks.
/// </summary>
public sealed class FormErrors(Loc l)
{
    private readonly Dictionary<string, string> _byField = new(StringComparer.Ordinal);
    private readonly List<string> _summary = [];

    /// <summary>True when there is at least one error.</summary>
    public bool Any => _summary.Count > 0;

    /// <summary>Every error, each named by its field's label, in the order found.</summary>
    public IReadOnlyList<string> Summary => _summary;

    /// <summary>The error shown at the input <paramref name="id"/>, or null.</summary>
    public string? this[string id] => _byField.GetValueOrDefault(id);

    public bool Has(string id) => _byField.ContainsKey(id);

    public void Clear()
    {
        _byField.Clear();
        _summary.Clear();
    }

    /// <summary>Adds an error of the form itself (already translated) at <paramref name="field"/>, or for the whole form.</summary>
    public void Add(FormField? field, string message)
    {
        if (field is null)
        {
            _summary.Add(message);
            return;
        }
        var text = Sentence(message);
        _byField[field.Id] = _byField.TryGetValue(field.Id, out var earlier) ? earlier + " " + text : text;
        _summary.Add(l[field.Label] + ": " + text);
    }

    /// <summary>
    /// Adds the errors of <paramref name="invalid"/>. <paramref name="map"/> names the form field of an API field path,
    /// or null when the path concerns nothing on this form; such errors are named by <paramref name="describe"/> (or
    /// their path) in the summary.
    /// </summary>
    public void Add(Validation invalid, Func<string, FormField?> map, Func<string, string?>? describe = null)
    {
        foreach (var e in invalid.Errors)
        {
            var message = Translate(e);
            if (map(e.Field) is { } field) Add(field, message);
            else _summary.Add((describe?.Invoke(e.Field) ?? e.Field) + ": " + Sentence(message));
        }
    }

    /// <summary>The message of <paramref name="error"/> in the reader's language, its numbers in the reader's format.</summary>
    public string Translate(FieldError error) => l.Format(error.Template, [.. error.Arguments]);

    private static string Sentence(string message) =>
        message.Length == 0 ? message : char.ToUpper(message[0], CultureInfo.CurrentCulture) + message[1..] + (message.EndsWith('.') ? "" : ".");
}
