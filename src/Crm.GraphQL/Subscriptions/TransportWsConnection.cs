using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Crm.Data.Audit;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Schema;
using GraphQL;
using GraphQL.Transport;

namespace Crm.GraphQL.Subscriptions;

/// <summary>
/// One graphql-transport-ws socket (enisdenjo/graphql-ws PROTOCOL.md): a receive loop that handles messages in order,
/// and a single writer loop, so there is never more than one send on the socket at a time.
/// </summary>
/// <remarks>
/// Operations are executed on the receive loop, so once a later <c>ping</c> is answered every earlier <c>subscribe</c>
/// is listening; events then arrive on other threads and only enqueue serialized messages for the writer.
/// </remarks>
internal sealed partial class TransportWsConnection : IDisposable
{
    public const string SubProtocol = "graphql-transport-ws";

    private static readonly byte[] AckMessage = """{"type":"connection_ack"}"""u8.ToArray();
    private static readonly byte[] PingMessage = """{"type":"ping"}"""u8.ToArray();
    private static readonly byte[] PongMessage = """{"type":"pong"}"""u8.ToArray();

    private readonly WebSocket _socket;
    private readonly HttpContext _http;
    private readonly SubscriptionOptions _options;
    private readonly IGraphQLTextSerializer _serializer;
    private readonly ILogger _logger;
    private readonly Channel<Outgoing> _outbox = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, Operation> _operations = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _aborted = new();
    private ClaimsPrincipal? _user;
    private int _initReceived;
    private int _closing;
    private int _queued;

    public TransportWsConnection(WebSocket socket, HttpContext http, SubscriptionOptions options, IGraphQLTextSerializer serializer, ILogger logger)
    {
        _socket = socket;
        _http = http;
        _options = options;
        _serializer = serializer;
        _logger = logger;
    }

    /// <summary>Operations running on this socket, for tests and diagnostics.</summary>
    public int OperationCount => _operations.Count;

    public async Task RunAsync(CancellationToken applicationStopping)
    {
        using var stop = applicationStopping.Register(() => RequestClose(WebSocketCloseStatus.EndpointUnavailable, "Server shutting down"));
        var writer = WriteLoopAsync();
        var initTimeout = InitTimeoutAsync();
        var keepAlive = KeepAliveAsync();
        try
        {
            await ReceiveLoopAsync();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The client vanished or never answered our close: nothing left to tell it.
        }
        finally
        {
            await _stopping.CancelAsync();
            foreach (var id in _operations.Keys)
            {
                Stop(id);
            }

            _outbox.Writer.TryComplete();
            // A client that stopped reading cannot hold the handler: what is still unsent gets 5 s.
            _aborted.CancelAfter(TimeSpan.FromSeconds(5));
            await Task.WhenAll(writer, initTimeout, keepAlive);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            var received = await _socket.ReceiveAsync(buffer.AsMemory(), _aborted.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                RequestClose(WebSocketCloseStatus.NormalClosure, string.Empty);
                return;
            }

            if (Volatile.Read(ref _closing) == 1)
            {
                continue; // after our close frame only the client's close matters
            }

            if (message.Length + received.Count > _options.MaxMessageBytes)
            {
                RequestClose(WebSocketCloseStatus.MessageTooBig, $"Messages are limited to {_options.MaxMessageBytes} bytes");
                continue;
            }

            message.Write(buffer, 0, received.Count);
            if (!received.EndOfMessage)
            {
                continue;
            }

            if (received.MessageType == WebSocketMessageType.Binary)
            {
                RequestClose(CloseCodes.BadRequest, "Invalid message received");
            }
            else
            {
                await HandleAsync(message.ToArray());
            }

            message.SetLength(0);
        }
    }

