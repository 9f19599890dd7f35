using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

// Signed message.received deliveries from concurrent loopback senders into a running server, then two floors in the
// same run: the same rows written by hand-written SQL with one transaction per event, and the same SQL with one
// transaction per batch of whatever events are waiting (group commit, the server's design). See bench/Webhooks/run.sh.
var settings = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1], StringComparer.Ordinal);
var url = new Uri(settings.GetValueOrDefault("url", "http://127.0.0.1:5080"));
var database = settings.GetValueOrDefault("db") ?? throw new ArgumentException("--db=<Npgsql connection string of the server's database> is required");
var key = Convert.FromBase64String(settings.GetValueOrDefault("key") ?? throw new ArgumentException("--key=<legacy base64 signing key> is required"));
var seconds = int.Parse(settings.GetValueOrDefault("seconds", "30"), CultureInfo.InvariantCulture);
var senders = int.Parse(settings.GetValueOrDefault("senders", "16"), CultureInfo.InvariantCulture);
var warmUp = int.Parse(settings.GetValueOrDefault("warmup", "3"), CultureInfo.InvariantCulture);
var run = Guid.NewGuid().ToString("N")[..8];

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = senders }) { BaseAddress = url };
await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database) { MaxPoolSize = senders + 4 }.ConnectionString);

Console.WriteLine($"run {run}: {senders} senders × {seconds} s against {url} on {Environment.ProcessorCount} cores");
await using var connection = await dataSource.OpenConnectionAsync();
// A server runs for days: the warm-up lets the JIT's tiers settle, and its backlog drains before the measured run.
var warm = await Bench.LoadAsync("warm-up", senders, warmUp, (worker, n) => Bench.PostAsync(http, key, Bench.Message($"w{run}", worker, n)));
await Bench.DrainAsync(connection, $"EVw{run}-%", warm.Ok);

var server = await Bench.LoadAsync("server", senders, seconds, (worker, n) => Bench.PostAsync(http, key, Bench.Message($"s{run}", worker, n)));

// The server answers once an event is stored and processes it after: wait for the backlog to drain.
var drain = Stopwatch.StartNew();
var backlog = server.Ok - await Bench.CountAsync(connection, """SELECT count(*) FROM "WebhookEvents" WHERE "EventId" LIKE @p AND "Status" = 'Processed'""", $"EVs{run}-%");
var events = await Bench.DrainAsync(connection, $"EVs{run}-%", server.Ok);
var drained = drain.Elapsed.TotalSeconds;
var activities = await Bench.CountAsync(connection, """SELECT count(*) FROM "Activities" WHERE "OpenPhoneId" LIKE @p""", $"ACs{run}-%");

var floor = await Bench.LoadAsync("floor, one transaction per event", senders, seconds, (worker, n) => Bench.WriteBySqlAsync(dataSource, Bench.Message($"f{run}", worker, n)));
await using var batcher = new GroupCommitFloor(dataSource);
var batched = await Bench.LoadAsync("floor, one transaction per batch", senders, seconds, (worker, n) => batcher.WriteAsync(Bench.Message($"g{run}", worker, n)));

Console.WriteLine();
Console.WriteLine("| path | deliveries | failed | per second | p50 ms | p95 ms | p99 ms |");
Console.WriteLine("|---|---|---|---|---|---|---|");
Console.WriteLine(server.Row());
Console.WriteLine(floor.Row());
Console.WriteLine(batched.Row());
Console.WriteLine();
Console.WriteLine($"server throughput / floor per event: {server.PerSecond / Math.Max(floor.PerSecond, 1):F2}×; / floor per batch: {server.PerSecond / Math.Max(batched.PerSecond, 1):F2}× (batches of {batcher.MeanBatch:F1} on average)");
Console.WriteLine($"processing: the backlog drained {drained:F1} s after the last answer, {events / (seconds + drained):F0} processed/s over load and drain, {backlog / Math.Max(drained, 0.1):F0}/s while draining alone");
Console.WriteLine($"accepted {server.Ok}; stored and processed {events} events, {activities} activities: {(events == server.Ok && activities == server.Ok ? "all present" : "MISMATCH")}");
return events == server.Ok && activities == server.Ok ? 0 : 1;

internal sealed record Message(string EventId, string ActivityId, string From, string Body, string Json);

internal sealed record Result(string Name, long Ok, long Failed, double PerSecond, double P50, double P95, double P99)
{
    public string Row() => string.Create(CultureInfo.InvariantCulture, $"| {Name} | {Ok} | {Failed} | {PerSecond:F0} | {P50:F1} | {P95:F1} | {P99:F1} |");
}

internal static class Bench
{
    public const string Line = "+17815550100";
    public const string LineId = "PNbench0001";

