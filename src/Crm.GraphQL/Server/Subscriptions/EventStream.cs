using GraphQL;

namespace Crm.GraphQL.Server.Subscriptions;

/// <summary>
/// Adapts an event source (the host's bus: an <see cref="IAsyncEnumerable{T}"/> per subscriber) to the
/// <see cref="IObservable{T}"/> graphql-dotnet's subscription strategy consumes, keeping the events that pass
/// <c>keep</c>. Cold: nothing is subscribed until a transport subscribes, and disposing the subscription leaves the source.
/// </summary>
/// <remarks>
/// A source that ends with an exception ends the stream with an error; <c>describe</c> turns the ones the host knows
/// into an error for the client (with a code it can act on), or returns null for a plain failure.
/// </remarks>
internal sealed class EventStream<TEvent>(Func<CancellationToken, IAsyncEnumerable<TEvent>> source, Func<TEvent, bool> keep, Func<Exception, ExecutionError?>? describe = null) : IObservable<object>
    where TEvent : class
{
    public IDisposable Subscribe(IObserver<object> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var cancellation = new CancellationTokenSource();
        var events = source(cancellation.Token).GetAsyncEnumerator(cancellation.Token);
        // The first MoveNextAsync runs the iterator up to its first await, which registers with the source: an event
        // published after Subscribe returns is delivered, so a client that saw its subscribe processed misses nothing.
        var first = events.MoveNextAsync();
        _ = PumpAsync(events, first, observer, cancellation);
        return new Unsubscriber(cancellation);
    }

    // The filter is applied here rather than by a wrapping iterator: with a thousand subscribers every event passes
    // through this loop a thousand times, and each async layer costs a continuation per pass.
    private async Task PumpAsync(IAsyncEnumerator<TEvent> events, ValueTask<bool> first, IObserver<object> observer, CancellationTokenSource cancellation)
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
            observer.OnError(describe?.Invoke(ex) ?? ex);
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
