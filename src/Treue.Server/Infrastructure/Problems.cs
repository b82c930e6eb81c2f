using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Treue.Domain;

namespace Treue.Server.Infrastructure;

/// <summary>
/// RFC 9457 problem details with a stable machine-readable code. The <c>type</c> is <c>urn:treue:problem:{code}</c>
/// and the code is repeated in the <c>code</c> member; <c>field</c> names the request field at fault.
/// </summary>
public static class Problems
{
    /// <summary>
    /// Every error code the API answers with and its HTTP status: the one list that the OpenAPI document publishes.
    /// A code that is not listed is a business refusal and answers 422; <c>http_{status}</c> codes of the HTTP stack
    /// are not listed.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, int> Codes = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["validation_failed"] = 400,
        ["malformed_json"] = 400,
        ["invalid_cursor"] = 400,
        ["bad_request"] = 400,
        ["unknown_host"] = 400,
        ["unauthorized"] = 401,
        ["forbidden"] = 403,
        ["actor_disabled"] = 403,
        ["not_found"] = 404,
        ["member_not_found"] = 404,
        ["card_not_found"] = 404,
        ["purchase_not_found"] = 404,
        ["campaign_not_found"] = 404,
        ["tiers_not_configured"] = 404,
        ["trigger_not_found"] = 404,
        ["campaign_exists"] = 409,
        ["code_exists"] = 409,
        ["total_mismatch"] = 409,
        ["reward_not_found"] = 404,
        ["order_not_found"] = 404,
        ["data_request_not_found"] = 404,
        ["data_request_completed"] = 409,
        ["settlement_run_not_found"] = 404,
        ["statement_not_found"] = 404,
        ["settlement_period_settled"] = 409,
        ["settlement_period_kind"] = 422,
        ["settlement_period_not_over"] = 422,
        ["method_not_allowed"] = 405,
        ["duplicate_receipt"] = 409,
        ["duplicate_return"] = 409,
        ["email_taken"] = 409,
        ["card_number_taken"] = 409,
        ["card_already_replaced"] = 409,
        ["out_of_stock"] = 409,
        ["order_fulfilled"] = 409,
        ["order_cancelled"] = 409,
        ["idempotency_key_in_use"] = 409,
        ["resource_gone"] = 410,
        ["conflict"] = 409,
        ["payload_too_large"] = 413,
        ["uri_too_long"] = 414,
        ["unsupported_media_type"] = 415,
        ["idempotency_key_reused"] = 422,
        ["partner_not_found"] = 422,
        ["store_not_found"] = 422,
        ["currency_mismatch"] = 422,
        ["currency_immutable"] = 422,
        ["card_blocked"] = 422,
        ["member_not_active"] = 422,
        ["member_closed"] = 422,
        ["member_required"] = 422,
        ["insufficient_points"] = 422,
        ["invalid_points"] = 422,
        ["below_minimum_points"] = 422,
        ["points_worth_nothing"] = 422,
        ["above_maximum_points"] = 422,
        ["above_maximum_share"] = 422,
        ["return_exceeds_purchase"] = 422,
        ["reward_not_available"] = 422,
        // Refusals of the tier, club and referral decisions (Treue.Domain), published ahead of their endpoints.
        ["already_member"] = 409,
        ["not_member"] = 422,
        ["free_club"] = 422,
        ["consent_required"] = 422,
        ["unknown_field"] = 422,
        ["field_required"] = 422,
        ["invalid_field"] = 422,
        ["unknown_tier"] = 422,
        ["reason_required"] = 422,
        ["invalid_until"] = 422,
        ["invalid_code"] = 422,
        ["self_referral"] = 422,
        ["referral_limit"] = 422,
        ["mail_not_configured"] = 404,
        ["template_not_found"] = 404,
        ["rate_limited"] = 429,
        ["headers_too_large"] = 431,
        ["internal_error"] = 500,
        ["database_unavailable"] = 503,
        ["contended"] = 503,
    };

    /// <summary>The HTTP status for a refusal code; business refusals default to 422.</summary>
    public static int StatusFor(string code) => Codes.GetValueOrDefault(code, 422);

    /// <summary>A problem from a domain refusal.</summary>
    public static ProblemHttpResult From(Refusal r) => Problem(r.Code, r.Message, r.Field);

    /// <summary>A problem with a code, a detail and optionally the field at fault.</summary>
    public static ProblemHttpResult Problem(string code, string detail, string? field = null, int? status = null)
    {
        var s = status ?? StatusFor(code);
        var p = new ProblemDetails
        {
            Type = "urn:treue:problem:" + code.Replace('_', '-'),
            Title = Title(code),
            Status = s,
            Detail = detail,
        };
        p.Extensions["code"] = code;
        if (field is not null)
        {
            p.Extensions["field"] = field;
            p.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        }
        return TypedResults.Problem(p);
    }

    /// <summary>A 400 naming every invalid field.</summary>
    public static ProblemHttpResult Validation(IReadOnlyDictionary<string, string[]> errors)
    {
        var first = errors.First();
        var p = new ProblemDetails
        {
            Type = "urn:treue:problem:validation-failed",
            Title = "The request is not valid",
            Status = 400,
            Detail = $"{first.Key}: {first.Value[0]}",
        };
        p.Extensions["code"] = "validation_failed";
        p.Extensions["field"] = first.Key;
        p.Extensions["errors"] = errors;
        return TypedResults.Problem(p);
    }

    /// <summary>404 for a thing of the caller's programme that does not exist (or belongs to another programme).</summary>
    public static ProblemHttpResult NotFound(string code, string what, string? field = null) =>
        Problem(code, $"{what} was not found in this programme.", field);

    private static string Title(string code)
    {
        var words = code.Replace('_', ' ');
        return char.ToUpperInvariant(words[0]) + words[1..];
    }
}

