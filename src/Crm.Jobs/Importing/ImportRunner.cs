using Crm.Data;
using Crm.Data.Events;
using Crm.Data.Importing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Jobs.Importing;

/// <summary>
/// Runs import jobs: each worker claims one, renews its lease while the importer works, and ends the job when the
/// importer returns. A job is found when any instance queues one (<see cref="ImportJobQueued"/> through the bus), and
/// by polling, which also finds the jobs of a worker that died once their lease runs out.
/// </summary>
public sealed partial class ImportRunner(
    IServiceScopeFactory scopes,
    IEventBus bus,
    IOptions<ImportRunnerOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<ImportRunner> logger) : BackgroundService
{
    private readonly ImportRunnerOptions _options = options.Value;
    private readonly SemaphoreSlim _wake = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Once the server listens: the embedded simulator's address is known only then.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_options.Workers <= 0)
        {
            return;
        }

        var workers = Enumerable.Range(0, _options.Workers).Select(_ => Task.Run(() => WorkAsync(stoppingToken), stoppingToken));
        await Task.WhenAll([.. workers, ListenAsync(stoppingToken)]);
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var _ in bus.SubscribeAsync(ImportJobQueued.TopicName, stoppingToken))
                {
                    if (_wake.CurrentCount < _options.Workers)
                    {
                        _wake.Release();
                    }
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogListenFailed(logger, ex);
                await Task.Delay(_options.PollInterval, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var ran = false;
            try
            {
                ran = await RunNextAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogWorkerFailed(logger, ex);
            }

            if (!ran)
            {
                await ((Task)_wake.WaitAsync(_options.PollInterval, stoppingToken)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Claims and runs one job to its end; false when none was waiting.</summary>
    internal async Task<bool> RunNextAsync(CancellationToken stoppingToken)
    {
        ImportClaim? claim;
        await using (var scope = scopes.CreateAsyncScope())
        {
            claim = await scope.ServiceProvider.GetRequiredService<ImportJobOperations>().ClaimNextAsync(_options.Lease, stoppingToken);
        }

        if (claim is null)
        {
            return false;
        }

        using var run = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var heartbeat = KeepAsync(claim, run);
        var (status, reason) = await ExecuteAsync(claim, run.Token);
        await run.CancelAsync();
        var hold = await heartbeat;

        await using var finish = scopes.CreateAsyncScope();
        var jobs = finish.ServiceProvider.GetRequiredService<ImportJobOperations>();
        if (hold == ImportHold.Lost)
        {
            LogClaimLost(logger, claim.JobId);
        }
        else if (status is { } ended)
        {
            await jobs.FinishAsync(claim, ended, reason, CancellationToken.None);
        }
        else if (hold == ImportHold.CancelRequested)
        {
            await jobs.FinishAsync(claim, ImportStatus.Cancelled, null, CancellationToken.None);
        }
        else if (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the next instance to start resumes it at once rather than after the lease.
            await jobs.ReleaseAsync(claim, TimeSpan.Zero, CancellationToken.None);
        }
        else if (claim.Runs >= _options.MaxRuns)
        {
            await jobs.FinishAsync(claim, ImportStatus.Failed, reason, CancellationToken.None);
        }
        else
        {
            await jobs.ReleaseAsync(claim, _options.RetryDelay * claim.Runs, CancellationToken.None);
        }

        return true;
    }

    /// <summary>The importer's outcome: a final status, or null when it stopped short (cancelled, or an error worth another run).</summary>
    private async Task<(ImportStatus? Status, string? Reason)> ExecuteAsync(ImportClaim claim, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var importer = scope.ServiceProvider.GetServices<IImporter>().Single(i => i.Kind == claim.Kind);
            await importer.RunAsync(claim, cancellationToken);
            return (ImportStatus.Succeeded, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (null, null);
        }
        catch (ImportClaimLostException)
        {
            return (null, null);
        }
        catch (DomainException ex)
        {
            // The input itself is wrong (a file that is not CSV, a mapping to no column): another run would fail the same way.
            return (ImportStatus.Failed, ex.Message);
        }
        catch (Exception ex)
        {
            LogImportFailed(logger, ex, claim.JobId, claim.Runs);
            return (null, "The import stopped on an unexpected error; see the server log.");
        }
    }

    /// <summary>Renews the lease until the run ends; cancels the run when the claim is lost or staff cancel the job.</summary>
    private async Task<ImportHold> KeepAsync(ImportClaim claim, CancellationTokenSource run)
    {
        var every = _options.Lease / 3;
        while (!run.IsCancellationRequested)
        {
            await Task.Delay(every, clock, run.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (run.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var hold = await scope.ServiceProvider.GetRequiredService<ImportJobOperations>().RenewAsync(claim, _options.Lease, CancellationToken.None);
                if (hold != ImportHold.Held)
                {
                    await run.CancelAsync();
                    return hold;
                }
            }
            catch (Exception ex)
            {
                // The database is away: the step in progress fails too, and the lease decides who goes on.
                LogRenewFailed(logger, ex, claim.JobId);
            }
        }

        return ImportHold.Held;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import workers stopped listening for jobs; polling until the bus is back.")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "An import worker failed to claim or finish a job.")]
    private static partial void LogWorkerFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Import job {JobId} stopped on an unexpected error in run {Run}.")]
    private static partial void LogImportFailed(ILogger logger, Exception exception, Guid jobId, int run);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import job {JobId}: its lease could not be renewed.")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import job {JobId} was taken over by another worker; this one stopped.")]
    private static partial void LogClaimLost(ILogger logger, Guid jobId);
}
