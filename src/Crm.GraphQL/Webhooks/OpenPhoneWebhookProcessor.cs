using System.Data.Common;
using Crm.Data;
using Crm.Data.Activities;
using Crm.Data.Audit;
using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Data.Events;
using Crm.Data.Monitoring;
using Crm.Data.Webhooks;
using Crm.Jobs.OpenPhone;
using Crm.Jobs.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Webhooks;

/// <summary>
/// Turns a claimed OpenPhone delivery into domain operations: one unit of work with the event's new status, whose
/// events are published after commit. The webhook workers hand it each event just stored, the retry job the due ones,
/// operators their replays, and each call that arrives the details that waited for it.
/// </summary>
internal sealed partial class OpenPhoneWebhookProcessor(
    CrmDbContext db,
    UnitOfWork work,
    WebhookInbox inbox,
    AuditLog audit,
    TimelineOperations timeline,
    ContactOperations contacts,
    SyntheticChecks synthetic,
    TimeProvider clock,
    ILogger<OpenPhoneWebhookProcessor> logger) : IWebhookEventProcessor
{
    public const int MaxAttempts = 8;

    public static readonly TimeSpan BaseDelay = TimeSpan.FromMinutes(1);

    public Task<WebhookEventStatus?> ProcessAsync(WebhookClaim claim, CancellationToken cancellationToken) =>
        ProcessAsync(claim, followUp: true, cancellationToken);

    /// <summary>
    /// Processes the event again now, whatever its state, unless someone is processing it at this moment: then the
    /// event is returned as it is, and their processing is the replay. Null when there is no such event.
    /// </summary>
    /// <exception cref="WebhookBodyNotKeptException">Retention removed the body.</exception>
    public async Task<WebhookEvent?> ReplayAsync(Guid id, Actor actor, CancellationToken cancellationToken)
    {
        var stored = await db.WebhookEvents.AsNoTracking().Where(e => e.Id == id).Select(e => new { e.EventId, Kept = e.Body != null }).FirstOrDefaultAsync(cancellationToken);
        if (stored is null)
        {
            return null;
        }

        if (!stored.Kept)
        {
            throw new WebhookBodyNotKeptException();
        }

        var eventId = stored.EventId;

        await work.RunAsync(_ =>
        {
            audit.Record(actor, "webhook.replayed", eventId);
            return Task.FromResult(Change.Of(eventId));
        }, cancellationToken);
        if (await inbox.ClaimAsync(id, clock.GetUtcNow(), condition: null, cancellationToken) is { } claim)
        {
            await ProcessAsync(claim, followUp: true, cancellationToken);
        }

        return await db.WebhookEvents.AsNoTracking().FirstAsync(e => e.Id == id, cancellationToken);
    }

    /// <summary>
    /// Processes the claimed events one after another in one unit of work: one transaction and one commit for all. True
    /// when they are all processed. False when one of them failed: then nothing of the unit is kept (no status, no
    /// failure recorded), and the caller processes each on its own, so that a failure is only its own event's.
    /// </summary>
    public async Task<bool> TryProcessTogetherAsync(IReadOnlyList<WebhookClaim> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        List<Outcome> outcomes;
        try
        {
            outcomes = await work.RunAsync(async ct =>
            {
                var done = new List<Outcome>(claims.Count);
                foreach (var claim in claims)
                {
                    done.Add(await ApplyAsync(claim, ct));
                    // Saved, not committed: the next event's reads find what this one created (a new contact or conversation).
                    await db.SaveChangesAsync(ct);
                }

                return Change.Of(done);
            }, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogTogetherFailed(logger, claims.Count, ex);
            return false;
        }

        for (var i = 0; i < claims.Count; i++)
        {
            await FinishAsync(claims[i], outcomes[i], followUp: true, cancellationToken);
        }

        return true;
    }

    /// <summary>The event's new status; null when the claim ran out and another claimant took the event over.</summary>
    private async Task<WebhookEventStatus?> ProcessAsync(WebhookClaim claim, bool followUp, CancellationToken cancellationToken)
    {
        try
        {
            Outcome outcome;
            try
            {
                outcome = await ApplyAsync(claim, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !IsClaimLost(ex))
            {
                return await RecordFailureAsync(claim, ex, cancellationToken);
            }

            await FinishAsync(claim, outcome, followUp, cancellationToken);
            return outcome.Status;
        }
        catch (Exception ex) when (IsClaimLost(ex))
        {
            // Nothing of this claim's processing (or of its failure) was kept: the new claimant's is the one.
            LogClaimLost(logger, claim.Id);
            return null;
        }
    }

    /// <summary>Read as lost (<see cref="WebhookClaim.EnsureHolds"/>), or refused on save by the event's concurrency token.</summary>
    private static bool IsClaimLost(Exception ex) =>
        ex is WebhookClaimLostException || (ex is DbUpdateConcurrencyException concurrency && concurrency.Entries.Any(e => e.Entity is WebhookEvent));

    /// <summary>The event's processing as a unit of work: its own, or a part of the caller's.</summary>
    private Task<Outcome> ApplyAsync(WebhookClaim claim, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        // A worker attaches the event as it was stored: no need to read it back.
        var webhookEvent = db.WebhookEvents.Local.FirstOrDefault(e => e.Id == claim.Id) ?? await db.WebhookEvents.FirstAsync(e => e.Id == claim.Id, ct);
        // An attached event is as the writer stored it: if the claim ran out since, the save is refused instead.
        claim.EnsureHolds(webhookEvent);
        // Marked processed first: a failure rolls it back with everything else.
        webhookEvent.Attempts++;
        webhookEvent.Status = WebhookEventStatus.Processed;
        webhookEvent.ProcessedAt = claim.At;
        webhookEvent.NextAttemptAt = null;
        webhookEvent.LastError = null;
        webhookEvent.ClaimedUntil = null;
        var dispatched = await DispatchAsync(webhookEvent, ct);
        webhookEvent.Status = dispatched.Status;
        return Change.Of(dispatched, dispatched.Events);
    }, cancellationToken);

    /// <summary>After the commit: the outcome counted, and the details that waited for a call now on a timeline.</summary>
    private async Task FinishAsync(WebhookClaim claim, Outcome outcome, bool followUp, CancellationToken cancellationToken)
    {
        WebhookMetrics.Outcomes.Add(1, new KeyValuePair<string, object?>("status", outcome.Status.ToString()));
        if (followUp && outcome.KnownCallId is { } callId)
        {
            await ProcessWaitingDetailsAsync(callId, claim.At, cancellationToken);
        }
    }

    /// <summary>What a delivery did; its timeline and contact operations hand their own events to the unit of work.</summary>
    private async Task<Outcome> DispatchAsync(WebhookEvent webhookEvent, CancellationToken cancellationToken)
    {
        // A body removed by retention belongs to an event that was processed: none is claimed again (replay refuses it).
        if (webhookEvent.Body is not { } body || !OpenPhonePayload.TryParse(body, webhookEvent.EventId, out var payload))
        {
            throw new InvalidDataException("The body is not an OpenPhone event envelope.");
        }

        switch (payload.Type)
        {
            case "message.received":
                var received = payload.ToMessage(ActivityDirection.Incoming);
                if (SyntheticChecks.TryRead(received.Body, out var check))
                {
                    // The synthetic check's text on the test line: proof the webhook works, not a customer's message.
                    return await synthetic.ArrivedAsync(check, webhookEvent.ReceivedAt, cancellationToken) ? Outcome.Processed : Outcome.Ignored;
                }

                await timeline.RecordMessageAsync(received, cancellationToken);
                return Outcome.Processed;
            case "message.delivered":
                var delivered = payload.ToMessage(ActivityDirection.Outgoing);
                if (SyntheticChecks.TryRead(delivered.Body, out _))
                {
                    return Outcome.Ignored;
                }

                await timeline.UpdateMessageStatusAsync(delivered, cancellationToken);
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
                return Outcome.Ignored;
        }
    }

    /// <summary>Summaries and transcripts that came before their call waited as failed events: the call is here now.</summary>
    private async Task ProcessWaitingDetailsAsync(string callId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var waiting = await db.WebhookEvents.AsNoTracking()
            .Where(e => e.Status == WebhookEventStatus.Failed && e.CallOpenPhoneId == callId)
            .Select(e => e.Id)
            .ToListAsync(cancellationToken);
        foreach (var id in waiting)
        {
            if (await inbox.ClaimAsync(id, now, e => e.Status == WebhookEventStatus.Failed, cancellationToken) is { } claim)
            {
                await ProcessAsync(claim, followUp: false, cancellationToken);
            }
        }
    }

    /// <summary>Failed (or dead after <see cref="MaxAttempts"/>), with the next attempt after a backoff; and the claim ends.</summary>
    /// <remarks>When even this fails, the exception goes to the caller: nothing it can answer may claim the event is safe.</remarks>
    private async Task<WebhookEventStatus> RecordFailureAsync(WebhookClaim claim, Exception error, CancellationToken cancellationToken)
    {
        var failed = await work.RunAsync(async ct =>
        {
            var webhookEvent = await db.WebhookEvents.FirstAsync(e => e.Id == claim.Id, ct);
            claim.EnsureHolds(webhookEvent);
            webhookEvent.Attempts++;
            var dead = webhookEvent.Attempts >= MaxAttempts;
            webhookEvent.Status = dead ? WebhookEventStatus.Dead : WebhookEventStatus.Failed;
            webhookEvent.NextAttemptAt = dead ? null : claim.At + (BaseDelay * Math.Pow(2, webhookEvent.Attempts - 1));
            webhookEvent.ClaimedUntil = null;
            var message = $"{error.GetType().Name}: {error.Message}";
            webhookEvent.LastError = message.Length <= 2000 ? message : message[..2000];
            return Change.Of(webhookEvent);
        }, cancellationToken);

        WebhookMetrics.Outcomes.Add(1, new KeyValuePair<string, object?>("status", failed.Status.ToString()));
        if (error is CallNotKnownYetException)
        {
            LogWaitingForCall(logger, failed.EventId, failed.Type);
        }
        else
        {
            // The stack only where it tells something: a refusal's message is enough (and may quote a caller's phone
            // number), and the unit of work has logged a database failure with its own.
            var stack = error is DomainException or InvalidDataException or DbException or DbUpdateException ? null : error;
            LogProcessingFailed(logger, failed.EventId, failed.Type, failed.Attempts, failed.Status, error.GetType().Name, stack);
        }

        return failed.Status;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook event {EventId} ({Type}) failed on attempt {Attempts} with {Error}, now {Status}")]
    private static partial void LogProcessingFailed(ILogger logger, string eventId, string type, int attempts, WebhookEventStatus status, string error, Exception? exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Count} webhook events processed together failed; each is processed on its own")]
    private static partial void LogTogetherFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook event {Id} was taken over by another claimant after this claim ran out; it was not processed here")]
    private static partial void LogClaimLost(ILogger logger, Guid id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook event {EventId} ({Type}) waits for its call to arrive")]
    private static partial void LogWaitingForCall(ILogger logger, string eventId, string type);

    /// <summary>Events: those the processor itself announces (a ringing call); KnownCallId: a call now on a timeline.</summary>
    private sealed record Outcome(WebhookEventStatus Status, IReadOnlyList<CrmEvent> Events, string? KnownCallId)
    {
        public static Outcome Processed { get; } = new(WebhookEventStatus.Processed, [], null);

        public static Outcome Ignored { get; } = new(WebhookEventStatus.Ignored, [], null);
    }
}
