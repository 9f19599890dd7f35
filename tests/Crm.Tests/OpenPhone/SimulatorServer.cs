using Crm.Jobs.OpenPhone;
using Crm.OpenPhoneSimulator;
using Crm.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.Tests.OpenPhone;

/// <summary>The OpenPhone simulator on Kestrel on a loopback port: real HTTP, real sockets, real dropped connections.</summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    public const string ApiKey = "op-test-api-key-0123456789abcdef";

    private readonly WebApplication _app;

    private SimulatorServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public SimulatorTraffic Traffic => _app.Services.GetRequiredService<SimulatorTraffic>();

    public SimulatedAccount Account => _app.Services.GetRequiredService<SimulatedAccount>();

    /// <summary>Starts a simulator; <paramref name="webhookHandler"/> carries its webhooks (e.g. into a test host).</summary>
    public static async Task<SimulatorServer> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null,
        TimeProvider? clock = null,
        Func<HttpMessageHandler>? webhookHandler = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{SimulatorOptions.Section}:ApiKey"] = ApiKey,
            [$"{SimulatorOptions.Section}:Seed:Lines"] = "1",
            [$"{SimulatorOptions.Section}:Seed:Contacts"] = "25",
            [$"{SimulatorOptions.Section}:Seed:Conversations"] = "25",
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Logging.ClearProviders();
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }

        builder.Services.AddOpenPhoneSimulator(builder.Configuration.GetSection(SimulatorOptions.Section));
        if (webhookHandler is not null)
        {
            builder.Services.AddHttpClient(SimulatorWebhooks.HttpClientName).ConfigurePrimaryHttpMessageHandler(webhookHandler);
        }

        var app = builder.Build();
        app.MapOpenPhoneSimulator();
        var server = new SimulatorServer(app);
        await app.StartAsync();
        server.BaseAddress = new Uri(app.Urls.First());
        return server;
    }

    /// <summary>
    /// An <see cref="OpenPhoneClient"/> registered exactly as the server registers it, pointed at this simulator;
    /// retries wait 10 ms unless <paramref name="settings"/> say otherwise, so only Retry-After makes them slow.
    /// </summary>
    public ClientHost Client(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new() { EnvironmentName = Crm.Jobs.HostingExtensions.TestingEnvironment });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OpenPhone:ApiKey"] = ApiKey,
            ["OpenPhone:ApiBaseUrl"] = BaseAddress.ToString(),
            ["OpenPhone:Resilience:Retry:Delay"] = "00:00:00.010",
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        var logs = new CapturingLoggerProvider();
        builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
        Crm.Jobs.HostingExtensions.AddOpenPhoneClient(builder);
        return new ClientHost(builder.Build(), logs);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A service provider holding one client pipeline (its circuit breaker included) and what it logged.</summary>
public sealed class ClientHost(IHost host, CapturingLoggerProvider logs) : IDisposable
{
    public OpenPhoneClient Client { get; } = host.Services.GetRequiredService<OpenPhoneClient>();

    public CapturingLoggerProvider Logs { get; } = logs;

    public void Dispose() => host.Dispose();
}
