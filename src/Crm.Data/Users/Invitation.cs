namespace Crm.Data.Users;

/// <summary>A single-use invitation; only the token's hash is stored.</summary>
public sealed class Invitation
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required string Email { get; set; }

    public CrmRole Role { get; set; }

    public required string TokenHash { get; set; }

    public Guid CreatedById { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? AcceptedAt { get; set; }
}
