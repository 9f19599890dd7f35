using System.Threading.Channels;
using Crm.Data;
using Crm.Data.Webhooks;
using Microsoft.Extensions.Options;

namespace Crm.GraphQL.Webhooks;

/// <summary>
/// Group commit for webhook deliveries. Requests hand their verified event to one writer, which stores whatever has
/// arrived in one transaction with one synchronous commit and only then lets each request answer. New events then
/// go to a small pool of workers that process them after the answer: events with the same
/// <see cref="Crm.Jobs.OpenPhone.OpenPhonePayload.OrderKey"/> always go to the same worker, so they apply in the order
/// they came. A worker processes the events waiting for it in one transaction with one commit, and each on its own
/// when one of them fails.
/// </summary>
/// <remarks>
/// Nothing here is the only copy: a stored event that no worker finishes (the process died, processing failed
/// and so did recording the failure) keeps the claim it was stored with until
/// <see cref="WebhookInbox.UnprocessedGrace"/> runs out, then the retry job processes it. So does one that waits in a
/// worker's queue for longer: the worker's claim has run out by then and can no longer write it (a fencing token, see
/// <see cref="WebhookClaim"/>), so it is processed once, by the retry job. Processing commits do not
/// wait for their WAL flush (<see cref="UnitOfWork.WaitForFlush"/>), because a crash that takes one back leaves the
/// event to that same retry. The queues are bounded: when workers fall behind, the writer waits, so requests are
/// answered more slowly rather than memory growing.
/// </remarks>
internal sealed partial class WebhookIngestion : BackgroundService
{
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<WebhookIngestion> _logger;
    private readonly int _batchSize;
    private readonly int _processingBatchSize;
    private readonly Channel<Arrival> _arrivals;
    private readonly Channel<Arrival>[] _workers;
    private long _outstanding;

    public WebhookIngestion(IServiceScopeFactory scopes, IOptions<OpenPhoneWebhookOptions> options, ILogger<WebhookIngestion> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _scopes = scopes;
        _logger = logger;
        var settings = options.Value;
        _batchSize = settings.WebhookBatchSize;
        _processingBatchSize = settings.WebhookProcessingBatchSize;
        _arrivals = Channel.CreateBounded<Arrival>(new BoundedChannelOptions(settings.WebhookQueueCapacity) { SingleReader = true });
        var perWorker = Math.Max(1, settings.WebhookQueueCapacity / settings.WebhookWorkers);
        _workers = [.. Enumerable.Range(0, settings.WebhookWorkers)
            .Select(_ => Channel.CreateBounded<Arrival>(new BoundedChannelOptions(perWorker) { SingleReader = true, SingleWriter = true }))];
    }

