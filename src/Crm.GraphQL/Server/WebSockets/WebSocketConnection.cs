using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Crm.GraphQL.Server.Execution;
using Crm.GraphQL.Server.Subscriptions;
using GraphQL;
using GraphQL.Transport;

namespace Crm.GraphQL.Server.WebSockets;

/// <summary>
/// One GraphQL WebSocket in either subprotocol (<see cref="WebSocketDialect"/>): a receive loop that handles messages in
/// order, and a single writer loop, so there is never more than one send on the socket at a time.
/// </summary>
/// <remarks>
/// Operations are executed on the receive loop, so once a later <c>ping</c> is answered every earlier <c>subscribe</c>
/// is listening; events then arrive on other threads and only enqueue serialized messages for the writer.
/// </remarks>
internal sealed partial class WebSocketConnection : IDisposable
{
    private static readonly byte[] AckMessage = """{"type":"connection_ack"}"""u8.ToArray();
    private static readonly byte[] PongMessage = """{"type":"pong"}"""u8.ToArray();

    private readonly WebSocket _socket;
    private readonly WebSocketDialect _dialect;
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

    public WebSocketConnection(WebSocket socket, WebSocketDialect dialect, HttpContext http, SubscriptionOptions options, IGraphQLTextSerializer serializer, ILogger logger)
    {
        _socket = socket;
        _dialect = dialect;
        _http = http;
        _options = options;
        _serializer = serializer;
        _logger = logger;
    }

    public async Task RunAsync(CancellationToken applicationStopping)
    {
        using var stop = applicationStopping.Register(() => RequestClose(WebSocketCloseStatus.EndpointUnavailable, "Server shutting down"));
        var writer = WriteLoopAsync();
        var initTimeout = InitTimeoutAsync();
        var keepAlive = KeepAliveAsync();
        // Before init this is the upgrade request's principal, so the socket cannot init after it lost its access.
        var access = _http.RequestServices.GetRequiredService<IAccessWatch>().WatchAsync(
            () => Volatile.Read(ref _user) ?? _http.User, () => Fail(Fault.Forbidden), _stopping.Token);
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
            await Task.WhenAll(writer, initTimeout, keepAlive, access);
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
                Fail(Fault.BadRequest);
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
            Fail(Fault.BadRequest);
            return;
        }

