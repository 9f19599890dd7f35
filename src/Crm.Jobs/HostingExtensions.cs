using Coravel;
using Microsoft.Extensions.Hosting;

namespace Crm.Jobs;

public static class HostingExtensions
{
    /// <summary>Coravel's scheduler; each job is an invocable registered here and scheduled in <see cref="UseCrmSchedule"/>.</summary>
    public static IHostApplicationBuilder AddCrmJobs(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddScheduler();
        return builder;
    }

    /// <summary>Every schedule of the system, in one place.</summary>
    public static IServiceProvider UseCrmSchedule(this IServiceProvider services)
    {
        services.UseScheduler(_ =>
        {
            // Jobs join as their features land (webhook retries, outbound sender, campaigns).
        });
        return services;
    }
}
