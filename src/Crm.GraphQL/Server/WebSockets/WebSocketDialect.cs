using System.Collections.Frozen;
using System.Text;

namespace Crm.GraphQL.Server.WebSockets;

/// <summary>
/// What differs between the two WebSocket subprotocols: message names, the keep-alive, and how a fault is reported.
/// Everything else — init and authentication, the operation registry, execution, the send queue — is <see cref="WebSocketConnection"/>'s.
/// </summary>
internal sealed class WebSocketDialect
{
    /// <summary>enisdenjo/graphql-ws PROTOCOL.md: every fault closes the socket with its own code.</summary>
    public static readonly WebSocketDialect TransportWs = new(
        "graphql-transport-ws",
        new Dictionary<string, WebSocketCommand>
        {
            ["connection_init"] = WebSocketCommand.Init,
            ["ping"] = WebSocketCommand.Ping,
            ["pong"] = WebSocketCommand.Pong,
            ["subscribe"] = WebSocketCommand.Subscribe,
            ["complete"] = WebSocketCommand.Stop,
        },
        next: "next",
        keepAlive: "ping",
        keepAliveOnAck: false,
        completesOnStop: false,
        faultsAsMessages: false);

    /// <summary>
    /// apollographql/subscriptions-transport-ws PROTOCOL.md, for older Apollo clients. It has no close codes: a fault of
    /// one message is an <c>error</c> message and the socket stays open; a refused or silent connection gets
    /// <c>connection_error</c> before the close.
    /// </summary>
    public static readonly WebSocketDialect LegacyGraphQLWs = new(
        "graphql-ws",
        new Dictionary<string, WebSocketCommand>
        {
            ["connection_init"] = WebSocketCommand.Init,
            ["start"] = WebSocketCommand.Subscribe,
            ["stop"] = WebSocketCommand.Stop,
            ["connection_terminate"] = WebSocketCommand.Terminate,
        },
        next: "data",
        keepAlive: "ka",
        keepAliveOnAck: true,
        completesOnStop: true,
        faultsAsMessages: true);

    private readonly FrozenDictionary<string, WebSocketCommand> _commands;

    private WebSocketDialect(string subProtocol, Dictionary<string, WebSocketCommand> commands, string next, string keepAlive, bool keepAliveOnAck, bool completesOnStop, bool faultsAsMessages)
    {
        SubProtocol = subProtocol;
        _commands = commands.ToFrozenDictionary(StringComparer.Ordinal);
        Next = next;
        KeepAlive = Encoding.UTF8.GetBytes($$"""{"type":"{{keepAlive}}"}""");
        KeepAliveOnAck = keepAliveOnAck;
        CompletesOnStop = completesOnStop;
        FaultsAsMessages = faultsAsMessages;
    }

    public string SubProtocol { get; }

    /// <summary>The type of a message that carries one result of an operation.</summary>
    public string Next { get; }

    public byte[] KeepAlive { get; }

    public bool KeepAliveOnAck { get; }

    /// <summary>Whether a client's stop is confirmed with <c>complete</c>, as the legacy reference server does.</summary>
    public bool CompletesOnStop { get; }

    public bool FaultsAsMessages { get; }

    /// <summary>The subprotocol to speak, preferring the current one when the client offers both.</summary>
    public static WebSocketDialect? Negotiate(IList<string> offered) =>
        offered.Contains(TransportWs.SubProtocol) ? TransportWs
        : offered.Contains(LegacyGraphQLWs.SubProtocol) ? LegacyGraphQLWs
        : null;

    public WebSocketCommand Read(string? type) => type is not null && _commands.TryGetValue(type, out var command) ? command : WebSocketCommand.Unknown;
}

internal enum WebSocketCommand
{
    Unknown,
    Init,
    Ping,
    Pong,
    Subscribe,
    Stop,
    Terminate,
}
