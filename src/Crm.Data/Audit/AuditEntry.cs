namespace Crm.Data.Audit;

/// <summary>Who did what, when, from where: security-relevant facts, kept for admins.</summary>
public sealed class AuditEntry
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public DateTimeOffset At { get; set; }

    /// <summary>Dotted action name, e.g. <c>login.failed</c>, <c>apikey.created</c>.</summary>
    public required string Action { get; set; }

    public AuditActorKind ActorKind { get; set; }

    public Guid? ActorId { get; set; }

    /// <summary>Email or key name as it was at the time.</summary>
    public string? ActorName { get; set; }

    public string? Target { get; set; }

    public string? Details { get; set; }

    public string? IpAddress { get; set; }
}

public enum AuditActorKind
{
    Anonymous,
    User,
    ApiKey,
    System,
}

/// <summary>The caller of an operation, as the audit log records it.</summary>
public sealed record Actor(AuditActorKind Kind, Guid? Id, string? Name, string? IpAddress)
{
    public static Actor System { get; } = new(AuditActorKind.System, null, "system", null);
}
