using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.OpenPhoneSimulator;
using Npgsql;

// The campaign benchmark, against two running server instances on one database and the simulator they send through:
// seed the line, an API key and N opted-in contacts; create a two-variant campaign to them with GraphQL on instance A
// and start it on instance B (timed: the start materializes the recipients); wait until it is COMPLETED; then compare
// what the simulator received with the audience, and count the database's statements per text (pg_stat_statements,
// which run.sh preloads). See bench/Campaigns/run.sh.
var settings = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1], StringComparer.Ordinal);
string Setting(string name, string? fallback = null) => settings.GetValueOrDefault(name, fallback!) ?? throw new ArgumentException($"--{name}=… is required");
int Number(string name, string fallback) => int.Parse(Setting(name, fallback), CultureInfo.InvariantCulture);

Uri[] instances = [new(Setting("a")), new(Setting("b"))];
var simulator = new Uri(Setting("simulator"));
var recipients = Number("recipients", "10000");
var rate = Number("rate", "10");
// Generous: at the rate, plus as long again for a dispatcher or a pipe that cannot keep up, plus the ticks around it.
var deadline = TimeSpan.FromSeconds(180 + (2.0 * recipients / rate));

using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(120) };
await using var db = NpgsqlDataSource.Create(Setting("db"));

var line = await Seed.LineAsync(http, simulator, Setting("openphone-key"), db);
var api = new Api(http, await Seed.ApiKeyAsync(db, "campaigns bench"));
var phones = await Seed.AudienceAsync(db, recipients, Setting("zone"));
Console.WriteLine($"{recipients} recipients from {line.Number} at {rate}/s through {instances[0]} and {instances[1]}");

// An instance's first start pays for its JIT and EF's query compilation: a campaign to nobody started on B first, as
// a server in service would have done, leaves the timed start to measure the materialization.
await api.StartAsync(instances[1], await api.CreateAsync(instances[1], "Warm-up", "nobody", rate));
var campaign = await api.CreateAsync(instances[0], "Campaign bench", Seed.Tag, rate);
await Statements.ResetAsync(db);
var launch = await api.StartAsync(instances[1], campaign);
var launchStatements = (await Statements.ReadAsync(db)).Sum(s => s.Calls);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"started in {launch.Wall.TotalSeconds:F2} s ({launch.InServer.TotalSeconds:F2} s in the server, {launchStatements} statements): {launch.Detail}"));

var completed = await Progress.WaitAsync(db, Api.Guid(campaign), deadline);
// The last texts' message.delivered webhooks are still on their way.
await Progress.DeliveredAsync(db, Api.Guid(campaign), TimeSpan.FromSeconds(15));
var statements = await Statements.ReadAsync(db);
var ticks = await Progress.TicksAsync(db, Api.Guid(campaign));
var outcome = await Outcome.GatherAsync(http, simulator, phones, launch.Ended);
var tally = await api.TallyAsync(instances[0], campaign);

var notes = new List<string>();
var goals = new[]
{
    (completed, "COMPLETED"),
    (launch.Wall < TimeSpan.FromSeconds(2), "launch < 2 s"),
    (outcome.Whole.PerSecond >= 0.95 * rate, "rate ≥ 95%"),
    (outcome.SentTwice == 0 && outcome.NeverSent == 0, "exactly once"),
};
notes.Add(goals.All(g => g.Item1) ? "goals met" : "FAILED: " + string.Join(", ", goals.Where(g => !g.Item1).Select(g => g.Item2)));
Report.Write(Setting("out"), recipients, rate, launch, launchStatements, ticks, outcome, tally, statements, string.Join("; ", notes));
Console.WriteLine($"requests {string.Join(", ", outcome.Stats.Requests.Select(r => $"{r.Key} {r.Value}"))}; {string.Join("; ", notes)}");
return goals.All(g => g.Item1) ? 0 : 1;

internal static partial class Seed
{
    public const string Tag = "campbench";