    /// <summary>Stores the event with the next batch; true when it is new, false for a redelivery. Database failures propagate.</summary>
    public async Task<bool> StoreAsync(WebhookEvent webhookEvent, string orderKey, CancellationToken cancellationToken)
    {
        var arrival = new Arrival(webhookEvent, orderKey);
        Interlocked.Increment(ref _outstanding);
        try
        {
            await _arrivals.Writer.WriteAsync(arrival, cancellationToken);
        }
        catch
        {
            Done();
            throw;
        }

        // A sender that hangs up stops waiting, not the batch: its event is stored (or not) with the others.
        return await arrival.Stored.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Completes when every event handed in so far is stored and processed (or left to the retry job).</summary>
    public async Task WhenIdleAsync(CancellationToken cancellationToken)
    {
        while (Interlocked.Read(ref _outstanding) > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll([WriteAsync(), .. _workers.Select(w => ProcessAsync(w.Reader))]);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Drain rather than drop: what is queued is finished while the host allows; the rest is the retry job's.
        _arrivals.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task WriteAsync()
    {
        var batch = new List<Arrival>(_batchSize);
        var reader = _arrivals.Reader;
        while (await reader.WaitToReadAsync())
        {
            // No timer: whatever arrived while the previous batch committed is the next batch.
            while (batch.Count < _batchSize && reader.TryRead(out var arrival))
            {
                batch.Add(arrival);
            }

            await WriteBatchAsync(batch);
            batch.Clear();
        }

        foreach (var worker in _workers)
        {
            worker.Writer.TryComplete();
        }
    }

    private async Task WriteBatchAsync(List<Arrival> batch)
    {
        IReadOnlyList<WebhookClaim?> claims;
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            claims = await scope.ServiceProvider.GetRequiredService<WebhookInbox>().StoreAsync([.. batch.Select(a => a.Event)], CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogBatchFailed(_logger, batch.Count, ex);
            foreach (var arrival in batch)
            {
                arrival.Stored.TrySetException(ex);
                Done();
            }

            return;
        }

        WebhookMetrics.BatchSize.Record(batch.Count);
        // Every request of the batch is answered first: a full worker queue then delays the next batch, not this one's answers.
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Stored.TrySetResult(claims[i] is not null);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var arrival = batch[i];
            if (claims[i] is { } claim)
            {
                await _workers[(arrival.OrderKey.GetHashCode(StringComparison.Ordinal) & int.MaxValue) % _workers.Length].Writer.WriteAsync(arrival with { Claim = claim });
            }
            else
            {
                Done();
            }
        }
    }

    private async Task ProcessAsync(ChannelReader<Arrival> queue)
    {
        var batch = new List<Arrival>(_processingBatchSize);
        while (await queue.WaitToReadAsync())
        {
            // No timer here either: what waits is processed together; one event alone is processed at once.
            while (batch.Count < _processingBatchSize && queue.TryRead(out var arrival))
            {
                batch.Add(arrival);
            }

            try
            {
                if (batch.Count == 1 || !await ProcessTogetherAsync(batch))
                {
                    // After a failed unit the events it attached are changed: each is read again as stored.
                    foreach (var arrival in batch)
                    {
                        await ProcessOneAsync(arrival, attach: batch.Count == 1);
                    }
                }
            }
            finally
            {
                foreach (var _ in batch)
                {
                    Done();
                }

                batch.Clear();
            }
        }
    }

    /// <summary>One transaction and one commit for a worker's waiting events; false when one failed and none was kept.</summary>
    private async Task<bool> ProcessTogetherAsync(List<Arrival> batch)
    {
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var services = Prepare(scope, batch);
            return await services.GetRequiredService<OpenPhoneWebhookProcessor>().TryProcessTogetherAsync([.. batch.Select(a => a.Claim!)], CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Only what runs after the unit can fail here (a call's waiting details): the batch is committed, or
            // its events keep their claims for the retry job. Either way none is processed again now.
            LogProcessingDeferred(_logger, batch[0].Event.EventId, ex);
            return true;
        }
    }

    private async Task ProcessOneAsync(Arrival arrival, bool attach)
    {
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var services = Prepare(scope, attach ? [arrival] : []);
            await services.GetRequiredService<OpenPhoneWebhookProcessor>().ProcessAsync(arrival.Claim!, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Neither the processing nor its failure committed: the event keeps its claim, then the retry job takes it.
            LogProcessingDeferred(_logger, arrival.Event.EventId, ex);
        }
    }

    private static IServiceProvider Prepare(AsyncServiceScope scope, List<Arrival> attached)
    {
        var services = scope.ServiceProvider;
        services.GetRequiredService<UnitOfWork>().WaitForFlush = false;
        // The rows as the writer stored them: the processor finds them here instead of reading them back.
        services.GetRequiredService<CrmDbContext>().WebhookEvents.AttachRange(attached.Select(a => a.Event));
        return services;
    }

    private void Done() => Interlocked.Decrement(ref _outstanding);

    private sealed record Arrival(WebhookEvent Event, string OrderKey)
    {
        public TaskCompletionSource<bool> Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public WebhookClaim? Claim { get; init; }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A batch of {Count} webhook events could not be stored; each was answered 503 so OpenPhone retries")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook event {EventId} is stored but the database failed during processing and recording the failure; the retry job will process it")]
    private static partial void LogProcessingDeferred(ILogger logger, string eventId, Exception exception);
}