    private async Task HandleAsync(byte[] bytes)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            RequestClose(CloseCodes.BadRequest, "Invalid message received");
            return;
        }

        var type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        var payload = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("payload", out var p) && p.ValueKind != JsonValueKind.Null ? p : (JsonElement?)null;
        var id = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        switch (type)
        {
            case "connection_init" when payload is null or { ValueKind: JsonValueKind.Object }:
                await InitializeAsync(payload);
                break;
            case "ping":
                Enqueue(payload is { } echo ? Message(new { type = "pong", payload = echo }) : PongMessage);
                break;
            case "pong":
                break; // a heartbeat; nothing to answer
            case "subscribe" when !string.IsNullOrEmpty(id) && payload is { ValueKind: JsonValueKind.Object } request:
                await SubscribeAsync(id, request);
                break;
            case "complete" when !string.IsNullOrEmpty(id):
                Stop(id); // unknown or finished ids are ignored, as the protocol says
                break;
            default:
                RequestClose(CloseCodes.BadRequest, "Invalid message received");
                break;
        }
    }

    private async Task InitializeAsync(JsonElement? payload)
    {
        if (Interlocked.Exchange(ref _initReceived, 1) == 1)
        {
            RequestClose(CloseCodes.TooManyInitialisationRequests, "Too many initialisation requests");
            return;
        }

        var user = await AuthenticateAsync(payload);
        if (user is null)
        {
            RequestClose(CloseCodes.Forbidden, "Forbidden");
            return;
        }

        _http.User = user; // the audit actor and rate limits see who the socket belongs to
        Volatile.Write(ref _user, user);
        Enqueue(AckMessage);
    }

    /// <summary>A key in the payload wins; otherwise the cookie or bearer header of the upgrade request.</summary>
    private async Task<ClaimsPrincipal?> AuthenticateAsync(JsonElement? payload)
    {
        var key = ApiKeyFrom(payload);
        if (key is null)
        {
            return _http.User.Role() is null ? null : _http.User;
        }

        await using var scope = _http.RequestServices.CreateAsyncScope();
        var apiKey = await scope.ServiceProvider.GetRequiredService<ApiKeyOperations>().AuthenticateAsync(key, _stopping.Token);
        return apiKey is null ? null : CrmPrincipal.ForApiKey(apiKey, ApiKeyAuthenticationHandler.SchemeName);
    }

    /// <summary><c>{"apiKey":"crm_…"}</c> or <c>{"authorization":"Bearer crm_…"}</c>, as browser clients cannot set headers on a WebSocket.</summary>
    internal static string? ApiKeyFrom(JsonElement? payload)
    {
        if (payload is not { ValueKind: JsonValueKind.Object } map)
        {
            return null;
        }

        foreach (var property in map.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            var value = property.Value.GetString()!;
            if (property.Name.Equals("apiKey", StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }

            if (property.Name.Equals("authorization", StringComparison.OrdinalIgnoreCase))
            {
                return value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value["Bearer ".Length..].Trim() : value;
            }
        }

        return null;
    }

    private async Task SubscribeAsync(string id, JsonElement payload)
    {
        var user = Volatile.Read(ref _user);
        if (user is null)
        {
            RequestClose(CloseCodes.Unauthorized, "Unauthorized");
            return;
        }

        GraphQLRequest? request;
        try
        {
            request = _serializer.Deserialize<GraphQLRequest>(payload.GetRawText());
        }
        catch (JsonException)
        {
            request = null;
        }

        if (string.IsNullOrEmpty(request?.Query))
        {
            RequestClose(CloseCodes.BadRequest, "Invalid message received");
            return;
        }

        var operation = new Operation();
        if (_operations.ContainsKey(id) || !_operations.TryAdd(id, operation))
        {
            RequestClose(CloseCodes.SubscriberAlreadyExists, $"Subscriber for {id} already exists");
            return;
        }

        if (_operations.Count > _options.MaxSubscriptionsPerConnection)
        {
            _operations.TryRemove(new(id, operation));
            Enqueue(Message(new OperationMessage
            {
                Id = id,
                Type = "error",
                Payload = new[] { new ExecutionError($"A connection may run at most {_options.MaxSubscriptionsPerConnection} operations at once.") { Code = "TOO_MANY_SUBSCRIPTIONS" } },
            }));
            return;
        }

        ExecutionResult result;
        try
        {
            // A scope per operation: the socket's request scope outlives every operation and is shared by them.
            await using var scope = _http.RequestServices.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
            result = await scope.ServiceProvider.GetRequiredService<IDocumentExecuter<CrmSchema>>().ExecuteAsync(new ExecutionOptions
            {
                Query = request.Query,
                OperationName = request.OperationName,
                Variables = request.Variables,
                Extensions = request.Extensions,
                RequestServices = scope.ServiceProvider,
                User = user,
                UserContext = new Dictionary<string, object?> { [nameof(Actor)] = _http.ToActor() },
                CancellationToken = _stopping.Token,
            });
        }
        catch (OperationCanceledException)
        {
            _operations.TryRemove(new(id, operation));
            return;
        }

        Http.GraphQLHttpEndpoint.ClarifyParserDepthError(result, _http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Http.GraphQLServerOptions>>().Value.MaxParserDepth);

        if (result.Streams is { Count: 1 } streams)
        {
            operation.Attach(streams.Values.Single().Subscribe(new Observer(this, id, operation)));
            return;
        }

        // A query or mutation is a single-result operation; one refused before execution gets an error and no complete.
        _operations.TryRemove(new(id, operation));
        if (result.Executed)
        {
            Enqueue(Message(new OperationMessage { Id = id, Type = "next", Payload = result }));
            Enqueue(Message(new OperationMessage { Id = id, Type = "complete" }));
        }
        else
        {
            Enqueue(Message(new OperationMessage { Id = id, Type = "error", Payload = result.Errors ?? [] }));
        }
    }

    private void Stop(string id)
    {
        if (_operations.TryRemove(id, out var operation))
        {
            operation.Dispose();
        }
    }

    private async Task InitTimeoutAsync()
    {
        try
        {
            await Task.Delay(_options.ConnectionInitTimeout, _stopping.Token);
            if (Volatile.Read(ref _initReceived) == 0)
            {
                RequestClose(CloseCodes.ConnectionInitialisationTimeout, "Connection initialisation timeout");
            }
        }
        catch (OperationCanceledException)
        {
            // The socket ended first.
        }
    }

    private async Task KeepAliveAsync()
    {
        using var timer = new PeriodicTimer(_options.KeepAliveInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                if (Volatile.Read(ref _user) is not null)
                {
                    Enqueue(PingMessage);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The socket ended.
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var message in _outbox.Reader.ReadAllAsync(_aborted.Token))
            {
                if (message.Bytes is null)
                {
                    if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(message.Status, message.Reason, _aborted.Token);
                    }

                    // A client that never answers our close frame is dropped rather than held open.
                    _aborted.CancelAfter(TimeSpan.FromSeconds(5));
                    return;
                }

                Interlocked.Decrement(ref _queued);
                await _socket.SendAsync(message.Bytes, WebSocketMessageType.Text, true, _aborted.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            LogSendFailed(_logger, ex);
            await _aborted.CancelAsync();
        }
    }

    private void Enqueue(byte[] message)
    {
        if (Volatile.Read(ref _closing) == 1)
        {
            return;
        }

        // The bus already drops a slow subscriber's oldest events; this bounds what one socket may hold on top of that.
        if (Interlocked.Increment(ref _queued) > _options.SendQueueCapacity)
        {
            RequestClose(WebSocketCloseStatus.PolicyViolation, "Too slow: the send queue is full");
            return;
        }

        _outbox.Writer.TryWrite(new Outgoing(message, default, null));
    }

    private void RequestClose(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) == 0)
        {
            _outbox.Writer.TryWrite(new Outgoing(null, status, reason));
        }
    }

    private byte[] Message<T>(T message) => Encoding.UTF8.GetBytes(_serializer.Serialize(message));

    /// <summary>A <c>next</c> message around the result's shared serialization.</summary>
    private byte[] NextMessage(string id, ExecutionResult result) =>
        [.. Encoding.UTF8.GetBytes($$"""{"id":{{JsonSerializer.Serialize(id)}},"type":"next","payload":"""), .. SerializedResults.Get(result, _serializer), (byte)'}'];

    public void Dispose()
    {
        _stopping.Dispose();
        _aborted.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "A graphql-transport-ws socket ended while sending")]
    private static partial void LogSendFailed(ILogger logger, Exception exception);

    private readonly record struct Outgoing(byte[]? Bytes, WebSocketCloseStatus Status, string? Reason);

    /// <summary>The close codes of graphql-transport-ws (graphql-ws <c>CloseCode</c>).</summary>
    internal static class CloseCodes
    {
        public const WebSocketCloseStatus BadRequest = (WebSocketCloseStatus)4400;
        public const WebSocketCloseStatus Unauthorized = (WebSocketCloseStatus)4401;
        public const WebSocketCloseStatus Forbidden = (WebSocketCloseStatus)4403;
        public const WebSocketCloseStatus ConnectionInitialisationTimeout = (WebSocketCloseStatus)4408;
        public const WebSocketCloseStatus SubscriberAlreadyExists = (WebSocketCloseStatus)4409;
        public const WebSocketCloseStatus TooManyInitialisationRequests = (WebSocketCloseStatus)4429;
    }

    /// <summary>An operation's place in the registry, reserved before it executes so its id counts as active at once.</summary>
    private sealed class Operation : IDisposable
    {
        private readonly Lock _gate = new();
        private IDisposable? _subscription;
        private bool _disposed;

        public void Attach(IDisposable subscription)
        {
            lock (_gate)
            {
                if (!_disposed)
                {
                    _subscription = subscription;
                    return;
                }
            }

            subscription.Dispose();
        }

        public void Dispose()
        {
            IDisposable? subscription;
            lock (_gate)
            {
                _disposed = true;
                subscription = _subscription;
                _subscription = null;
            }

            subscription?.Dispose();
        }
    }

    private sealed class Observer(TransportWsConnection connection, string id, Operation operation) : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value)
        {
            if (connection._operations.TryGetValue(id, out var current) && current == operation)
            {
                connection.Enqueue(connection.NextMessage(id, value));
            }
        }

        public void OnError(Exception error)
        {
            if (connection._operations.TryRemove(new(id, operation)))
            {
                var result = new ExecutionResult { Errors = [new ExecutionError("The event stream failed.") { Code = "STREAM_FAILED" }] };
                connection.Enqueue(connection.Message(new OperationMessage { Id = id, Type = "next", Payload = result }));
                connection.Enqueue(connection.Message(new OperationMessage { Id = id, Type = "complete" }));
            }
        }

        public void OnCompleted()
        {
            if (connection._operations.TryRemove(new(id, operation)))
            {
                connection.Enqueue(connection.Message(new OperationMessage { Id = id, Type = "complete" }));
            }
        }
    }
}