    /// <summary>
    /// The audience: one contact per recipient, each with a mobile number of its own (+1 857 200-0000 onwards), tagged,
    /// opted in by an import a month ago (the ledger's entry and the contact's state, as an import writes them) and
    /// living in <paramref name="zone"/>, so their quiet hours hold nothing back. One statement; the numbers.
    /// </summary>
    public static async Task<IReadOnlyList<string>> AudienceAsync(NpgsqlDataSource db, int count, string zone)
    {
        var phones = Enumerable.Range(0, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"+1857{2_000_000 + i:D7}")).ToList();
        await using var insert = db.CreateCommand("""
            WITH contact AS (
                INSERT INTO "Contacts" ("Id", "FirstName", "LastName", "Phone", "City", "Tags", "CustomFields", "Source", "TimeZone",
                    "SmsConsentStatus", "SmsConsentSince", "SmsConsentSource", "CreatedAt", "UpdatedAt")
                SELECT gen_random_uuid(), CASE WHEN t.n % 10 = 0 THEN NULL ELSE 'Owner' || t.n END, 'Bench', t.phone,
                    CASE WHEN t.n % 3 = 0 THEN NULL ELSE 'Boston' END, ARRAY[@tag], '{}', 'Csv', @zone,
                    'OptedIn', now() - interval '30 days', 'Import', now(), now()
                FROM unnest(@phones) WITH ORDINALITY AS t(phone, n)
                RETURNING "Id", "Phone", "SmsConsentSince")
            INSERT INTO "ConsentEntries" ("Id", "ContactId", "Phone", "Status", "Source", "At", "RecordedAt", "Note")
            SELECT gen_random_uuid(), "Id", "Phone", 'OptedIn', 'Import', "SmsConsentSince", now(), 'campaigns bench' FROM contact
            """);
        insert.Parameters.AddWithValue("tag", Tag);
        insert.Parameters.AddWithValue("zone", zone);
        insert.Parameters.AddWithValue("phones", phones.ToArray());
        await insert.ExecuteNonQueryAsync();
        return phones;
    }
}

/// <summary>How the start went: the mutation's wall time, and the server's own time from its start to its recipients written.</summary>
internal sealed record Launch(TimeSpan Wall, TimeSpan InServer, DateTimeOffset Ended, string Detail);

/// <summary>The campaign through GraphQL, as a marketer's API key.</summary>
internal sealed class Api(HttpClient http, string apiKey)
{
    private const string Errors = "errors { __typename ... on Error { message } }";

