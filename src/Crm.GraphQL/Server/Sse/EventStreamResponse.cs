using System.Text;
using System.Threading.Channels;
using Crm.GraphQL.Server.Http;
using Crm.GraphQL.Server.Subscriptions;
using GraphQL;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Crm.GraphQL.Server.Sse;

/// <summary>
/// graphql-sse in distinct connections mode (enisdenjo/graphql-sse PROTOCOL.md): one request per operation, answered
/// with <c>text/event-stream</c> — <c>event: next</c> per result, then <c>event: complete</c>. The client closes to stop.
/// The request is read and executed as GraphQL over HTTP reads and executes it.
/// </summary>
internal static class EventStreamResponse
{
    public const string MediaType = "text/event-stream";

    private static readonly byte[] NextPrefix = "event: next\ndata: "u8.ToArray();

    /// <summary>Whether the client asked for an event stream (graphql-sse); other types it accepts do not matter then.</summary>
    public static bool IsRequested(Microsoft.Extensions.Primitives.StringValues accept) =>
        MediaTypeHeaderValue.TryParseList(accept, out var types)
        && types.Any(t => (t.Quality ?? 1) > 0 && t.MediaType.Equals(MediaType, StringComparison.OrdinalIgnoreCase));

    public static async Task HandleAsync(HttpContext http)
    {
        // Until the stream starts, problems are answered as GraphQL over HTTP answers them.
        if (await GraphQLHttpEndpoint.ReadAndExecuteAsync(http, GraphQLHttpEndpoint.GraphQLResponse) is not { } result)
        {
            return;
        }

        if (GraphQLHttpEndpoint.RefusedForAccess(result) || result.Errors?.Any(e => e is HttpMethodValidationError) == true)
        {
            await GraphQLHttpEndpoint.WriteResultAsync(http, GraphQLHttpEndpoint.GraphQLResponse, result);
            return;
        }

        await WriteAsync(http, result);
    }

    /// <summary>Streams a subscription's events, or a single result: validation errors too go inside the stream, as the protocol requires.</summary>
    private static async Task WriteAsync(HttpContext http, ExecutionResult result)
    {
        var serializer = http.RequestServices.GetRequiredService<IGraphQLTextSerializer>();
        var options = http.RequestServices.GetRequiredService<IOptions<SubscriptionOptions>>().Value;
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = $"{MediaType}; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no"; // nginx would otherwise hold events back
        var aborted = http.RequestAborted;
        if (result.Streams is not { Count: 1 } streams)
        {
            await WriteEventAsync(http, "next", serializer.Serialize(result), aborted);
            await WriteEventAsync(http, "complete", string.Empty, aborted);
            return;
        }

        // Bounded like the WebSocket send queue: a client that stops reading loses its stream rather than growing memory.
        var events = Channel.CreateBounded<ExecutionResult>(new BoundedChannelOptions(options.SendQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
        var observer = new Observer(events.Writer);
        // Subscribed before the headers go out: a client that has the response's headers misses no later event.
        using var subscription = await http.RequestServices.GetRequiredService<SubscriptionGroups>().JoinAsync(streams.Values.Single(), observer, aborted);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var user = http.User;
        var access = http.RequestServices.GetRequiredService<IAccessWatch>().WatchAsync(
            () => user,
            () => observer.End(new ExecutionError("Access changed (key revoked, or user deactivated or changed): authenticate again.") { Code = "AUTH_REVOKED" }),
            watching.Token);
        try
        {
            await http.Response.StartAsync(aborted);
            await http.Response.Body.FlushAsync(aborted);
            Task<bool>? ready = null;
            while (true)
            {
                ready ??= events.Reader.WaitToReadAsync(aborted).AsTask();
                if (await Task.WhenAny(ready, Task.Delay(options.KeepAliveInterval, aborted)) != ready)
                {
                    await WriteRawAsync(http, ": ping\n\n", aborted); // a comment: keeps proxies from timing the stream out
                    continue;
                }

                if (!await ready || observer.Overflowed)
                {
                    break;
                }

                ready = null;

                while (events.Reader.TryRead(out var next))
                {
                    await WriteNextAsync(http, SerializedResults.Get(next, serializer), aborted);
                }
            }

            await WriteEventAsync(http, "complete", string.Empty, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client closed the stream: that is how graphql-sse stops an operation.
        }
        finally
        {
            await watching.CancelAsync();
            await access;
        }
    }

    private static async Task WriteNextAsync(HttpContext http, byte[] result, CancellationToken cancellationToken)
    {
        await http.Response.Body.WriteAsync(NextPrefix, cancellationToken);
        await http.Response.Body.WriteAsync(result, cancellationToken);
        await WriteRawAsync(http, "\n\n", cancellationToken);
    }

    private static Task WriteEventAsync(HttpContext http, string name, string data, CancellationToken cancellationToken) =>
        WriteRawAsync(http, $"event: {name}\ndata: {data}\n\n", cancellationToken);

    private static async Task WriteRawAsync(HttpContext http, string text, CancellationToken cancellationToken)
    {
        await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
    }

    private sealed class Observer(ChannelWriter<ExecutionResult> writer) : IObserver<ExecutionResult>
    {
        private volatile bool _ended;

        public bool Overflowed { get; private set; }

        public void OnNext(ExecutionResult value)
        {
            // After End the writer is complete: a late event is not an overflow, and must not hide End's error.
            if (!writer.TryWrite(value) && !_ended)
            {
                Overflowed = true;
                writer.TryComplete();
            }
        }

        public void OnError(Exception error) => End(StreamErrors.ToResult(error));

        public void End(ExecutionError error) => End(new ExecutionResult { Errors = [error] });

        /// <summary>One last result with the error, then the stream's complete.</summary>
        private void End(ExecutionResult last)
        {
            _ended = true;
            writer.TryWrite(last);
            writer.TryComplete();
        }

        public void OnCompleted() => writer.TryComplete();
    }
}
