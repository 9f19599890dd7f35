using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Crm.Tests.Infrastructure;

/// <summary>The real host over HTTP, configured only through configuration, as an operator would (style.md G8).</summary>
public class CrmApiFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // UseSetting, not ConfigureAppConfiguration: Program reads configuration before the factory's callbacks run.
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
