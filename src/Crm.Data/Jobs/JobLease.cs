using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Jobs;

/// <summary>
/// One run of a scheduled job for one tick: the instance that inserts the row runs the tick, every other instance finds
/// it there and skips it (sending-and-compliance.md §6: an in-memory lock only keeps one process from overlapping).
/// </summary>
public sealed class JobLease
{
    public required string Job { get; init; }

    /// <summary>The tick's start.</summary>
    public DateTimeOffset Tick { get; init; }

    public DateTimeOffset TakenAt { get; init; }
}

public sealed class JobLeases(CrmDbContext db, TimeProvider clock)
{
    /// <summary>Ticks are kept this long, then forgotten: long after any instance could still be running one.</summary>
    private static readonly TimeSpan Keep = TimeSpan.FromDays(1);

    /// <summary>True for the one caller, across instances, that takes this job's tick; false for every other. Outside any unit of work.</summary>
    public async Task<bool> TryTakeAsync(string job, DateTimeOffset tick, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var lease = db.JobLeases.Add(new JobLease { Job = job, Tick = tick, TakenAt = now });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            return false;
        }
        finally
        {
            lease.State = EntityState.Detached;
        }

        // Every take, not only on-the-hour ticks: a job taken at odd moments (an admin's runBackup) would otherwise keep
        // its rows. One indexed delete (the key starts with the job) of the few rows that aged out since the last take.
        var before = now - Keep;
        await db.JobLeases.Where(l => l.Job == job && l.Tick < before).ExecuteDeleteAsync(cancellationToken);
        return true;
    }

    /// <summary>The start of the tick <paramref name="now"/> falls in, for ticks of <paramref name="every"/>.</summary>
    public static DateTimeOffset TickOf(DateTimeOffset now, TimeSpan every) =>
        new(now.UtcTicks - (now.UtcTicks % every.Ticks), TimeSpan.Zero);
}
