using Crm.Data;
using Crm.Data.Activities;
using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Data.Events;
using Crm.Data.Webhooks;
using Crm.Jobs.OpenPhone;
using Crm.Jobs.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Webhooks;

/// <summary>
/// Turns a stored OpenPhone delivery into domain operations: one unit of work with the event's new status, whose
/// events are published after commit. Used by the endpoint (right after storing), the retry job and the operators'
/// replay.
/// </summary>
internal sealed partial class OpenPhoneWebhookProcessor(
    CrmDbContext db,
    UnitOfWork work,
    TimelineOperations timeline,
    ContactOperations contacts,
    TimeProvider clock,
    ILogger<OpenPhoneWebhookProcessor> logger) : IWebhookEventProcessor
{
    public const int MaxAttempts = 8;
    public const int RetryBatchSize = 100;

    public static readonly TimeSpan BaseDelay = TimeSpan.FromMinutes(1);

    /// <summary>How long a retry job's claim on an event holds before another instance may take it.</summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(5);

    private static readonly string[] CallDetailTypes = ["call.recording.completed", "call.summary.completed", "call.transcript.completed", "callSummary", "callTranscript"];

    public Task<WebhookEventStatus?> ProcessAsync(Guid id, CancellationToken cancellationToken) =>
        ProcessAsync(id, clock.GetUtcNow(), followUp: true, cancellationToken);

    /// <summary>Retries every due event (failed, or stored and never processed); returns how many it processed.</summary>
    /// <remarks>
    /// Claims each row with a conditional update that moves its next attempt by a lease, so instances running this
    /// at the same time never process one event twice; on both providers, without holding locks while processing.
    /// </remarks>
    public async Task<int> RetryDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var due = await db.WebhookEvents.AsNoTracking()
            .Where(e => (e.Status == WebhookEventStatus.Failed || e.Status == WebhookEventStatus.Received) && e.NextAttemptAt <= now)
            .OrderBy(e => e.NextAttemptAt)
            .Select(e => new { e.Id, e.NextAttemptAt })
            .Take(RetryBatchSize)
            .ToListAsync(cancellationToken);

        var processed = 0;
        foreach (var row in due)
        {
            var lease = now + ClaimLease;
            var claimed = await db.WebhookEvents
                .Where(e => e.Id == row.Id && e.NextAttemptAt == row.NextAttemptAt)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.NextAttemptAt, lease), cancellationToken);
            if (claimed == 1)
            {
                await ProcessAsync(row.Id, now, followUp: true, cancellationToken);
                processed++;
            }
        }

        return processed;
    }

    private async Task<WebhookEventStatus?> ProcessAsync(Guid id, DateTimeOffset now, bool followUp, CancellationToken cancellationToken)
    {
        Outcome? outcome;
        try
        {
            outcome = await work.RunAsync(async ct =>
            {
                // The endpoint stored the event through this scope's context a moment ago: no need to read it back.
                var webhookEvent = db.WebhookEvents.Local.FirstOrDefault(e => e.Id == id) ?? await db.WebhookEvents.FirstOrDefaultAsync(e => e.Id == id, ct);
                if (webhookEvent is null)
                {
                    return Change.Of<Outcome?>(null);
                }

                // Marked processed first: a failure rolls it back with everything else.
                webhookEvent.Attempts++;
                webhookEvent.Status = WebhookEventStatus.Processed;
                webhookEvent.ProcessedAt = now;
                webhookEvent.NextAttemptAt = null;
                webhookEvent.LastError = null;
                var dispatched = await DispatchAsync(webhookEvent, ct);
                webhookEvent.Status = dispatched.Status;
                return Change.Of<Outcome?>(dispatched, dispatched.Events);
            }, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return await MarkFailedAsync(id, now, ex, cancellationToken);
        }

        if (outcome is null)
        {
            return null;
        }

        WebhookMetrics.Outcomes.Add(1, new KeyValuePair<string, object?>("status", outcome.Status.ToString()));
        if (followUp && outcome.KnownCallId is { } callId)
        {
            await ProcessWaitingDetailsAsync(callId, now, cancellationToken);
        }

        return outcome.Status;
    }

    /// <summary>What a delivery did; its timeline and contact operations hand their own events to the unit of work.</summary>
    private async Task<Outcome> DispatchAsync(WebhookEvent webhookEvent, CancellationToken cancellationToken)
    {
        if (!OpenPhonePayload.TryParse(webhookEvent.Body, webhookEvent.EventId, out var payload))
        {
            throw new InvalidDataException("The body is not an OpenPhone event envelope.");
        }

        switch (payload.Type)
        {
            case "message.received":
                await timeline.RecordMessageAsync(payload.ToMessage(ActivityDirection.Incoming), cancellationToken);
                return Outcome.Processed;
            case "message.delivered":
                await timeline.UpdateMessageStatusAsync(payload.ToMessage(ActivityDirection.Outgoing), cancellationToken);
                return Outcome.Processed;
            case "call.ringing":
                var ringing = payload.ToRinging();
                if (ringing.Direction == ActivityDirection.Outgoing)
                {
                    return Outcome.Processed;
                }

                var caller = await timeline.IdentifyCallerAsync(ringing.CallId, ringing.From, ringing.LineOpenPhoneId, cancellationToken);
                return Outcome.Processed with { Events = [caller] };
            case "call.completed":
                var call = await timeline.RecordCallAsync(payload.ToCall(ActivityDirection.Incoming), cancellationToken);
                return Outcome.Processed with { KnownCallId = call.OpenPhoneId };
            case "call.recording.completed" or "call.summary.completed" or "call.transcript.completed":
                var details = payload.ToCallDetails();
                await timeline.AttachCallDetailsAsync(details, cancellationToken);
                return Outcome.Processed with { KnownCallId = details.Call is null ? null : details.CallOpenPhoneId };
            case "contact.updated":
                await contacts.SyncFromOpenPhoneAsync(payload.ToContact(), cancellationToken);
                return Outcome.Processed;
            case "contact.deleted":
                await contacts.UnlinkOpenPhoneContactAsync(payload.ContactId, cancellationToken);
                return Outcome.Processed;
            default:
                return Outcome.Processed with { Status = WebhookEventStatus.Ignored };
        }
    }

    /// <summary>Summaries and transcripts that came before their call waited as failed events: the call is here now.</summary>
    private async Task ProcessWaitingDetailsAsync(string callId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var waiting = await db.WebhookEvents.AsNoTracking()
            .Where(e => e.Status == WebhookEventStatus.Failed && CallDetailTypes.Contains(e.Type) && e.Body.Contains(callId))
            .Select(e => e.Id)
            .ToListAsync(cancellationToken);
        foreach (var id in waiting)
        {
            await ProcessAsync(id, now, followUp: false, cancellationToken);
        }
    }

    private async Task<WebhookEventStatus?> MarkFailedAsync(Guid id, DateTimeOffset now, Exception error, CancellationToken cancellationToken)
    {
        try
        {
            db.ChangeTracker.Clear();
            var webhookEvent = await db.WebhookEvents.FirstAsync(e => e.Id == id, cancellationToken);
            webhookEvent.Attempts++;
            var dead = webhookEvent.Attempts >= MaxAttempts;
            webhookEvent.Status = dead ? WebhookEventStatus.Dead : WebhookEventStatus.Failed;
            webhookEvent.NextAttemptAt = dead ? null : now + (BaseDelay * Math.Pow(2, webhookEvent.Attempts - 1));
            var message = $"{error.GetType().Name}: {error.Message}";
            webhookEvent.LastError = message.Length <= 2000 ? message : message[..2000];
            await db.SaveChangesAsync(cancellationToken);
            WebhookMetrics.Outcomes.Add(1, new KeyValuePair<string, object?>("status", webhookEvent.Status.ToString()));
            if (error is CallNotKnownYetException)
            {
                LogWaitingForCall(logger, webhookEvent.EventId, webhookEvent.Type);
            }
            else
            {
                LogProcessingFailed(logger, webhookEvent.EventId, webhookEvent.Type, webhookEvent.Attempts, webhookEvent.Status, error);
            }

            return webhookEvent.Status;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The event stays as it was (received or failed, with a next attempt): the retry job takes it up later.
            LogCouldNotRecordFailure(logger, id, ex);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook event {EventId} ({Type}) failed on attempt {Attempts}, now {Status}")]
    private static partial void LogProcessingFailed(ILogger logger, string eventId, string type, int attempts, WebhookEventStatus status, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook event {EventId} ({Type}) waits for its call to arrive")]
    private static partial void LogWaitingForCall(ILogger logger, string eventId, string type);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record the failure of webhook event {Id}; the retry job will take it up")]
    private static partial void LogCouldNotRecordFailure(ILogger logger, Guid id, Exception exception);

    /// <summary>Events: those the processor itself announces (a ringing call); KnownCallId: a call now on a timeline.</summary>
    private sealed record Outcome(WebhookEventStatus Status, IReadOnlyList<CrmEvent> Events, string? KnownCallId)
    {
        public static Outcome Processed { get; } = new(WebhookEventStatus.Processed, [], null);
    }
}
