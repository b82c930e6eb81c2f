using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;

namespace Treue.Server.Infrastructure;

/// <summary>Turns every failure at the HTTP edge into a problem response; no stack trace ever reaches a client.</summary>
public static class ErrorHandling
{
    /// <summary>Largest request body accepted by the API.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>Largest total size of request headers accepted before Kestrel's own hard limit.</summary>
    public const int MaxHeaderBytes = 16 * 1024;

    /// <summary>
    /// Kestrel's own limit on the request line and on the headers. Beyond it Kestrel answers before the application
    /// runs, with a bare 414 or 431 and no body; below it the application refuses with a problem response.
    /// </summary>
    public const int HardHeadLimitBytes = 1024 * 1024;

    public static IApplicationBuilder UseTreueErrorHandling(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = HandleAsync,
            AllowStatusCode404Response = true,
            // Bad requests are the client's problem and are answered as such; only real failures are logged as errors.
            SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException or JsonException,
        });
        app.UseStatusCodePages(async ctx =>
        {
            var http = ctx.HttpContext;
            if (http.Response.HasStarted || http.Response.ContentLength > 0 || http.Response.ContentType is not null) return;
            var status = http.Response.StatusCode;
            var code = status switch
            {
                404 => "not_found", 405 => "method_not_allowed", 413 => "payload_too_large", 415 => "unsupported_media_type",
                401 => "unauthorized", 403 => "forbidden", _ => "http_" + status,
            };
            await Problems.Problem(code, $"The request failed with status {status}.", status: status).ExecuteAsync(http);
        });
        // Oversized requests are refused before anything reads them.
        app.Use(async (http, next) =>
        {
            if (http.Request.ContentLength > MaxBodyBytes)
            {
                await Problems.Problem("payload_too_large", $"The body must be at most {MaxBodyBytes} bytes.", "body", 413).ExecuteAsync(http);
                return;
            }
            var rawTarget = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
            var targetLength = Math.Max(rawTarget?.Length ?? 0, (http.Request.PathBase.Value?.Length ?? 0) + (http.Request.Path.Value?.Length ?? 0) + (http.Request.QueryString.Value?.Length ?? 0));
            if (targetLength > InputBounds.MaxTargetBytes)
            {
                await Problems.Problem("uri_too_long", $"The path and query string must be at most {InputBounds.MaxTargetBytes} bytes.", "path", 414).ExecuteAsync(http);
                return;
            }
            var headerBytes = http.Request.Headers.Sum(h => h.Key.Length + h.Value.Sum(v => v?.Length ?? 0) + 4);
            if (headerBytes > MaxHeaderBytes)
            {
                await Problems.Problem("headers_too_large", $"Request headers must be at most {MaxHeaderBytes} bytes.", "headers", 431).ExecuteAsync(http);
                return;
            }
            await next(http);
        });
        return app;
    }

    private static async Task HandleAsync(HttpContext http)
    {
        var error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        var result = error switch
        {
            BadHttpRequestException { InnerException: JsonException json } => InputErrors.Json(json),
            BadHttpRequestException { StatusCode: 413 } => Problems.Problem("payload_too_large", $"The body must be at most {MaxBodyBytes} bytes.", "body", 413),
            BadHttpRequestException { StatusCode: 415 } => Problems.Problem("unsupported_media_type", "Send the body as application/json.", "Content-Type", 415),
            BadHttpRequestException bad => InputErrors.BadRequest(bad),
            JsonException json => InputErrors.Json(json),
            DbUpdateConcurrencyException => Problems.Problem("conflict", "The data changed while the request ran; retry.", status: 409),
            _ when ConnectionLost(error) => Problems.Problem("database_unavailable", "The database could not be reached; nothing was changed. Retry.", status: 503),
            GroupCommitFailedException => Problems.Problem("database_unavailable", "The database could not store the request; nothing was changed. Retry.", status: 503),
            _ when Contended(error) => Problems.Problem("contended", "The request collided with a concurrent one and was rolled back; nothing was changed. Retry.", status: 503),
            OperationCanceledException when http.RequestAborted.IsCancellationRequested => null,
            _ => null,
        };
        if (result is null)
        {
            if (http.RequestAborted.IsCancellationRequested) return;
            // The same id the problem carries (see ProblemDetails' traceId), so a report from a client leads to this entry.
            var traceId = System.Diagnostics.Activity.Current?.Id ?? http.TraceIdentifier;
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Treue.Errors")
                .LogError(error, "Unhandled error on {Method} {Path} (trace {TraceId})", http.Request.Method, http.Request.Path, traceId);
            result = Problems.Problem("internal_error", "Something went wrong on our side. The error was logged; nothing was changed.", status: 500);
        }
        await result.ExecuteAsync(http);
    }

    /// <summary>
    /// True when the database connection broke (a restarted or failed-over PostgreSQL). Pooled connections opened
    /// before are dead too, so the pools are cleared: the next request opens fresh connections instead of failing.
    /// </summary>
    private static bool ConnectionLost(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            // SQLITE_BUSY / SQLITE_LOCKED: the single writer was held longer than the busy timeout.
            if (e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 }) return true;
            if (e is Npgsql.NpgsqlException { IsTransient: true } and not Npgsql.PostgresException)
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
                return true;
            }
        }
        return false;
    }

    /// <summary>True for a PostgreSQL deadlock or serialization failure: the request was rolled back and can simply be retried.</summary>
    /// <summary>A deadlock or serialization failure (PostgreSQL): the transaction was rolled back and may run again.</summary>
    internal static bool Contended(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.DeadlockDetected or Npgsql.PostgresErrorCodes.SerializationFailure })
                return true;
        }
        return false;
    }
}