    /// <summary>The global id's Guid: base64url of "Campaign:&lt;guid N&gt;" (src/Crm.GraphQL/Server/Conventions/NodeId.cs).</summary>
    public static Guid Guid(string id) => System.Guid.ParseExact(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(id)).Split(':')[1], "N");

    /// <summary>Two variants to the contacts tagged <paramref name="tag"/>, the window open all day every day, at the rate.</summary>
    public async Task<string> CreateAsync(Uri server, string name, string tag, int rate)
    {
        var input = new
        {
            name,
            audience = new { where = new { tags = new { some = new { eq = tag } } } },
            perMinute = rate * 60,
            // 23:59 is as late as HH:mm goes; run.sh puts the business where it is early afternoon, far from it.
            window = new { start = "00:00", end = "23:59", days = new[] { 1, 2, 3, 4, 5, 6, 7 } },
            variants = new[]
            {
                new { body = "Hi {firstName|there}, spring crack check in {city|your area} this week: want a free quote?" },
                new { body = "{firstName|Hello}, cracks in the driveway? We fix them in a day. Reply for a free quote." },
            },
        };
        var payload = await PostAsync(server, $"mutation($input: CreateCampaignInput!) {{ createCampaign(input: $input) {{ campaign {{ id }} {Errors} }} }}", new { input }, "createCampaign");
        return payload["campaign"]!["id"]!.GetValue<string>();
    }

    public async Task<Launch> StartAsync(Uri server, string id)
    {
        var clock = Stopwatch.StartNew();
        var payload = await PostAsync(server, $"mutation($id: ID!) {{ startCampaign(input: {{ id: $id }}) {{ campaign {{ status startedAt history {{ kind at detail }} }} {Errors} }} }}", new { id }, "startCampaign");
        var wall = clock.Elapsed;
        var campaign = payload["campaign"]!;
        var started = campaign["history"]!.AsArray().Last(e => e!["kind"]!.GetValue<string>() == "started")!;
        // startedAt is taken before the audience is read, the event's time once the recipients are written.
        var inServer = started["at"]!.GetValue<DateTimeOffset>() - campaign["startedAt"]!.GetValue<DateTimeOffset>();
        return new(wall, inServer, DateTimeOffset.UtcNow, started["detail"]?.GetValue<string>() ?? string.Empty);
    }

    /// <summary>The campaign's own tally of its recipients (results.total).</summary>
    public async Task<JsonNode> TallyAsync(Uri server, string id) =>
        (await PostAsync(server, """
            query($id: ID!) { campaign(id: $id) { status results { total {
              audience pending queued sent delivered undelivered awaitingDelivery failedToSend skipped skippedBy { reason count } } } } }
            """, new { id }, "campaign"))["results"]!["total"]!;

    /// <summary>The field's payload; throws on a GraphQL or typed error.</summary>
    private async Task<JsonNode> PostAsync(Uri server, string query, object variables, string field)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "/graphql")) { Content = JsonContent.Create(new { query, variables }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var payload = JsonNode.Parse(text)?["data"]?[field];
        return response.IsSuccessStatusCode && payload is not null && payload["errors"] is null or JsonArray { Count: 0 }
            ? payload
            : throw new InvalidOperationException($"{field}: {(int)response.StatusCode} {text[..Math.Min(text.Length, 500)]}");
    }
}

/// <summary>The campaign's progress read straight from the database, in statements <see cref="Statements"/> leaves out.</summary>
internal static class Progress
{
    /// <summary>True once the campaign is COMPLETED; its recipients' states every 30 s.</summary>
    public static async Task<bool> WaitAsync(NpgsqlDataSource db, Guid campaign, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var report = TimeSpan.FromSeconds(30);
        while (true)
        {
            var (status, states) = await ReadAsync(db, campaign);
            if (status == "Completed" || clock.Elapsed > timeout)
            {
                Console.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: {status}, {states}");
                return status == "Completed";
            }

            if (clock.Elapsed > report)
            {
                Console.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: {status}, {states}");
                report += TimeSpan.FromSeconds(30);
            }

            await Task.Delay(1000);
        }
    }

    public static async Task DeliveredAsync(NpgsqlDataSource db, Guid campaign, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && (await ReadAsync(db, campaign)).States.Contains("/Sent ", StringComparison.Ordinal))
        {
            await Task.Delay(500);
        }
    }

    /// <summary>
    /// The ticks that queued the campaign's texts and the longest of them: from a tick's first text to its last (each
    /// text's CreatedAt, at its enqueue), which the senders see only once the tick commits. A tick is texts created
    /// less than 2 s apart; ticks are Campaigns:Tick apart.
    /// </summary>
    public static async Task<Ticks> TicksAsync(NpgsqlDataSource db, Guid campaign)
    {
        await using var query = db.CreateCommand("""
            SELECT a."CreatedAt" FROM "CampaignRecipients" r JOIN "Activities" a ON a."Id" = r."ActivityId"
            WHERE r."CampaignId" = @id ORDER BY 1
            """);
        query.Parameters.AddWithValue("id", campaign);
        await using var reader = await query.ExecuteReaderAsync();
        var (count, longest, first, last) = (0, TimeSpan.Zero, DateTimeOffset.MinValue, DateTimeOffset.MinValue);
        while (await reader.ReadAsync())
        {
            var at = reader.GetFieldValue<DateTimeOffset>(0);
            if (count == 0 || at - last > TimeSpan.FromSeconds(2))
            {
                (count, first) = (count + 1, at);
            }

            last = at;
            longest = last - first > longest ? last - first : longest;
        }

        return new(count, longest);
    }

    /// <summary>The campaign's status and its recipients by state and text status ("Queued/Delivered 300").</summary>
    private static async Task<(string Status, string States)> ReadAsync(NpgsqlDataSource db, Guid campaign)
    {
        await using var query = db.CreateCommand("""
            SELECT c."Status" AS bench_poll, r."State" || coalesce('/' || a."OutboundStatus", ''), count(r."Id")
            FROM "Campaigns" c LEFT JOIN "CampaignRecipients" r ON r."CampaignId" = c."Id" LEFT JOIN "Activities" a ON a."Id" = r."ActivityId"
            WHERE c."Id" = @id GROUP BY 1, 2 ORDER BY 2
            """);
        query.Parameters.AddWithValue("id", campaign);
        await using var reader = await query.ExecuteReaderAsync();
        var (status, states) = ("?", new List<string>());
        while (await reader.ReadAsync())
        {
            status = reader.GetString(0);
            states.Add($"{(reader.IsDBNull(1) ? "none" : reader.GetString(1))} {reader.GetInt64(2)}");
        }

        return (status, string.Join(", ", states));
    }
}

