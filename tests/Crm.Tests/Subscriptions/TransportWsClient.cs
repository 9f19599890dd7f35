using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Crm.Tests.Subscriptions;

/// <summary>A raw GraphQL WebSocket client over the test server's WebSocket: every frame is the test's to choose.</summary>
public sealed class TransportWsClient : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private TransportWsClient(WebSocket socket) => Socket = socket;

    public WebSocket Socket { get; }

    /// <summary>Over a socket the test connected itself, such as a <see cref="ClientWebSocket"/> to a real port.</summary>
    public static TransportWsClient Over(WebSocket socket) => new(socket);

    public static async Task<TransportWsClient> ConnectAsync<TEntryPoint>(
        WebApplicationFactory<TEntryPoint> factory, string? bearer = null, Action<Microsoft.AspNetCore.Http.HttpRequest>? configure = null, params string[] subProtocols)
        where TEntryPoint : class
    {
        var client = factory.Server.CreateWebSocketClient();
        foreach (var subProtocol in subProtocols is [] ? ["graphql-transport-ws"] : subProtocols)
        {
            client.SubProtocols.Add(subProtocol);
        }

        client.ConfigureRequest = request =>
        {
            if (bearer is not null)
            {
                request.Headers.Authorization = $"Bearer {bearer}";
            }

            configure?.Invoke(request);
        };

        return new(await client.ConnectAsync(new Uri(factory.Server.BaseAddress, "graphql"), CancellationToken.None));
    }

    /// <summary>Connects and completes connection_init with the key in the payload, as browser clients do.</summary>
    public static async Task<TransportWsClient> ConnectAndInitAsync<TEntryPoint>(WebApplicationFactory<TEntryPoint> factory, string apiKey, string subProtocol = "graphql-transport-ws")
        where TEntryPoint : class
    {
        var client = await ConnectAsync(factory, subProtocols: subProtocol);
        await client.InitAsync(apiKey);
        return client;
    }

    /// <summary>Completes connection_init with the key in the payload, as browser clients do.</summary>
    public async Task InitAsync(string apiKey)
    {
        await SendAsync(new { type = "connection_init", payload = new { apiKey } });
        var ack = await ReceiveAsync();
        Assert.Equal("connection_ack", ack["type"]?.GetValue<string>());
    }

    public Task SendAsync(object message) => SendRawAsync(JsonSerializer.Serialize(message));

    public Task SendRawAsync(string text) => Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SubscribeAsync(string id, string query, object? variables = null) =>
        SendAsync(new { id, type = "subscribe", payload = new { query, variables } });

    /// <summary>Pings and waits for the pong: the server handles messages in order, so every earlier subscribe is listening now.</summary>
    public async Task SyncAsync()
    {
        await SendAsync(new { type = "ping" });
        while (true)
        {
            var message = await ReceiveAsync();
            if (message["type"]?.GetValue<string>() == "pong")
            {
                return;
            }
        }
    }

    /// <summary>The next message that is not a server keep-alive (<c>ping</c>, or <c>ka</c> in the legacy protocol) unless asked; fails on a close.</summary>
    public async Task<JsonNode> ReceiveAsync(bool keepAlives = false)
    {
        while (true)
        {
            var (message, close) = await ReceiveFrameAsync();
            if (close is not null)
            {
                Assert.Fail($"The server closed the socket with {(int)close} {Socket.CloseStatusDescription}.");
            }

            if (keepAlives || message!["type"]?.GetValue<string>() is not ("ping" or "ka"))
            {
                return message!;
            }
        }
    }

    /// <summary>Reads until the server's close frame, answers it, and returns its code.</summary>
    public async Task<int> ReceiveCloseAsync()
    {
        while (true)
        {
            var (_, close) = await ReceiveFrameAsync();
            if (close is not null)
            {
                if (Socket.State == WebSocketState.CloseReceived)
                {
                    await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                }

                return (int)close;
            }
        }
    }

    private async Task<(JsonNode? Message, WebSocketCloseStatus? Close)> ReceiveFrameAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var received = await Socket.ReceiveAsync(buffer, timeout.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return (null, received.CloseStatus ?? WebSocketCloseStatus.Empty);
            }

            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                return (JsonNode.Parse(message.ToArray()), null);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The server is gone already.
            }
        }

        Socket.Dispose();
    }
}
