using Crm.Data.Activities;
using Crm.Data.Compliance;
using Crm.Data.Consent;
using Crm.Data.Contacts;
using Crm.Data.Events;
using Crm.Data.Outbound;
using Crm.Data.PhoneNumbers;
using Crm.Data.Phones;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Conversations;

/// <summary>
/// Timeline business facts (a text arrived, a call ended, a summary is ready), called the same way from webhooks,
/// the history import and the outbound sender. Every fact is an upsert by the phone system's id, so a replay
/// updates and never duplicates.
/// </summary>
/// <remarks>
/// Each fact is one unit of work. Two concurrent deliveries may both try to create the same contact, line,
/// conversation or activity; the loser gets a unique violation and the unit of work runs it again, when it finds the
/// winner's rows. The activity and then its conversation are read locked: two facts about one conversation apply one
/// after the other, so neither an unread count nor the last activity loses a concurrent update.
/// </remarks>
public sealed class TimelineOperations(
    CrmDbContext db, UnitOfWork work, TimeProvider clock, OutboundOperations outbound, ConsentLedger consent, InboundConsent inbound, Campaigns.CampaignAttribution attribution)
{
    private static readonly string[] StatusRank = ["queued", "sending", "sent", "delivered"];

    public Task<Activity> RecordMessageAsync(MessageFact fact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return RecordMessageCoreAsync(fact, cancellationToken);
    }

    private async Task<Activity> RecordMessageCoreAsync(MessageFact fact, CancellationToken cancellationToken)
    {
        // Set by the unit of work's last (committed) run, and counted only after it: a retried run must not count twice.
        string? campaignOutcome = null;
        var recorded = await work.RunAsync(async ct =>
        {
            campaignOutcome = null;
            // A report about a text we are sending may come before the sender learns its id: it is that text, not another.
            var found = await FindAsync(fact.OpenPhoneId, ct)
                ?? (fact.Direction == ActivityDirection.Outgoing ? await outbound.AdoptAsync(fact.OpenPhoneId, fact.LineOpenPhoneId, Normalize(First(fact.To)), fact.Body, ct) : null);
            var activity = found ?? await AddAsync(ActivityKind.Message, fact.OpenPhoneId, fact.Direction, fact.From, fact.To, fact.OccurredAt, fact.LineOpenPhoneId, fact.ConversationOpenPhoneId, ct);
            var before = NeedsAttention(activity, created: found is null);
            activity.Body = fact.Body ?? activity.Body;
            activity.Media = fact.Media.Count > 0 ? [.. fact.Media] : activity.Media;
            activity.Status = MergeStatus(activity.Status, fact.Status);
            activity.FromNumber = Normalize(fact.From) ?? activity.FromNumber;
            activity.ToNumbers = fact.To.Count > 0 ? NormalizeAll(fact.To) : activity.ToNumbers;
            if (activity.Direction == ActivityDirection.Outgoing)
            {
                // A text first heard of in a report or the history import was sent when it was written, not now.
                var statusBefore = activity.OutboundStatus;
                ApplyDelivery(activity, fact.Status, found is null ? fact.OccurredAt : clock.GetUtcNow());
                if (found is not null && activity.OutboundStatus != statusBefore && activity.OutboundStatus is MessageStatus.Delivered or MessageStatus.Failed
                    && await db.CampaignRecipients.AnyAsync(r => r.ActivityId == activity.Id, ct))
                {
                    campaignOutcome = activity.OutboundStatus == MessageStatus.Delivered ? "delivered" : "failed";
                }
            }

            var change = await FinishAsync(activity, found is null, before, fact.ConversationOpenPhoneId, ct);
            return found is null && activity.Direction == ActivityDirection.Incoming
                ? new Change<Activity>(activity, [.. change.Events, .. await inbound.ApplyAsync(activity, ct), .. await attribution.ApplyAsync(activity, ct)])
                : change;
        }, cancellationToken);
        if (campaignOutcome is not null)
        {
            CrmMetrics.CampaignDeliveries.Add(1, new KeyValuePair<string, object?>("outcome", campaignOutcome));
        }

        return recorded;
    }

    /// <summary>A delivery report: updates the outgoing message, or records it when it was sent outside the CRM.</summary>
    public Task<Activity> UpdateMessageStatusAsync(MessageFact fact, CancellationToken cancellationToken) =>
        RecordMessageAsync(fact, cancellationToken);

    public Task<Activity> RecordCallAsync(CallFact fact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return work.RunAsync(async ct =>
        {
            var found = await FindAsync(fact.OpenPhoneId, ct);
            var activity = found ?? await AddCallAsync(fact, fact.OpenPhoneId, ct);
            var before = NeedsAttention(activity, created: found is null);
            ApplyCall(activity, fact);
            return await FinishAsync(activity, found is null, before, fact.ConversationOpenPhoneId, ct);
        }, cancellationToken);
    }

    /// <summary>Recording, AI summary or transcript: attached to the call, which is created first when the delivery describes it.</summary>
    /// <exception cref="CallNotKnownYetException">The call is unknown and the delivery cannot place it on a timeline.</exception>
    public Task<Activity> AttachCallDetailsAsync(CallDetails details, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(details);
        return work.RunAsync(async ct =>
        {
            var found = await FindAsync(details.CallOpenPhoneId, ct);
            var activity = found ?? await AddCallAsync(details.Call ?? throw new CallNotKnownYetException(details.CallOpenPhoneId), details.CallOpenPhoneId, ct);
            var before = NeedsAttention(activity, created: found is null);
            if (details.Call is not null)
            {
                ApplyCall(activity, details.Call);
            }

            activity.Recordings = details.Recordings is { Count: > 0 } recordings ? [.. recordings] : activity.Recordings;
            activity.AiSummary = details.Summary ?? activity.AiSummary;
            activity.AiNextSteps = details.NextSteps is { Count: > 0 } steps ? [.. steps] : activity.AiNextSteps;
            activity.Transcript = details.Transcript is { Count: > 0 } lines ? [.. lines] : activity.Transcript;
            return await FinishAsync(activity, found is null, before, details.Call?.ConversationOpenPhoneId, ct);
        }, cancellationToken);
    }

    /// <summary>One of our lines as the phone system lists it: added, or its number and name brought up to date.</summary>
    public Task<PhoneNumber> RecordLineAsync(string openPhoneId, string number, string? name, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var normalized = Normalize(number) ?? number;
        var line = await db.PhoneNumbers.FirstOrDefaultAsync(p => p.OpenPhoneId == openPhoneId, ct)
            ?? await db.PhoneNumbers.FirstOrDefaultAsync(p => p.Number == normalized, ct);
        if (line is null)
        {
            line = new PhoneNumber { OpenPhoneId = openPhoneId, Number = normalized, Name = name };
            db.PhoneNumbers.Add(line);
        }
        else
        {
            line.OpenPhoneId = openPhoneId;
            line.Number = normalized;
            line.Name = name ?? line.Name;
        }

        return Change.Of(line);
    }, cancellationToken);

    /// <summary>Who is calling: the contact and line when we know them; reads only.</summary>
    public async Task<IncomingCall> IdentifyCallerAsync(string callOpenPhoneId, string? from, string? lineOpenPhoneId, CancellationToken cancellationToken)
    {
        var phone = Normalize(from);
        var contactId = phone is null ? null
            : await db.Contacts.Where(c => c.Phone == phone).Select(c => (Guid?)c.Id).FirstOrDefaultAsync(cancellationToken);
        var lineId = lineOpenPhoneId is null ? null
            : await db.PhoneNumbers.Where(p => p.OpenPhoneId == lineOpenPhoneId).Select(p => (Guid?)p.Id).FirstOrDefaultAsync(cancellationToken);
        return new IncomingCall(phone ?? from ?? string.Empty, contactId, lineId, callOpenPhoneId, clock.GetUtcNow());
    }

    private static void ApplyCall(Activity activity, CallFact fact)
    {
        activity.Status = fact.Status ?? activity.Status;
        activity.FromNumber = Normalize(fact.From) ?? activity.FromNumber;
        activity.ToNumbers = fact.To.Count > 0 ? NormalizeAll(fact.To) : activity.ToNumbers;
        activity.AnsweredAt = fact.AnsweredAt ?? activity.AnsweredAt;
        activity.CompletedAt = fact.CompletedAt ?? activity.CompletedAt;
        activity.DurationSeconds = fact.DurationSeconds
            ?? (fact.CompletedAt is { } end && fact.AnsweredAt is { } start ? (int)(end - start).TotalSeconds : activity.DurationSeconds);
        activity.Voicemail = fact.Voicemail ?? activity.Voicemail;
        activity.Recordings = fact.Recordings.Count > 0 ? [.. fact.Recordings] : activity.Recordings;
    }

    private Task<Activity?> FindAsync(string openPhoneId, CancellationToken cancellationToken) =>
        db.Activities.ForUpdate().FirstOrDefaultAsync(a => a.OpenPhoneId == openPhoneId, cancellationToken);

    private Task<Activity> AddCallAsync(CallFact call, string openPhoneId, CancellationToken cancellationToken) =>
        AddAsync(ActivityKind.Call, openPhoneId, call.Direction, call.From, call.To, call.OccurredAt, call.LineOpenPhoneId, call.ConversationOpenPhoneId, cancellationToken);

    /// <summary>A new activity on the conversation its parties name, created with its contact and line when new.</summary>
    private async Task<Activity> AddAsync(
        ActivityKind kind, string openPhoneId, ActivityDirection direction, string? from, IReadOnlyList<string> to, DateTimeOffset occurredAt,
        string? lineOpenPhoneId, string? conversationOpenPhoneId, CancellationToken cancellationToken)
    {
        var conversation = await ResolveConversationAsync(direction, from, to, lineOpenPhoneId, conversationOpenPhoneId, cancellationToken);
        var activity = new Activity
        {
            ConversationId = conversation.Id,
            ContactId = conversation.ContactId,
            Kind = kind,
            Direction = direction,
            OpenPhoneId = openPhoneId,
            OccurredAt = occurredAt,
            CreatedAt = clock.GetUtcNow(),
        };
        db.Activities.Add(activity);
        return activity;
    }

    private async Task<Change<Activity>> FinishAsync(
        Activity activity, bool created, bool attentionBefore, string? conversationOpenPhoneId, CancellationToken cancellationToken)
    {
        // Here already when the activity was added to it (new, or read locked then); else read, and locked, now.
        var conversation = db.Conversations.Local.FirstOrDefault(c => c.Id == activity.ConversationId)
            ?? await db.Conversations.ForUpdate().FirstAsync(c => c.Id == activity.ConversationId, cancellationToken);
        var conversationChanged = ApplyToConversation(conversation, activity, created, attentionBefore);
        // A thread we started (an outgoing text) learns OpenPhone's id from the first delivery that names it.
        if (conversation.OpenPhoneConversationId is null && conversationOpenPhoneId is not null
            && !await db.Conversations.AnyAsync(c => c.OpenPhoneConversationId == conversationOpenPhoneId, cancellationToken))
        {
            conversation.OpenPhoneConversationId = conversationOpenPhoneId;
            conversationChanged = true;
        }

        List<CrmEvent> events = created && activity is { Kind: ActivityKind.Message, Direction: ActivityDirection.Incoming }
            ? [new MessageReceived(activity.Id, conversation.Id, conversation.PhoneNumberId)]
            : [new ActivityUpdated(activity.Id, conversation.Id)];
        if (conversationChanged)
        {
            events.Add(new ConversationUpdated(conversation.Id));
        }

        return new Change<Activity>(activity, events);
    }

    /// <summary>Keeps the inbox row current: only an activity at least as new as the last one moves it.</summary>
    internal static bool ApplyToConversation(Conversation conversation, Activity activity, bool created, bool attentionBefore)
    {
        var changed = false;
        var isLast = conversation.LastActivityId == activity.Id;
        var newer = conversation.LastActivityId is null
            || activity.OccurredAt > conversation.LastActivityAt
            || (activity.OccurredAt == conversation.LastActivityAt && activity.Id.CompareTo(conversation.LastActivityId.Value) > 0);
        if (isLast || newer)
        {
            conversation.LastActivityAt = activity.OccurredAt;
            conversation.LastActivityId = activity.Id;
            conversation.LastActivityKind = activity.Kind;
            conversation.LastActivityPreview = ConversationPreview.Of(activity);
            changed = true;
        }

        if (activity.Direction == ActivityDirection.Incoming && (conversation.LastInboundAt is null || activity.OccurredAt > conversation.LastInboundAt))
        {
            conversation.LastInboundAt = activity.OccurredAt;
            changed = true;
        }

        // Counted once, when the activity first needs someone: an incoming text, a missed call or a voicemail.
        // Deciding on the transition (not on arrival order) makes out-of-order deliveries converge.
        if (!attentionBefore && NeedsAttention(activity, created: false))
        {
            conversation.UnreadCount++;
            conversation.Status = ConversationStatus.Open;
            changed = true;
        }

        return changed;
    }

    private static bool NeedsAttention(Activity activity, bool created) => !created && activity switch
    {
        { Direction: ActivityDirection.Outgoing } => false,
        { Kind: ActivityKind.Message } => true,
        _ => activity.Voicemail is not null
            || activity.Status is "missed" or "no-answer" or "unanswered"
            || (activity.Status == "completed" && activity.AnsweredAt is null),
    };

    /// <summary>
    /// OpenPhone's report moves an outgoing text's status forward, never back: a late "sent" does not undo "delivered",
    /// and a text we skipped or cancelled was never sent. A carrier's "failed" after "sent" is a failure.
    /// </summary>
    private static void ApplyDelivery(Activity activity, string? reported, DateTimeOffset now)
    {
        var status = reported switch
        {
            "sent" => MessageStatus.Sent,
            "delivered" => MessageStatus.Delivered,
            "failed" or "undelivered" => MessageStatus.Failed,
            _ => (MessageStatus?)null,
        };
        if (status is not { } next || activity.OutboundStatus is MessageStatus.Delivered or MessageStatus.Skipped or MessageStatus.Cancelled
            || (next == MessageStatus.Sent && activity.OutboundStatus == MessageStatus.Failed))
        {
            return;
        }

        activity.OutboundStatus = next;
        activity.SentAt ??= now;
        if (next == MessageStatus.Delivered)
        {
            activity.DeliveredAt = now;
            activity.FailureReason = null;
        }
        else if (next == MessageStatus.Failed)
        {
            activity.FailureReason ??= "The carrier did not deliver it (OpenPhone reported it failed).";
        }
    }

    /// <summary>Delivery reports can overtake each other: a later "sent" never undoes "delivered".</summary>
    private static string? MergeStatus(string? current, string? incoming)
    {
        if (incoming is null)
        {
            return current;
        }

        var currentRank = Array.IndexOf(StatusRank, current);
        var incomingRank = Array.IndexOf(StatusRank, incoming);
        return currentRank >= 0 && incomingRank >= 0 && incomingRank < currentRank ? current : incoming;
    }

    private async Task<Conversation> ResolveConversationAsync(
        ActivityDirection direction, string? from, IReadOnlyList<string> to, string? lineOpenPhoneId, string? conversationOpenPhoneId, CancellationToken cancellationToken)
    {
        var (ours, theirs) = direction == ActivityDirection.Incoming ? (First(to), from) : (from, First(to));
        var ourNumber = Normalize(ours);
        if (!PhoneNumberNormalizer.TryNormalize(theirs, out var phone))
        {
            throw new InvalidPhoneNumberException(theirs ?? string.Empty);
        }

        if (conversationOpenPhoneId is not null)
        {
            var known = await db.Conversations.ForUpdate().FirstOrDefaultAsync(c => c.OpenPhoneConversationId == conversationOpenPhoneId, cancellationToken);
            if (known is not null)
            {
                return known;
            }
        }

        var line = await GetOrCreateLineAsync(lineOpenPhoneId, ourNumber, cancellationToken);
        var contact = await GetOrCreateContactAsync(phone, cancellationToken);
        var conversation = await db.Conversations.ForUpdate().FirstOrDefaultAsync(c => c.ContactId == contact.Id && c.PhoneNumberId == line.Id, cancellationToken);
        if (conversation is null)
        {
            conversation = new Conversation { ContactId = contact.Id, PhoneNumberId = line.Id, CreatedAt = clock.GetUtcNow() };
            db.Conversations.Add(conversation);
        }

        conversation.OpenPhoneConversationId ??= conversationOpenPhoneId;
        return conversation;
    }

    private async Task<PhoneNumber> GetOrCreateLineAsync(string? openPhoneId, string? number, CancellationToken cancellationToken)
    {
        var line = openPhoneId is null ? null : await db.PhoneNumbers.FirstOrDefaultAsync(p => p.OpenPhoneId == openPhoneId, cancellationToken);
        line ??= number is null ? null : await db.PhoneNumbers.FirstOrDefaultAsync(p => p.Number == number, cancellationToken);
        if (line is not null)
        {
            if (number is not null && line.Number == line.OpenPhoneId)
            {
                line.Number = number;
            }

            return line;
        }

        if (openPhoneId is null)
        {
            throw new InvalidFieldException("phoneNumberId", "The delivery names neither our line's id nor its number.");
        }

        // REVIEW: a v4 call names our line only by id; its number stays the id until the import or a message fills it in.
        line = new PhoneNumber { OpenPhoneId = openPhoneId, Number = number ?? openPhoneId };
        db.PhoneNumbers.Add(line);
        return line;
    }

    private async Task<Contact> GetOrCreateContactAsync(string phone, CancellationToken cancellationToken)
    {
        var contact = await db.Contacts.FirstOrDefaultAsync(c => c.Phone == phone, cancellationToken);
        if (contact is null)
        {
            var now = clock.GetUtcNow();
            contact = new Contact { Phone = phone, Source = ContactSource.Webhook, CreatedAt = now, UpdatedAt = now };
            await consent.InheritAsync(contact, cancellationToken);
            db.Contacts.Add(contact);
        }

        return contact;
    }

    private static string? First(IReadOnlyList<string> numbers) => numbers.Count > 0 ? numbers[0] : null;

    private static string? Normalize(string? number) =>
        PhoneNumberNormalizer.TryNormalize(number, out var e164) ? e164 : null;

    private static List<string> NormalizeAll(IReadOnlyList<string> numbers) =>
        [.. numbers.Select(n => Normalize(n) ?? n.Trim())];
}
