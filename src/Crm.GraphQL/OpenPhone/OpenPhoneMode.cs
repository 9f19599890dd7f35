using System.Security.Cryptography;
using Crm.Data;
using Crm.GraphQL.Webhooks;
using Crm.Jobs.OpenPhone;
using Crm.OpenPhoneSimulator;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.GraphQL.OpenPhone;

/// <summary>
/// Which OpenPhone the server talks to. With <c>OpenPhone:ApiKey</c> set: the real API, and never the simulator.
/// Without: the embedded default serves its own simulator under <see cref="SimulatorPrefix"/>, points the client at it, and
/// lets the webhook receiver accept the simulator's signature with a key generated for this process only.
/// </summary>
internal static partial class OpenPhoneMode
{
    public const string SimulatorPrefix = "/_openphone";

    public static IHostApplicationBuilder AddOpenPhoneMode(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!string.IsNullOrWhiteSpace(builder.Configuration[$"{OpenPhoneApiOptions.Section}:{nameof(OpenPhoneApiOptions.ApiKey)}"]))
        {
            return builder;
        }

        // A deployment on PostgreSQL that forgot its key must not "send" into a simulator: there, no key means no
        // OpenPhone at all (the start-up log says so). The embedded default, development and tests simulate.
        var embedded = string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Crm"));
        if (!embedded && !builder.Environment.IsDevelopment() && !builder.Environment.IsEnvironment("Testing"))
        {
            return builder;
        }

        var simulator = new EmbeddedSimulator();
        var configuredReplyRate = builder.Configuration[$"{SimulatorOptions.Section}:{nameof(SimulatorOptions.ReplyRate)}"];
        builder.Services.AddSingleton(simulator);
        builder.Services.AddSingleton<IOpenPhoneEndpoint>(sp => sp.GetRequiredService<EmbeddedSimulator>().Endpoint(sp.GetRequiredService<IServer>()));
        builder.Services.AddOpenPhoneSimulator(builder.Configuration.GetSection(SimulatorOptions.Section), SeedFromDemoData);
        builder.Services.PostConfigure<SimulatorOptions>(o =>
        {
            // Neither key is configuration: both are made for this process and never leave it.
            o.ApiKey = simulator.ApiKey;
            o.SigningKey = simulator.SigningKey;
            o.WebhookUrl ??= "/webhook/openphone";
            // The demo shows replies unless told otherwise.
            o.ReplyRate = configuredReplyRate is null ? 0.3 : o.ReplyRate;
        });
        // Only here, where no API key exists, does the receiver learn a key that is not configuration.
        builder.Services.PostConfigure<OpenPhoneWebhookOptions>(o => o.WebhookSigningKeys.Add(simulator.SigningKey));
        return builder;
    }

    /// <summary>Maps the embedded simulator when it is on, and says at start which OpenPhone is in use (never the key).</summary>
    public static void MapOpenPhoneMode(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var simulated = app.Services.GetService<EmbeddedSimulator>() is not null;
        if (simulated)
        {
            app.MapOpenPhoneSimulator(SimulatorPrefix).AllowAnonymous();
        }

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var endpoint = app.Services.GetRequiredService<IOpenPhoneEndpoint>().BaseAddress;
            if (simulated)
            {
                var url = endpoint.ToString().TrimEnd('/');
                LogSimulator(app.Logger, url);
            }
            else if (string.IsNullOrWhiteSpace(app.Services.GetRequiredService<IOptions<OpenPhoneApiOptions>>().Value.ApiKey))
            {
                LogNoKey(app.Logger, endpoint.Host);
            }
            else
            {
                LogApi(app.Logger, endpoint.Host);
            }
        });
    }

    /// <summary>The demo's lines and contacts, so a text sent in the demo goes out on a line the simulator knows.</summary>
    private static void SeedFromDemoData(IServiceProvider services, SimulatedAccount account)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        foreach (var line in db.PhoneNumbers.AsNoTracking().Where(l => l.IsActive).ToList())
        {
            account.AddLine(line.OpenPhoneId, line.Number, line.Name);
        }

        foreach (var contact in db.Contacts.AsNoTracking().Where(c => c.Phone != null).OrderBy(c => c.Id).Take(1000).ToList())
        {
            account.AddContact(contact.FirstName ?? "Customer", contact.LastName, contact.Phone!);
        }

        if (account.Lines.Count == 0)
        {
            account.Generate(services.GetRequiredService<IOptions<SimulatorOptions>>().Value.Seed);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "OpenPhone: simulator at {Url} (no OpenPhone:ApiKey set)")]
    private static partial void LogSimulator(ILogger logger, string url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpenPhone: {Host}, but OpenPhone:ApiKey is not set: every OpenPhone request will be refused")]
    private static partial void LogNoKey(ILogger logger, string host);

    [LoggerMessage(Level = LogLevel.Information, Message = "OpenPhone: {Host}")]
    private static partial void LogApi(ILogger logger, string host);
}

/// <summary>The embedded simulator's keys, made at start for this process.</summary>
internal sealed class EmbeddedSimulator
{
    public string ApiKey { get; } = "sim_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public string SigningKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public IOpenPhoneEndpoint Endpoint(IServer server) => new SelfEndpoint(server, ApiKey);

    /// <summary>The server's own address, read per client: it is known only once Kestrel listens.</summary>
    private sealed class SelfEndpoint(IServer server, string apiKey) : IOpenPhoneEndpoint
    {
        public Uri BaseAddress => new(SimulatorWebhooks.SelfAddress(server), OpenPhoneMode.SimulatorPrefix + "/");

        public string? ApiKey => apiKey;
    }
}
