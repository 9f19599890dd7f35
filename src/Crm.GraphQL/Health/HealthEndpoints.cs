using System.Text.Json;
using Crm.Data;
using Crm.Data.Monitoring;
using Crm.GraphQL.Events;
using Crm.Jobs.Maintenance;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Crm.GraphQL.Health;

/// <summary>
/// Liveness (the process answers) and readiness (its dependencies answer), for the platform health check of
/// the production plan. Bodies name each check and its state, never exception text: they are public.
/// </summary>
internal static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    public static IHostApplicationBuilder AddCrmHealthChecks(this IHostApplicationBuilder builder)
    {
        var checks = builder.Services.AddHealthChecks()
            .AddDbContextCheck<CrmDbContext>("database", tags: [ReadyTag]);
        if (builder.Configuration.GetSection(SyntheticCheckOptions.Section).Get<SyntheticCheckOptions>() is { Enabled: true })
        {
            // Degraded, not unhealthy: a broken webhook path is an alert, and no reason to take instances out of rotation.
            checks.AddCheck<WebhookDeliveryHealthCheck>("webhook-delivery", failureStatus: HealthStatus.Degraded, tags: [ReadyTag]);
        }

        var redis = builder.Configuration.GetConnectionString("Redis");
        if (!string.IsNullOrWhiteSpace(redis))
        {
            checks.AddCheck<RedisHealthCheck>("redis", tags: [ReadyTag]);
        }

        return builder;
    }

    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        var ready = new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync };
        app.MapHealthChecks("/health/ready", ready);
        app.MapHealthChecks("/health", ready);
    }

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            timestamp = DateTimeOffset.UtcNow,
            durationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1) }),
        };
        return JsonSerializer.SerializeAsync(http.Response.Body, body, cancellationToken: http.RequestAborted);
    }
}

/// <summary>PINGs Redis over the process's shared connection.</summary>
internal sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await (await redis.GetAsync()).GetDatabase().PingAsync();
            return HealthCheckResult.Healthy();
        }
        catch (RedisException ex)
        {
            return HealthCheckResult.Unhealthy("Redis did not answer.", ex);
        }
    }
}

/// <summary>
/// The synthetic webhook check's verdict: degraded when the newest settled check did not come back in time, or when no
/// check has settled lately (the job itself stopped).
/// </summary>
internal sealed class WebhookDeliveryHealthCheck(CrmDbContext db, IOptions<SyntheticCheckOptions> options, TimeProvider clock) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        var settled = now - o.Within;
        var last = await db.SyntheticChecks.AsNoTracking()
            .Where(c => c.Status == SyntheticCheckStatus.Arrived || c.SentAt <= settled)
            .OrderByDescending(c => c.SentAt)
            .Select(c => new { c.SentAt, c.Status })
            .FirstOrDefaultAsync(cancellationToken);
        if (last is null)
        {
            return HealthCheckResult.Healthy("No check has settled yet.");
        }

        if (last.SentAt < now - (2 * o.Every) - o.Within)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "No webhook check has run lately.");
        }

        return last.Status switch
        {
            SyntheticCheckStatus.Arrived => HealthCheckResult.Healthy(),
            SyntheticCheckStatus.SendFailed => new HealthCheckResult(context.Registration.FailureStatus, "OpenPhone refused the last webhook check's text."),
            _ => new HealthCheckResult(context.Registration.FailureStatus, "The last webhook check's text did not come back in time."),
        };
    }
}
