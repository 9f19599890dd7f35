namespace Crm.Data.Users;

/// <summary>An integrator's key. The secret is shown once; only its hash is stored, found by its public prefix.</summary>
public sealed class ApiKey
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required string Name { get; set; }

    public CrmRole Role { get; set; }

    /// <summary>The public part of the key, to find the row without scanning hashes.</summary>
    public required string Prefix { get; set; }

    public required byte[] SecretHash { get; set; }

    public Guid CreatedById { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}
