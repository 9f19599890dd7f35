using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Webhooks;

/// <summary>The right to process one stored event, until its lease runs out. Only the inbox hands them out.</summary>
public sealed class WebhookClaim
{
    internal WebhookClaim(Guid id, DateTimeOffset at)
    {
        Id = id;
        At = at;
    }

    /// <summary>The event's <see cref="WebhookEvent.Id"/>.</summary>
    public Guid Id { get; }

    /// <summary>When it was claimed: the time its processing records.</summary>
    public DateTimeOffset At { get; }
}

/// <summary>
/// Stores raw deliveries once, and hands out claims on them: whoever processes an event (the endpoint, the retry job,
/// the follow-up of a call, an operator's replay) claims it first, so no event is processed twice at once.
/// </summary>
/// <remarks>
/// A claim is a lease (<see cref="WebhookEvent.ClaimedUntil"/>) that processing ends. A processor that dies holds its
/// claim until the lease runs out; then the retry job may take the event up.
/// </remarks>
public sealed class WebhookInbox(CrmDbContext db, TimeProvider clock)
{
    /// <summary>
    /// How long the receiving request holds the event it stored: a stored event that nobody gets to process (the
    /// process died, the request was cut) is picked up by the retry job after it.
    /// </summary>
    public static readonly TimeSpan UnprocessedGrace = TimeSpan.FromMinutes(2);

    /// <summary>How long any other claim holds before another instance may take the event.</summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(5);

    /// <summary>Failed, or stored and never processed, and its next attempt has come.</summary>
    public static Expression<Func<WebhookEvent, bool>> Due(DateTimeOffset now) =>
        e => (e.Status == WebhookEventStatus.Failed || e.Status == WebhookEventStatus.Received) && e.NextAttemptAt <= now;

    /// <summary>
    /// Inserts the event claimed by the caller, who is the only one to know of it yet; null when it is a redelivery of
    /// an event already stored, which is then on disk.
    /// </summary>
    /// <remarks>
    /// On PostgreSQL the insert commits without waiting for its WAL flush, which costs a second flush per delivery:
    /// the caller's processing then commits synchronously, and that flush covers this row too (the WAL is one
    /// sequence). Database failures propagate: the caller answers 503 so the sender retries.
    /// </remarks>
    public async Task<WebhookClaim?> StoreAsync(WebhookEvent webhookEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhookEvent);
        webhookEvent.ReceivedAt = clock.GetUtcNow();
        webhookEvent.NextAttemptAt = webhookEvent.ReceivedAt + UnprocessedGrace;
        webhookEvent.ClaimedUntil = webhookEvent.ReceivedAt + UnprocessedGrace;
        db.WebhookEvents.Add(webhookEvent);
        try
        {
            if (db.Database.IsNpgsql())
            {
                await using var transaction = await db.Database.BeginWholeTransactionAsync(cancellationToken);
                await db.Database.ExecuteSqlRawAsync("SET LOCAL synchronous_commit = off", cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            else
            {
                await db.SaveChangesAsync(cancellationToken);
            }

            return new WebhookClaim(webhookEvent.Id, webhookEvent.ReceivedAt);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            db.ChangeTracker.Clear();
            // The first delivery's row is committed, but perhaps not flushed yet (see above) while its request still
            // processes it. Counting this delivery is a write whose synchronous commit flushes the WAL through that
            // row, so the caller's 200 promises nothing that a crash could take back.
            var eventId = webhookEvent.EventId;
            await db.WebhookEvents.Where(e => e.EventId == eventId)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.Deliveries, e => e.Deliveries + 1), cancellationToken);
            return null;
        }
    }

    /// <summary>
    /// Claims a stored event for <see cref="ClaimLease"/> when nobody holds it and it matches
    /// <paramref name="condition"/> (any state when null); null when it does not.
    /// </summary>
    public async Task<WebhookClaim?> ClaimAsync(Guid id, DateTimeOffset now, Expression<Func<WebhookEvent, bool>>? condition, CancellationToken cancellationToken)
    {
        var until = now + ClaimLease;
        var candidate = db.WebhookEvents.Where(e => e.Id == id).Where(Unclaimed(now));
        if (condition is not null)
        {
            candidate = candidate.Where(condition);
        }

        // One conditional update: of two claimants at once, the database lets exactly one match.
        var claimed = await candidate.ExecuteUpdateAsync(s => s.SetProperty(e => e.ClaimedUntil, until), cancellationToken);
        return claimed == 1 ? new WebhookClaim(id, now) : null;
    }

    /// <summary>Due events that nobody holds, the longest waiting first.</summary>
    public Task<List<Guid>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        db.WebhookEvents.AsNoTracking()
            .Where(Due(now))
            .Where(Unclaimed(now))
            .OrderBy(e => e.NextAttemptAt)
            .Select(e => e.Id)
            .Take(limit)
            .ToListAsync(cancellationToken);

    private static Expression<Func<WebhookEvent, bool>> Unclaimed(DateTimeOffset now) => e => e.ClaimedUntil == null || e.ClaimedUntil <= now;
}