internal sealed record Ticks(int Count, TimeSpan Longest);

/// <summary>One kind of statement as pg_stat_statements counts it: its normalized text, calls and total time.</summary>
internal sealed record Statement(string Text, long Calls, double Milliseconds);

/// <summary>The database's top-level statements since the reset, but this harness's own (its polls, these reads).</summary>
internal static class Statements
{
    public static async Task ResetAsync(NpgsqlDataSource db)
    {
        await using var reset = db.CreateCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset();");
        await reset.ExecuteNonQueryAsync();
    }

    public static async Task<List<Statement>> ReadAsync(NpgsqlDataSource db)
    {
        var statements = new List<Statement>();
        await using var query = db.CreateCommand("SELECT query, calls, total_exec_time FROM pg_stat_statements WHERE toplevel");
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var text = reader.GetString(0);
            if (!text.Contains("bench_poll", StringComparison.Ordinal) && !text.Contains("pg_stat_statements", StringComparison.Ordinal))
            {
                statements.Add(new(text, reader.GetInt64(1), reader.GetDouble(2)));
            }
        }

        return statements;
    }
}

/// <summary>How long a stretch of the sends took, and its texts per second.</summary>
internal sealed record Stretch(double Seconds, double PerSecond);

// Whole: from the first text the simulator accepted to the last. Middle: the middle 90% of them.
internal sealed record Outcome(SimulatorStats Stats, Stretch Whole, Stretch Middle, int SentTwice, int NeverSent, double FirstAfterStart, double LastAfterStart)
{
    /// <summary>The simulator's counts, and its texts to the audience's numbers, against the audience.</summary>
    public static async Task<Outcome> GatherAsync(HttpClient http, Uri simulator, IReadOnlyList<string> phones, DateTimeOffset started)
    {
        var stats = (await http.GetFromJsonAsync<SimulatorStats>(new Uri(simulator, "/_simulator/stats")))!;
        var audience = phones.ToHashSet(StringComparer.Ordinal);
        var texts = (await http.GetFromJsonAsync<Page<SimMessage>>(new Uri(simulator, "/_simulator/messages")))!.Data
            .Where(m => m.To.Count == 1 && audience.Contains(m.To[0])).ToList();
        var perNumber = texts.CountBy(m => m.To[0]).ToList();
        var at = texts.Select(m => m.CreatedAt).Order().ToList();
        return new(
            stats,
            Rate(at, 0, at.Count - 1),
            Rate(at, at.Count / 20, at.Count - 1 - (at.Count / 20)),
            perNumber.Count(n => n.Value > 1),
            audience.Count - perNumber.Count,
            at.Count > 0 ? (at[0] - started).TotalSeconds : 0,
            at.Count > 0 ? (at[^1] - started).TotalSeconds : 0);
    }

