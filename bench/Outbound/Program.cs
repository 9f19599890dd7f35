using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Crm.OpenPhoneSimulator;
using Npgsql;

// One scenario of the outbound benchmark, against two running server instances on one database and the simulator
// they send through: seed the simulator's line, an API key and N contacts; enqueue N texts with sendMessage on both
// instances in turn; wait until the queue is drained; then compare what the simulator received with what was asked.
// The crash scenario hands the kill -9 and the restart to run.sh through two files. See bench/Outbound/run.sh.
var settings = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1], StringComparer.Ordinal);
string Setting(string name, string? fallback = null) => settings.GetValueOrDefault(name, fallback!) ?? throw new ArgumentException($"--{name}=… is required");
int Number(string name, string fallback) => int.Parse(Setting(name, fallback), CultureInfo.InvariantCulture);

var scenario = Setting("scenario");
Uri[] instances = [new(Setting("a")), new(Setting("b"))];
var simulator = new Uri(Setting("simulator"));
var messages = Number("messages", "5000");
var rate = Number("rate", "10");
var crashSignal = settings.GetValueOrDefault("crash-signal");
// Generous: faults cost retries and back-offs, and a killed instance's claims are reconciled only once their lease
// (OpenPhone:Outbound:Lease, 2 minutes) has run out.
var deadline = TimeSpan.FromSeconds(180 + (3.0 * messages / rate));

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 }) { Timeout = TimeSpan.FromSeconds(30) };
await using var db = NpgsqlDataSource.Create(Setting("db"));

var line = await Seed.LineAsync(http, simulator, Setting("openphone-key"), db);
var apiKey = await Seed.ApiKeyAsync(db, "outbound bench");
var contacts = await Seed.ContactsAsync(db, messages);
Console.WriteLine($"{scenario}: {messages} texts from {line.Number} at {rate}/s through {instances[0]} and {instances[1]}");

var enqueue = await Enqueue.RunAsync(http, instances, apiKey, scenario, contacts);
Console.WriteLine($"{scenario}: enqueued {enqueue.Accepted} in {enqueue.Elapsed.TotalSeconds:F1} s, {enqueue.Failures.Count} failed{string.Concat(enqueue.Failures.Take(3).Select(f => "\n  " + f))}");
var clock = Stopwatch.StartNew();
var notes = new List<string>();
if (crashSignal is not null)
{
    notes.Add(await Drain.CrashAsync(db, crashSignal, messages, 0.4, deadline - clock.Elapsed));
}

var drained = await Drain.WaitAsync(db, scenario, deadline - clock.Elapsed);
if (!drained)
{
    notes.Add($"not drained within {deadline.TotalSeconds:F0} s");
}

// The last sends' message.delivered webhooks are still on their way.
await Drain.DeliveredAsync(db, TimeSpan.FromSeconds(15));

var outcome = await Outcome.GatherAsync(http, simulator, db, scenario, contacts);
var stats = outcome.Stats;
var goals = new[]
{
    (enqueue.Failures.Count == 0, "enqueue errors"),
    (drained, "drain"),
    (outcome.SentTwice == 0 && outcome.NeverSent == 0 && outcome.Mismatched == 0, "exactly once"),
    (stats.RateLimited == 0, "rate limit"),
};
if (enqueue.Accepted / enqueue.Elapsed.TotalSeconds < rate)
{
    notes.Add("enqueue slower than the limit: the drain's start measures the enqueue");
}

notes.Add(goals.All(g => g.Item1) ? "goals met" : "FAILED: " + string.Join(", ", goals.Where(g => !g.Item1).Select(g => g.Item2)));
Outcome.WriteRow(Setting("out"), scenario, messages, rate, enqueue, outcome, string.Join("; ", notes));
Console.WriteLine($"{scenario}: requests {string.Join(", ", stats.Requests.Select(r => $"{r.Key} {r.Value}"))}; {string.Join("; ", notes)}");
return goals.All(g => g.Item1) ? 0 : 1;

