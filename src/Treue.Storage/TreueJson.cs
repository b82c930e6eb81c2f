using System.Text.Json;
using System.Text.Json.Serialization;

namespace Treue.Storage;

/// <summary>The JSON settings used everywhere Treue writes JSON: the API, programme files and JSON columns.</summary>
public static class TreueJson
{
    /// <summary>camelCase names, enums as camelCase strings, no nulls written.</summary>
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>
    /// The options for reading requests and programme files: like <see cref="Options"/>, but unknown members,
    /// missing required members, nulls in non-nullable members, numbers sent as strings and a member given twice
    /// are errors that name the field.
    /// </summary>
    public static readonly JsonSerializerOptions Strict = ConfigureStrict(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Applies the strict reading rules of <see cref="Strict"/> to existing options.</summary>
    public static JsonSerializerOptions ConfigureStrict(JsonSerializerOptions options)
    {
        Configure(options);
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        // The web defaults read "10" as 10; a client that sends strings for numbers has a bug worth hearing about.
        options.NumberHandling = JsonNumberHandling.Strict;
        // With a member twice, which one counts differs between parsers: a proxy and the server could see different requests.
        options.AllowDuplicateProperties = false;
        return options;
    }

    /// <summary>Applies Treue's conventions to existing options (used for ASP.NET Core's options).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        if (!options.Converters.OfType<JsonStringEnumConverter>().Any())
            options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        return options;
    }
}