    public static Message Message(string run, int worker, long n)
    {
        var eventId = $"EV{run}-{worker}-{n}";
        var activityId = $"AC{run}-{worker}-{n}";
        // 1,000 contacts: most deliveries land on an existing conversation, as in production.
        var from = string.Create(CultureInfo.InvariantCulture, $"+1617555{(worker * 7919 + n) % 1000:D4}");
        var body = $"Bench message {n} from sender {worker}: is the crack in the basement wall getting worse?";
        var createdAt = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        var json = $$$$"""{"id":"{{{{eventId}}}}","object":"event","apiVersion":"v4","createdAt":"{{{{createdAt}}}}","type":"message.received","data":{"object":{"id":"{{{{activityId}}}}","object":"message","from":"{{{{from}}}}","to":["{{{{Line}}}}"],"direction":"incoming","text":"{{{{body}}}}","status":"received","createdAt":"{{{{createdAt}}}}","userId":"USbench","phoneNumberId":"{{{{LineId}}}}"}}}""";
        return new Message(eventId, activityId, from, body, json);
    }

    public static async Task<bool> PostAsync(HttpClient http, byte[] key, Message message)
    {
        var bytes = Encoding.UTF8.GetBytes(message.Json);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var signed = Encoding.ASCII.GetBytes(timestamp + ".").Concat(bytes).ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/openphone") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation("openphone-signature", $"hmac;1;{timestamp};{Convert.ToBase64String(HMACSHA256.HashData(key, signed))}");
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode;
    }

    /// <summary>Waits until the run's events are processed, or their count has not moved for 10 s; returns the count.</summary>
    public static async Task<long> DrainAsync(NpgsqlConnection connection, string eventIds, long expected)
    {
        long events = 0, stalled = 0;
        while (events < expected && stalled < 100)
        {
            var now = await CountAsync(connection, """SELECT count(*) FROM "WebhookEvents" WHERE "EventId" LIKE @p AND "Status" = 'Processed'""", eventIds);
            stalled = now == events ? stalled + 1 : 0;
            events = now;
            await Task.Delay(100);
        }

        return events;
    }

