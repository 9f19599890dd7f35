namespace Crm.Data.Events;

/// <summary>A fact that already happened and is committed; subscribers refetch what they need by id.</summary>
/// <remarks>Plain ids only, so a Redis implementation can serialize them as they are.</remarks>
public abstract record CrmEvent
{
    /// <summary>Where subscribers listen: one topic per kind of event.</summary>
    public abstract string Topic { get; }
}

public sealed record MessageReceived(Guid ActivityId, Guid ConversationId, Guid PhoneNumberId) : CrmEvent
{
    public const string TopicName = "message.received";

    public override string Topic => TopicName;
}

public sealed record ConversationUpdated(Guid ConversationId) : CrmEvent
{
    public const string TopicName = "conversation.updated";

    public override string Topic => TopicName;
}

public sealed record ActivityUpdated(Guid ActivityId, Guid ConversationId) : CrmEvent
{
    public const string TopicName = "activity.updated";

    public override string Topic => TopicName;
}

/// <summary>A call is ringing on one of our lines, for a live "who is calling"; nothing is stored, so the event carries its time.</summary>
public sealed record IncomingCall(string From, Guid? ContactId, Guid? PhoneNumberId, string CallOpenPhoneId, DateTimeOffset At) : CrmEvent
{
    public const string TopicName = "call.incoming";

    public override string Topic => TopicName;
}

/// <summary>
/// An API key was revoked, or a user's role, active flag or security stamp changed: whatever that principal holds open
/// (sockets, event streams) ends, so it authenticates again against the current state.
/// </summary>
public sealed record AccessChanged(Guid PrincipalId) : CrmEvent
{
    public const string TopicName = "access.changed";

    public override string Topic => TopicName;
}

public sealed record ContactUpdated(Guid ContactId) : CrmEvent
{
    public const string TopicName = "contact.updated";

    public override string Topic => TopicName;
}

/// <summary>A text was queued (or queued again): every instance's sender looks for work, not only the one that queued it.</summary>
public sealed record OutboxQueued(Guid ActivityId) : CrmEvent
{
    public const string TopicName = "outbox.queued";

    public override string Topic => TopicName;
}

/// <summary>An import job changed: its status, phase or counts.</summary>
public sealed record ImportJobUpdated(Guid JobId) : CrmEvent
{
    public const string TopicName = "import.updated";

    public override string Topic => TopicName;
}

/// <summary>
/// An import job waits for a worker: new, or given back by a host shutting down. Every instance's idle import workers
/// look for it; progress (<see cref="ImportJobUpdated"/>) wakes none.
/// </summary>
public sealed record ImportJobQueued(Guid JobId) : CrmEvent
{
    public const string TopicName = "import.queued";

    public override string Topic => TopicName;
}

/// <summary>A campaign changed: its status, settings, or its recipients' progress (texts queued, skipped, replied to).</summary>
public sealed record CampaignUpdated(Guid CampaignId) : CrmEvent
{
    public const string TopicName = "campaign.updated";

    public override string Topic => TopicName;
}
