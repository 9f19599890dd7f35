using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Webhooks;

public enum StoreOutcome
{
    Stored,
    Duplicate,
}

/// <summary>Stores raw deliveries once; processing is the caller's business.</summary>
public sealed class WebhookInbox(CrmDbContext db, TimeProvider clock)
{
    /// <summary>
    /// A stored event that nobody gets to process (the process died, the request was cut) is picked up by the
    /// retry job after this grace period.
    /// </summary>
    public static readonly TimeSpan UnprocessedGrace = TimeSpan.FromMinutes(2);

    /// <summary>Inserts the event; a second delivery of the same event id is reported, not stored.</summary>
    /// <remarks>Database failures propagate: the caller answers 503 so the sender retries.</remarks>
    public async Task<StoreOutcome> StoreAsync(WebhookEvent webhookEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhookEvent);
        webhookEvent.ReceivedAt = clock.GetUtcNow();
        webhookEvent.NextAttemptAt = webhookEvent.ReceivedAt + UnprocessedGrace;
        db.WebhookEvents.Add(webhookEvent);
        try
        {
            if (db.Database.IsNpgsql())
            {
                // One WAL flush per delivery instead of two: the caller answers 200 only after the processing
                // transaction commits synchronously, and that commit flushes this record with it (the WAL is one
                // sequence). A crash before then means no 200 was sent, so OpenPhone delivers again.
                await using var transaction = await db.Database.BeginWholeTransactionAsync(cancellationToken);
                await db.Database.ExecuteSqlRawAsync("SET LOCAL synchronous_commit = off", cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            else
            {
                await db.SaveChangesAsync(cancellationToken);
            }

            return StoreOutcome.Stored;
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            db.ChangeTracker.Clear();
            return StoreOutcome.Duplicate;
        }
    }
}
