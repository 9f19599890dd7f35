namespace Crm.GraphQL.Server.Subscriptions;

/// <summary>
/// Lets a transport wait until the event source really listens for what it just subscribed to. A bus across
/// instances (the host's Redis bus) registers a local subscriber at once but confirms its remote subscription a round
/// trip later; an event published on another instance in between would be missed by a client that already saw its
/// subscribe handled (a later ping answered, or the event stream's headers received). Such a source calls
/// <see cref="Report"/>; a source that listens at once has nothing to report.
/// </summary>
/// <remarks>
/// Ambient (an <see cref="AsyncLocal{T}"/>) because the source is reached through graphql-dotnet's subscription
/// pipeline, which has no parameter to pass it along; subscribing runs synchronously up to the source, so the
/// collector is seen.
/// </remarks>
internal static class BusReadiness
{
    /// <summary>Longest a subscribe waits: a remote bus that is away must not hold the socket; it resubscribes when it returns.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(5);

    private static readonly AsyncLocal<List<Task>?> Pending = new();

    /// <summary>Runs <paramref name="subscribe"/> and returns its subscription once every source it reached listens.</summary>
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
            // The remote bus is slow or away: the subscription stands and receives what arrives once it is back.
        }
        catch (OperationCanceledException)
        {
            subscription.Dispose();
            throw;
        }

        return subscription;
    }

    /// <summary>Called by an event source: this subscription listens once <paramref name="ready"/> completes.</summary>
    public static void Report(Task ready)
    {
        if (!ready.IsCompleted)
        {
            Pending.Value?.Add(ready);
        }
    }
}
