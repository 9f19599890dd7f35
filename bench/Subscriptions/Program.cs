using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

// Fan-out benchmark: N graphql-transport-ws subscribers to conversationUpdated on one server, signed message.received
// webhooks posted at a fixed rate (open loop: a slow answer does not slow the schedule). Each webhook comes from a new
// number, so it opens a conversation of its own and its marker shows up in exactly one event per subscriber.
// Latency: from the moment the webhook was sent until a subscriber has the event. See bench/Subscriptions/run.sh.
var settings = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1], StringComparer.Ordinal);
string Setting(string name, string? fallback = null) => settings.GetValueOrDefault(name, fallback!) ?? throw new ArgumentException($"--{name}=… is required");
int Number(string name, string fallback) => int.Parse(Setting(name, fallback), CultureInfo.InvariantCulture);

var url = new Uri(Setting("url"));
var signingKey = Convert.FromBase64String(Setting("key"));
var subscriberCount = Number("subscribers", "1000");
var rate = Number("rate", "100");
var seconds = Number("seconds", "30");
var serverPid = Number("server-pid", "0");
var warmup = Number("warmup", "10");
var label = Setting("label", "run");
var run = Guid.NewGuid().ToString("N")[..8];
var total = rate * seconds;

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, UseCookies = false }) { BaseAddress = url };
var apiKey = await Harness.CreateApiKeyAsync(http, Setting("email"), Setting("password"));

var clock = Stopwatch.StartNew();
var sentAt = new long[total];
var answeredIn = new double[total];
var memory = new MemorySampler(serverPid);
var subscribers = new Subscriber[subscriberCount];
for (var i = 0; i < subscriberCount; i += 50)
{
    // In batches: a thousand simultaneous handshakes measure the accept queue, not the fan-out.
    await Task.WhenAll(Enumerable.Range(i, Math.Min(50, subscriberCount - i)).Select(async n =>
        subscribers[n] = await Subscriber.ConnectAsync(url, apiKey, run, total)));
}

var baseline = memory.Sample();
Console.WriteLine($"{label}: {subscriberCount} subscribers ready in {clock.Elapsed.TotalSeconds:F1} s, server RSS {baseline / 1048576.0:F0} MB; sending {total} webhooks at {rate}/s");
var receiving = subscribers.Select(s => s.ReceiveAsync()).ToArray();
if (warmup > 0)
{
    // A fresh server JIT-compiles and tiers up for its first tens of seconds; production servers are warm.
    var count = rate * warmup;
    await SendScheduledAsync($"w{run}", 5_000_000, count, new long[count], new double[count]);
    await Task.Delay(TimeSpan.FromSeconds(3));
}

using var sampling = memory.StartSampling(TimeSpan.FromMilliseconds(250));
var start = clock.Elapsed;
var accepted = await SendScheduledAsync(run, 2_000_000, total, sentAt, answeredIn);
// Every subscriber should now get every accepted event; give stragglers a bounded time.
var drainDeadline = clock.Elapsed + TimeSpan.FromSeconds(15);
while (clock.Elapsed < drainDeadline && subscribers.Any(s => s.Received.Count < accepted))
{
    await Task.Delay(100);
}

var sendingSeconds = (clock.Elapsed - start).TotalSeconds;
sampling.Dispose();
foreach (var subscriber in subscribers)
{
    await subscriber.CloseAsync();
}

await Task.WhenAll(receiving);

var latencies = subscribers.SelectMany(s => s.Received.Select(r => Stopwatch.GetElapsedTime(sentAt[r.Seq], r.At).TotalMilliseconds)).Order().ToArray();
// The issue measures from "webhook accepted": events are published before the 200 goes out, so this can be negative.
var sinceAnswer = subscribers.SelectMany(s => s.Received.Select(r => Stopwatch.GetElapsedTime(sentAt[r.Seq], r.At).TotalMilliseconds - answeredIn[r.Seq])).Order().ToArray();
double Percentile(double p) => Harness.Percentile(latencies, p);
var answers = answeredIn.Order().ToArray();
var delivered = subscribers.Sum(s => (long)s.Received.Count);
var expected = (long)accepted * subscriberCount;
var lost = expected - delivered;
var duplicates = subscribers.Sum(s => (long)s.Duplicates);
var errors = subscribers.Sum(s => (long)s.Errors);
var closed = subscribers.Count(s => s.ClosedEarly);
var row = string.Create(CultureInfo.InvariantCulture,
    $"| {label} | {subscriberCount} | {total} | {accepted} | {delivered} | {lost} | {duplicates} | {errors + closed} | {Percentile(0.50):F1} | {Percentile(0.95):F1} | {Percentile(0.99):F1} | {latencies.LastOrDefault():F1} | {Harness.Percentile(sinceAnswer, 0.50):F1} / {Harness.Percentile(sinceAnswer, 0.95):F1} | {Harness.Percentile(answers, 0.50):F1} / {Harness.Percentile(answers, 0.95):F1} | {baseline / 1048576.0:F0} | {memory.Peak / 1048576.0:F0} | {delivered / sendingSeconds:F0} |");
