using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Crm.GraphQL.Webhooks;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Infrastructure;

/// <summary>Signs deliveries as OpenPhone does (openphone-api.md §3.4 and §3.7) and posts them.</summary>
/// <remarks>
/// The server answers 200 once an event is stored and processes it after the answer. Given the host's services, a
/// sender waits for that processing too, so a test can look at what the event did; given only a client (a server in
/// another process), it does not.
/// </remarks>
public sealed class WebhookSender(HttpClient http, IServiceProvider? host = null)
{
    public WebhookSender(WebApplicationFactory<Program> factory)
        : this(factory.CreateClient(), factory.Services)
    {
    }

    public const string Path = "/webhook/openphone";

    /// <summary>Test-only secrets, configured on the shared host as keys 0, 1 and 2.</summary>
    public static readonly string LegacyKey = Convert.ToBase64String(Encoding.ASCII.GetBytes("crm-test-legacy-signing-key-0001"));
    public static readonly string StandardKey = "whsec_" + Convert.ToBase64String(Encoding.ASCII.GetBytes("crm-test-standard-signing-key-02"));
    public static readonly string RotatedLegacyKey = Convert.ToBase64String(Encoding.ASCII.GetBytes("crm-test-rotated-signing-key-003"));
    public static readonly string UnknownKey = Convert.ToBase64String(Encoding.ASCII.GetBytes("crm-test-key-nobody-configured-4"));

    public HttpClient Http { get; } = http;

    public static string Sample(string name) => File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "Webhooks", "payloads", name));

    /// <summary><c>hmac;1;&lt;ms&gt;;&lt;base64&gt;</c> over <c>timestamp.body</c> with the base64-decoded key.</summary>
    public static string LegacySignature(string body, string? key = null, DateTimeOffset? at = null, bool seconds = false)
    {
        var time = at ?? DateTimeOffset.UtcNow;
        var timestamp = (seconds ? time.ToUnixTimeSeconds() : time.ToUnixTimeMilliseconds()).ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Convert.FromBase64String(key ?? LegacyKey), Encoding.UTF8.GetBytes($"{timestamp}.{body}"));
        return $"hmac;1;{timestamp};{Convert.ToBase64String(mac)}";
    }

    /// <summary>Standard Webhooks headers: HMAC over <c>id.timestamp.body</c> with the key after <c>whsec_</c>.</summary>
    public static Dictionary<string, string> StandardHeaders(string body, string? key = null, DateTimeOffset? at = null, string? id = null)
    {
        var webhookId = id ?? "msg_" + Guid.NewGuid().ToString("N");
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var secret = Convert.FromBase64String((key ?? StandardKey)["whsec_".Length..]);
        var mac = HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes($"{webhookId}.{timestamp}.{body}"));
        return new()
        {
            ["webhook-id"] = webhookId,
            ["webhook-timestamp"] = timestamp,
            ["webhook-signature"] = $"v1,{Convert.ToBase64String(mac)}",
        };
    }

    public Task<HttpResponseMessage> PostLegacyAsync(string body, string? key = null) =>
        PostAsync(body, new Dictionary<string, string> { ["openphone-signature"] = LegacySignature(body, key) });

    public Task<HttpResponseMessage> PostStandardAsync(string body, string? key = null) => PostAsync(body, StandardHeaders(body, key));

    public async Task<HttpResponseMessage> PostAsync(string body, IReadOnlyDictionary<string, string> headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var response = await Http.SendAsync(request);
        if (host is not null && response.IsSuccessStatusCode)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.GetRequiredService<WebhookIngestion>().WhenIdleAsync(timeout.Token);
        }

        return response;
    }
}

/// <summary>A clock that says what the test wants.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
