using Crm.Data.Events;
using Crm.Data.Users;
using Crm.GraphQL.Events;

namespace Crm.GraphQL.Auth;

/// <summary>
/// Drops a cached API-key check when any instance announces that the key's access changed (a revocation), and
/// everything when this instance may have missed such an announcement: events dropped, or Redis back after a loss.
/// </summary>
internal sealed partial class ApiKeyCacheInvalidation(IEventBus bus, ApiKeyCache cache, ILogger<ApiKeyCacheInvalidation> logger, RedisConnection? redis = null) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (redis is not null)
        {
            redis.Restored += cache.Clear;
        }

        // The base runs ExecuteAsync up to its first await, where both buses have registered the listener: a revocation
        // published once the host has started is seen.
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (redis is not null)
        {
            redis.Restored -= cache.Clear;
        }

        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var crmEvent in bus.SubscribeAsync(AccessChanged.TopicName, stoppingToken))
                {
                    if (crmEvent is AccessChanged changed)
                    {
                        cache.Forget(changed.PrincipalId);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (EventsDroppedException)
            {
                LogDropped(logger);
                cache.Clear();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Access events were dropped; every cached API-key check is discarded")]
    private static partial void LogDropped(ILogger logger);
}
