using Crm.Data.Audit;
using Crm.Data.Events;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Importing;

/// <summary>A worker's hold on a job: only the holder of the current token may move it on.</summary>
public sealed record ImportClaim(Guid JobId, Guid Token, ImportKind Kind, string Options, string? Checkpoint, int Runs);

/// <summary>What one step of an import did, recorded with the step's own writes.</summary>
/// <param name="Phase">The step now under way; null keeps the current one.</param>
/// <param name="Total">Items the run now expects; null keeps the current count.</param>
/// <param name="Done">Items finished in this step (added to the job's count).</param>
/// <param name="Failed">Items of this step that could not be imported (also added).</param>
/// <param name="Checkpoint">Where the next step starts; null keeps the current one.</param>
public sealed record ImportProgress(string? Phase = null, int? Total = null, int Done = 0, int Failed = 0, string? Checkpoint = null)
{
    public IReadOnlyList<(string Item, string Message)> Errors { get; init; } = [];
}

/// <summary>Whether the worker still holds its claim, and whether staff asked it to stop.</summary>
public enum ImportHold
{
    Held,
    CancelRequested,
    Lost,
}

/// <summary>The claim was taken over (its lease ran out) or the job ended: whatever the step wrote is rolled back with this.</summary>
public sealed class ImportClaimLostException(Guid jobId) : Exception($"Import job {jobId} is no longer held by this worker.");

/// <summary>
/// The life of an import job. A step's writes and its <see cref="ProgressAsync"/> run in one unit of work, which locks
/// the job and checks the claim: a worker whose lease was taken over cannot commit a step twice.
/// </summary>
public sealed class ImportJobOperations(CrmDbContext db, UnitOfWork work, ImportFiles files, AuditLog audit, TimeProvider clock)
{
    /// <summary>A queued job; joins the caller's unit of work when there is one (an upload stores its file with it).</summary>
    public Task<ImportJob> StartAsync(ImportKind kind, string options, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return work.RunAsync(ct =>
        {
            var job = new ImportJob { Kind = kind, Options = options, StartedBy = actor.Name ?? actor.Kind.ToString(), CreatedAt = clock.GetUtcNow() };
            db.ImportJobs.Add(job);
            audit.Record(actor, "import.started", job.Id.ToString(), kind.ToString());
            return Task.FromResult(Change.Of(job, new ImportJobUpdated(job.Id), new ImportJobQueued(job.Id)));
        }, cancellationToken);
    }

