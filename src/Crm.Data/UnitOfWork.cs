using System.Data.Common;
using Crm.Data.Events;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Crm.Data;

/// <summary>What an operation did: its result, and the events to publish once it is committed.</summary>
public sealed record Change<T>(T Value, IReadOnlyList<CrmEvent> Events);

public static class Change
{
    public static Change<T> Of<T>(T value, params IReadOnlyList<CrmEvent> events) => new(value, events);
}

/// <summary>
/// The one way state changes: an operation runs in one transaction, is committed, and only then are its events
/// published. Operations hand their events back (<see cref="Change{T}"/>) and never publish themselves.
/// </summary>
/// <remarks>
/// An operation that runs another (accepting an invitation creates a user; a webhook records a text) joins the
/// outer unit: one transaction, one commit, every event published after it. The unit leaves the change tracker
/// empty: what it returns is detached.
/// Two concurrent writers may both create the same contact, line, conversation or activity; the loser gets a unique
/// violation and the whole operation runs again from scratch, finding the winner's rows. Every sender, importer and
/// job that goes through here inherits that.
/// </remarks>
public sealed partial class UnitOfWork(CrmDbContext db, IEventBus bus, ILogger<UnitOfWork> logger)
{
    /// <summary>How many times an operation runs before a lost unique race counts as a failure.</summary>
    public const int RaceAttempts = 3;

    private List<CrmEvent>? _pending;

    /// <summary>
    /// When false, this scope's commits on PostgreSQL return before their WAL is flushed. Only for work whose input is
    /// already durable and whose processing is idempotent (webhook events from the inbox): a crash can take such a
    /// commit back, and the input is processed again. Anything this work hands on is still safe: whoever acts on it
    /// outside the database (the outbound sender) commits synchronously first, and that flush covers this commit.
    /// </summary>
    public bool WaitForFlush { get; set; } = true;

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<Change<T>>> operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (_pending is { } outer)
        {
            var part = await operation(cancellationToken);
            outer.AddRange(part.Events);
            return part.Value;
        }

        var (value, events) = await CommitAsync(operation, cancellationToken);
        foreach (var crmEvent in events)
        {
            // Not the caller's token: what is committed is news for every subscriber, whether or not the caller still listens.
            await bus.PublishAsync(crmEvent, CancellationToken.None);
        }

        return value;
    }

    private async Task<(T Value, List<CrmEvent> Events)> CommitAsync<T>(Func<CancellationToken, Task<Change<T>>> operation, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var events = _pending = [];
            try
            {
                await using var transaction = await db.Database.BeginWholeTransactionAsync(cancellationToken);
                // A type test, not IsNpgsql(): that reads the provider assembly's name on every call, and this runs on every commit.
                if (!WaitForFlush && db is PostgresCrmDbContext)
                {
                    await db.Database.ExecuteSqlRawAsync("SET LOCAL synchronous_commit = off", cancellationToken);
                }

                var change = await operation(cancellationToken);
                events.AddRange(change.Events);
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return (change.Value, events);
            }
            catch (DbUpdateException ex) when (ex.IsUniqueViolation() && attempt < RaceAttempts)
            {
                LogRaceLost(logger, attempt);
            }
            catch (Exception ex) when (ex is DbException or (DbUpdateException and not DbUpdateConcurrencyException))
            {
                // EF Core logs failed commands and saves below Warning (see AddCrmData), so that a handled race is
                // quiet: a database failure that is not handled here is logged here. Business refusals are not
                // failures, nor is a concurrency token's refusal: the caller knows what it fenced (a webhook claim).
                LogFailed(logger, ex);
                throw;
            }
            finally
            {
                _pending = null;
                // Nothing of one attempt or unit reaches the next in the same scope (the retry job's batch, a call's
                // waiting details): each reads, and locks, its rows afresh; a tracked row would come back unlocked.
                db.ChangeTracker.Clear();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lost a race on a unique index (attempt {Attempt}); running the operation again")]
    private static partial void LogRaceLost(ILogger logger, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "A unit of work failed in the database and was rolled back")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
