using GraphQL;
using Microsoft.Extensions.Options;

namespace Crm.GraphQL.Subscriptions;

/// <summary>The WebSocket side of <c>/graphql</c>: the upgrade is authenticated like any request, then handed to the protocol.</summary>
internal static partial class WebSocketEndpoint
{
    public static async Task HandleAsync(HttpContext http)
    {
        if (!http.WebSockets.WebSocketRequestedProtocols.Contains(TransportWsConnection.SubProtocol))
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            http.Response.ContentType = "application/json; charset=utf-8";
            await http.Response.WriteAsync(
                """{"errors":[{"message":"Request the graphql-transport-ws WebSocket subprotocol.","extensions":{"code":"SUBPROTOCOL_NOT_SUPPORTED"}}]}""",
                http.RequestAborted);
            return;
        }

        var services = http.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<TransportWsConnection>();
        using var socket = await http.WebSockets.AcceptWebSocketAsync(TransportWsConnection.SubProtocol);
        using var connection = new TransportWsConnection(
            socket, http, services.GetRequiredService<IOptions<SubscriptionOptions>>().Value, services.GetRequiredService<IGraphQLTextSerializer>(), logger);
        LogOpened(logger);
        await connection.RunAsync(services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
        LogClosed(logger);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "graphql-transport-ws socket opened")]
    private static partial void LogOpened(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "graphql-transport-ws socket closed")]
    private static partial void LogClosed(ILogger logger);
}
