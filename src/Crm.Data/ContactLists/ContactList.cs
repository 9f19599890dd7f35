namespace Crm.Data.ContactLists;

/// <summary>A named set of contacts, filled by imports and used by campaigns.</summary>
public sealed class ContactList
{
    public const int MaxNameLength = 200;

    public const int MaxDescriptionLength = 1000;

    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required string Name { get; set; }

    public string? Description { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public string CreatedBy { get; init; } = string.Empty;
}

public sealed class ContactListMember
{
    public Guid ListId { get; init; }

    public Guid ContactId { get; init; }

    public DateTimeOffset AddedAt { get; init; }
}
