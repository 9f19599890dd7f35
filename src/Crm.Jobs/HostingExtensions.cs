using Coravel;
using Crm.Jobs.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Jobs;

public static class HostingExtensions
{
    /// <summary>Coravel's scheduler; each job is an invocable registered here and scheduled in <see cref="UseCrmSchedule"/>.</summary>
    public static IHostApplicationBuilder AddCrmJobs(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddScheduler();
        builder.Services.AddTransient<RetryWebhooksJob>();
        return builder;
    }

    /// <summary>Every schedule of the system, in one place.</summary>
    public static IServiceProvider UseCrmSchedule(this IServiceProvider services)
    {
        services.UseScheduler(scheduler =>
        {
            scheduler.Schedule<RetryWebhooksJob>().EveryMinute().PreventOverlapping(nameof(RetryWebhooksJob));
        });
        return services;
    }
}