    /// <summary>The floor: the rows the server writes for a new message on an existing or new thread, by hand, one transaction.</summary>
    public static async Task<bool> WriteBySqlAsync(NpgsqlDataSource dataSource, Message message)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await WriteRowsAsync(connection, transaction, message);
        await transaction.CommitAsync();
        return true;
    }

    /// <summary>The rows of one message, in two round trips: the second needs the first's contact and conversation.</summary>
    public static Task WriteRowsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Message message) =>
        WriteRowsAsync(connection, transaction, [message]);

    /// <summary>The rows of several messages, each statement as for one, in the same two round trips.</summary>
    public static async Task WriteRowsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<Message> messages)
    {
        var now = DateTimeOffset.UtcNow;
        await using var upsert = new NpgsqlBatch(connection, transaction);
        await using var write = new NpgsqlBatch(connection, transaction);
        foreach (var message in messages)
        {
            var activityId = Guid.CreateVersion7();
            NpgsqlBatchCommand[] first =
            [
                Command("""
                    INSERT INTO "WebhookEvents" ("Id", "EventId", "Type", "ApiVersion", "ReceivedAt", "Body", "Status", "Attempts", "ProcessedAt")
                    VALUES (@id, @eventId, 'message.received', 'v4', @now, @json, 'Processed', 1, @now)
                    """, ("id", Guid.CreateVersion7()), ("eventId", message.EventId), ("now", now), ("json", message.Json)),
                Command("""
                    INSERT INTO "PhoneNumbers" ("Id", "OpenPhoneId", "Number", "IsActive") VALUES (@id, @lineId, @line, true)
                    ON CONFLICT ("OpenPhoneId") DO NOTHING
                    """, ("id", Guid.CreateVersion7()), ("lineId", LineId), ("line", Line)),
                Command("""
                    INSERT INTO "Contacts" ("Id", "Phone", "Tags", "CustomFields", "Source", "CreatedAt", "UpdatedAt")
                    VALUES (@id, @phone, '{}', '{}', 'Webhook', @now, @now)
                    ON CONFLICT ("Phone") DO NOTHING
                    """, ("id", Guid.CreateVersion7()), ("phone", message.From), ("now", now)),
                Command("""
                    INSERT INTO "Conversations" ("Id", "ContactId", "PhoneNumberId", "LastActivityAt", "UnreadCount", "Status", "CreatedAt")
                    SELECT @id, c."Id", p."Id", @now, 0, 'Open', @now FROM "Contacts" c, "PhoneNumbers" p WHERE c."Phone" = @phone AND p."OpenPhoneId" = @lineId
                    ON CONFLICT ("ContactId", "PhoneNumberId") DO NOTHING
                    """, ("id", Guid.CreateVersion7()), ("now", now), ("phone", message.From), ("lineId", LineId)),
            ];
            NpgsqlBatchCommand[] second =
            [
                Command("""
                    INSERT INTO "Activities" ("Id", "ConversationId", "ContactId", "Kind", "Direction", "Body", "Status", "OpenPhoneId", "FromNumber", "ToNumbers", "OccurredAt", "CreatedAt", "AiNextSteps", "Media", "Recordings", "Transcript")
                    SELECT @id, v."Id", v."ContactId", 'Message', 'Incoming', @body, 'received', @openPhoneId, @from, ARRAY[@line], @now, @now, '{}', '[]', '[]', '[]'
                    FROM "Conversations" v JOIN "Contacts" c ON c."Id" = v."ContactId" JOIN "PhoneNumbers" p ON p."Id" = v."PhoneNumberId"
                    WHERE c."Phone" = @from AND p."OpenPhoneId" = @lineId
                    """, ("id", activityId), ("body", message.Body), ("openPhoneId", message.ActivityId), ("from", message.From), ("line", Line), ("now", now), ("lineId", LineId)),
                Command("""
                    UPDATE "Conversations" v SET "LastActivityAt" = @now, "LastActivityId" = @id, "LastActivityKind" = 'Message',
                        "LastActivityPreview" = left(@body, 140), "LastInboundAt" = @now, "UnreadCount" = v."UnreadCount" + 1, "Status" = 'Open'
                    FROM "Contacts" c, "PhoneNumbers" p
                    WHERE c."Id" = v."ContactId" AND p."Id" = v."PhoneNumberId" AND c."Phone" = @from AND p."OpenPhoneId" = @lineId AND v."LastActivityAt" <= @now
                    """, ("id", activityId), ("now", now), ("body", message.Body), ("from", message.From), ("lineId", LineId)),
            ];
            Array.ForEach(first, upsert.BatchCommands.Add);
            Array.ForEach(second, write.BatchCommands.Add);
        }

        await upsert.ExecuteNonQueryAsync();
        await write.ExecuteNonQueryAsync();
    }

    public static async Task<Result> LoadAsync(string name, int senders, int seconds, Func<int, long, Task<bool>> send)
    {
        var latencies = new List<double>[senders];
        long ok = 0, failed = 0;
        var clock = Stopwatch.StartNew();
        var end = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, senders).Select(worker => Task.Run(async () =>
        {
            var mine = latencies[worker] = [];
            for (long n = 0; clock.Elapsed < end; n++)
            {
                var start = Stopwatch.GetTimestamp();
                bool success;
                try
                {
                    success = await send(worker, n);
                }
                catch (Exception ex) when (ex is HttpRequestException or NpgsqlException or TaskCanceledException)
                {
                    success = false;
                }

                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Interlocked.Increment(ref success ? ref ok : ref failed);
            }
        })));
        var elapsed = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)];
        return new Result(name, ok, failed, ok / elapsed, Percentile(0.50), Percentile(0.95), Percentile(0.99));
    }

    public static async Task<long> CountAsync(NpgsqlConnection connection, string sql, string pattern)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("p", pattern);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static NpgsqlBatchCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var (parameterName, value) in parameters)
        {
            command.Parameters.AddWithValue(parameterName, value);
        }

        return command;
    }
}

/// <summary>The batched floor: senders wait for one writer that writes every waiting event's rows in one transaction.</summary>
internal sealed class GroupCommitFloor : IAsyncDisposable
{
    private readonly System.Threading.Channels.Channel<(Message Message, TaskCompletionSource<bool> Done)> _queue =
        System.Threading.Channels.Channel.CreateUnbounded<(Message, TaskCompletionSource<bool>)>(new() { SingleReader = true });

    private readonly Task _writer;
    private long _batches;
    private long _events;

    public GroupCommitFloor(NpgsqlDataSource dataSource) => _writer = Task.Run(() => WriteAllAsync(dataSource));

    public double MeanBatch => _batches == 0 ? 0 : (double)_events / _batches;

    public Task<bool> WriteAsync(Message message)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Writer.TryWrite((message, done));
        return done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }

    private async Task WriteAllAsync(NpgsqlDataSource dataSource)
    {
        var batch = new List<(Message Message, TaskCompletionSource<bool> Done)>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < 256 && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                await using var connection = await dataSource.OpenConnectionAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                await Bench.WriteRowsAsync(connection, transaction, [.. batch.Select(i => i.Message)]);

                await transaction.CommitAsync();
                batch.ForEach(i => i.Done.TrySetResult(true));
            }
            catch (NpgsqlException ex)
            {
                batch.ForEach(i => i.Done.TrySetException(ex));
            }

            _batches++;
            _events += batch.Count;
            batch.Clear();
        }
    }
}
