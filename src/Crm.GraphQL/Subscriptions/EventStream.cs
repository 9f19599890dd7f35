using Crm.Data.Events;

namespace Crm.GraphQL.Subscriptions;

/// <summary>
/// Adapts a bus subscription to the <see cref="IObservable{T}"/> graphql-dotnet's subscription strategy consumes.
/// Cold: nothing is subscribed until a transport subscribes, and disposing the subscription leaves the bus.
/// </summary>
internal sealed class EventStream(Func<CancellationToken, IAsyncEnumerable<CrmEvent>> source, Func<CrmEvent, bool> keep) : IObservable<object>
{
    /// <summary>The events of one topic that pass <paramref name="keep"/>.</summary>
    public static EventStream Of<TEvent>(IEventBus bus, string topic, Func<TEvent, bool> keep)
        where TEvent : CrmEvent =>
        new(ct => bus.SubscribeAsync(topic, ct), e => e is TEvent typed && keep(typed));

    public IDisposable Subscribe(IObserver<object> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var cancellation = new CancellationTokenSource();
        var events = source(cancellation.Token).GetAsyncEnumerator(cancellation.Token);
        // The first MoveNextAsync runs the iterator up to its first await, which registers with the bus: an event
        // published after Subscribe returns is delivered, so a client that saw its subscribe processed misses nothing.
        var first = events.MoveNextAsync();
        _ = PumpAsync(events, first, keep, observer, cancellation);
        return new Unsubscriber(cancellation);
    }

    // The filter is applied here rather than by a wrapping iterator: with a thousand subscribers every event passes
    // through this loop a thousand times, and each async layer costs a continuation per pass.
    private static async Task PumpAsync(IAsyncEnumerator<CrmEvent> events, ValueTask<bool> first, Func<CrmEvent, bool> keep, IObserver<object> observer, CancellationTokenSource cancellation)
    {
        try
        {
            var more = await first;
            while (more)
            {
                if (keep(events.Current))
                {
                    observer.OnNext(events.Current);
                }

                more = await events.MoveNextAsync();
            }

            observer.OnCompleted();
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The subscriber left; nobody is listening for a completion.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            observer.OnError(ex);
        }
        finally
        {
            await events.DisposeAsync();
            cancellation.Dispose();
        }
    }

    private sealed class Unsubscriber(CancellationTokenSource cancellation) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                try
                {
                    cancellation.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The stream already ended and released its token.
                }
            }
        }
    }
}
