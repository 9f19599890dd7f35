namespace Crm.GraphQL.Subscriptions;

/// <summary>
/// Lets a transport wait until the bus really listens for what it just subscribed to. The Redis bus registers a local
/// subscriber at once but confirms its Redis subscription a round trip later; an event published on another instance
/// in between would be missed by a client that already saw its subscribe handled (a later ping answered, or the
/// event stream's headers received).
/// </summary>
/// <remarks>
/// Ambient (an <see cref="AsyncLocal{T}"/>) because the bus is reached through graphql-dotnet's subscription pipeline,
/// which has no parameter to pass it along; subscribing runs synchronously up to the bus, so the collector is seen.
/// </remarks>
internal static class BusReadiness
{
    /// <summary>Longest a subscribe waits: Redis away must not hold the socket; the bus resubscribes when it returns.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(5);

    private static readonly AsyncLocal<List<Task>?> Pending = new();

    /// <summary>Runs <paramref name="subscribe"/> and returns its subscription once every bus it reached listens.</summary>
    public static async Task<IDisposable> SubscribeAsync(Func<IDisposable> subscribe, CancellationToken cancellationToken)
    {
        var pending = new List<Task>();
        IDisposable subscription;
        Pending.Value = pending;
        try
        {
            subscription = subscribe();
        }
        finally
        {
            Pending.Value = null;
        }

        try
        {
            await Task.WhenAll(pending).WaitAsync(MaxWait, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Redis is slow or away: the subscription stands and receives what arrives once it is back.
        }
        catch (OperationCanceledException)
        {
            subscription.Dispose();
            throw;
        }

        return subscription;
    }

    /// <summary>Called by a bus: this subscription listens once <paramref name="ready"/> completes.</summary>
    public static void Report(Task ready)
    {
        if (!ready.IsCompleted)
        {
            Pending.Value?.Add(ready);
        }
    }
}
