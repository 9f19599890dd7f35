using Coravel.Invocable;
using Crm.Data;
using Crm.Data.Audit;
using Crm.Data.Campaigns;
using Crm.Data.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Jobs.Campaigns;

/// <summary>
/// Every <c>Campaigns:Tick</c>: starts the scheduled campaigns that are due (for a recurring one, its due run), then
/// queues the running campaigns' texts and follow-ups for the turns until the next tick. Once per tick across instances, by a database lease on the tick.
/// </summary>
public sealed partial class CampaignTickJob(
    JobLeases leases,
    CrmDbContext db,
    CampaignOperations campaigns,
    CampaignDispatcher dispatcher,
    TimeProvider clock,
    IOptions<CampaignOptions> options,
    ILogger<CampaignTickJob> logger) : IInvocable, ICancellableInvocable
{
    public const string Name = "campaigns";

    public CancellationToken CancellationToken { get; set; }

    public Task Invoke() => RunAsync(CancellationToken);

    /// <summary>The tick now, unless another instance took it; how many texts it queued.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (!await leases.TryTakeAsync(Name, JobLeases.TickOf(now, options.Value.Tick), cancellationToken))
        {
            return 0;
        }

        var due = await db.Campaigns.AsNoTracking().Where(c => c.Status == CampaignStatus.Scheduled && c.StartAt <= now)
            .Select(c => new { c.Id, Recurs = c.Recurrence != null }).ToListAsync(cancellationToken);
        foreach (var (id, recurs) in due.Select(c => (c.Id, c.Recurs)))
        {
            try
            {
                if (recurs)
                {
                    await campaigns.RunDueAsync(id, cancellationToken);
                }
                else
                {
                    await campaigns.StartAsync(id, Actor.System, cancellationToken);
                }
            }
            catch (DomainException ex)
            {
                // Its list was deleted, its filter no longer parses: staff see why on the campaign, back in DRAFT (a
                // recurring one with no more runs until it is scheduled again).
                LogStartFailed(logger, id, ex.Message);
                await campaigns.UnscheduleAsync(id, ex.Message, cancellationToken);
            }
        }

        return await dispatcher.DispatchAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduled campaign {CampaignId} could not start: {Reason}")]
    private static partial void LogStartFailed(ILogger logger, Guid campaignId, string reason);
}