    /// <summary>The oldest job waiting, or one whose worker stopped renewing its lease; null when there is none.</summary>
    public Task<ImportClaim?> ClaimNextAsync(TimeSpan lease, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var now = clock.GetUtcNow();
        var job = await db.ImportJobs.ForUpdateSkipLocked()
            .Where(j => j.Status == ImportStatus.Queued || (j.Status == ImportStatus.Running && j.LeaseUntil < now))
            .OrderBy(j => j.CreatedAt)
            .FirstOrDefaultAsync(ct);
        if (job is null)
        {
            return Change.Of<ImportClaim?>(null);
        }

        job.Status = ImportStatus.Running;
        job.ClaimToken = Guid.NewGuid();
        job.LeaseUntil = now + lease;
        job.StartedAt ??= now;
        job.Runs++;
        return Change.Of<ImportClaim?>(new ImportClaim(job.Id, job.ClaimToken.Value, job.Kind, job.Options, job.Checkpoint, job.Runs), new ImportJobUpdated(job.Id));
    }, cancellationToken);

    /// <summary>Extends the lease; says whether the claim still holds and whether staff asked the job to stop.</summary>
    public Task<ImportHold> RenewAsync(ImportClaim claim, TimeSpan lease, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        ArgumentNullException.ThrowIfNull(claim);
        var job = await HeldAsync(claim, ct);
        if (job is null)
        {
            return Change.Of(ImportHold.Lost);
        }

        job.LeaseUntil = clock.GetUtcNow() + lease;
        return Change.Of(job.CancelRequested ? ImportHold.CancelRequested : ImportHold.Held);
    }, cancellationToken);

    /// <summary>Records a step: counts, phase, checkpoint and errors. Call it inside the step's unit of work.</summary>
    /// <exception cref="ImportClaimLostException">Another worker holds the job now; the step must not commit.</exception>
    public Task ProgressAsync(ImportClaim claim, ImportProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(progress);
        return work.RunAsync(async ct =>
        {
            var job = await HeldAsync(claim, ct) ?? throw new ImportClaimLostException(claim.JobId);
            job.Phase = progress.Phase ?? job.Phase;
            job.Total = progress.Total ?? job.Total;
            job.Done += progress.Done;
            job.Failed += progress.Failed;
            job.Checkpoint = progress.Checkpoint ?? job.Checkpoint;
            var now = clock.GetUtcNow();
            foreach (var (item, message) in progress.Errors)
            {
                db.ImportErrors.Add(new ImportError { JobId = job.Id, At = now, Item = Clip(item, 200), Message = Clip(message, 1000) });
            }

            return Change.Of(true, new ImportJobUpdated(job.Id));
        }, cancellationToken);
    }

    /// <summary>Ends the job as the worker saw it end, and deletes its upload (an ended job is never read again); a claim no longer held changes nothing.</summary>
    public Task FinishAsync(ImportClaim claim, ImportStatus status, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return work.RunAsync(async ct =>
        {
            var job = await HeldAsync(claim, ct);
            if (job is null)
            {
                return Change.Of(false);
            }

            job.Status = status;
            job.Phase = status == ImportStatus.Succeeded ? "done" : status.ToString().ToLowerInvariant();
            job.FinishedAt = clock.GetUtcNow();
            job.FailureReason = reason is null ? null : Clip(reason, 1000);
            job.LeaseUntil = null;
            job.ClaimToken = null;
            await files.DeleteAsync(job.Id, ct);
            CrmMetrics.ImportsFinished.Add(1, new KeyValuePair<string, object?>("kind", job.Kind.ToString()), new KeyValuePair<string, object?>("status", status.ToString()));
            return Change.Of(true, new ImportJobUpdated(job.Id));
        }, cancellationToken);
    }

    /// <summary>
    /// Gives the job back without ending it: another worker (or this one) takes it on from its checkpoint after
    /// <paramref name="after"/>. For a host shutting down, and for a step that failed in a way a later run may not.
    /// </summary>
    public Task ReleaseAsync(ImportClaim claim, TimeSpan after, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return work.RunAsync(async ct =>
        {
            if (await HeldAsync(claim, ct) is not { } job)
            {
                return Change.Of(false);
            }

            job.LeaseUntil = clock.GetUtcNow() + after;
            job.ClaimToken = null;
            // Due at once: other instances' workers take it now. A later one is found by their polling.
            return after <= TimeSpan.Zero ? Change.Of(true, new ImportJobQueued(job.Id)) : Change.Of(true);
        }, cancellationToken);
    }

    /// <summary>A queued job ends at once; a running one stops at its worker's next step. Audited.</summary>
    public Task<ImportJob> CancelAsync(Guid id, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return work.RunAsync(async ct =>
        {
            var job = await db.ImportJobs.ForUpdate().FirstOrDefaultAsync(j => j.Id == id, ct) ?? throw new NotFoundException("ImportJob", id);
            switch (job.Status)
            {
                case ImportStatus.Queued:
                    job.Status = ImportStatus.Cancelled;
                    job.Phase = "cancelled";
                    job.FinishedAt = clock.GetUtcNow();
                    break;
                case ImportStatus.Running:
                    job.CancelRequested = true;
                    break;
                default:
                    throw new InvalidFieldException("id", $"The import already ended ({job.Status.ToString().ToUpperInvariant()}).");
            }

            audit.Record(actor, "import.cancelled", job.Id.ToString(), job.Kind.ToString());
            return Change.Of(job, new ImportJobUpdated(job.Id));
        }, cancellationToken);
    }

    private Task<ImportJob?> HeldAsync(ImportClaim claim, CancellationToken cancellationToken) =>
        db.ImportJobs.ForUpdate().FirstOrDefaultAsync(j => j.Id == claim.JobId && j.ClaimToken == claim.Token && j.Status == ImportStatus.Running, cancellationToken);

    private static string Clip(string text, int length) => text.Length <= length ? text : text[..length];
}
