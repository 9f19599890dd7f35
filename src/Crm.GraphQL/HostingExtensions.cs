using System.Text.Encodings.Web;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Health;
using Crm.GraphQL.Http;
using Crm.GraphQL.Loading;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Subscriptions;
using GraphQL;
using GraphQL.Execution;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Crm.GraphQL;

public static partial class HostingExtensions
{
    public static IHostApplicationBuilder AddCrmGraphQL(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<GraphQLServerOptions>().BindConfiguration(GraphQLServerOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<SubscriptionGroups>();
        builder.Services.AddOptions<SubscriptionOptions>().BindConfiguration(SubscriptionOptions.Section).ValidateOnStart();
        var limits = builder.Configuration.GetSection(GraphQLServerOptions.Section).Get<GraphQLServerOptions>() ?? new();

        builder.Services.AddGraphQL(graphql => graphql
            .AddSchema<CrmSchema>()
            .AddGraphTypes(typeof(CrmSchema).Assembly)
            // Responses are JSON, never inlined in HTML: no need to escape '+' in phone numbers or quotes in messages.
            .AddSystemTextJson(o => o.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping)
            // One DbContext per request: resolvers run one at a time, and batch loaders remove the N+1 that would cost.
            .AddExecutionStrategy<SerialExecutionStrategy>(GraphQLParser.AST.OperationType.Query)
            // Each subscription event runs in a DI scope of its own, serially, once for all subscribers asking the same.
            .AddExecutionStrategy<SharedSubscriptionExecutionStrategy>(GraphQLParser.AST.OperationType.Subscription)
            .AddComplexityAnalyzer(c =>
            {
                c.MaxDepth = limits.MaxDepth;
                c.MaxComplexity = limits.MaxComplexity;
            })
            // Access rules and limits are validation rules: they hold for every transport and run before any resolver.
            .AddValidationRule(AccessValidationRule.Instance)
            .AddValidationRule<AliasLimitValidationRule>()
            .WithTimeout(limits.Timeout)
            .AddErrorInfoProvider(o => o.ExposeExceptionDetails = builder.Environment.IsDevelopment())
            .AddUnhandledExceptionHandler(ctx =>
            {
                var logger = ctx.Context?.RequestServices?.GetService<ILoggerFactory>()?.CreateLogger("Crm.GraphQL");
                if (logger is not null && ctx.OriginalException is not OperationCanceledException)
                {
                    LogResolverFailure(logger, ctx.OriginalException);
                }
            }));
        builder.Services.AddSingleton<IDocumentBuilder>(new GraphQLDocumentBuilder { MaxDepth = limits.MaxParserDepth });
        builder.Services.AddScoped<CrmLoaders>();
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis")))
        {
            // Across instances: replaces Crm.Data's in-process bus, which knows nothing of Redis.
            builder.Services.AddSingleton<RedisEventBus>();
            builder.Services.AddSingleton<Crm.Data.Events.IEventBus>(sp => sp.GetRequiredService<RedisEventBus>());
        }

        builder.AddCrmHealthChecks();
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

    [LoggerMessage(Level = LogLevel.Error, Message = "A GraphQL resolver failed")]
    private static partial void LogResolverFailure(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Attack-a-Crack CRM is up. GraphQL: {Url}/graphql  Admin: {Url}/admin/  Health: {Url}/health/ready")]
    private static partial void LogUrls(ILogger logger, string url);
}
