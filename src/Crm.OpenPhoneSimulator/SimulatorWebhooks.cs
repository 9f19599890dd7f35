using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.OpenPhoneSimulator;

/// <summary>
/// Posts webhooks back as OpenPhone's legacy webhooks do (openphone-api.md §3.2, §3.4): a v4 envelope signed with
/// <c>openphone-signature: hmac;1;&lt;ms&gt;;&lt;base64&gt;</c>. Delays run on the injected clock, so tests move time instead of waiting.
/// </summary>
public sealed partial class SimulatorWebhooks(
    SimulatorTraffic traffic,
    SimulatedAccount account,
    IHttpClientFactory clients,
    IServer server,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<SimulatorWebhooks> logger)
{
    public const string HttpClientName = "Crm.OpenPhoneSimulator.Webhooks";

    private static readonly string[] Replies = ["Sounds good, thanks!", "Can we do next week instead?", "What time works?", "Great, see you then."];
    private readonly Random _random = new(traffic.Options.Seed.Seed + 1);
    private readonly Lock _lock = new();

    /// <summary>
    /// After a send: its <c>message.delivered</c>, and maybe a reply from the contact (some of them STOP). A text to another
    /// of the workspace's lines arrives there as OpenPhone delivers it, with that line's <c>message.received</c>.
    /// </summary>
    public void MessageSent(SimLine line, SimMessage message)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(message);
        var options = traffic.Options;
        Schedule(options.DeliveryDelay, "message.delivered", message with { Status = "delivered", UpdatedAt = clock.GetUtcNow() + options.DeliveryDelay });
        if (account.FindLine(message.To[0]) is { } own)
        {
            Schedule(options.DeliveryDelay, "message.received", account.AddMessage(own, line.Number, incoming: true, message.Text, "received", clock.GetUtcNow() + options.DeliveryDelay));
            return;
        }

        bool replies, stop;
        int pick;
        lock (_lock)
        {
            replies = _random.NextDouble() < options.ReplyRate;
            stop = _random.NextDouble() < options.StopShare;
            pick = _random.Next(Replies.Length);
        }

        if (replies)
        {
            _ = ReplyLaterAsync(line, message.To[0], stop ? "STOP" : Replies[pick]);
        }
    }

    private async Task ReplyLaterAsync(SimLine line, string participant, string text)
    {
        try
        {
            await Task.Delay(traffic.Options.ReplyDelay, clock, lifetime.ApplicationStopping);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var reply = account.AddMessage(line, participant, incoming: true, text, "received");
        Schedule(TimeSpan.Zero, "message.received", reply);
    }

    private void Schedule(TimeSpan delay, string type, SimMessage message)
    {
        if (traffic.Options.WebhookUrl is null || traffic.Options.SigningKey is null)
        {
            return;
        }

        _ = PostLaterAsync(delay, type, message);
    }

    private async Task PostLaterAsync(TimeSpan delay, string type, SimMessage message)
    {
        var stopping = lifetime.ApplicationStopping;
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, clock, stopping);
            }

            var body = Envelope(type, message);
            using var request = new HttpRequestMessage(HttpMethod.Post, Target()) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("openphone-signature", Sign(body));
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, stopping);
            traffic.WebhookPosted(response.IsSuccessStatusCode);
            if (!response.IsSuccessStatusCode)
            {
                LogRefused(logger, type, (int)response.StatusCode);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: an undelivered webhook is what a real outage looks like too.
        }
        catch (HttpRequestException ex)
        {
            traffic.WebhookPosted(false);
            LogFailed(logger, type, ex.Message);
        }
    }

    private string Envelope(string type, SimMessage message)
    {
        var now = clock.GetUtcNow();
        var id = "EV" + Guid.NewGuid().ToString("N");
        var resource = JsonSerializer.SerializeToNode(message, SimulatorEndpoints.Json)!.AsObject();
        resource["object"] = "message";
        resource["conversationId"] = message.ConversationId;
        return JsonSerializer.Serialize(new { id, @object = "event", apiVersion = "v4", createdAt = now, type, data = new { @object = resource } }, SimulatorEndpoints.Json);
    }

    private string Sign(string body)
    {
        var timestamp = clock.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Convert.FromBase64String(traffic.Options.SigningKey!), Encoding.UTF8.GetBytes($"{timestamp}.{body}"));
        return $"hmac;1;{timestamp};{Convert.ToBase64String(mac)}";
    }

    private Uri Target()
    {
        var url = new Uri(traffic.Options.WebhookUrl!, UriKind.RelativeOrAbsolute);
        return url.IsAbsoluteUri ? url : new Uri(SelfAddress(server), url);
    }

    /// <summary>Where this server listens, for a client on the same machine: wildcard hosts become the loopback address.</summary>
    public static Uri SelfAddress(IServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost";
        var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::")
        {
            uri.Host = "127.0.0.1";
        }

        return uri.Uri;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Simulator: {Type} webhook answered {Status}")]
    private static partial void LogRefused(ILogger logger, string type, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Simulator: {Type} webhook not delivered: {Reason}")]
    private static partial void LogFailed(ILogger logger, string type, string reason);
}
