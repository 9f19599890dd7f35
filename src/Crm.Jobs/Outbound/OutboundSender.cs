using Crm.Data;
using Crm.Data.Events;
using Crm.Data.Outbound;
using Crm.Jobs.OpenPhone;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Jobs.Outbound;

/// <summary>
/// Drains the outbox through OpenPhone: each worker claims one due text, waits for its turn of the shared pace, makes
/// the request and records the outcome. It sleeps until woken by an enqueue (<see cref="OutboundSignal"/>), by the
/// sweep job, or until the next retry falls due.
/// </summary>
/// <remarks>
/// A text whose request may have reached OpenPhone without an answer (or whose claimer died) is looked for among the
/// recipient's messages created since its first send before it is sent again: OpenPhone has no idempotency key.
/// </remarks>
public sealed partial class OutboundSender(
    IServiceScopeFactory scopes,
    OutboundSignal signal,
    IEventBus bus,
    IOptions<SenderOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<OutboundSender> logger) : BackgroundService
{
    /// <summary>Reconciliation looks this far before the first send: OpenPhone's clock is not ours.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(2);

    private readonly SenderOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Once the server listens: the embedded simulator's address is known only then.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_options.Workers is not > 0)
        {
            return;
        }

        var workers = Enumerable.Range(0, _options.Workers.Value).Select(_ => Task.Run(() => WorkAsync(stoppingToken), stoppingToken));
        await Task.WhenAll([.. workers, ListenAsync(stoppingToken)]);
    }

    /// <summary>A text queued on any instance wakes this one's workers: the bus carries it (through Redis across instances).</summary>
    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var _ in bus.SubscribeAsync(OutboxQueued.TopicName, stoppingToken))
                {
                    signal.Wake();
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Dropped for falling behind, or the bus failed: a wake now finds whatever was missed.
                LogListenFailed(logger, ex);
                signal.Wake();
                await Task.Delay(_options.RetryDelay, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var woken = signal.Next;
            DateTimeOffset? nextDue;
            try
            {
                nextDue = await SendNextAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database or a bug: the claim's lease brings the text back; this worker pauses rather than spins.
                LogWorkerFailed(logger, ex);
                nextDue = clock.GetUtcNow() + _options.RetryDelay;
            }

            var now = clock.GetUtcNow();
            if (nextDue is { } due && due <= now)
            {
                continue;
            }

            // The timer is cancelled once woken, so idle waits leave nothing behind; it ends on stop too. WhenAny never
            // throws, and the loop sees the stop.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var timer = nextDue is { } later ? Task.Delay(later - now, clock, wait.Token) : Task.Delay(Timeout.Infinite, wait.Token);
            await Task.WhenAny(woken, timer);
            await wait.CancelAsync();
        }
    }

    /// <summary>Sends one text if one is due; when to look again (now, after work; null: when woken).</summary>
    internal async Task<DateTimeOffset?> SendNextAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var outbound = scope.ServiceProvider.GetRequiredService<OutboundOperations>();
        var (claim, nextDue) = await outbound.ClaimNextAsync(_options.Lease, cancellationToken);
        if (claim is null)
        {
            return nextDue;
        }

        var client = scope.ServiceProvider.GetRequiredService<OpenPhoneClient>();
        if (claim.Reconcile && await ReconcileAsync(outbound, client, claim, cancellationToken))
        {
            return nextDue;
        }

        // The client waits for this request's turn of the shared pace after the gate: at most a second or so later.
        if (!await outbound.BeginSendAsync(claim, _options.MaxAttempts, cancellationToken))
        {
            return nextDue;
        }

        var sent = await client.SendMessageAsync(new OpenPhoneSendMessage(claim.Body, claim.LineOpenPhoneId, [claim.ToNumber]), cancellationToken);
        if (sent.Succeeded)
        {
            await outbound.RecordSentAsync(claim.ActivityId, sent.Value.Id, attempted: true, cancellationToken);
            Count("sent");
            return nextDue;
        }

        var error = sent.Error;
        if (error.Status == 429 || error.Transient || error.MayHaveLanded)
        {
            var delay = error.Status == 429 && error.RetryAfter is { } after && after > TimeSpan.Zero ? after : Backoff(claim.Attempts + 1);
            var attempted = error.Code != OpenPhoneError.CircuitOpenCode;
            await outbound.RescheduleAsync(claim, Describe(error), delay, error.MayHaveLanded, attempted, cancellationToken);
            Count("retried");
            LogRetrying(logger, claim.ActivityId, error.Status, delay);
        }
        else
        {
            await outbound.FailAsync(claim, "OpenPhone refused it: " + Describe(error), cancellationToken);
            Count("failed");
            LogFailed(logger, claim.ActivityId, error.Status, error.Code);
        }

        return nextDue;
    }

    /// <summary>
    /// True when the text's fate is settled without sending: OpenPhone has it (SENT with its id), or OpenPhone could not be
    /// asked (queued again to ask later). False: it is not there, and may be sent.
    /// </summary>
    private async Task<bool> ReconcileAsync(OutboundOperations outbound, OpenPhoneClient client, OutboundClaim claim, CancellationToken cancellationToken)
    {
        var query = new OpenPhoneMessageQuery(claim.LineOpenPhoneId, [claim.ToNumber]) { CreatedAfter = claim.FirstSendAt - ClockSkew };
        await foreach (var page in OpenPhoneClient.PagesAsync(query, client.ListMessagesAsync, cancellationToken))
        {
            if (!page.Succeeded)
            {
                await outbound.RescheduleAsync(claim, "Could not check with OpenPhone whether it was sent: " + Describe(page.Error), Backoff(claim.Attempts + 1), maybeSent: false, attempted: false, cancellationToken);
                return true;
            }

            var candidates = page.Value.Data
                .Where(m => (m.Direction is null or "outgoing") && string.Equals(m.Text, claim.Body, StringComparison.Ordinal))
                .Select(m => m.Id).ToList();
            if (await outbound.UnrecordedAsync(candidates, cancellationToken) is { } found)
            {
                await outbound.RecordSentAsync(claim.ActivityId, found, attempted: false, cancellationToken);
                Count("reconciled");
                LogReconciled(logger, claim.ActivityId);
                return true;
            }
        }

        return false;
    }

    private static void Count(string outcome) => CrmMetrics.OutboundSends.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Doubling from <see cref="SenderOptions.RetryDelay"/>, capped, with ±20% jitter so retries of a burst spread out.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var doubled = _options.RetryDelay.TotalSeconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 16));
        var capped = Math.Min(doubled, _options.MaxRetryDelay.TotalSeconds);
        return TimeSpan.FromSeconds(capped * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    /// <summary>OpenPhone's words for the failure: never the text's body or the number, which its messages do not contain.</summary>
    private static string Describe(OpenPhoneError error)
    {
        var status = error.Status == 0 ? string.Empty : $"{error.Status} ";
        var fields = error.Errors.Count == 0 ? string.Empty : " (" + string.Join("; ", error.Errors.Select(e => $"{e.Path}: {e.Message}")) + ")";
        return $"{status}{error.Message}{fields}";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbound text {ActivityId} will be retried after {Status} in {Delay}")]
    private static partial void LogRetrying(ILogger logger, Guid activityId, int status, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbound text {ActivityId} failed permanently: {Status} {Code}")]
    private static partial void LogFailed(ILogger logger, Guid activityId, int status, string? code);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbound text {ActivityId} was found at OpenPhone and recorded as sent, not sent again")]
    private static partial void LogReconciled(ILogger logger, Guid activityId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The outbound sender stopped hearing of queued texts; listening again")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The outbound sender failed; the text's lease brings it back")]
    private static partial void LogWorkerFailed(ILogger logger, Exception exception);
}
