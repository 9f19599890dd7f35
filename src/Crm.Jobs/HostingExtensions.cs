using Coravel;
using Crm.Jobs.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Jobs;

public static class HostingExtensions
{
    /// <summary>The environment the test host runs in.</summary>
    public const string TestingEnvironment = "Testing";

    /// <summary>Coravel's scheduler; each job is an invocable registered here and scheduled in <see cref="UseCrmSchedule"/>.</summary>
    public static IHostApplicationBuilder AddCrmJobs(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (Schedules(builder.Environment))
        {
            builder.Services.AddScheduler();
        }

        builder.Services.AddTransient<RetryWebhooksJob>();
        return builder;
    }

    /// <summary>Every schedule of the system, in one place.</summary>
    public static IServiceProvider UseCrmSchedule(this IServiceProvider services)
    {
        if (Schedules(services.GetRequiredService<IHostEnvironment>()))
        {
            services.UseScheduler(scheduler =>
            {
                scheduler.Schedule<RetryWebhooksJob>().EveryMinute().PreventOverlapping(nameof(RetryWebhooksJob));
            });
        }

        return services;
    }

    /// <summary>Tests call the jobs' methods themselves with a fake clock: a scheduler on the real clock would race them.</summary>
    private static bool Schedules(IHostEnvironment environment) => !environment.IsEnvironment(TestingEnvironment);
}
