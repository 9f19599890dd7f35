using Crm.GraphQL.Server.Subscriptions;
using GraphQL;
using Microsoft.Extensions.Options;

namespace Crm.GraphQL.Server.WebSockets;

/// <summary>The WebSocket side of <c>/graphql</c>: the upgrade is authenticated like any request, then handed to the protocol.</summary>
internal static partial class WebSocketEndpoint
{
    public static async Task HandleAsync(HttpContext http)
    {
        if (WebSocketDialect.Negotiate(http.WebSockets.WebSocketRequestedProtocols) is not { } dialect)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            http.Response.ContentType = "application/json; charset=utf-8";
            await http.Response.WriteAsync(
                """{"errors":[{"message":"Request the graphql-transport-ws (or legacy graphql-ws) WebSocket subprotocol.","extensions":{"code":"SUBPROTOCOL_NOT_SUPPORTED"}}]}""",
                http.RequestAborted);
            return;
        }

        var services = http.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<WebSocketConnection>();
        using var socket = await http.WebSockets.AcceptWebSocketAsync(dialect.SubProtocol);
        using var connection = new WebSocketConnection(
            socket, dialect, http, services.GetRequiredService<IOptions<SubscriptionOptions>>().Value, services.GetRequiredService<IGraphQLTextSerializer>(), logger);
        LogOpened(logger, dialect.SubProtocol);
        await connection.RunAsync(services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
        LogClosed(logger, dialect.SubProtocol);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{SubProtocol} socket opened")]
    private static partial void LogOpened(ILogger logger, string subProtocol);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{SubProtocol} socket closed")]
    private static partial void LogClosed(ILogger logger, string subProtocol);
}
