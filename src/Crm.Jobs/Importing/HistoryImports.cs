using Crm.Data;
using Crm.Data.Audit;
using Crm.Data.Importing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Jobs.Importing;

/// <summary>Starts OpenPhone history imports, for <c>startOpenPhoneImport</c> and the server's command line.</summary>
public sealed class HistoryImports(CrmDbContext db, ImportJobOperations jobs)
{
    /// <summary>An incremental run looks this far before the last run's start: OpenPhone's clock is not ours, and a text may be written late.</summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A history import: everything when <paramref name="full"/> or when none ran before; else what changed since
    /// <paramref name="since"/>, or since the last successful run began. While one is queued or running, that one.
    /// </summary>
    public async Task<ImportJob> StartAsync(bool full, DateTimeOffset? since, Actor actor, CancellationToken cancellationToken)
    {
        var history = db.ImportJobs.AsNoTracking().Where(j => j.Kind == ImportKind.OpenPhoneHistory);
        var active = await history.Where(j => j.Status == ImportStatus.Queued || j.Status == ImportStatus.Running).OrderBy(j => j.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        if (active is not null)
        {
            return active;
        }

        var lastStart = full || since is not null ? null
            : await history.Where(j => j.Status == ImportStatus.Succeeded).OrderByDescending(j => j.CreatedAt).Select(j => j.StartedAt).FirstOrDefaultAsync(cancellationToken);
        var after = full ? null : since ?? lastStart - Overlap;
        return await jobs.StartAsync(ImportKind.OpenPhoneHistory, OpenPhoneHistoryImporter.Serialize(new HistoryImportOptions(after)), actor, cancellationToken);
    }
}
