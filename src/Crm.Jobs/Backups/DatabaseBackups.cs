using System.Globalization;
using System.Security.Cryptography;
using Crm.Data;
using Crm.Data.Backups;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Jobs.Backups;

/// <summary>Database backups: a <c>pg_dump -Fc</c> or an online SQLite backup into Backups:Directory, recorded, uploaded, then retention.</summary>
public sealed partial class DatabaseBackups(CrmDbContext db, IOptions<BackupOptions> options, TimeProvider clock, ILogger<DatabaseBackups> logger, BackupBucket bucket)
{
    /// <summary>A run still "running" after this long was cut off (a restart, a crash) and is marked failed.</summary>
    private static readonly TimeSpan Abandoned = TimeSpan.FromHours(6);

    private readonly CrmDbContext _db = db;
    private readonly IOptions<BackupOptions> _options = options;
    private readonly TimeProvider _clock = clock;
    private readonly ILogger<DatabaseBackups> _logger = logger;
    private readonly BackupBucket _bucket = bucket;

    public bool Enabled => _options.Value.Enabled;

    /// <summary>Writes one backup now and records it, succeeded or failed; then applies retention. Never throws for a failed dump.</summary>
    public async Task<Backup> CreateAsync(BackupTrigger trigger, CancellationToken cancellationToken)
    {
        var o = _options.Value;
        if (!o.Enabled)
        {
            throw new InvalidOperationException("Backups:Directory is not set.");
        }

        var now = _clock.GetUtcNow();
        await MarkAbandonedAsync(now, cancellationToken);
        var sqlite = !_db.Database.IsNpgsql();
        var backup = new Backup
        {
            Kind = BackupKind.Database,
            Trigger = trigger,
            Status = BackupStatus.Running,
            StartedAt = now,
            FileName = string.Create(CultureInfo.InvariantCulture, $"crm-{now:yyyyMMdd-HHmmss}Z-{Guid.NewGuid().ToString("N")[..6]}.{(sqlite ? "sqlite" : "dump")}"),
        };
        _db.Backups.Add(backup);
        await _db.SaveChangesAsync(cancellationToken);

        var directory = Path.GetFullPath(o.Directory!);
        var file = Path.Combine(directory, backup.FileName);
        var partial = file + ".partial";
        try
        {
            Directory.CreateDirectory(directory);
            if (sqlite)
            {
                await BackupSqliteAsync(partial, cancellationToken);
            }
            else
            {
                await PgTools.DumpAsync(o.PgDumpPath, _db.Database.GetConnectionString()!, partial, cancellationToken);
            }

            (backup.Sha256, backup.SizeBytes) = await HashAsync(partial, cancellationToken);
            File.Move(partial, file);
            backup.Status = BackupStatus.Succeeded;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            File.Delete(partial);
            backup.Status = BackupStatus.Failed;
            backup.Error = Truncate(ex.Message);
            LogFailed(_logger, backup.FileName, ex);
        }

        if (backup.Status == BackupStatus.Succeeded && _bucket.Enabled)
        {
            try
            {
                await _bucket.UploadAsync(backup.FileName, file, "application/octet-stream", cancellationToken);
                backup.Uploaded = true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The local dump stands; the row says the bucket does not have it.
                backup.Error = Truncate($"Not uploaded to the bucket: {ex.Message}");
                LogUploadFailed(_logger, backup.FileName, ex);
            }
        }

        backup.FinishedAt = _clock.GetUtcNow();
        await _db.SaveChangesAsync(CancellationToken.None);
        if (backup.Status == BackupStatus.Succeeded)
        {
            LogCreated(_logger, backup.FileName, backup.SizeBytes ?? 0, backup.Uploaded);
            await ApplyRetentionAsync(now, cancellationToken);
        }

        return backup;
    }

    /// <summary>
    /// Keeps the newest succeeded database backup of each of the newest KeepDaily days and of each of the newest
    /// KeepWeekly ISO weeks; removes every other one (file and bucket copy) and marks its row deleted. What it removed.
    /// </summary>
    public async Task<IReadOnlyList<Backup>> ApplyRetentionAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var o = _options.Value;
        var kept = await _db.Backups
            .Where(b => b.Kind == BackupKind.Database && b.Status == BackupStatus.Succeeded && b.DeletedAt == null && b.FileName != null)
            .ToListAsync(cancellationToken);
        kept = [.. kept.OrderByDescending(b => b.StartedAt).ThenByDescending(b => b.Id)];
        var keep = new HashSet<Guid>();
        keep.UnionWith(kept.GroupBy(b => b.StartedAt.UtcDateTime.Date).Take(o.KeepDaily).Select(g => g.First().Id));
        keep.UnionWith(kept.GroupBy(b => (ISOWeek.GetYear(b.StartedAt.UtcDateTime), ISOWeek.GetWeekOfYear(b.StartedAt.UtcDateTime))).Take(o.KeepWeekly).Select(g => g.First().Id));

        var removed = new List<Backup>();
        foreach (var backup in kept.Where(b => !keep.Contains(b.Id)))
        {
            try
            {
                File.Delete(Path.Combine(Path.GetFullPath(o.Directory!), backup.FileName!));
                if (backup.Uploaded && _bucket.Enabled)
                {
                    await _bucket.DeleteAsync(backup.FileName!, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Amazon.Runtime.AmazonServiceException or HttpRequestException)
            {
                // Left as it is: the next run tries again.
                LogRemoveFailed(_logger, backup.FileName!, ex);
                continue;
            }

            backup.DeletedAt = now;
            removed.Add(backup);
        }

        await _db.SaveChangesAsync(cancellationToken);
        return removed;
    }

    private async Task MarkAbandonedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var before = now - Abandoned;
        await _db.Backups.Where(b => b.Status == BackupStatus.Running && b.StartedAt < before)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, BackupStatus.Failed).SetProperty(b => b.Error, "It did not finish: the process running it stopped."), cancellationToken);
    }

    /// <summary>SQLite's online backup: a consistent copy while the server keeps writing.</summary>
    private async Task BackupSqliteAsync(string file, CancellationToken cancellationToken)
    {
        await using var source = new SqliteConnection(_db.Database.GetConnectionString());
        await source.OpenAsync(cancellationToken);
        await using var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ConnectionString);
        await destination.OpenAsync(cancellationToken);
        source.BackupDatabase(destination);
    }

    internal static async Task<(string Sha256, long Size)> HashAsync(string file, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(file);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return (Convert.ToHexStringLower(hash), stream.Length);
    }

    internal static string Truncate(string message) => message.Length > 2000 ? message[..2000] : message;

    [LoggerMessage(Level = LogLevel.Information, Message = "Database backup {File} written ({Bytes} bytes, uploaded: {Uploaded})")]
    private static partial void LogCreated(ILogger logger, string file, long bytes, bool uploaded);

    [LoggerMessage(Level = LogLevel.Error, Message = "Database backup {File} failed")]
    private static partial void LogFailed(ILogger logger, string file, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Database backup {File} was not uploaded to the bucket")]
    private static partial void LogUploadFailed(ILogger logger, string file, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Old backup {File} could not be removed; the next run tries again")]
    private static partial void LogRemoveFailed(ILogger logger, string file, Exception exception);
}
