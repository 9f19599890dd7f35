using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Crm.OpenPhoneSimulator;

/// <summary>
/// The simulator as its own process, for tests and benchmarks:
/// <c>simulator --urls http://127.0.0.1:5090 --webhook-url http://127.0.0.1:5080/webhook/openphone --signing-key &lt;base64&gt; [--api-key …]</c>;
/// every other setting as <c>--OpenPhone:Simulator:…</c> or <c>OpenPhone__Simulator__…</c>.
/// </summary>
public static partial class SimulatorHost
{
    private static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--webhook-url"] = $"{SimulatorOptions.Section}:{nameof(SimulatorOptions.WebhookUrl)}",
        ["--signing-key"] = $"{SimulatorOptions.Section}:{nameof(SimulatorOptions.SigningKey)}",
        ["--api-key"] = $"{SimulatorOptions.Section}:{nameof(SimulatorOptions.ApiKey)}",
        ["--requests-per-second"] = $"{SimulatorOptions.Section}:{nameof(SimulatorOptions.RequestsPerSecond)}",
    };

    public static async Task RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder([.. args.Where((a, i) => !IsSwitch(args, i))]);
        builder.Configuration.AddCommandLine(args, Switches);
        builder.Services.AddOpenPhoneSimulator(builder.Configuration.GetSection(SimulatorOptions.Section));
        var app = builder.Build();
        app.MapOpenPhoneSimulator();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var urls = string.Join(", ", app.Urls);
            LogStarted(app.Logger, urls, app.Configuration[Switches["--webhook-url"]] ?? "(none)");
        });
        await app.RunAsync();
    }

    /// <summary>Our own switches and their values, which the host's command-line provider would misread.</summary>
    private static bool IsSwitch(string[] args, int index) =>
        Switches.ContainsKey(args[index]) || (index > 0 && Switches.ContainsKey(args[index - 1]));

    [LoggerMessage(Level = LogLevel.Information, Message = "OpenPhone simulator listening on {Urls}; webhooks to {WebhookUrl}")]
    private static partial void LogStarted(ILogger logger, string urls, string webhookUrl);
}
