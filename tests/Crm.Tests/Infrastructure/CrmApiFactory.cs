using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Crm.Tests.Infrastructure;

/// <summary>The real host over HTTP, configured only through configuration, as an operator would (style.md G8).</summary>
public class CrmApiFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    /// <summary>What this host logged.</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Crm.Jobs.HostingExtensions.TestingEnvironment);
        // UseSetting, not ConfigureAppConfiguration: Program reads configuration before the factory's callbacks run.
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        // Every level of every category reaches the capture, whatever appsettings filters for the console.
        builder.ConfigureLogging(logging => logging
            .AddProvider(Logs)
            .AddFilter<CapturingLoggerProvider>(null, LogLevel.Trace));
    }
}
