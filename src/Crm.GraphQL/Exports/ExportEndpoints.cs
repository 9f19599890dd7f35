using System.Text.Json.Nodes;
using Crm.Data;
using Crm.Data.Audit;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Server.Execution;
using GraphQL;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Crm.GraphQL.Exports;

/// <summary>
/// What one export is: its name (of the file, and of the audit action <c>{name}.exported</c>), the GraphQL field whose
/// arguments it reads from the query string, its columns, and its rows for those arguments, a page at a time.
/// </summary>
/// <remarks>
/// <see cref="Pages"/> builds its query when called, so an argument the filter refuses (a global id of another type)
/// is thrown there, before the response starts.
/// </remarks>
internal sealed record ExportDefinition<T>(
    string Name,
    string Field,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<CsvColumn<T>> Columns,
    Func<HttpContext, CoercedArguments, IAsyncEnumerable<IReadOnlyList<T>>> Pages);

/// <summary>
/// <c>GET /exports/…</c>: CSV files of what a GraphQL field would list, for marketers and up, authenticated like
/// <c>/graphql</c> (session cookie or API key). A bad argument is a 400 with GraphQL's error shape and no file; a
/// file is streamed as its rows are read, and each export is audited with its arguments and row count.
/// </summary>
internal static class ExportEndpoints
{
    /// <summary>Rows read per query: one page is what the server holds of an export at a time.</summary>
    public const int PageSize = 1000;

    /// <summary>Filter fields whose values are phone numbers or message text, which the audit log does not keep.</summary>
    private static readonly HashSet<string> Redacted = ["phone", "number", "fromNumber", "body"];

    public static RouteGroupBuilder MapExports(this IEndpointRouteBuilder app)
    {
        var exports = app.MapGroup("/exports")
            .RequireRateLimiting(AuthSetup.RequestPolicy)
            .AddEndpointFilter(MarketersAndUpAsync);
        exports.MapGet("/contacts", (HttpContext http, ArgumentCoercion coercion) => RunAsync(http, coercion, ContactExport.Definition));
        exports.MapGet("/conversations", (HttpContext http, ArgumentCoercion coercion) => RunAsync(http, coercion, ConversationExport.Definition));
        exports.MapGet("/campaigns/{id}/recipients", (HttpContext http, ArgumentCoercion coercion) => RunAsync(http, coercion, CampaignExport.Definition));
        return exports;
    }

    public static async Task<IResult> RunAsync<T>(HttpContext http, ArgumentCoercion coercion, ExportDefinition<T> export)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(coercion);
        ArgumentNullException.ThrowIfNull(export);
        var given = export.Arguments.ToDictionary(name => name, name => (string?)http.Request.Query[name]);
        var arguments = await coercion.CoerceAsync(export.Field, given, http.RequestAborted);
        if (arguments.Errors.Count > 0)
        {
            return new Refusal(StatusCodes.Status400BadRequest, arguments.Errors);
        }

        IAsyncEnumerator<IReadOnlyList<T>>? pages = null;
        try
        {
            pages = export.Pages(http, arguments).GetAsyncEnumerator(http.RequestAborted);
            // The first page is read before the response starts: a query that fails at once is still an error status.
            var more = await pages.MoveNextAsync();
            var fileName = $"{export.Name}-{Today(http.RequestServices):yyyy-MM-dd}.csv";
            await using var csv = CsvResponse<T>.Start(http.Response, fileName, export.Columns);
            var completed = false;
            try
            {
                for (; more; more = await pages.MoveNextAsync())
                {
                    await csv.WriteAsync(pages.Current);
                }

                completed = true;
            }
            finally
            {
                // Also when the client went away or the database failed: what was sent was sent.
                await AuditAsync(http, export.Name, fileName, given, csv.Rows, completed);
            }

            return Results.Empty;
        }
        catch (ExecutionError error) when (!http.Response.HasStarted)
        {
            return new Refusal(StatusCodes.Status400BadRequest, [error]);
        }
        finally
        {
            if (pages is not null)
            {
                await pages.DisposeAsync();
            }
        }
    }

    private static async ValueTask<object?> MarketersAndUpAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        context.HttpContext.User.Role() switch
        {
            null => new Refusal(StatusCodes.Status401Unauthorized, [new ExecutionError("Sign in or send an API key to export.") { Code = "AUTH_NOT_AUTHENTICATED" }]),
            < CrmRole.Marketer => new Refusal(StatusCodes.Status403Forbidden, [new ExecutionError("Exports are for marketers and admins.") { Code = "AUTH_NOT_AUTHORIZED" }]),
            _ => await next(context),
        };

    /// <summary>The date in the business's zone, for the file name: an evening export is not dated tomorrow.</summary>
    private static LocalDate Today(IServiceProvider services)
    {
        var zone = DateTimeZoneProviders.Tzdb[services.GetRequiredService<IOptions<CrmOptions>>().Value.BusinessTimeZone];
        return Instant.FromDateTimeOffset(services.GetRequiredService<TimeProvider>().GetUtcNow()).InZone(zone).Date;
    }

    private static async Task AuditAsync(HttpContext http, string name, string fileName, IReadOnlyDictionary<string, string?> arguments, int rows, bool completed)
    {
        var details = new JsonObject();
        foreach (var (argument, json) in arguments.Where(a => !string.IsNullOrEmpty(a.Value)))
        {
            details[argument] = Redact(JsonNode.Parse(json!));
        }

        details["rows"] = rows;
        if (!completed)
        {
            details["completed"] = false;
        }

        var services = http.RequestServices;
        var audit = services.GetRequiredService<AuditLog>();
        await services.GetRequiredService<UnitOfWork>().RunAsync(
            _ =>
            {
                audit.Record(http.ToActor(), $"{name}.exported", fileName, details.ToJsonString());
                return Task.FromResult(Change.Of(true));
            },
            CancellationToken.None);
    }

    /// <summary>The argument's JSON with the values of <see cref="Redacted"/> fields replaced, at any depth.</summary>
    private static JsonNode? Redact(JsonNode? node)
    {
        if (node is JsonObject map)
        {
            foreach (var key in map.Select(p => p.Key).ToList())
            {
                if (Redacted.Contains(key))
                {
                    map[key] = "[redacted]";
                }
                else
                {
                    Redact(map[key]);
                }
            }
        }
        else if (node is JsonArray list)
        {
            foreach (var item in list)
            {
                Redact(item);
            }
        }

        return node;
    }

    /// <summary>GraphQL's error shape, <c>{"errors":[{"message","extensions":{"code"}}]}</c>, as <c>/graphql</c> writes it.</summary>
    private sealed class Refusal(int status, IReadOnlyList<ExecutionError> errors) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var result = new ExecutionResult { Executed = false, Errors = [.. errors] };
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            await httpContext.RequestServices.GetRequiredService<IGraphQLTextSerializer>().WriteAsync(httpContext.Response.Body, result, httpContext.RequestAborted);
        }
    }
}
