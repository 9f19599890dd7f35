using Crm.Data;
using Crm.Data.Events;
using Crm.Data.Reporting;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Crm.GraphQL.Dashboard;

/// <summary>
/// The dashboard, computed once and served from <see cref="HybridCache"/> (memory, and Redis when configured) until an
/// event that could change a number arrives, on any instance: every instance hears every event through the bus.
/// </summary>
/// <remarks>
/// The key names the business day, so the periods move on at local midnight without an event; the expiry bounds how
/// long a change that publishes no event (none is known) could go unseen.
/// </remarks>
internal sealed class DashboardCache(HybridCache cache, IServiceScopeFactory scopes, TimeProvider clock, IOptions<CrmOptions> options, IEventBus bus) : BackgroundService
{
    private const string Tag = "dashboard";

    private static readonly string[] Topics =
        [MessageReceived.TopicName, ActivityUpdated.TopicName, ConversationUpdated.TopicName, ContactUpdated.TopicName, CampaignUpdated.TopicName];

    private static readonly HybridCacheEntryOptions Entry = new() { Expiration = TimeSpan.FromMinutes(10), LocalCacheExpiration = TimeSpan.FromMinutes(10) };

    private static readonly string[] Tags = [Tag];

    public async ValueTask<Data.Reporting.Dashboard> GetAsync(CancellationToken cancellationToken)
    {
        var zone = DateTimeZoneProviders.Tzdb[options.Value.BusinessTimeZone];
        var day = Instant.FromDateTimeOffset(clock.GetUtcNow()).InZone(zone).Date;
        return await cache.GetOrCreateAsync(
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"dashboard:{zone.Id}:{day:yyyy-MM-dd}"),
            (Scopes: scopes, Clock: clock, Zone: zone),
            static async (state, ct) =>
            {
                await using var scope = state.Scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
                return await DashboardStats.ComputeAsync(db, state.Clock.GetUtcNow(), state.Zone, ct);
            },
            Entry,
            Tags,
            cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(Topics.Select(topic => WatchAsync(topic, stoppingToken)));

    private async Task WatchAsync(string topic, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var _ in bus.SubscribeAsync(topic, cancellationToken))
                {
                    await cache.RemoveByTagAsync(Tag, cancellationToken);
                }
            }
            catch (EventsDroppedException)
            {
                // Events were lost, any of which may have changed a number: drop the numbers and listen again.
                await cache.RemoveByTagAsync(Tag, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