/// <summary>
/// One field error: the field's path, the message as a template with its arguments (so that the console can show it in
/// the reader's language and number format), and the message in English as the API answers it.
/// </summary>
public sealed record FieldError(string Field, string Template, IReadOnlyList<object?> Arguments)
{
    /// <summary>The message in English with invariant number formats, as problem details carry it.</summary>
    public string Message => Arguments.Count == 0 ? Template : string.Format(System.Globalization.CultureInfo.InvariantCulture, Template, [.. Arguments]);
}

/// <summary>Collects field errors of a request; field paths use the JSON names (<c>lines[0].quantity</c>).</summary>
public sealed class Validation
{
    private readonly List<FieldError> _errors = [];

    /// <summary>True when at least one field is invalid.</summary>
    public bool Failed => _errors.Count > 0;

    /// <summary>Records an error when <paramref name="ok"/> is false. Returns <paramref name="ok"/>.</summary>
    public bool Check(bool ok, string field, string message)
    {
        if (!ok) Add(field, message);
        return ok;
    }

    /// <summary>
    /// Records an error when <paramref name="ok"/> is false, with a message template (<c>{0}</c>, <c>{1:N0}</c>) filled
    /// by <paramref name="arguments"/>. Returns <paramref name="ok"/>.
    /// </summary>
    public bool Check(bool ok, string field, string template, params object?[] arguments)
    {
        if (!ok) _errors.Add(new FieldError(field, template, arguments));
        return ok;
    }

    /// <summary>Records an error.</summary>
    public void Add(string field, string message) => _errors.Add(new FieldError(field, message, []));

    /// <summary>Checks a required, bounded text.</summary>
    public bool Text(string? value, string field, int max, bool required = true)
    {
        if (string.IsNullOrWhiteSpace(value))
            return !required || Check(false, field, "is required");
        if (value.Length > max) return Check(false, field, "must be at most {0} characters", max);
        if (value.Any(char.IsControl)) return Check(false, field, "must not contain control characters");
        return true;
    }

    /// <summary>The recorded errors in the order they were found.</summary>
    public IReadOnlyList<FieldError> Errors => _errors;

    /// <summary>The recorded errors, field by field in the order the fields were first met.</summary>
    public List<(string Field, string Message)> All() =>
        [.. _errors.GroupBy(e => e.Field, StringComparer.Ordinal).SelectMany(g => g.Select(e => (g.Key, e.Message)))];

    /// <summary>The 400 problem for the recorded errors.</summary>
    public ProblemHttpResult Problem() => Problems.Validation(_errors.GroupBy(e => e.Field, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray(), StringComparer.Ordinal));
}