internal sealed record BenchContact(Guid Id, string Phone)
{
    /// <summary>The global id the API takes (Hot Chocolate's shape, as src/Crm.GraphQL/Server/Conventions/NodeId.cs mints it).</summary>
    public string NodeId => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"Contact:{Id:N}"));
}

internal sealed record EnqueueResult(int Accepted, IReadOnlyList<string> Failures, TimeSpan Elapsed);

internal static partial class Seed
{
    /// <summary>One contact per text, each with a number of its own (+1 857 200-0000 onwards), in one statement.</summary>
    public static async Task<IReadOnlyList<BenchContact>> ContactsAsync(NpgsqlDataSource db, int count)
    {
        var contacts = Enumerable.Range(0, count)
            .Select(i => new BenchContact(Guid.CreateVersion7(), string.Create(CultureInfo.InvariantCulture, $"+1857{2_000_000 + i:D7}")))
            .ToList();
        await using var insert = db.CreateCommand("""
            INSERT INTO "Contacts" ("Id", "FirstName", "LastName", "Phone", "Tags", "CustomFields", "Source", "CreatedAt", "UpdatedAt")
            SELECT t.id, 'Bench', '#' || (t.n - 1), t.phone, '{}', '{}', 'Api', now(), now()
            FROM unnest(@ids, @phones) WITH ORDINALITY AS t(id, phone, n)
            """);
        insert.Parameters.AddWithValue("ids", contacts.Select(c => c.Id).ToArray());
        insert.Parameters.AddWithValue("phones", contacts.Select(c => c.Phone).ToArray());
        await insert.ExecuteNonQueryAsync();
        return contacts;
    }
}

internal static class Enqueue
{
    private const string SendMessage = """
        mutation($input: SendMessageInput!) { sendMessage(input: $input) { activity { id status } errors { __typename ... on Error { message } } } }
        """;

    public static string Body(string scenario, int i) => string.Create(CultureInfo.InvariantCulture, $"bench {scenario} #{i}");