        var type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        var payload = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("payload", out var p) && p.ValueKind != JsonValueKind.Null ? p : (JsonElement?)null;
        var id = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        switch (_dialect.Read(type))
        {
            case WebSocketCommand.Init when payload is null or { ValueKind: JsonValueKind.Object }:
                await InitializeAsync(payload);
                break;
            case WebSocketCommand.Ping:
                Enqueue(payload is { } echo ? Message(new { type = "pong", payload = echo }) : PongMessage);
                break;
            case WebSocketCommand.Pong:
                break; // a heartbeat; nothing to answer
            case WebSocketCommand.Subscribe when !string.IsNullOrEmpty(id) && payload is { ValueKind: JsonValueKind.Object } request:
                await SubscribeAsync(id, request);
                break;
            case WebSocketCommand.Stop when !string.IsNullOrEmpty(id):
                // Unknown or finished ids are ignored, as both protocols say.
                if (Stop(id) && _dialect.CompletesOnStop)
                {
                    Enqueue(Message(new OperationMessage { Id = id, Type = "complete" }));
                }

                break;
            case WebSocketCommand.Terminate:
                RequestClose(WebSocketCloseStatus.NormalClosure, string.Empty);
                break;
            default:
                Fail(Fault.BadRequest, id);
                break;
        }
    }

    private async Task InitializeAsync(JsonElement? payload)
    {
        if (Interlocked.Exchange(ref _initReceived, 1) == 1)
        {
            Fail(Fault.TooManyInitialisationRequests);
            return;
        }

        var user = await _http.RequestServices.GetRequiredService<IConnectionAuthenticator>().AuthenticateAsync(_http, payload, _stopping.Token);
        if (user is null)
        {
            Fail(Fault.Forbidden);
            return;
        }

        _http.User = user; // the executor runs every later operation of the socket as this principal
        Volatile.Write(ref _user, user);
        Enqueue(AckMessage);
        if (_dialect.KeepAliveOnAck)
        {
            Enqueue(_dialect.KeepAlive);
        }
    }

    private async Task SubscribeAsync(string id, JsonElement payload)
    {
        if (Volatile.Read(ref _user) is null)
        {
            Fail(Fault.Unauthorized, id);
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
            Fail(Fault.BadRequest, id);
            return;
        }

        var operation = new Operation();
        if (_operations.ContainsKey(id) || !_operations.TryAdd(id, operation))
        {
            Fail(new Fault(4409, $"Subscriber for {id} already exists", EndsConnection: false), id);
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
            result = await _http.RequestServices.GetRequiredService<OperationExecutor>().ExecuteAsync(request, _http, scope.ServiceProvider, null, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            _operations.TryRemove(new(id, operation));
            return;
        }

        if (result.Streams is { Count: 1 } streams)
        {
            // Messages are handled in order, so a later ping is answered only once this subscription listens.
            operation.Attach(await _http.RequestServices.GetRequiredService<SubscriptionGroups>().JoinAsync(streams.Values.Single(), new Observer(this, id, operation), _stopping.Token));
            return;
        }

        // A query or mutation is a single-result operation; one refused before execution gets an error and no complete.
        _operations.TryRemove(new(id, operation));
        if (result.Executed)
        {
            Enqueue(Message(new OperationMessage { Id = id, Type = _dialect.Next, Payload = result }));
            Enqueue(Message(new OperationMessage { Id = id, Type = "complete" }));
        }
        else
        {
            Enqueue(Message(new OperationMessage { Id = id, Type = "error", Payload = result.Errors ?? [] }));
        }
    }

    private bool Stop(string id)
    {
        if (!_operations.TryRemove(id, out var operation))
        {
            return false;
        }

        operation.Dispose();
        return true;
    }

    private async Task InitTimeoutAsync()
    {
        try
        {
            await Task.Delay(_options.ConnectionInitTimeout, _stopping.Token);
            if (Volatile.Read(ref _initReceived) == 0)
            {
                Fail(Fault.ConnectionInitialisationTimeout);
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
                    Enqueue(_dialect.KeepAlive);
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
                if (message.Payload is null)
                {
                    await _socket.SendAsync(message.Bytes, WebSocketMessageType.Text, true, _aborted.Token);
                }
                else
                {
                    await SendNextAsync(message.Bytes, message.Payload);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            LogSendFailed(_logger, ex);
            await _aborted.CancelAsync();
        }
    }

    /// <summary>
    /// An event's message is put together only when it is sent, in a pooled buffer: a queue of a thousand sockets
    /// then holds one copy of each result, not one per socket.
    /// </summary>
    private async Task SendNextAsync(byte[] head, byte[] payload)
    {
        var length = head.Length + payload.Length + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            head.CopyTo(buffer, 0);
            payload.CopyTo(buffer, head.Length);
            buffer[length - 1] = (byte)'}';
            await _socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, true, _aborted.Token);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A whole message, or a <c>next</c> message's head and the result it wraps (then the closing brace is implied).</summary>
    private void Enqueue(byte[] message, byte[]? payload = null)
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

        _outbox.Writer.TryWrite(new Outgoing(message, payload, default, null));
    }

    /// <summary>graphql-transport-ws closes on every fault; the legacy protocol answers most with a message and stays open.</summary>
    private void Fail(Fault fault, string? id = null)
    {
        if (!_dialect.FaultsAsMessages)
        {
            RequestClose((WebSocketCloseStatus)fault.Code, fault.Reason);
        }
        else if (fault.EndsConnection)
        {
            Enqueue(Message(new OperationMessage { Type = "connection_error", Payload = new { message = fault.Reason } }));
            RequestClose((WebSocketCloseStatus)fault.Code, fault.Reason);
        }
        else
        {
            Enqueue(Message(new OperationMessage { Id = id, Type = "error", Payload = new[] { new ExecutionError(fault.Reason) } }));
        }
    }

    private void RequestClose(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) == 0)
        {
            _outbox.Writer.TryWrite(new Outgoing(null, null, status, reason));
        }
    }

    private byte[] Message<T>(T message) => Encoding.UTF8.GetBytes(_serializer.Serialize(message));

    public void Dispose()
    {
        _stopping.Dispose();
        _aborted.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "A GraphQL WebSocket ended while sending")]
    private static partial void LogSendFailed(ILogger logger, Exception exception);

    /// <summary>A message (with <c>Payload</c>: a <c>next</c> message's head and its shared result), or with neither the close frame.</summary>
    private readonly record struct Outgoing(byte[]? Bytes, byte[]? Payload, WebSocketCloseStatus Status, string? Reason);

    /// <summary>
    /// A protocol fault with its graphql-transport-ws close code (graphql-ws <c>CloseCode</c>). <c>EndsConnection</c>:
    /// the legacy protocol, too, ends the socket rather than answering with an <c>error</c>.
    /// </summary>
    private readonly record struct Fault(int Code, string Reason, bool EndsConnection)
    {
        public static readonly Fault BadRequest = new(4400, "Invalid message received", false);
        public static readonly Fault Unauthorized = new(4401, "Unauthorized", false);
        public static readonly Fault Forbidden = new(4403, "Forbidden", true);
        public static readonly Fault ConnectionInitialisationTimeout = new(4408, "Connection initialisation timeout", true);
        public static readonly Fault TooManyInitialisationRequests = new(4429, "Too many initialisation requests", false);
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

    private sealed class Observer(WebSocketConnection connection, string id, Operation operation) : IObserver<ExecutionResult>
    {
        // Everything of a next message but the payload, which is shared by every subscriber of the same event.
        private readonly byte[] _head = Encoding.UTF8.GetBytes($$"""{"type":"{{connection._dialect.Next}}","id":{{JsonSerializer.Serialize(id)}},"payload":""");

        public void OnNext(ExecutionResult value)
        {
            if (connection._operations.TryGetValue(id, out var current) && current == operation)
            {
                connection.Enqueue(_head, SerializedResults.Get(value, connection._serializer));
            }
        }

        public void OnError(Exception error)
        {
            if (connection._operations.TryRemove(new(id, operation)))
            {
                connection.Enqueue(connection.Message(new OperationMessage { Id = id, Type = connection._dialect.Next, Payload = StreamErrors.ToResult(error) }));
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
