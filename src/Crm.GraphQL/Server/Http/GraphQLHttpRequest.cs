using System.Text.Json;
using GraphQL;
using GraphQL.Transport;
using Microsoft.Net.Http.Headers;

namespace Crm.GraphQL.Server.Http;

/// <summary>
/// Reads a GraphQL-over-HTTP request: the query string of a GET, or a POST's JSON body, held to the size limit. A
/// request that cannot be read gets the status and error to answer with.
/// </summary>
internal static class GraphQLHttpRequest
{
    public const string Json = "application/json";

    public static Task<(GraphQLRequest? Request, int Status, ExecutionResult? Error)> ReadAsync(HttpContext http, IGraphQLTextSerializer serializer, int maxBytes) =>
        HttpMethods.IsGet(http.Request.Method)
            ? Task.FromResult(ReadGet(http.Request.Query, serializer))
            : ReadPostAsync(http.Request, serializer, maxBytes);

    public static ExecutionResult RequestError(string message, string code) =>
        new() { Executed = false, Errors = [new ExecutionError(message) { Code = code }] };

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

        if (await RequestBodies.ReadCappedAsync(http, maxBytes, http.HttpContext.RequestAborted) is not { } body)
        {
            return (null, StatusCodes.Status413PayloadTooLarge, RequestError($"The request is larger than {maxBytes} bytes.", "REQUEST_TOO_LARGE"));
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body);
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
}
