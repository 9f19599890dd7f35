namespace Crm.GraphQL.Server.Subscriptions;

/// <summary>Settings under <c>Subscriptions</c>: what one WebSocket or event stream may cost the server.</summary>
public sealed class SubscriptionOptions
{
    public const string Section = "Subscriptions";

    /// <summary>How long a new socket may wait before <c>connection_init</c>; then it is closed with 4408.</summary>
    public TimeSpan ConnectionInitTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the server pings an acknowledged socket and comments an event stream, under proxy idle timeouts.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Largest message a client may send; larger closes the socket with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Most operations one socket may run at once; more are answered with an <c>error</c> message.</summary>
    public int MaxSubscriptionsPerConnection { get; set; } = 100;

    /// <summary>Messages queued for one socket; a client that lets more pile up is closed with 1008 rather than growing memory.</summary>
    public int SendQueueCapacity { get; set; } = 1024;
}
