using System.Security.Cryptography;
using System.Text;
using Crm.Data;
using Crm.GraphQL.Webhooks;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Crm.GraphQL.Observability;

/// <summary>
/// OpenTelemetry: metrics and traces for ASP.NET Core, HttpClient (OpenPhone), Npgsql (with its pool) and the runtime,
/// plus the CRM's own meters; scraped at <c>/metrics</c> with <c>Metrics:Token</c>, and sent over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
internal static class Telemetry
{
    public const string Path = "/metrics";

    private static readonly string[] Meters = [CrmMetrics.MeterName, WebhookMetrics.MeterName, "Crm.Events", "Crm.Events.Redis", Server.Subscriptions.SubscriptionMetrics.Meter.Name];

    public static IHostApplicationBuilder AddCrmTelemetry(this IHostApplicationBuilder builder)
    {
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("attackacrack-crm"))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter(Meters)
                .AddPrometheusExporter())
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments(Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql());
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (otlp)
        {
            otel.UseOtlpExporter();
        }

        // The state gauges cost a few reads every 15 s: only where something collects them.
        if (otlp || !string.IsNullOrEmpty(builder.Configuration["Metrics:Token"]))
        {
            builder.Services.AddHostedService<OperationalGauges>();
        }

        return builder;
    }

    /// <summary>
    /// <c>/metrics</c> for Prometheus, only with <c>Metrics:Token</c> set and sent as <c>Authorization: Bearer</c>:
    /// the metrics say how busy the business is, which is nobody else's business. Unset: not served (404).
    /// </summary>
    public static void UseCrmMetrics(this WebApplication app)
    {
        var token = app.Configuration["Metrics:Token"];
        if (string.IsNullOrEmpty(token))
        {
            return;
        }

        var expected = Encoding.UTF8.GetBytes("Bearer " + token);
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider: null,
            predicate: http => http.Request.Path == Path,
            path: null,
            configureBranchedPipeline: branch => branch.Use(async (http, next) =>
            {
                var given = Encoding.UTF8.GetBytes(http.Request.Headers.Authorization.ToString());
                if (!CryptographicOperations.FixedTimeEquals(given, expected))
                {
                    http.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    http.Response.Headers.WWWAuthenticate = "Bearer";
                    return;
                }

                await next(http);
            }),
            optionsName: null);
    }
}
