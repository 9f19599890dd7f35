using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crm.Bench.Queries;

/// <summary>One keep-alive connection to the server, authenticated with an API key minted for the run.</summary>
internal sealed class GraphQLClient : IDisposable
{
    private static readonly byte[] ErrorsMarker = "\"errors\""u8.ToArray();
    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");

    private readonly HttpClient _http;
    private readonly Uri _endpoint;

    private GraphQLClient(HttpClient http, Uri endpoint)
    {
        _http = http;
        _endpoint = endpoint;
    }

    /// <summary>Signs in as the admin, creates an ADMIN API key with the session cookie, and uses the key from then on.</summary>
    public static async Task<GraphQLClient> ConnectAsync(Uri baseUrl, string email, string password)
    {
        var endpoint = new Uri(baseUrl, "/graphql");
        string key;
        // The session cookie is Secure outside Development, so a cookie jar would not send it back over loopback http: carry it by hand.
        using (var session = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = baseUrl })
        {
            using var login = await session.PostAsJsonAsync("/auth/login", new { email, password });
            if (!login.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"POST /auth/login answered {(int)login.StatusCode}: is Crm__Admin__Email/Password set on the server?");
            }

            var cookie = login.Headers.TryGetValues("Set-Cookie", out var values)
                ? string.Join("; ", values.Select(v => v.Split(';', 2)[0]))
                : throw new InvalidOperationException("POST /auth/login set no cookie");
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
            {
                Content = JsonContent.Create(new { query = """mutation { createApiKey(input: { name: "bench", role: ADMIN }) { key errors { __typename } } }""" }),
            };
            request.Headers.Add("Cookie", cookie);
            request.Headers.Add("GraphQL-Preflight", "1");
            request.Headers.Accept.Add(Json);
            using var response = await session.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            key = JsonNode.Parse(body)?["data"]?["createApiKey"]?["key"]?.GetValue<string>()
                ?? throw new InvalidOperationException($"createApiKey failed: {body}");
        }

        var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        http.DefaultRequestHeaders.Accept.Add(Json);
        return new GraphQLClient(http, endpoint);
    }

    public static byte[] Body(string query, object? variables) =>
        JsonSerializer.SerializeToUtf8Bytes(new { query, variables });

    /// <summary>The timed path: send a prepared body and read the whole response; nothing is parsed.</summary>
    public async Task<byte[]> PostAsync(byte[] body, CancellationToken cancellationToken = default)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = Json;
        using var response = await _http.PostAsync(_endpoint, content, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode || bytes.AsSpan().IndexOf(ErrorsMarker) >= 0)
        {
            throw new GraphQLFailedException($"HTTP {(int)response.StatusCode}: {Describe(bytes)}");
        }

        return bytes;
    }

    /// <summary>The untimed path: the response's data, or an exception naming the server's errors.</summary>
    public async Task<JsonElement> QueryAsync(string query, object? variables = null)
    {
        var bytes = await PostAsync(Body(query, variables));
        using var document = JsonDocument.Parse(bytes);
        return document.RootElement.GetProperty("data").Clone();
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The errors' messages when the body is a GraphQL response, else the start of the body.</summary>
    private static string Describe(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                return string.Join(" ", errors.EnumerateArray().Select(e => e.TryGetProperty("message", out var m) ? m.GetString() : e.ToString()));
            }
        }
        catch (JsonException)
        {
        }

        return Truncate(Encoding.UTF8.GetString(body));
    }

    private static string Truncate(string text) => text.Length <= 600 ? text : text[..600] + "…";
}

internal sealed class GraphQLFailedException(string message) : Exception(message);
