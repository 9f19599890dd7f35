using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Crm.GraphQL.Observability;

/// <summary>
/// Logs as a platform reads them: in Production one JSON object per line on the console, with the trace and span ids
/// and the request id (ASP.NET Core's scope) on every line; everywhere, through <see cref="MaskingLoggerFactory"/>.
/// </summary>
internal static class Logging
{
    public static IHostApplicationBuilder AddCrmLogging(this IHostApplicationBuilder builder)
    {
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        // An operator's Logging:Console:FormatterName (simple, systemd) wins: AddJsonConsole would override it.
        if (builder.Environment.IsProduction() && string.IsNullOrEmpty(builder.Configuration["Logging:Console:FormatterName"]))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            });
        }

        // The factory every ILogger<T> comes from, wrapped; the real one stays a singleton the container disposes.
        builder.Services.RemoveAll<ILoggerFactory>();
        builder.Services.TryAddSingleton<LoggerFactory>();
        builder.Services.AddSingleton<ILoggerFactory>(sp => new MaskingLoggerFactory(sp.GetRequiredService<LoggerFactory>()));
        return builder;
    }
}
