using Crm.Data.Activities;
using Crm.Data.Contacts;
using Crm.Data.PhoneNumbers;

namespace Crm.Data.Conversations;

/// <summary>The thread between one contact and one of our lines.</summary>
public sealed class Conversation
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public Guid ContactId { get; set; }

    public Contact? Contact { get; set; }

    public Guid PhoneNumberId { get; set; }

    public PhoneNumber? PhoneNumber { get; set; }

    /// <summary>OpenPhone's id, <c>CN…</c>, once known.</summary>
    public string? OpenPhoneConversationId { get; set; }

    public DateTimeOffset LastActivityAt { get; set; }

    /// <summary>Denormalized so the inbox reads one row per conversation.</summary>
    public Guid? LastActivityId { get; set; }

    public ActivityKind? LastActivityKind { get; set; }

    public string? LastActivityPreview { get; set; }

    public DateTimeOffset? LastInboundAt { get; set; }

    public int UnreadCount { get; set; }

    public ConversationStatus Status { get; set; } = ConversationStatus.Open;

    public DateTimeOffset? SnoozedUntil { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public List<Activity> Activities { get; set; } = [];
}

public enum ConversationStatus
{
    Open,
    Done,
}
