using System.Collections.Concurrent;
using System.Security.Cryptography;
using Crm.Data;
using Crm.Data.Backups;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Jobs.Backups;

/// <summary>
/// Copies every media URL activities point at that has no copy yet into Backups:Directory/media/&lt;sha256&gt;, before
/// OpenPhone's links expire. One failing URL is recorded and tried again next run; it never fails the run.
/// </summary>
public sealed partial class MediaBackups(CrmDbContext db, IOptions<BackupOptions> options, TimeProvider clock, IHttpClientFactory http, BackupBucket bucket, ILogger<MediaBackups> logger)
{
    /// <summary>No API key or other header: media links are presigned and often on another host than OpenPhone's API.</summary>
    public const string HttpClientName = "backup-media";

    public async Task<Backup> RunAsync(BackupTrigger trigger, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            throw new InvalidOperationException("Backups:Directory is not set.");
        }

        var backup = new Backup { Kind = BackupKind.Media, Trigger = trigger, Status = BackupStatus.Running, StartedAt = clock.GetUtcNow() };
        db.Backups.Add(backup);
        await db.SaveChangesAsync(cancellationToken);

        var directory = Path.Combine(Path.GetFullPath(o.Directory!), "media");
        try
        {
            Directory.CreateDirectory(directory);
            var pending = await PendingAsync(cancellationToken);
            var results = new ConcurrentBag<(string Url, string? Sha256, long Size, string? Type, string? Error)>();
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = o.MediaConcurrency, CancellationToken = cancellationToken }, async (url, ct) =>
            {
                try
                {
                    var (sha, size, type) = await CopyAsync(url, directory, o.MediaMaxBytes, ct);
                    results.Add((url, sha, size, type, null));
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException or TaskCanceledException or Amazon.Runtime.AmazonServiceException && !ct.IsCancellationRequested)
                {
                    results.Add((url, null, 0, null, DatabaseBackups.Truncate(ex.Message)));
                }
            });

            var now = clock.GetUtcNow();
            var known = await db.MediaCopies.Where(m => pending.Contains(m.Url)).ToDictionaryAsync(m => m.Url, cancellationToken);
            foreach (var (url, sha, size, type, error) in results)
            {
                if (!known.TryGetValue(url, out var copy))
                {
                    copy = new MediaCopy { Url = url };
                    db.MediaCopies.Add(copy);
                }

                copy.Attempts++;
                copy.LastAttemptAt = now;
                copy.LastError = error?.Length > 1000 ? error[..1000] : error;
                if (sha is not null)
                {
                    (copy.Sha256, copy.SizeBytes, copy.ContentType, copy.CopiedAt) = (sha, size, type?.Length > 100 ? type[..100] : type, now);
                }
            }

            backup.MediaCopied = results.Count(r => r.Sha256 is not null);
            backup.MediaFailed = results.Count(r => r.Sha256 is null);
            backup.SizeBytes = results.Sum(r => r.Size);
            backup.Status = BackupStatus.Succeeded;
            if (backup.MediaFailed > 0)
            {
                backup.Error = $"{backup.MediaFailed} media file(s) could not be fetched; they are tried again on the next run.";
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            db.ChangeTracker.Clear();
            db.Backups.Attach(backup);
            backup.Status = BackupStatus.Failed;
            backup.Error = DatabaseBackups.Truncate(ex.Message);
            LogFailed(logger, ex);
        }

        backup.FinishedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken.None);
        LogDone(logger, backup.MediaCopied ?? 0, backup.MediaFailed ?? 0);
        return backup;
    }

    /// <summary>Absolute http(s) URLs of every message's media and every call's recordings and voicemail not copied yet.</summary>
    private async Task<List<string>> PendingAsync(CancellationToken cancellationToken)
    {
        var urls = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var a in db.Activities.AsNoTracking().Select(a => new { a.Media, a.Recordings, a.Voicemail }).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            foreach (var item in a.Media.Concat(a.Recordings).Append(a.Voicemail))
            {
                if (item is not null && Uri.TryCreate(item.Url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
                {
                    urls.Add(item.Url);
                }
            }
        }

        var copied = await db.MediaCopies.AsNoTracking().Where(m => m.Sha256 != null).Select(m => m.Url).ToListAsync(cancellationToken);
        urls.ExceptWith(copied);
        return [.. urls];
    }

    /// <summary>Streams the file to a temporary name while hashing it, then keeps it under its hash (once, whoever else links to it).</summary>
    private async Task<(string Sha256, long Size, string? Type)> CopyAsync(string url, string directory, long maxBytes, CancellationToken cancellationToken)
    {
        using var response = await http.CreateClient(HttpClientName).GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }

        if (response.Content.Headers.ContentLength > maxBytes)
        {
            throw new InvalidDataException($"Larger than Backups:MediaMaxBytes ({maxBytes} bytes).");
        }

        var temporary = Path.Combine(directory, $".{Guid.NewGuid():N}.partial");
        try
        {
            long size = 0;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
            await using (var file = File.Create(temporary))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    size += read;
                    if (size > maxBytes)
                    {
                        throw new InvalidDataException($"Larger than Backups:MediaMaxBytes ({maxBytes} bytes).");
                    }

                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }

            var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            var target = Path.Combine(directory, sha);
            var type = response.Content.Headers.ContentType?.MediaType;
            if (File.Exists(target))
            {
                return (sha, size, type);
            }

            File.Move(temporary, target, overwrite: true);
            if (bucket.Enabled)
            {
                await bucket.UploadAsync("media/" + sha, target, type ?? "application/octet-stream", cancellationToken);
            }

            return (sha, size, type);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Media backup: {Copied} copied, {Failed} failed")]
    private static partial void LogDone(ILogger logger, int copied, int failed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Media backup failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
