using System.Text.Encodings.Web;
using Crm.GraphQL.Server.Execution;
using Crm.GraphQL.Server.Http;
using Crm.GraphQL.Server.Querying;
using Crm.GraphQL.Server.Sse;
using Crm.GraphQL.Server.Subscriptions;
using Crm.GraphQL.Server.WebSockets;
using GraphQL;
using GraphQL.DI;
using GraphQL.Execution;

namespace Crm.GraphQL.Server;

/// <summary>The kit's two entry points for a host: its services, and the <c>/graphql</c> endpoint of every transport.</summary>
public static partial class ServerKit
{
    /// <summary>
    /// The engine as every transport relies on it: limits, execution strategies, serialization, the executor and
    /// subscription groups. <paramref name="schema"/> adds the host's schema, graph types and rules; the host also
    /// registers the abstractions the kit needs from it (README.md in this folder).
    /// </summary>
    public static IHostApplicationBuilder AddGraphQLServerKit(this IHostApplicationBuilder builder, Action<IGraphQLBuilder> schema)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<GraphQLServerOptions>().BindConfiguration(GraphQLServerOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<SubscriptionOptions>().BindConfiguration(SubscriptionOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<OperationExecutor>();
        builder.Services.AddSingleton<DocumentCache>();
        builder.Services.AddSingleton<ArgumentCoercion>();
        builder.Services.AddSingleton<SubscriptionGroups>();
        builder.Services.AddScoped<SelectionBatches>();
        var limits = builder.Configuration.GetSection(GraphQLServerOptions.Section).Get<GraphQLServerOptions>() ?? new();
        var exposeExceptionDetails = builder.Environment.IsDevelopment();

        builder.Services.AddGraphQL(graphql =>
        {
            schema(graphql);
            graphql
                // Responses are JSON, never inlined in HTML: no need to escape '+' in phone numbers or quotes in messages.
                .AddSystemTextJson(o => o.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping)
                // Scoped services such as a DbContext are not thread-safe: resolvers run one at a time, and batch loaders
                // remove the N+1 that would cost.
                .AddExecutionStrategy<SerialExecutionStrategy>(GraphQLParser.AST.OperationType.Query)
                // Each subscription event runs in a DI scope of its own, serially, once for all subscribers asking the same.
                .AddExecutionStrategy<SharedSubscriptionExecutionStrategy>(GraphQLParser.AST.OperationType.Subscription)
                .AddComplexityAnalyzer(c =>
                {
                    c.MaxDepth = limits.MaxDepth;
                    c.MaxComplexity = limits.MaxComplexity;
                })
                // Limits are validation rules: they hold for every transport and run before any resolver.
                .AddValidationRule<AliasLimitValidationRule>()
                .ConfigureExecution(sp => sp.GetRequiredService<DocumentCache>())
                .WithTimeout(limits.Timeout)
                .AddErrorInfoProvider(o => o.ExposeExceptionDetails = exposeExceptionDetails)
                .AddUnhandledExceptionHandler(ctx =>
                {
                    var logger = ctx.Context?.RequestServices?.GetService<ILoggerFactory>()?.CreateLogger<OperationExecutor>();
                    if (logger is not null && ctx.OriginalException is not OperationCanceledException)
                    {
                        LogResolverFailure(logger, ctx.OriginalException);
                    }
                });
        });
        builder.Services.AddSingleton<IDocumentBuilder>(new GraphQLDocumentBuilder { MaxDepth = limits.MaxParserDepth });
        return builder;
    }

    /// <summary>
    /// GET and POST on one path: a WebSocket upgrade (graphql-transport-ws or legacy graphql-ws), an event stream
    /// (graphql-sse, by Accept), or GraphQL over HTTP.
    /// </summary>
    public static IEndpointConventionBuilder MapGraphQLEndpoint(this IEndpointRouteBuilder app, string pattern = "/graphql") =>
        app.MapMethods(pattern, [HttpMethods.Get, HttpMethods.Post], (HttpContext http) =>
            http.WebSockets.IsWebSocketRequest ? WebSocketEndpoint.HandleAsync(http)
            : EventStreamResponse.IsRequested(http.Request.Headers.Accept) ? EventStreamResponse.HandleAsync(http)
            : GraphQLHttpEndpoint.HandleAsync(http));

    [LoggerMessage(Level = LogLevel.Error, Message = "A GraphQL resolver failed")]
    private static partial void LogResolverFailure(ILogger logger, Exception exception);
}
