using System.Diagnostics.Metrics;

namespace Crm.GraphQL.Server.Subscriptions;

/// <summary>
/// The kit's own meter, <c>Crm.GraphQL.Server</c>: the subscriptions open on every transport, counted where each joins
/// and leaves its group (<see cref="SubscriptionGroups"/>), so WebSocket and event-stream subscribers count alike.
/// </summary>
/// <remarks>Static, as the meter is: two hosts in one process (tests) report the process's subscriptions.</remarks>
public static class SubscriptionMetrics
{
    private static long _open;

    static SubscriptionMetrics() =>
        Meter.CreateObservableGauge("graphql.subscriptions.open", () => Interlocked.Read(ref _open), description: "GraphQL subscriptions open (WebSocket and event stream).");

    /// <summary>The meter, for the host's metrics pipeline: naming it creates the gauge, before any subscription.</summary>
    public static Meter Meter { get; } = new("Crm.GraphQL.Server");

    /// <summary>Subscriptions open now.</summary>
    public static long Open => Interlocked.Read(ref _open);

    /// <summary>Counts one subscription until the result is disposed, or its stream ends first.</summary>
    internal static Tracker Track() => new();

    internal sealed class Tracker
    {
        private int _ended;

        public Tracker() => Interlocked.Increment(ref _open);

        public void End()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                Interlocked.Decrement(ref _open);
            }
        }
    }
}
