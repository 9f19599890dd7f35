namespace Crm.Bench.Generation;

internal sealed class ContactRow
{
    public Guid Id { get; init; }

    public string? FirstName { get; init; }

    public string? LastName { get; init; }

    public string? Company { get; init; }

    public string? Email { get; init; }

    public required string Phone { get; init; }

    public string? Street { get; init; }

    public string? City { get; init; }

    public string? PostalCode { get; init; }

    public required string[] Tags { get; init; }

    public required string Source { get; init; }

    public DateTime CreatedAt { get; init; }
}

internal sealed class PhoneLine
{
    public Guid Id { get; init; }

    public required string OpenPhoneId { get; init; }

    public required string Number { get; init; }

    public required string Name { get; init; }
}

/// <summary>A conversation; its Last… columns are filled while its activities are written.</summary>
internal sealed class ConversationRow
{
    public Guid Id { get; init; }

    public required ContactRow Contact { get; init; }

    public required PhoneLine Line { get; init; }

    public DateTime CreatedAt { get; init; }

    /// <summary>How many activities its timeline gets.</summary>
    public int Length { get; set; }

    /// <summary>Whether its trailing incoming activities stay unread.</summary>
    public bool Unread { get; init; }

    public bool Done { get; init; }

    public DateTime LastActivityAt { get; set; }

    public Guid LastActivityId { get; set; }

    public string? LastActivityKind { get; set; }

    public string? LastActivityPreview { get; set; }

    public DateTime? LastInboundAt { get; set; }

    public int UnreadCount { get; set; }
}
