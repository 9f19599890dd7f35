using System.Text.Json;
using Crm.Data.Audit;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Subscriptions;
using GraphQL;
using GraphQL.Transport;
using GraphQL.Validation;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Crm.GraphQL.Http;

/// <summary>
/// GraphQL over HTTP (graphql-over-http spec, as the graphql-http audit checks it): POST JSON, GET for queries,
/// <c>application/graphql-response+json</c> unless the client prefers <c>application/json</c>.
/// </summary>
internal static class GraphQLHttpEndpoint
{
    private const string GraphQLResponse = "application/graphql-response+json";
    private const string Json = "application/json";

    public static IEndpointConventionBuilder MapGraphQLEndpoint(this IEndpointRouteBuilder app) =>
        app.MapMethods("/graphql", [HttpMethods.Get, HttpMethods.Post], HandleAsync).RequireRateLimiting(AuthSetup.RequestPolicy);

    private static async Task HandleAsync(HttpContext http, IDocumentExecuter<CrmSchema> executer, IGraphQLTextSerializer serializer, IOptions<GraphQLServerOptions> options, IOptions<SubscriptionOptions> subscriptions)
    {
        if (http.WebSockets.IsWebSocketRequest)
        {
            await WebSocketEndpoint.HandleAsync(http);
            return;
        }

        var eventStream = EventStreamResponse.IsRequested(http.Request.Headers.Accept);
        var mediaType = eventStream ? GraphQLResponse : NegotiateResponseType(http.Request.Headers.Accept);
        if (mediaType is null)
        {
            await WriteAsync(http, serializer, StatusCodes.Status406NotAcceptable, GraphQLResponse, RequestError($"Accept must allow {GraphQLResponse} or {Json}.", "NOT_ACCEPTABLE"));
            return;
        }

        var isGet = HttpMethods.IsGet(http.Request.Method);
        var (request, status, error) = isGet
            ? ReadGet(http.Request.Query, serializer)
            : await ReadPostAsync(http.Request, serializer, options.Value.MaxRequestBytes);
        if (request is null)
        {
            await WriteAsync(http, serializer, status, mediaType, error!);
            return;
        }

        var result = await executer.ExecuteAsync(new ExecutionOptions
        {
            Query = request.Query,
            OperationName = request.OperationName,
            Variables = request.Variables,
            Extensions = request.Extensions,
            RequestServices = http.RequestServices,
            User = http.User,
            UserContext = new Dictionary<string, object?> { [nameof(Actor)] = http.ToActor() },
            CancellationToken = http.RequestAborted,
            ValidationRules = isGet ? [.. DocumentValidator.CoreRules, HttpGetValidationRule.Instance] : null,
        });

        ClarifyParserDepthError(result, options.Value.MaxParserDepth);
        var refusedForAccess = !result.Executed && result.Errors is { Count: > 0 } refused && refused.All(e => e is AccessDeniedError);
        if (eventStream && !refusedForAccess && result.Errors?.Any(e => e is HttpMethodValidationError) != true)
        {
            await EventStreamResponse.WriteAsync(http, result, serializer, subscriptions.Value);
            return;
        }

        if (result.Streams is { Count: > 0 })
        {
            // graphql-over-http has no way to answer a stream: ask for the transports that do. Nothing was subscribed.
            await WriteAsync(http, serializer, StatusCodes.Status400BadRequest, mediaType, RequestError(
                "Subscriptions need Accept: text/event-stream (graphql-sse) or a WebSocket with the graphql-transport-ws subprotocol.", "SUBSCRIPTION_TRANSPORT_REQUIRED"));
            return;
        }

        if (result.Errors?.Any(e => e is HttpMethodValidationError) == true)
        {
            http.Response.Headers.Allow = HttpMethods.Post;
            await WriteAsync(http, serializer, StatusCodes.Status405MethodNotAllowed, mediaType, result);
            return;
        }

        // The graphql-http audit: a request that did not execute is 400 under graphql-response+json, 200 under legacy JSON;
        // one refused only for access is 401 or 403 under both.
        var code = result.Executed || mediaType == Json ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest;
        if (!result.Executed && result.Errors is { Count: > 0 } errors && errors.All(e => e is AccessDeniedError))
        {
            code = errors.Any(e => e is AccessDeniedError { Authenticated: false }) ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
        }
        await WriteAsync(http, serializer, code, mediaType, result);
    }

