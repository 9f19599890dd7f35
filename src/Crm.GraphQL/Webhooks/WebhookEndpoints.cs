using System.Data.Common;
using System.Text;
using System.Threading.RateLimiting;
using Crm.Data.Webhooks;
using Crm.GraphQL.Server.Http;
using Crm.Jobs.OpenPhone;
using Crm.Jobs.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.GraphQL.Webhooks;

/// <summary>
/// <c>POST /webhook/openphone</c>: outside staff authentication, protected by the signature and a rate limit.
/// Verify the raw bytes, store the raw event with the next batch (<see cref="WebhookIngestion"/>), answer; it is
/// processed after the answer, and processing failures are ours to retry, not OpenPhone's. A 200 is an answer that
/// the event is on disk: OpenPhone does not deliver an answered event again.
/// </summary>
internal static partial class WebhookEndpoints
{
    public const int MaxBodyBytes = 256 * 1024;
    private const string RateLimitPolicy = "webhooks";

    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(OpenPhoneWebhookOptions.Section);
        var settings = section.Get<OpenPhoneWebhookOptions>() ?? new();
        if (settings.AllowUnsignedWebhooks && !builder.Environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                $"OpenPhone:AllowUnsignedWebhooks is true in the {builder.Environment.EnvironmentName} environment; it is allowed only in Development.");
        }

        builder.Services.AddOptions<OpenPhoneWebhookOptions>().BindConfiguration(OpenPhoneWebhookOptions.Section)
            .Validate(o => o.WebhookSigningKeys.All(k => OpenPhoneWebhookOptions.DecodeKey(k) is not null), "OpenPhone:WebhookSigningKeys holds a key that is not base64 (optionally after whsec_).")
            .Validate(o => o.WebhookToleranceSeconds > 0, "OpenPhone:WebhookToleranceSeconds must be positive.")
            .Validate(o => o.WebhookRateLimitPerMinute > 0, "OpenPhone:WebhookRateLimitPerMinute must be positive.")
            .Validate(
                o => o.WebhookBatchSize > 0 && o.WebhookProcessingBatchSize > 0 && o.WebhookWorkers > 0 && o.WebhookQueueCapacity >= o.WebhookWorkers,
                "OpenPhone:WebhookBatchSize, WebhookProcessingBatchSize and WebhookWorkers must be positive, WebhookQueueCapacity at least WebhookWorkers.")
            .ValidateOnStart();
        builder.Services.AddSingleton<WebhookSignatureVerifier>();
        builder.Services.AddScoped<OpenPhoneWebhookProcessor>();
        builder.Services.AddScoped<IWebhookEventProcessor>(sp => sp.GetRequiredService<OpenPhoneWebhookProcessor>());
        builder.Services.AddSingleton<WebhookIngestion>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookIngestion>());

        // One budget for all of OpenPhone's senders: it delivers from several addresses, so per-IP would not cap it.
        // 429 and Retry-After for every policy are set once, in AuthSetup.
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(RateLimitPolicy, _ => RateLimitPartition.GetFixedWindowLimiter("openphone", _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = Math.Max(1, settings.WebhookRateLimitPerMinute),
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            }));
        });
        return builder;
    }

    public static RouteGroupBuilder MapWebhooks(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<OpenPhoneWebhookOptions>>().Value;
        if (options.AllowUnsignedWebhooks)
        {
            LogUnsignedAllowed(app.Logger);
        }
        else if (options.WebhookSigningKeys.Count == 0)
        {
            LogNoKeys(app.Logger);
        }

        // Outside staff authentication (the signature is the credential), so it stays anonymous when auth arrives.
        var group = app.MapGroup("/webhook").AllowAnonymous().RequireRateLimiting(RateLimitPolicy);
        group.MapPost("/openphone", ReceiveAsync);
        return group;
    }

    private static async Task<Results<Ok, UnauthorizedHttpResult, BadRequest<string>, StatusCodeHttpResult>> ReceiveAsync(
        HttpContext http,
        WebhookSignatureVerifier verifier,
        IOptions<OpenPhoneWebhookOptions> options,
        WebhookIngestion ingestion,
        ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("Crm.Webhooks");
        var body = await RequestBodies.ReadCappedAsync(http.Request, MaxBodyBytes, http.RequestAborted);
        if (body is null)
        {
            return Reject(logger, http, "TooLarge", StatusCodes.Status413PayloadTooLarge);
        }

        var unsignedAllowed = options.Value.AllowUnsignedWebhooks && !WebhookSignatureVerifier.IsSigned(http.Request.Headers);
        var failure = unsignedAllowed ? SignatureFailure.None : verifier.Verify(http.Request.Headers, body);
        if (failure != SignatureFailure.None)
        {
            Reject(logger, http, failure.ToString(), StatusCodes.Status401Unauthorized);
            return TypedResults.Unauthorized();
        }

        var text = Encoding.UTF8.GetString(body);
        if (!OpenPhonePayload.TryParse(text, http.Request.Headers[WebhookSignatureVerifier.IdHeader].ToString(), out var payload) || payload.Id.Length > 200 || payload.Type.Length > 100)
        {
            LogUnreadable(logger);
            return TypedResults.BadRequest("Not an OpenPhone event: a JSON object with id and type is expected.");
        }

        var webhookEvent = new WebhookEvent
        {
            EventId = payload.Id,
            Type = payload.Type,
            ApiVersion = payload.ApiVersion?[..Math.Min(32, payload.ApiVersion.Length)],
            Body = text,
            CallOpenPhoneId = payload.CallId is { Length: <= 100 } callId ? callId : null,
        };
        bool stored;
        try
        {
            stored = await ingestion.StoreAsync(webhookEvent, payload.OrderKey, http.RequestAborted);
        }
        catch (Exception ex) when (ex is DbException or DbUpdateException or InvalidOperationException or TimeoutException)
        {
            // Not stored (the batch's commit failed, or the server is stopping): OpenPhone retries on a non-2xx answer.
            LogStoreFailed(logger, payload.Id, ex);
            return TypedResults.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        (stored ? WebhookMetrics.Stored : WebhookMetrics.Duplicates).Add(1);
        return TypedResults.Ok();
    }

    private static StatusCodeHttpResult Reject(ILogger logger, HttpContext http, string reason, int status)
    {
        WebhookMetrics.Rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));
        LogRejected(logger, status, reason, http.Connection.RemoteIpAddress?.ToString());
        return TypedResults.StatusCode(status);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook refused with {Status}: {Reason} (from {RemoteAddress})")]
    private static partial void LogRejected(ILogger logger, int status, string reason, string? remoteAddress);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook refused with 400: a verified body that is not an OpenPhone event")]
    private static partial void LogUnreadable(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook event {EventId} could not be stored; answered 503 so OpenPhone retries")]
    private static partial void LogStoreFailed(ILogger logger, string eventId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpenPhone:AllowUnsignedWebhooks is on: unsigned webhook deliveries are accepted (Development only)")]
    private static partial void LogUnsignedAllowed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No OpenPhone:WebhookSigningKeys configured: every webhook delivery will be refused with 401")]
    private static partial void LogNoKeys(ILogger logger);
}
