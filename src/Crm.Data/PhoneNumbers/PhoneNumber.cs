namespace Crm.Data.PhoneNumbers;

/// <summary>One of our own OpenPhone lines.</summary>
public sealed class PhoneNumber
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    /// <summary>OpenPhone's id, <c>PN…</c>.</summary>
    public required string OpenPhoneId { get; set; }

    /// <summary>E.164.</summary>
    public required string Number { get; set; }

    public string? Name { get; set; }

    public bool IsActive { get; set; } = true;
}