    private static (GraphQLRequest? Request, int Status, ExecutionResult? Error) ReadGet(IQueryCollection query, IGraphQLTextSerializer serializer)
    {
        var request = new GraphQLRequest { Query = query["query"], OperationName = query["operationName"] };
        try
        {
            request.Variables = ParseMap(query["variables"], serializer);
            request.Extensions = ParseMap(query["extensions"], serializer);
        }
        catch (JsonException)
        {
            return (null, StatusCodes.Status400BadRequest, RequestError("variables and extensions must be JSON objects.", "INVALID_REQUEST"));
        }

        return string.IsNullOrEmpty(request.Query)
            ? (null, StatusCodes.Status400BadRequest, RequestError("The query parameter is required.", "QUERY_MISSING"))
            : (request, 200, null);

        static Inputs? ParseMap(string? json, IGraphQLTextSerializer serializer) =>
            string.IsNullOrEmpty(json) ? null : FromElement(JsonDocument.Parse(json).RootElement, serializer) ?? throw new JsonException();
    }

    private static async Task<(GraphQLRequest? Request, int Status, ExecutionResult? Error)> ReadPostAsync(HttpRequest http, IGraphQLTextSerializer serializer, int maxBytes)
    {
        if (!MediaTypeHeaderValue.TryParse(http.ContentType, out var contentType)
            || !(contentType.MediaType.Equals(Json, StringComparison.OrdinalIgnoreCase) || contentType.MediaType.Equals("application/graphql+json", StringComparison.OrdinalIgnoreCase))
            || (contentType.Charset.HasValue && !contentType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)))
        {
            return (null, StatusCodes.Status415UnsupportedMediaType, RequestError($"Send the request as {Json} in UTF-8.", "UNSUPPORTED_MEDIA_TYPE"));
        }

        if (http.ContentLength > maxBytes)
        {
            return (null, StatusCodes.Status413PayloadTooLarge, RequestError($"The request is larger than {maxBytes} bytes.", "REQUEST_TOO_LARGE"));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await http.Body.ReadAsync(chunk, http.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return (null, StatusCodes.Status413PayloadTooLarge, RequestError($"The request is larger than {maxBytes} bytes.", "REQUEST_TOO_LARGE"));
            }

            buffer.Write(chunk, 0, read);
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray());
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return (null, StatusCodes.Status400BadRequest, RequestError("The request body is not valid JSON.", "INVALID_JSON"));
        }

        if (root.ValueKind == JsonValueKind.Array)
        {
            return (null, StatusCodes.Status400BadRequest, RequestError("Batched requests are not supported; send one operation per request.", "BATCHING_NOT_SUPPORTED"));
        }

        if (root.ValueKind != JsonValueKind.Object
            || !TryString(root, "query", out var query)
            || !TryString(root, "operationName", out var operationName)
            || !TryMap(root, "variables", serializer, out var variables)
            || !TryMap(root, "extensions", serializer, out var extensions))
        {
            return (null, StatusCodes.Status400BadRequest, RequestError("The body must be an object with a string query, an optional string operationName and optional object variables and extensions.", "INVALID_REQUEST"));
        }

        return string.IsNullOrEmpty(query)
            ? (null, StatusCodes.Status400BadRequest, RequestError("The query is required.", "QUERY_MISSING"))
            : (new GraphQLRequest { Query = query, OperationName = operationName, Variables = variables, Extensions = extensions }, 200, null);
    }

    private static bool TryString(JsonElement root, string name, out string? value)
    {
        value = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        value = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        return element.ValueKind == JsonValueKind.String;
    }

    private static bool TryMap(JsonElement root, string name, IGraphQLTextSerializer serializer, out Inputs? value)
    {
        value = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        value = FromElement(element, serializer);
        return value is not null;
    }

    private static Inputs? FromElement(JsonElement element, IGraphQLTextSerializer serializer) =>
        element.ValueKind == JsonValueKind.Object ? serializer.Deserialize<Inputs>(element.GetRawText()) : null;

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

    /// <summary>graphql-dotnet reports the parser's depth limit as "Error executing document."; say which limit it was.</summary>
    internal static void ClarifyParserDepthError(ExecutionResult result, int maxDepth)
    {
        if (result.Errors?.Any(e => e.Code == "MAX_DEPTH_EXCEEDED") == true)
        {
            result.Errors = [.. result.Errors.Select(e => e.Code == "MAX_DEPTH_EXCEEDED"
                ? new ExecutionError($"The document is nested deeper than the parser's limit of {maxDepth} levels.") { Code = e.Code }
                : e)];
        }
    }

    private static ExecutionResult RequestError(string message, string code) =>
        new() { Executed = false, Errors = [new ExecutionError(message) { Code = code }] };

    private static async Task WriteAsync(HttpContext http, IGraphQLTextSerializer serializer, int status, string mediaType, ExecutionResult result)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = $"{mediaType}; charset=utf-8";
        await serializer.WriteAsync(http.Response.Body, result, http.RequestAborted);
    }
}