    /// <summary>Texts per second from the <paramref name="first"/>-th to the <paramref name="last"/>-th: n texts span n - 1 intervals.</summary>
    private static Stretch Rate(List<DateTimeOffset> at, int first, int last)
    {
        var seconds = last > first ? (at[last] - at[first]).TotalSeconds : 0;
        return new(seconds, seconds > 0 ? (last - first) / seconds : 0);
    }
}

internal static partial class Report
{
    private const string Header = """
        | recipients | rate /s | launch s (in server) | statements meanwhile | ticks (longest s) | first text s | last text s | achieved /s (of rate) | middle 90% /s (of rate) | max in 1 s | 429 over limit | accepted | sent twice | never sent | final recipient states | statements | per text | notes |
        |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
        """;

    /// <summary>The row, then the statements by calls: the benchmark's output, for bench/results/.</summary>
    public static void Write(string path, int recipients, int rate, Launch launch, long launchStatements, Ticks ticks, Outcome o, JsonNode tally, List<Statement> statements, string notes)
    {
        var s = o.Stats;
        var calls = statements.Sum(x => x.Calls);
        var sent = Math.Max(1, s.MessagesAccepted);
        var text = new StringBuilder(Header).Append('\n');
        text.Append(CultureInfo.InvariantCulture, $"""
            | {recipients} | {rate} | {launch.Wall.TotalSeconds:F2} ({launch.InServer.TotalSeconds:F2}) | {launchStatements} | {ticks.Count} ({ticks.Longest.TotalSeconds:F1}) | {o.FirstAfterStart:F1} | {o.LastAfterStart:F1} | {o.Whole.PerSecond:F2} ({100 * o.Whole.PerSecond / rate:F1}%) | {o.Middle.PerSecond:F2} ({100 * o.Middle.PerSecond / rate:F1}%) | {s.MaxRequestsInOneSecond} | {s.RateLimited} | {s.MessagesAccepted} | {o.SentTwice} | {o.NeverSent} | {States(tally)} | {calls} | {(double)calls / sent:F1} | {notes} |
            """);
        text.Append("""


            launch: startCampaign's wall time (in the server: from its startedAt to its "started" event, the recipients
            written, before the commit) and the database's statements meanwhile (the instances' background work included);
            ticks: those that queued texts, and the longest from its first text to its last (the senders see a tick's texts
            once it commits); first and last text: seconds after the start returned, as the simulator accepted them;
            statements: top-level ones in PostgreSQL from the start on, this harness's own left out.

            | calls | per text | mean ms | total s | statement |
            |---|---|---|---|---|

            """);
        foreach (var x in statements.OrderByDescending(x => x.Calls).Take(25))
        {
            text.Append(CultureInfo.InvariantCulture, $"| {x.Calls} | {(double)x.Calls / sent:F2} | {x.Milliseconds / x.Calls:F2} | {x.Milliseconds / 1000:F1} | `{Shorten(x.Text)}` |\n");
        }

        File.WriteAllText(path, text.ToString());
    }

    /// <summary>The campaign's tally, the counts that are not zero: "audience 300: delivered 300".</summary>
    private static string States(JsonNode tally)
    {
        string[] parts = ["pending", "queued", "delivered", "undelivered", "awaitingDelivery", "failedToSend", "skipped"];
        var counts = parts.Select(p => (p, n: tally[p]!.GetValue<int>())).Where(c => c.n > 0).Select(c => $"{c.p} {c.n}");
        var skipped = tally["skippedBy"]!.AsArray().Select(k => $"{k!["reason"]} {k["count"]}");
        return $"audience {tally["audience"]}: {string.Join(", ", counts.Concat(skipped))}";
    }

    /// <summary>One line, at most 160 characters, safe in a table cell.</summary>
    private static string Shorten(string sql)
    {
        var line = Whitespace().Replace(sql, " ").Trim().Replace("|", "¦", StringComparison.Ordinal).Replace("`", "'", StringComparison.Ordinal);
        return line.Length <= 160 ? line : line[..157] + "…";
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
