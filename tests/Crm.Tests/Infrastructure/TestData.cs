using Crm.Data.Activities;
using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Data.PhoneNumbers;

namespace Crm.Tests.Infrastructure;

/// <summary>Fixed, readable rows for arranging tests; timestamps are fixed so snapshots are stable.</summary>
public static class TestData
{
    public static readonly DateTimeOffset Epoch = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);

    public static PhoneNumber Line(string number = "+16175550100") =>
        new() { OpenPhoneId = "PN" + number[^6..], Number = number, Name = "Main line" };

    public static Contact Contact(int n, string? firstName = null, string? lastName = null) => new()
    {
        FirstName = firstName ?? $"First{n:D3}",
        LastName = lastName ?? $"Last{n:D3}",
        Phone = $"+1617555{n:D4}",
        Tags = n % 2 == 0 ? ["vip"] : [],
        CreatedAt = Epoch.AddMinutes(n),
        UpdatedAt = Epoch.AddMinutes(n),
    };

    public static Conversation Conversation(Contact contact, PhoneNumber line, DateTimeOffset lastActivityAt) => new()
    {
        ContactId = contact.Id,
        PhoneNumberId = line.Id,
        CreatedAt = lastActivityAt.AddDays(-1),
        LastActivityAt = lastActivityAt,
    };

    public static Activity Message(Conversation conversation, string body, DateTimeOffset at, ActivityDirection direction = ActivityDirection.Incoming) => new()
    {
        ConversationId = conversation.Id,
        ContactId = conversation.ContactId,
        Kind = ActivityKind.Message,
        Direction = direction,
        Body = body,
        Status = direction == ActivityDirection.Incoming ? "received" : "delivered",
        OccurredAt = at,
        CreatedAt = at,
    };
}
