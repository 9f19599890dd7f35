using Coravel.Invocable;
using Crm.Data.Backups;
using Crm.Data.Jobs;
using Microsoft.Extensions.Options;

namespace Crm.Jobs.Backups;

/// <summary>What one scheduled run wrote.</summary>
public sealed record BackupRunResult(Backup Database, Backup? Media);

/// <summary>
/// Scheduled hourly; from Backups:Hour (UTC) on, runs once a day across instances (a lease keyed by the UTC day): the
/// database backup, then the media copy. Off while Backups:Directory is unset.
/// </summary>
internal sealed class BackupJob(JobLeases leases, DatabaseBackups database, MediaBackups media, IOptions<BackupOptions> options, TimeProvider clock) : IInvocable, ICancellableInvocable
{
    public const string Name = "backup";

    public CancellationToken CancellationToken { get; set; }

    public Task Invoke() => RunAsync(clock.GetUtcNow(), CancellationToken);

    /// <summary>Null when backups are off, the day's hour has not come, or another run already took the day.</summary>
    public async Task<BackupRunResult?> RunAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Enabled || now.UtcDateTime.Hour < o.Hour || !await leases.TryTakeAsync(Name, JobLeases.TickOf(now, TimeSpan.FromDays(1)), cancellationToken))
        {
            return null;
        }

        var dump = await database.CreateAsync(BackupTrigger.Schedule, cancellationToken);
        var copies = o.Media ? await media.RunAsync(BackupTrigger.Schedule, cancellationToken) : null;
        return new BackupRunResult(dump, copies);
    }
}
