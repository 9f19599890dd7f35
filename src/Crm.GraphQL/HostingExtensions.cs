using Crm.GraphQL.Auth;
using Crm.GraphQL.Events;
using Crm.GraphQL.Health;
using Crm.GraphQL.Loading;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server;
using Crm.GraphQL.Server.Execution;
using Crm.GraphQL.Server.Subscriptions;
using Crm.GraphQL.Server.WebSockets;
using GraphQL;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Crm.GraphQL;

public static partial class HostingExtensions
{
    public static IHostApplicationBuilder AddCrmGraphQL(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddGraphQLServerKit(graphql => graphql
            .AddSchema<CrmSchema>()
            .AddGraphTypes(typeof(CrmSchema).Assembly)
            // Access rules are validation rules: they hold for every transport and run before any resolver.
            .AddValidationRule(AccessValidationRule.Instance));
        // What the kit asks of the host: who the caller is, and when it loses its access.
        builder.Services.AddSingleton<CrmGraphQLCaller>();
        builder.Services.AddSingleton<IUserContextBuilder>(sp => sp.GetRequiredService<CrmGraphQLCaller>());
        builder.Services.AddSingleton<ISubscriptionAudience>(sp => sp.GetRequiredService<CrmGraphQLCaller>());
        builder.Services.AddSingleton<IConnectionAuthenticator>(sp => sp.GetRequiredService<CrmGraphQLCaller>());
        builder.Services.AddSingleton<IAccessWatch, AccessWatch>();
        builder.Services.AddScoped<CrmLoaders>();
        builder.Services.AddScoped<Crm.Data.Campaigns.IContactFilterReader, Campaigns.ContactFilterJson>();
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis")))
        {
            // Across instances: replaces Crm.Data's in-process bus, which knows nothing of Redis.
            builder.Services.AddSingleton<RedisConnection>();
            builder.Services.AddSingleton<RedisEventBus>();
            builder.Services.AddSingleton<Crm.Data.Events.IEventBus>(sp => sp.GetRequiredService<RedisEventBus>());
            // HybridCache's second level: what one instance counted, another serves.
            builder.Services.AddStackExchangeRedisCache(_ => { });
            builder.Services.AddOptions<Microsoft.Extensions.Caching.StackExchangeRedis.RedisCacheOptions>()
                .Configure<RedisConnection>((o, redis) => o.ConnectionMultiplexerFactory = async () => await redis.GetAsync());
        }

        builder.Services.AddHybridCache();
        builder.Services.AddSingleton<Dashboard.DashboardCache>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Dashboard.DashboardCache>());

        builder.AddCrmHealthChecks();
        Observability.Logging.AddCrmLogging(builder);
        Observability.Telemetry.AddCrmTelemetry(builder);
        builder.AddCrmAuth();
        return builder;
    }

    /// <summary>Prints where to point a browser once Kestrel has bound its addresses.</summary>
    public static void LogUrlsOnStart(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var address in addresses)
            {
                var url = address.Replace("://[::]", "://localhost", StringComparison.Ordinal).Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal).TrimEnd('/');
                LogUrls(app.Logger, url);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Attack-a-Crack CRM is up. GraphQL: {Url}/graphql  Admin: {Url}/admin/  Health: {Url}/health/ready")]
    private static partial void LogUrls(ILogger logger, string url);
}