Console.WriteLine();
Console.WriteLine("| bus, webhook rate | subscribers | webhooks sent | accepted | events delivered | lost | duplicated | errors | p50 ms | p95 ms | p99 ms | max ms | after the 200: p50 / p95 ms | webhook answered p50 / p95 ms | server RSS idle MB | server RSS peak MB | deliveries/s |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
Console.WriteLine(row);
if (settings.TryGetValue("out", out var output))
{
    await File.AppendAllTextAsync(output, row + Environment.NewLine);
}

return lost == 0 && duplicates == 0 && errors + closed == 0 && accepted == total ? 0 : 1;

// Open loop: webhook n is sent at its scheduled time whether or not earlier ones were answered.
async Task<int> SendScheduledAsync(string marker, int firstNumber, int count, long[] sent, double[] answered)
{
    var posts = new Task<bool>[count];
    var begin = clock.Elapsed;
    for (var seq = 0; seq < count; seq++)
    {
        var wait = begin + TimeSpan.FromSeconds((double)seq / rate) - clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        posts[seq] = Harness.PostWebhookAsync(http, signingKey, marker, firstNumber + seq, seq, sent, answered);
    }

    return (await Task.WhenAll(posts)).Count(ok => ok);
}

internal static class Harness
{
    private const string Line = "+17815550100";
    private const string LineId = "PNbench0001";

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    public static async Task<string> CreateApiKeyAsync(HttpClient http, string email, string password)
    {
        string cookie;
        using (var login = await http.PostAsJsonAsync("/auth/login", new { email, password }))
        {
            login.EnsureSuccessStatusCode();
            // The session cookie is Secure outside development, so a cookie jar would not send it back over http.
            cookie = string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = JsonContent.Create(new { query = """mutation { createApiKey(input: { name: "subscriptions bench", role: VIEWER }) { key } }""" }),
        };
        request.Headers.Add("Cookie", cookie);
        request.Headers.Add("GraphQL-Preflight", "1");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        return json.RootElement.TryGetProperty("data", out var data) && data.GetProperty("createApiKey").GetProperty("key").GetString() is { } key
            ? key
            : throw new InvalidOperationException($"createApiKey failed: {body}");
    }

    public static async Task<bool> PostWebhookAsync(HttpClient http, byte[] key, string run, int number, int seq, long[] sentAt, double[] answeredIn)
    {
        var createdAt = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        // A new caller per webhook: each event is about a conversation of its own, so its marker is unambiguous.
        var from = string.Create(CultureInfo.InvariantCulture, $"+1415{number:D7}");
        var json = $$$$"""{"id":"EV{{{{run}}}}-{{{{seq}}}}","object":"event","apiVersion":"v4","createdAt":"{{{{createdAt}}}}","type":"message.received","data":{"object":{"id":"AC{{{{run}}}}-{{{{seq}}}}","object":"message","from":"{{{{from}}}}","to":["{{{{Line}}}}"],"direction":"incoming","text":"bench#{{{{run}}}}#{{{{seq}}}}# is the crack getting worse?","status":"received","createdAt":"{{{{createdAt}}}}","userId":"USbench","phoneNumberId":"{{{{LineId}}}}"}}}""";
        var bytes = Encoding.UTF8.GetBytes(json);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        byte[] signed = [.. Encoding.ASCII.GetBytes(timestamp + "."), .. bytes];
        var signature = HMACSHA256.HashData(key, signed);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/openphone") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation("openphone-signature", $"hmac;1;{timestamp};{Convert.ToBase64String(signature)}");
        Volatile.Write(ref sentAt[seq], Stopwatch.GetTimestamp());
        try
        {
            using var response = await http.SendAsync(request);
            answeredIn[seq] = Stopwatch.GetElapsedTime(sentAt[seq]).TotalMilliseconds;
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}

/// <summary>One WebSocket with one subscription; records which markers arrived and how long after their webhook was sent.</summary>
internal sealed class Subscriber(ClientWebSocket socket, string run, int total)
{
    private const string Subscription = "subscription { conversationUpdated { id unreadCount status lastActivityAt lastActivityPreview contact { id displayName phone } lastActivity { id body occurredAt } } }";
    private readonly bool[] _seen = new bool[total];
    private readonly byte[] _marker = Encoding.UTF8.GetBytes($"bench#{run}#");

    /// <summary>Which events arrived, and when (a Stopwatch timestamp): latencies are computed once every webhook is answered.</summary>
    public List<(int Seq, long At)> Received { get; } = new(total);

    public int Duplicates { get; private set; }

    public int Errors { get; private set; }

    public bool ClosedEarly { get; private set; }

    private bool _closing;

    public static async Task<Subscriber> ConnectAsync(Uri url, string apiKey, string run, int total)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("graphql-transport-ws");
        await socket.ConnectAsync(new UriBuilder(url) { Scheme = url.Scheme == "https" ? "wss" : "ws", Path = "/graphql" }.Uri, CancellationToken.None);
        await SendAsync(socket, JsonSerializer.Serialize(new { type = "connection_init", payload = new { apiKey } }));
        await ExpectAsync(socket, "connection_ack");
        await SendAsync(socket, JsonSerializer.Serialize(new { id = "1", type = "subscribe", payload = new { query = Subscription } }));
        // Messages are handled in order: once the ping is answered, the subscription is listening.
        await SendAsync(socket, """{"type":"ping"}""");
        await ExpectAsync(socket, "pong");
        return new Subscriber(socket, run, total);
    }

    public async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ClosedEarly = !_closing;
                    return;
                }

                var now = Stopwatch.GetTimestamp();
                Record(buffer.AsSpan(0, count), now);
            }
        }
        catch (WebSocketException)
        {
            ClosedEarly = !_closing;
        }
    }

    private void Record(ReadOnlySpan<byte> message, long now)
    {
        if (message.IndexOf("\"type\":\"next\""u8) < 0)
        {
            return; // ping, pong
        }

        if (message.IndexOf("\"errors\""u8) >= 0)
        {
            Errors++;
        }

        var at = message.IndexOf(_marker);
        if (at < 0)
        {
            return; // another run's event
        }

        var digits = message[(at + _marker.Length)..];
        var seq = 0;
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                break;
            }

            seq = (seq * 10) + (b - '0');
        }

        if (_seen[seq])
        {
            Duplicates++;
            return;
        }

        _seen[seq] = true;
        Received.Add((seq, now));
    }

    public async Task CloseAsync()
    {
        _closing = true;
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }
        catch (WebSocketException)
        {
            // Already gone; ReceiveAsync recorded it.
        }
    }

    private static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task ExpectAsync(ClientWebSocket socket, string type)
    {
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"closed with {(int?)result.CloseStatus} {result.CloseStatusDescription} while waiting for {type}");
            }

            using var json = JsonDocument.Parse(buffer.AsMemory(0, result.Count));
            var actual = json.RootElement.GetProperty("type").GetString();
            if (actual == type)
            {
                return;
            }

            if (actual is "error" or "next")
            {
                throw new InvalidOperationException($"expected {type}, got {Encoding.UTF8.GetString(buffer, 0, result.Count)}");
            }
        }
    }
}

/// <summary>The server's resident set (what `ps` and the kernel call its memory), peak over the run.</summary>
internal sealed class MemorySampler(int pid)
{
    private long _peak;

    public long Peak => Interlocked.Read(ref _peak);

    public long Sample()
    {
        if (pid <= 0)
        {
            return 0;
        }

        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var rss = line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        long peak;
        while ((peak = Interlocked.Read(ref _peak)) < rss && Interlocked.CompareExchange(ref _peak, rss, peak) != peak)
        {
        }

        return rss;
    }

    public IDisposable StartSampling(TimeSpan interval) => new Timer(_ => Sample(), null, TimeSpan.Zero, interval);
}
