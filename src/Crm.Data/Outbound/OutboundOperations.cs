using Crm.Data.Activities;
using Crm.Data.Compliance;
using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Data.Events;
using Crm.Data.PhoneNumbers;
using Crm.Data.Phones;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Data.Outbound;

/// <summary>A text to send: to a conversation, or to a contact on a line (named, the default, or the only one); not before <c>NotBefore</c> (a campaign's turn).</summary>
public sealed record SendRequest(
    Guid? ConversationId,
    Guid? ContactId,
    Guid? PhoneNumberId,
    string? Body,
    string? IdempotencyKey,
    OutboundPriority Priority = OutboundPriority.Staff,
    SendPurpose Purpose = SendPurpose.Conversation,
    bool ConsentAttested = false,
    DateTimeOffset? NotBefore = null);

/// <summary>A claimed text: the claimer's to send until <c>LeaseUntil</c>; <see cref="Token"/> fences a claimer whose lease ran out.</summary>
public sealed record OutboundClaim(
    Guid ActivityId,
    Guid Token,
    Guid ContactId,
    string LineOpenPhoneId,
    string ToNumber,
    string Body,
    bool Reconcile,
    DateTimeOffset FirstSendAt,
    int Attempts);

/// <summary>A claim, or when the next text falls due (null: nothing is waiting).</summary>
public sealed record ClaimResult(OutboundClaim? Claim, DateTimeOffset? NextDueAt);