    /// <summary>Text i to contact i, through instance i mod 2, from <paramref name="concurrency"/> callers.</summary>
    public static async Task<EnqueueResult> RunAsync(HttpClient http, Uri[] instances, string apiKey, string scenario, IReadOnlyList<BenchContact> contacts, int concurrency = 8)
    {
        var next = -1;
        var failures = new ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < contacts.Count; i = Interlocked.Increment(ref next))
            {
                if (await SendAsync(http, new Uri(instances[i % instances.Length], "/graphql"), apiKey, contacts[i].NodeId, Body(scenario, i)) is { } problem)
                {
                    failures.Enqueue($"#{i}: {problem}");
                }
            }
        })));
        return new(contacts.Count - failures.Count, [.. failures], clock.Elapsed);
    }

    /// <summary>Null when the text was queued; else what went wrong.</summary>
    private static async Task<string?> SendAsync(HttpClient http, Uri graphql, string apiKey, string contactId, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, graphql)
        {
            Content = JsonContent.Create(new { query = SendMessage, variables = new { input = new { contactId, body } } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        try
        {
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            using var json = JsonDocument.Parse(text);
            var payload = json.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object ? data.GetProperty("sendMessage") : default;
            var queued = !json.RootElement.TryGetProperty("errors", out _)
                && payload.ValueKind == JsonValueKind.Object
                && payload.GetProperty("activity").ValueKind == JsonValueKind.Object
                && payload.GetProperty("errors") is var errors
                && (errors.ValueKind == JsonValueKind.Null || (errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() == 0));
            return queued ? null : $"{(int)response.StatusCode} {text[..Math.Min(text.Length, 300)]}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
        {
            return ex.Message;
        }
    }
}

internal static class Drain
{
    private static readonly string[] Pending = ["Queued", "Sending"];
    private static readonly string[] Out = ["Sent", "Delivered"];

    public static async Task<IReadOnlyDictionary<string, long>> StatusesAsync(NpgsqlDataSource db)
    {
        await using var query = db.CreateCommand("""SELECT "OutboundStatus", count(*) FROM "Activities" WHERE "OutboundStatus" IS NOT NULL GROUP BY 1 ORDER BY 1""");
        await using var reader = await query.ExecuteReaderAsync();
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    public static string Describe(IReadOnlyDictionary<string, long> statuses) => string.Join(", ", statuses.Select(s => $"{s.Key} {s.Value}"));

    /// <summary>
    /// Called once the enqueue is over (B takes half of it): waits for <paramref name="share"/> of the texts to be out,
    /// then asks run.sh to kill -9 instance B and waits until it serves again.
    /// </summary>
    public static async Task<string> CrashAsync(NpgsqlDataSource db, string signal, int total, double share, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        long sent;
        while ((sent = Count(await StatusesAsync(db), Out)) < share * total)
        {
            if (clock.Elapsed > timeout)
            {
                return $"no crash: {sent} of {total} out after {timeout.TotalSeconds:F0} s";
            }

            await Task.Delay(50);
        }

        await File.WriteAllTextAsync(signal + ".kill", string.Empty);
        var down = Stopwatch.StartNew();
        while (!File.Exists(signal + ".restarted"))
        {
            await Task.Delay(100);
        }

        return string.Create(CultureInfo.InvariantCulture, $"B killed -9 with {100.0 * sent / total:F0}% out, serving again after {down.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>True once nothing is queued or being sent; progress every 10 s.</summary>
    public static async Task<bool> WaitAsync(NpgsqlDataSource db, string scenario, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var report = TimeSpan.FromSeconds(10);
        while (true)
        {
            var statuses = await StatusesAsync(db);
            if (Count(statuses, Pending) == 0)
            {
                return true;
            }

            if (clock.Elapsed > timeout)
            {
                Console.WriteLine($"{scenario}: still pending after {timeout.TotalSeconds:F0} s: {Describe(statuses)}");
                return false;
            }

            if (clock.Elapsed > report)
            {
                Console.WriteLine($"{scenario}: {clock.Elapsed.TotalSeconds:F0} s: {Describe(statuses)}");
                report += TimeSpan.FromSeconds(10);
            }

            await Task.Delay(250);
        }
    }

    public static async Task DeliveredAsync(NpgsqlDataSource db, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && (await StatusesAsync(db)).GetValueOrDefault("Sent") > 0)
        {
            await Task.Delay(250);
        }
    }

    private static long Count(IReadOnlyDictionary<string, long> statuses, string[] names) => names.Sum(statuses.GetValueOrDefault);
}

/// <summary>How long a stretch of the drain took, and its texts out per second.</summary>
internal sealed record Stretch(double Seconds, double PerSecond);

// Whole: from the first text out to the last. Middle: the middle 90% of the texts, without the start, which the enqueue
// may hold back, or the last stragglers, which wait out back-offs and, after a crash, the dead instance's lease.
internal sealed record Outcome(
    SimulatorStats Stats,
    Stretch Whole,
    Stretch Middle,
    int SentTwice,
    int NeverSent,
    int Mismatched,
    long Attempts,
    IReadOnlyDictionary<string, long> Statuses)
{
    private const string Header = """
        | scenario | texts | limit /s | enqueue /s | enqueue errors | drain s | achieved /s (of limit) | middle 90% /s (of limit) | max in 1 s | 429 over limit | faults injected | accepted | sends / text | sent twice | never sent | mismatched | POST /v1/messages | GET /v1/messages | attempts | final states | notes |
        |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
        """;

    /// <summary>The simulator's counts and messages against the DB's record, text by text.</summary>
    public static async Task<Outcome> GatherAsync(HttpClient http, Uri simulator, NpgsqlDataSource db, string scenario, IReadOnlyList<BenchContact> contacts)
    {
        var stats = (await http.GetFromJsonAsync<SimulatorStats>(new Uri(simulator, "/_simulator/stats")))!;
        var sent = (await http.GetFromJsonAsync<Page<SimMessage>>(new Uri(simulator, "/_simulator/messages")))!.Data.ToLookup(m => m.Text, StringComparer.Ordinal);
        var recorded = new Dictionary<string, string?>(StringComparer.Ordinal);
        await using (var query = db.CreateCommand("""SELECT "Body", "OpenPhoneId" FROM "Activities" WHERE "OutboundStatus" IS NOT NULL"""))
        await using (var reader = await query.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                recorded[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
            }
        }

        int sentTwice = 0, neverSent = 0, mismatched = 0;
        for (var i = 0; i < contacts.Count; i++)
        {
            var copies = sent[Enqueue.Body(scenario, i)].ToList();
            sentTwice += copies.Count > 1 ? 1 : 0;
            neverSent += copies.Count == 0 ? 1 : 0;
            // To another number than its contact's, or recorded under another id than OpenPhone gave the one copy.
            mismatched += copies.Any(m => m.To[0] != contacts[i].Phone)
                || (copies.Count == 1 && recorded.GetValueOrDefault(Enqueue.Body(scenario, i)) != copies[0].Id) ? 1 : 0;
        }

        var sentAt = new List<DateTimeOffset>();
        await using (var query = db.CreateCommand("""SELECT "SentAt" FROM "Activities" WHERE "SentAt" IS NOT NULL ORDER BY 1"""))
        await using (var reader = await query.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                sentAt.Add(reader.GetFieldValue<DateTimeOffset>(0));
            }
        }

        await using var attempts = db.CreateCommand("""SELECT sum("Attempts") FROM "OutboundMessages" """);
        return new(stats, Rate(sentAt, 0, sentAt.Count - 1), Rate(sentAt, sentAt.Count / 20, sentAt.Count - 1 - (sentAt.Count / 20)),
            sentTwice, neverSent, mismatched, Convert.ToInt64(await attempts.ExecuteScalarAsync(), CultureInfo.InvariantCulture), await Drain.StatusesAsync(db));
    }

    /// <summary>Texts out per second from the <paramref name="first"/>-th to the <paramref name="last"/>-th: n texts span n - 1 intervals.</summary>
    private static Stretch Rate(List<DateTimeOffset> sentAt, int first, int last)
    {
        var seconds = last > first ? (sentAt[last] - sentAt[first]).TotalSeconds : 0;
        return new(seconds, seconds > 0 ? (last - first) / seconds : 0);
    }

    /// <summary>Appends this scenario's row to the Markdown table in <paramref name="path"/>, header first in a new file.</summary>
    public static void WriteRow(string path, string scenario, int messages, int rate, EnqueueResult enqueue, Outcome o, string notes)
    {
        var s = o.Stats;
        var row = string.Create(CultureInfo.InvariantCulture, $"""
            | {scenario} | {messages} | {rate} | {enqueue.Accepted / enqueue.Elapsed.TotalSeconds:F0} | {enqueue.Failures.Count} | {o.Whole.Seconds:F1} | {o.Whole.PerSecond:F2} ({100 * o.Whole.PerSecond / rate:F1}%) | {o.Middle.PerSecond:F2} ({100 * o.Middle.PerSecond / rate:F1}%) | {s.MaxRequestsInOneSecond} | {s.RateLimited} | {s.FaultsInjected} | {s.MessagesAccepted} | {(double)s.MessagesAccepted / messages:F3} | {o.SentTwice} | {o.NeverSent} | {o.Mismatched} | {s.Requests.GetValueOrDefault("POST /v1/messages")} | {s.Requests.GetValueOrDefault("GET /v1/messages")} | {o.Attempts} | {Drain.Describe(o.Statuses)} | {notes} |
            """);
        File.AppendAllText(path, (File.Exists(path) ? string.Empty : Header + "\n") + row + "\n");
    }
}
