using Crm.GraphQL.Server.Execution;
using GraphQL;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using static Crm.GraphQL.Server.Http.GraphQLHttpRequest;

namespace Crm.GraphQL.Server.Http;

/// <summary>
/// GraphQL over HTTP (graphql-over-http spec, as the graphql-http audit checks it): POST JSON, GET for queries,
/// <c>application/graphql-response+json</c> unless the client prefers <c>application/json</c>.
/// </summary>
internal static class GraphQLHttpEndpoint
{
    public const string GraphQLResponse = "application/graphql-response+json";

    public static async Task HandleAsync(HttpContext http)
    {
        var mediaType = NegotiateResponseType(http.Request.Headers.Accept);
        if (mediaType is null)
        {
            await WriteAsync(http, StatusCodes.Status406NotAcceptable, GraphQLResponse, RequestError($"Accept must allow {GraphQLResponse} or {Json}.", "NOT_ACCEPTABLE"));
            return;
        }

        if (await ReadAndExecuteAsync(http, mediaType) is { } result)
        {
            await WriteResultAsync(http, mediaType, result);
        }
    }

    /// <summary>Reads the request and runs it; null when it could not be read, which has been answered (as <paramref name="mediaType"/>).</summary>
    public static async Task<ExecutionResult?> ReadAndExecuteAsync(HttpContext http, string mediaType)
    {
        var services = http.RequestServices;
        var serializer = services.GetRequiredService<IGraphQLTextSerializer>();
        var (request, status, error) = await ReadAsync(http, serializer, services.GetRequiredService<IOptions<GraphQLServerOptions>>().Value.MaxRequestBytes);
        if (request is null)
        {
            await WriteAsync(http, status, mediaType, error!);
            return null;
        }

        var transportRule = HttpMethods.IsGet(http.Request.Method) ? HttpGetValidationRule.Instance : null;
        return await services.GetRequiredService<OperationExecutor>().ExecuteAsync(request, http, services, transportRule, http.RequestAborted);
    }

    /// <summary>Whether an operation was refused before execution only because of who asked (401/403, never a stream).</summary>
    public static bool RefusedForAccess(ExecutionResult result) =>
        !result.Executed && result.Errors is { Count: > 0 } errors && errors.All(e => e is IAccessDeniedError);

    /// <summary>Answers with one result, its status following the graphql-http audit.</summary>
    public static async Task WriteResultAsync(HttpContext http, string mediaType, ExecutionResult result)
    {
        if (result.Streams is { Count: > 0 })
        {
            // graphql-over-http has no way to answer a stream: ask for the transports that do. Nothing was subscribed.
            await WriteAsync(http, StatusCodes.Status400BadRequest, mediaType, RequestError(
                "Subscriptions need Accept: text/event-stream (graphql-sse) or a WebSocket with the graphql-transport-ws subprotocol.", "SUBSCRIPTION_TRANSPORT_REQUIRED"));
            return;
        }

        if (result.Errors?.Any(e => e is HttpMethodValidationError) == true)
        {
            http.Response.Headers.Allow = HttpMethods.Post;
            await WriteAsync(http, StatusCodes.Status405MethodNotAllowed, mediaType, result);
            return;
        }

        // The graphql-http audit: a request that did not execute is 400 under graphql-response+json, 200 under legacy JSON;
        // one refused only for access is 401 or 403 under both.
        var code = result.Executed || mediaType == Json ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest;
        if (RefusedForAccess(result))
        {
            code = result.Errors!.Any(e => e is IAccessDeniedError { Authenticated: false }) ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
        }

        await WriteAsync(http, code, mediaType, result);
    }

    /// <summary>Picks the response type from Accept by preference; null when nothing we send is acceptable.</summary>
    internal static string? NegotiateResponseType(Microsoft.Extensions.Primitives.StringValues accept)
    {
        if (accept.Count == 0 || !MediaTypeHeaderValue.TryParseList(accept, out var types) || types.Count == 0)
        {
            return GraphQLResponse;
        }

        foreach (var type in types.Where(t => (t.Quality ?? 1) > 0).OrderByDescending(t => t.Quality ?? 1))
        {
            var name = type.MediaType.Value ?? string.Empty;
            if (name.Equals(GraphQLResponse, StringComparison.OrdinalIgnoreCase) || name is "*/*" or "application/*")
            {
                return GraphQLResponse;
            }

            if (name.Equals(Json, StringComparison.OrdinalIgnoreCase))
            {
                return Json;
            }
        }

        return null;
    }

    private static async Task WriteAsync(HttpContext http, int status, string mediaType, ExecutionResult result)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = $"{mediaType}; charset=utf-8";
        await http.RequestServices.GetRequiredService<IGraphQLTextSerializer>().WriteAsync(http.Response.Body, result, http.RequestAborted);
    }
}
