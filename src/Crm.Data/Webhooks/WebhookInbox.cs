using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Webhooks;

/// <summary>The right to process one stored event, until its lease runs out. Only the inbox hands them out.</summary>
/// <remarks>
/// The lease it stamped is also a fencing token: the event's row is only written while it still holds that lease
/// (<see cref="WebhookEvent.ClaimedUntil"/> is a concurrency token). So a claimant whose lease ran out before it got
/// to the event (it waited in a long queue, or stalled) cannot process it after whoever took it over.
/// </remarks>
public sealed class WebhookClaim
{
    internal WebhookClaim(Guid id, DateTimeOffset at, DateTimeOffset until)
    {
        Id = id;
        At = at;
        Until = until;
    }

    /// <summary>The event's <see cref="WebhookEvent.Id"/>.</summary>
    public Guid Id { get; }

    /// <summary>When it was claimed: the time its processing records.</summary>
    public DateTimeOffset At { get; }

    /// <summary>The lease stamped on the event when it was claimed.</summary>
    public DateTimeOffset Until { get; }

    /// <summary>Throws <see cref="WebhookClaimLostException"/> unless the event, as read, is still held by this claim.</summary>
    public void EnsureHolds(WebhookEvent webhookEvent)
    {
        ArgumentNullException.ThrowIfNull(webhookEvent);
        if (webhookEvent.Id != Id || webhookEvent.ClaimedUntil != Until)
        {
            throw new WebhookClaimLostException();
        }
    }
}

/// <summary>The claim's lease ran out and another claimant took the event over: theirs is the processing.</summary>
public sealed class WebhookClaimLostException() : Exception("The webhook event is no longer held by this claim.");

/// <summary>
/// Stores raw deliveries once, and hands out claims on them: whoever processes an event (the webhook workers, the retry job,
/// the follow-up of a call, an operator's replay) claims it first, so no event is processed twice at once.
/// </summary>
/// <remarks>
/// A claim is a lease (<see cref="WebhookEvent.ClaimedUntil"/>) that processing ends. A processor that dies holds its
/// claim until the lease runs out; then the retry job may take the event up, and the old claim can no longer write it.
/// </remarks>
public sealed class WebhookInbox(CrmDbContext db, TimeProvider clock)
{
    /// <summary>
    /// How long the webhook workers hold an event stored for them: a stored event that nobody gets to process (the
    /// process died, or processing and recording its failure both failed) is picked up by the retry job after it.
    /// </summary>
    public static readonly TimeSpan UnprocessedGrace = TimeSpan.FromMinutes(2);

    /// <summary>How long any other claim holds before another instance may take the event.</summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(5);

    /// <summary>Failed, or stored and never processed, and its next attempt has come.</summary>
    public static Expression<Func<WebhookEvent, bool>> Due(DateTimeOffset now) =>
        e => (e.Status == WebhookEventStatus.Failed || e.Status == WebhookEventStatus.Received) && e.NextAttemptAt <= now;

    /// <summary>
    /// Inserts a batch of deliveries in one transaction and one synchronous commit (group commit): each new event is
    /// returned claimed by the caller, who is the only one to know of it yet; null for a redelivery of an event
    /// already stored (in an earlier batch or earlier in this one), which is counted instead.
    /// </summary>
    /// <remarks>
    /// When this returns, every row of the batch is on disk (PostgreSQL's default <c>synchronous_commit = on</c>):
    /// the caller may answer each sender 200. Database failures propagate, and nothing of the batch is stored: the
    /// caller answers 503 so the senders retry. Another instance storing the same event at the same moment makes the
    /// insert lose a unique race; the batch then runs again and finds that event stored.
    /// </remarks>
    public async Task<IReadOnlyList<WebhookClaim?>> StoreAsync(IReadOnlyList<WebhookEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StoreOnceAsync(events, cancellationToken);
            }
            catch (DbUpdateException ex) when (ex.IsUniqueViolation() && attempt < UnitOfWork.RaceAttempts)
            {
                // Lost to another instance storing one of these events: the next run sees it as a redelivery.
            }
            finally
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task<IReadOnlyList<WebhookClaim?>> StoreOnceAsync(IReadOnlyList<WebhookEvent> events, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginWholeTransactionAsync(cancellationToken);
        var eventIds = events.Select(e => e.EventId).Distinct(StringComparer.Ordinal).ToList();
        var known = (await db.WebhookEvents.Where(e => eventIds.Contains(e.EventId)).Select(e => e.EventId).ToListAsync(cancellationToken))
            .ToHashSet(StringComparer.Ordinal);
        var claims = new WebhookClaim?[events.Count];
        var repeats = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < events.Count; i++)
        {
            var webhookEvent = events[i];
            if (known.Add(webhookEvent.EventId))
            {
                webhookEvent.ReceivedAt = now;
                webhookEvent.NextAttemptAt = now + UnprocessedGrace;
                webhookEvent.ClaimedUntil = Lease(now + UnprocessedGrace);
                db.WebhookEvents.Add(webhookEvent);
                claims[i] = new WebhookClaim(webhookEvent.Id, now, webhookEvent.ClaimedUntil.Value);
            }
            else
            {
                repeats[webhookEvent.EventId] = repeats.GetValueOrDefault(webhookEvent.EventId) + 1;
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        foreach (var (eventId, count) in repeats)
        {
            await db.WebhookEvents.Where(e => e.EventId == eventId)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.Deliveries, e => e.Deliveries + count), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return claims;
    }

    /// <summary>
    /// Claims a stored event for <see cref="ClaimLease"/> when nobody holds it and it matches
    /// <paramref name="condition"/> (any state when null); null when it does not.
    /// </summary>
    public async Task<WebhookClaim?> ClaimAsync(Guid id, DateTimeOffset now, Expression<Func<WebhookEvent, bool>>? condition, CancellationToken cancellationToken)
    {
        var until = Lease(now + ClaimLease);
        var candidate = db.WebhookEvents.Where(e => e.Id == id).Where(Unclaimed(now));
        if (condition is not null)
        {
            candidate = candidate.Where(condition);
        }

        // One conditional update: of two claimants at once, the database lets exactly one match.
        var claimed = await candidate.ExecuteUpdateAsync(s => s.SetProperty(e => e.ClaimedUntil, until), cancellationToken);
        return claimed == 1 ? new WebhookClaim(id, now, until) : null;
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

    /// <summary>Whole microseconds, as PostgreSQL keeps them: a claim then compares equal to the lease read back.</summary>
    private static DateTimeOffset Lease(DateTimeOffset until) => new(until.UtcTicks - (until.UtcTicks % 10), TimeSpan.Zero);

    private static Expression<Func<WebhookEvent, bool>> Unclaimed(DateTimeOffset now) => e => e.ClaimedUntil == null || e.ClaimedUntil <= now;
}
