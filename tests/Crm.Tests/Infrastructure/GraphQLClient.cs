using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crm.Tests.Infrastructure;

public sealed record GraphQLResponse(HttpStatusCode Status, string? ContentType, string Body)
{
    public JsonNode Json => JsonNode.Parse(Body)!;

    public JsonNode Data => Json["data"] ?? throw new InvalidOperationException($"No data in: {Body}");

    /// <summary>The JSON as Snapshooter wants it: a Newtonsoft token, so field paths can be ignored.</summary>
    public Newtonsoft.Json.Linq.JToken Snapshot => Newtonsoft.Json.Linq.JToken.Parse(Body);

    public string? ErrorCode => Json["errors"]?[0]?["extensions"]?["code"]?.GetValue<string>();

    public string? ErrorMessage => Json["errors"]?[0]?["message"]?.GetValue<string>();
}

public sealed class GraphQLClient(HttpClient http)
{
    public HttpClient Http { get; } = http;

    public async Task<GraphQLResponse> PostAsync(string query, object? variables = null)
    {
        using var response = await Http.PostAsJsonAsync("/graphql", new { query, variables });
        return await ReadAsync(response);
    }

    public static async Task<GraphQLResponse> ReadAsync(HttpResponseMessage response) =>
        new(response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());

    /// <summary>Runs a query and fails the test on any GraphQL error.</summary>
    public async Task<JsonNode> DataAsync(string query, object? variables = null)
    {
        var response = await PostAsync(query, variables);
        Assert.True(response.Status == HttpStatusCode.OK && response.Json["errors"] is null, response.Body);
        return response.Data;
    }

    public static string Serialize(object value) => JsonSerializer.Serialize(value);

    /// <summary>Compact JSON as the server writes it, for exact comparisons.</summary>
    public static string Compact(JsonNode? node) => node?.ToJsonString(Relaxed) ?? "null";

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
