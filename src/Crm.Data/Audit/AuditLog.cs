namespace Crm.Data.Audit;

/// <summary>Adds audit entries to the caller's unit of work, so the fact and its record commit together.</summary>
public sealed class AuditLog(CrmDbContext db, TimeProvider clock)
{
    public void Record(Actor actor, string action, string? target = null, string? details = null)
    {
        ArgumentNullException.ThrowIfNull(actor);
        db.AuditEntries.Add(new AuditEntry
        {
            At = clock.GetUtcNow(),
            Action = action,
            ActorKind = actor.Kind,
            ActorId = actor.Id,
            ActorName = actor.Name,
            IpAddress = actor.IpAddress,
            Target = target,
            Details = details,
        });
    }
}