/// <summary>
/// The outbound pipe's state changes: enqueue (with the send gate), claim, and each outcome of a send. The sender in
/// Crm.Jobs makes the HTTP requests between them; every change is one unit of work and publishes
/// <c>activityUpdated</c> (and <c>conversationUpdated</c> when the inbox row moves).
/// </summary>
/// <remarks>
/// Nothing is sent twice: a text is claimed by one sender at a time (row locks, <c>SKIP LOCKED</c>, a lease and a
/// token), and once a request may have reached OpenPhone without our learning its id, the next claim reconciles
/// against OpenPhone before sending again.
/// </remarks>
public sealed class OutboundOperations(
    CrmDbContext db, UnitOfWork work, TimeProvider clock, SendGate gate, OutboundSignal signal, IOptions<OutboundOptions> options, IOptions<ComplianceOptions> compliance)
{
    /// <summary>
    /// Creates the QUEUED activity and its outbox row in one transaction, through the send gate (a deferred text is queued
    /// for its allowed time), and wakes the senders once committed; returns at once.
    /// </summary>
    public async Task<Activity> EnqueueAsync(SendRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = request.Body is { } given && compliance.Value.ReplaceLookalikes ? SmsSegments.ToGsm(given) : request.Body;
        if (string.IsNullOrWhiteSpace(body))
        {
            throw new EmptyMessageException();
        }

        if (body.Length > OutboundOptions.MaxBodyLength)
        {
            throw new MessageTooLongException(body.Length, OutboundOptions.MaxBodyLength);
        }

        var queued = await work.RunAsync(async ct =>
        {
            if (request.IdempotencyKey is { } key
                && await db.OutboundMessages.Where(o => o.IdempotencyKey == key).Select(o => (Guid?)o.ActivityId).FirstOrDefaultAsync(ct) is { } first)
            {
                return Change.Of(await db.Activities.AsNoTracking().FirstAsync(a => a.Id == first, ct));
            }

            var (conversation, contact, line) = await ResolveAsync(request, ct);
            var decision = await gate.DecideAsync(contact, request.Purpose, request.ConsentAttested, null, ct);
            if (decision.Verdict == GateVerdict.Refuse)
            {
                throw decision.Refusal(contact);
            }

            var now = clock.GetUtcNow();
            var activity = new Activity
            {
                ConversationId = conversation.Id,
                ContactId = contact.Id,
                Kind = ActivityKind.Message,
                Direction = ActivityDirection.Outgoing,
                Body = body,
                FromNumber = line.Number,
                ToNumbers = [contact.Phone!],
                OccurredAt = now,
                CreatedAt = now,
                OutboundStatus = MessageStatus.Queued,
                QueuedAt = now,
                GateNote = Truncate(decision.Note),
                Segments = SmsSegments.Count(body, 0).Segments,
            };
            db.Activities.Add(activity);
            db.OutboundMessages.Add(new OutboundMessage
            {
                ActivityId = activity.Id,
                State = OutboundState.Queued,
                Priority = request.Priority,
                Purpose = request.Purpose,
                ConsentAttested = request.ConsentAttested,
                LineOpenPhoneId = line.OpenPhoneId,
                ToNumber = contact.Phone!,
                IdempotencyKey = request.IdempotencyKey,
                NextAttemptAt = Latest(decision.DeferUntil ?? now, request.NotBefore ?? now),
                CreatedAt = now,
            });
            TimelineOperations.ApplyToConversation(conversation, activity, created: true, attentionBefore: false);
            return Change.Of(activity, new ActivityUpdated(activity.Id, conversation.Id), new ConversationUpdated(conversation.Id), new OutboxQueued(activity.Id));
        }, cancellationToken);
        // This instance's workers at once; OutboxQueued, after the commit, reaches the others (and this one, when an
        // outer unit is still to commit).
        signal.Wake();
        return queued;
    }

    /// <summary>
    /// Claims the next due text, staff before bulk: a queued one, or one whose claimer's lease ran out (it crashed, or
    /// hangs), which must then be reconciled before it is sent again.
    /// </summary>
    public Task<ClaimResult> ClaimNextAsync(TimeSpan lease, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var now = clock.GetUtcNow();
        var row = await db.OutboundMessages.ForUpdateSkipLocked()
            .Where(o => (o.State == OutboundState.Queued && o.NextAttemptAt <= now) || (o.State == OutboundState.Sending && o.LeaseUntil < now))
            .OrderBy(o => o.Priority).ThenBy(o => o.NextAttemptAt)
            .FirstOrDefaultAsync(ct);
        if (row is null)
        {
            return Change.Of(new ClaimResult(null, await NextDueAsync(ct)));
        }

        var activity = await db.Activities.ForUpdate().FirstAsync(a => a.Id == row.ActivityId, ct);
        var reconcile = row.State == OutboundState.Sending || row.MaybeSent;
        var token = Guid.NewGuid();
        row.State = OutboundState.Sending;
        row.ClaimToken = token;
        row.LeaseUntil = now + lease;
        row.FirstSendAt ??= now;
        activity.OutboundStatus = MessageStatus.Sending;
        var claim = new OutboundClaim(activity.Id, token, activity.ContactId, row.LineOpenPhoneId, row.ToNumber, activity.Body ?? string.Empty, reconcile, row.FirstSendAt.Value, row.Attempts);
        return Change.Of(new ClaimResult(claim, now), new ActivityUpdated(activity.Id, activity.ConversationId));
    }, cancellationToken);

    /// <summary>
    /// The gate again, just before the HTTP request. False when the text must not be sent: the contact opted out since it
    /// was queued (SKIPPED), it ran out of attempts (FAILED), or the claim is no longer ours.
    /// </summary>
    public Task<bool> BeginSendAsync(OutboundClaim claim, int maxAttempts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return work.RunAsync(async ct =>
        {
            if (await OwnedAsync(claim, ct) is not ({ } row, { } activity))
            {
                return Change.Of(false);
            }

            var contact = await db.Contacts.AsNoTracking().FirstAsync(c => c.Id == claim.ContactId, ct);
            var decision = await gate.DecideAsync(contact, row.Purpose, row.ConsentAttested, activity.Id, ct);
            if (decision.Verdict == GateVerdict.Refuse)
            {
                return new Change<bool>(false, Finish(row, activity, MessageStatus.Skipped, string.Join(" ", decision.Reasons)));
            }

            if (decision.Verdict == GateVerdict.Defer)
            {
                Requeue(row, activity, decision.DeferUntil!.Value);
                activity.GateNote = Truncate(decision.Note);
                return Change.Of(false, new ActivityUpdated(activity.Id, activity.ConversationId));
            }

            if (row.Attempts >= maxAttempts)
            {
                return new Change<bool>(false, Finish(row, activity, MessageStatus.Failed, $"OpenPhone did not accept it after {row.Attempts} attempts. Last error: {row.LastError}"));
            }

            return Change.Of(true);
        }, cancellationToken);
    }

    /// <summary>
    /// OpenPhone accepted it (<paramref name="attempted"/>: this request), or reconciliation found it there: SENT with
    /// OpenPhone's id, whoever holds the claim.
    /// </summary>
    public Task RecordSentAsync(Guid activityId, string openPhoneId, bool attempted, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var row = await db.OutboundMessages.ForUpdate().FirstAsync(o => o.ActivityId == activityId, ct);
        var activity = await db.Activities.ForUpdate().FirstAsync(a => a.Id == activityId, ct);
        activity.OpenPhoneId ??= openPhoneId;
        row.Attempts += attempted ? 1 : 0;
        MarkSent(row, activity, clock.GetUtcNow());
        return Change.Of(true, new ActivityUpdated(activity.Id, activity.ConversationId));
    }, cancellationToken);

    /// <summary>
    /// A transient failure: queued again after <paramref name="delay"/>; when the request may have landed, reconciled first.
    /// <paramref name="attempted"/>: a send request was made (not refused by the client before it left).
    /// </summary>
    public Task RescheduleAsync(OutboundClaim claim, string error, TimeSpan delay, bool maybeSent, bool attempted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return work.RunAsync(async ct =>
        {
            if (await OwnedAsync(claim, ct) is not ({ } row, { } activity))
            {
                return Change.Of(false);
            }

            Requeue(row, activity, clock.GetUtcNow() + delay);
            row.MaybeSent |= maybeSent;
            row.Attempts += attempted ? 1 : 0;
            row.LastError = Truncate(error);
            return Change.Of(true, new ActivityUpdated(activity.Id, activity.ConversationId));
        }, cancellationToken);
    }

    /// <summary>A permanent failure: FAILED with a reason staff can read; <c>retryMessage</c> queues it again.</summary>
    public Task FailAsync(OutboundClaim claim, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return work.RunAsync(async ct =>
        {
            if (await OwnedAsync(claim, ct) is not ({ } row, { } activity))
            {
                return Change.Of(false);
            }

            row.Attempts++;
            return new Change<bool>(false, Finish(row, activity, MessageStatus.Failed, reason));
        }, cancellationToken);
    }

    /// <summary>Only a text nobody has begun to send can be cancelled.</summary>
    public Task<Activity> CancelAsync(Guid activityId, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var (row, activity) = await FindAsync(activityId, ct);
        if (row.State != OutboundState.Queued || row.MaybeSent)
        {
            throw new MessageStateException(Describe(activity), $"Only a queued text can be cancelled; this one is {Describe(activity)}.");
        }

        return new Change<Activity>(activity, Finish(row, activity, MessageStatus.Cancelled, null));
    }, cancellationToken);

    /// <summary>A FAILED or SKIPPED text queued again, through the gate again.</summary>
    public async Task<Activity> RetryAsync(Guid activityId, CancellationToken cancellationToken)
    {
        var retried = await work.RunAsync(async ct =>
        {
            var (row, activity) = await FindAsync(activityId, ct);
            if (activity.OutboundStatus is not (MessageStatus.Failed or MessageStatus.Skipped))
            {
                throw new MessageStateException(Describe(activity), $"Only a failed or skipped text can be retried; this one is {Describe(activity)}.");
            }

            var contact = await db.Contacts.AsNoTracking().FirstAsync(c => c.Id == activity.ContactId, ct);
            var decision = await gate.DecideAsync(contact, row.Purpose, row.ConsentAttested, activity.Id, ct);
            if (decision.Verdict == GateVerdict.Refuse)
            {
                throw decision.Refusal(contact);
            }

            var now = clock.GetUtcNow();
            Requeue(row, activity, decision.DeferUntil ?? now);
            row.Attempts = 0;
            row.LastError = null;
            activity.FailureReason = null;
            activity.GateNote = Truncate(decision.Note);
            activity.QueuedAt = now;
            return Change.Of(activity, new ActivityUpdated(activity.Id, activity.ConversationId), new OutboxQueued(activity.Id));
        }, cancellationToken);
        signal.Wake();
        return retried;
    }

    /// <summary>The first of OpenPhone's message ids that no activity holds yet: reconciliation must not claim another text's.</summary>
    public async Task<string?> UnrecordedAsync(IReadOnlyList<string> openPhoneIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(openPhoneIds);
        if (openPhoneIds.Count == 0)
        {
            return null;
        }

        var recorded = await db.Activities.Where(a => a.OpenPhoneId != null && openPhoneIds.Contains(a.OpenPhoneId)).Select(a => a.OpenPhoneId!).ToListAsync(cancellationToken);
        return openPhoneIds.FirstOrDefault(id => !recorded.Contains(id));
    }

    /// <summary>
    /// A delivery report names an OpenPhone id we have not recorded: the text a sender has in flight (or sent without
    /// learning the id) to that number with that body, oldest first. Adopting it ends its send: nothing sends it again.
    /// </summary>
    internal async Task<Activity?> AdoptAsync(string openPhoneId, string? lineOpenPhoneId, string? to, string? body, CancellationToken cancellationToken)
    {
        if (to is null || body is null)
        {
            return null;
        }

        var candidate = await (
            from o in db.OutboundMessages
            join a in db.Activities on o.ActivityId equals a.Id
            where (o.State == OutboundState.Sending || (o.State == OutboundState.Queued && o.MaybeSent))
                && o.ToNumber == to && (lineOpenPhoneId == null || o.LineOpenPhoneId == lineOpenPhoneId)
                && a.OpenPhoneId == null && a.Body == body
            orderby o.FirstSendAt
            select o.ActivityId).FirstOrDefaultAsync(cancellationToken);
        if (candidate == Guid.Empty)
        {
            return null;
        }

        var row = await db.OutboundMessages.ForUpdate().FirstAsync(o => o.ActivityId == candidate, cancellationToken);
        var activity = await db.Activities.ForUpdate().FirstAsync(a => a.Id == candidate, cancellationToken);
        activity.OpenPhoneId = openPhoneId;
        MarkSent(row, activity, clock.GetUtcNow());
        return activity;
    }

    private static void EndSend(OutboundMessage row)
    {
        row.State = OutboundState.Done;
        row.LeaseUntil = null;
        row.ClaimToken = null;
    }

    private static void Requeue(OutboundMessage row, Activity activity, DateTimeOffset at)
    {
        row.State = OutboundState.Queued;
        row.NextAttemptAt = at;
        row.LeaseUntil = null;
        row.ClaimToken = null;
        activity.OutboundStatus = MessageStatus.Queued;
    }

    private static void MarkSent(OutboundMessage row, Activity activity, DateTimeOffset now)
    {
        EndSend(row);
        activity.SentAt ??= now;
        activity.FailureReason = null;
        if (activity.OutboundStatus is not (MessageStatus.Delivered or MessageStatus.Sent))
        {
            activity.OutboundStatus = MessageStatus.Sent;
        }
    }

    /// <summary>Ends the text's send in <paramref name="status"/>; the events to publish.</summary>
    private static CrmEvent[] Finish(OutboundMessage row, Activity activity, MessageStatus status, string? reason)
    {
        EndSend(row);
        activity.OutboundStatus = status;
        activity.FailureReason = Truncate(reason);
        return [new ActivityUpdated(activity.Id, activity.ConversationId)];
    }

    /// <summary>The claim's row and activity, locked, while the claim is still the caller's; null once it is not.</summary>
    private async Task<(OutboundMessage Row, Activity Activity)?> OwnedAsync(OutboundClaim claim, CancellationToken cancellationToken)
    {
        var row = await db.OutboundMessages.ForUpdate().FirstOrDefaultAsync(o => o.ActivityId == claim.ActivityId, cancellationToken);
        if (row is not { State: OutboundState.Sending } || row.ClaimToken != claim.Token)
        {
            return null;
        }

        return (row, await db.Activities.ForUpdate().FirstAsync(a => a.Id == claim.ActivityId, cancellationToken));
    }

    private async Task<(OutboundMessage Row, Activity Activity)> FindAsync(Guid activityId, CancellationToken cancellationToken)
    {
        var row = await db.OutboundMessages.ForUpdate().FirstOrDefaultAsync(o => o.ActivityId == activityId, cancellationToken);
        var activity = row is null ? null : await db.Activities.ForUpdate().FirstOrDefaultAsync(a => a.Id == activityId, cancellationToken);
        return row is null || activity is null ? throw new NotFoundException("Activity", activityId) : (row, activity);
    }

    private async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        var queued = await db.OutboundMessages.Where(o => o.State == OutboundState.Queued)
            .OrderBy(o => o.NextAttemptAt).Select(o => (DateTimeOffset?)o.NextAttemptAt).FirstOrDefaultAsync(cancellationToken);
        var stale = await db.OutboundMessages.Where(o => o.State == OutboundState.Sending)
            .OrderBy(o => o.LeaseUntil).Select(o => o.LeaseUntil).FirstOrDefaultAsync(cancellationToken);
        return queued is null ? stale : stale is null || queued < stale ? queued : stale;
    }

    private async Task<(Conversation Conversation, Contact Contact, PhoneNumber Line)> ResolveAsync(SendRequest request, CancellationToken cancellationToken)
    {
        if (request.ConversationId is { } conversationId)
        {
            // Tracked already when the caller's unit made it (a reply to a first text): not in the database yet.
            var conversation = db.Conversations.Local.FirstOrDefault(c => c.Id == conversationId)
                ?? await db.Conversations.ForUpdate().FirstOrDefaultAsync(c => c.Id == conversationId, cancellationToken)
                ?? throw new NotFoundException(nameof(Conversation), conversationId);
            var contact = await db.Contacts.FindAsync([conversation.ContactId], cancellationToken)
                ?? throw new NotFoundException(nameof(Contact), conversation.ContactId);
            var line = await db.PhoneNumbers.FindAsync([conversation.PhoneNumberId], cancellationToken)
                ?? throw new NotFoundException(nameof(PhoneNumber), conversation.PhoneNumberId);
            return (conversation, Textable(contact), line);
        }

        if (request.ContactId is not { } contactId)
        {
            throw new InvalidFieldException("conversationId", "Name the conversation or the contact to text.");
        }

        var recipient = Textable(await db.Contacts.FirstOrDefaultAsync(c => c.Id == contactId, cancellationToken)
            ?? throw new NotFoundException(nameof(Contact), contactId));
        var from = await LineAsync(request.PhoneNumberId, cancellationToken);
        var thread = await db.Conversations.ForUpdate().FirstOrDefaultAsync(c => c.ContactId == recipient.Id && c.PhoneNumberId == from.Id, cancellationToken);
        if (thread is null)
        {
            thread = new Conversation { ContactId = recipient.Id, PhoneNumberId = from.Id, CreatedAt = clock.GetUtcNow() };
            db.Conversations.Add(thread);
        }

        return (thread, recipient, from);
    }

    /// <summary>The named line, else <c>OpenPhone:DefaultPhoneNumberId</c>, else the workspace's only active line.</summary>
    /// <summary>The named line, else the configured default, else the only active line.</summary>
    /// <exception cref="InvalidFieldException">No line is named and none is the obvious one.</exception>
    public async Task<PhoneNumber> LineAsync(Guid? phoneNumberId, CancellationToken cancellationToken)
    {
        if (phoneNumberId is { } id)
        {
            return await db.PhoneNumbers.FirstOrDefaultAsync(p => p.Id == id, cancellationToken)
                ?? throw new NotFoundException(nameof(PhoneNumber), id);
        }

        if (options.Value.DefaultPhoneNumberId is { Length: > 0 } defaultId
            && await db.PhoneNumbers.FirstOrDefaultAsync(p => p.OpenPhoneId == defaultId, cancellationToken) is { } configured)
        {
            return configured;
        }

        var active = await db.PhoneNumbers.Where(p => p.IsActive).Take(2).ToListAsync(cancellationToken);
        return active is [var only]
            ? only
            : throw new InvalidFieldException("phoneNumberId", active.Count == 0
                ? "The workspace has no line to send from yet."
                : "The workspace has several lines: name the one to send from, or set OpenPhone:DefaultPhoneNumberId.");
    }

    private static DateTimeOffset Latest(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static Contact Textable(Contact contact) => contact.Phone switch
    {
        null => throw new InvalidPhoneNumberException(string.Empty, "The contact has no phone number to text."),
        var phone when !PhoneNumberNormalizer.TryNormalize(phone, out _) => throw new InvalidPhoneNumberException(phone),
        _ => contact,
    };

    private static string Describe(Activity activity) => (activity.OutboundStatus ?? MessageStatus.Queued).ToString().ToUpperInvariant();

    private static string? Truncate(string? text) => text is { Length: > 500 } ? text[..500] : text;
}
