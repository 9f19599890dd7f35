using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;

// The CSV import benchmark against one running server on an empty database: generate the file, COPY it into a
// staging table (the floor: PostgreSQL parsing and writing the same rows, nothing else), upload it to
// POST /imports/contacts and wait for its job; then count the report's outcomes and the contacts. rows/s is end to
// end, from the first byte of the upload to the job's end; peak memory is the server process's RSS high-water mark
// (startup included). See bench/Imports/run.sh.
var settings = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1], StringComparer.Ordinal);
string Setting(string name) => settings.GetValueOrDefault(name) ?? throw new ArgumentException($"--{name}=… is required");

var rows = int.Parse(Setting("rows"), CultureInfo.InvariantCulture);
var serverPid = int.Parse(Setting("server-pid"), CultureInfo.InvariantCulture);
var path = Path.Combine(Setting("work"), "contacts.csv");
await using var db = NpgsqlDataSource.Create(Setting("db"));

var expected = MessyCsv.Write(path, rows);
var megabytes = new FileInfo(path).Length / 1048576.0;
Console.WriteLine($"{rows} rows, {megabytes:F1} MB: {expected.Duplicates} duplicate phones, {expected.Invalid} invalid phones");

var (copy, indexed) = await Staging.CopyAsync(db, path);
Console.WriteLine($"COPY into a staging table: {copy.TotalSeconds:F2} s; its rows into a table with the indexes of Contacts: {indexed.TotalSeconds:F2} s");

using var memory = new PeakMemory(serverPid);
using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await Seed.ApiKeyAsync(db));
var clock = Stopwatch.StartNew();
var jobId = await Upload.SendAsync(http, new Uri(Setting("url")), path);
var uploaded = clock.Elapsed;
var job = await Job.WaitAsync(db, jobId, TimeSpan.FromMinutes(30));
var endToEnd = clock.Elapsed;
var peak = memory.Stop();

var outcomes = await Job.OutcomesAsync(db, jobId);
var contacts = await Job.CsvContactsAsync(db);
var accounted = outcomes.Values.Sum();
var created = outcomes.GetValueOrDefault("Created");
var rate = rows / endToEnd.TotalSeconds;
var ratio = endToEnd / copy;
var goals = new[]
{
    (job.Status == "Succeeded", $"job {job.Status} {job.Reason}"),
    (rate >= 20_000, "≥ 20,000 rows/s"),
    (ratio <= 3, "≤ 3× COPY"),
    (peak <= 300, "≤ 300 MB"),
    (accounted == rows && contacts == created, "0 rows lost"),
    (outcomes.GetValueOrDefault("DuplicateInFile") == expected.Duplicates && outcomes.GetValueOrDefault("Rejected") == expected.Invalid, "outcomes as generated"),
};
var notes = goals.All(g => g.Item1) ? "goals met" : "NOT MET: " + string.Join(", ", goals.Where(g => !g.Item1).Select(g => g.Item2));
var line = string.Create(
    CultureInfo.InvariantCulture,
    $"| {rows} | {megabytes:F1} | {uploaded.TotalSeconds:F2} | {job.WorkerSeconds:F2} | {endToEnd.TotalSeconds:F2} | {rate:F0} | {copy.TotalSeconds:F2} | {ratio:F2} | {indexed.TotalSeconds:F2} | {peak:F0} | "
    + $"{created} | {outcomes.GetValueOrDefault("Updated")} | {outcomes.GetValueOrDefault("Unchanged")} | {outcomes.GetValueOrDefault("DuplicateInFile")} ({expected.Duplicates}) | "
    + $"{outcomes.GetValueOrDefault("Rejected")} ({expected.Invalid}) | {rows - accounted} | {contacts} / {created} | {notes} |");
var output = Setting("out");
if (!File.Exists(output))
{
    File.WriteAllText(output, "| rows | file MB | upload s | worker s | end to end s | rows/s | COPY s | × COPY | staged into indexed Contacts s | peak RSS MB | created | updated | unchanged | duplicate (generated) | rejected (generated) | rows lost | contacts / created | notes |\n"
        + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
}

File.AppendAllText(output, line + "\n");
Console.WriteLine(notes);
return goals.All(g => g.Item1) ? 0 : 1;

/// <summary>How many rows the file repeats (a phone of an earlier row) and how many have no possible phone.</summary>
internal sealed record Expected(int Duplicates, int Invalid);

internal static class MessyCsv
{
    private static readonly string[] First = ["John", "Mary", "José", "Li", "Anne-Marie", "O'Brien", "Zoë", "Ahmed", "Grace", "Tom"];
    private static readonly string[] Last = ["Smith", "McDonald", "García", "Nguyen", "O'Neil", "Müller", "Brown", "Lee", "Walker", "Jr."];
    private static readonly string[] Invalid = ["555-01", "n/a", "123", "phone", "+1 (617) 555"];

    /// <summary>A seeded file: every 20th row on average repeats an earlier phone in another format, every 50th has an invalid one.</summary>
    public static Expected Write(string path, int rows)
    {
        var random = new Random(13);
        var numbers = new List<long>(rows);
        var (duplicates, invalid) = (0, 0);
        using var file = new StreamWriter(path, false, new UTF8Encoding(true));
        file.Write("First Name,LAST NAME,Phone,E-mail,Address,City,State,Zip,Tags,Notes\r\n");
        for (var i = 0; i < rows; i++)
        {
            var draw = random.NextDouble();
            string phone;
            if (draw < 0.05 && numbers.Count > 0)
            {
                phone = Format(numbers[random.Next(numbers.Count)], random.Next(4));
                duplicates++;
            }
            else if (draw < 0.07)
            {
                phone = Invalid[random.Next(Invalid.Length)];
                invalid++;
            }
            else
            {
                var number = 6_172_000_000L + i;
                numbers.Add(number);
                phone = Format(number, random.Next(4));
            }

            var first = Case(First[random.Next(First.Length)], random);
            var last = Case(Last[random.Next(Last.Length)], random);
            var pad = random.Next(3) == 0 ? "  " : string.Empty;
            var notes = random.Next(10) == 0 ? "\"Gate code 12\nback door, ring twice\"" : string.Empty;
            file.Write(string.Create(
                CultureInfo.InvariantCulture,
                $"{pad}{first}{pad},{last} ,{phone},Contact.{i}@Example.com,\"{i % 900 + 1} Main St, Apt {i % 7}\",{Case("Boston", random)},ma,02{i % 1000:D3},\"roof; gutters\",{notes}\r\n"));
        }

        return new Expected(duplicates, invalid);
    }

    private static string Format(long number, int style)
    {
        var (area, exchange, line) = (number / 10_000_000, number / 10_000 % 1000, number % 10_000);
        return style switch
        {
            0 => string.Create(CultureInfo.InvariantCulture, $"({area}) {exchange}-{line:D4}"),
            1 => string.Create(CultureInfo.InvariantCulture, $"{area}.{exchange}.{line:D4}"),
            2 => string.Create(CultureInfo.InvariantCulture, $"+1 {area}-{exchange}-{line:D4}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{number}"),
        };
    }

    private static string Case(string text, Random random) => random.Next(3) switch
    {
        0 => text.ToUpperInvariant(),
        1 => text.ToLowerInvariant(),
        _ => text,
    };
}

internal static class Staging
{
    /// <summary>
    /// The same file COPYed as CSV into a table of text columns, in one transaction: the import's floor. Then, for
    /// where the rest goes, those rows INSERTed into an empty table with every index of Contacts (pg_trgm GINs included).
    /// </summary>
    public static async Task<(TimeSpan Copy, TimeSpan Indexed)> CopyAsync(NpgsqlDataSource db, string path)
    {
        await using var connection = await db.OpenConnectionAsync();
        await ExecuteAsync(connection, """
            CREATE TABLE bench_staging (first text, last text, phone text, email text, street text, city text, state text, zip text, tags text, notes text);
            CREATE TABLE bench_contacts (LIKE "Contacts" INCLUDING DEFAULTS INCLUDING INDEXES);
            """);
        var clock = Stopwatch.StartNew();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            using (var copy = await connection.BeginTextImportAsync("COPY bench_staging FROM STDIN (FORMAT csv, HEADER true)"))
            using (var file = new StreamReader(path, Encoding.UTF8))
            {
                var buffer = new char[64 * 1024];
                int read;
                while ((read = await file.ReadAsync(buffer)) > 0)
                {
                    await copy.WriteAsync(buffer.AsMemory(0, read));
                }
            }

            await transaction.CommitAsync();
        }

        var copied = clock.Elapsed;
        clock.Restart();
        await ExecuteAsync(connection, """
            INSERT INTO bench_contacts ("Id", "FirstName", "LastName", "Email", "Phone", "Street", "City", "State", "PostalCode", "Tags",
                "SmsConsentStatus", "CustomFields", "Source", "CreatedAt", "UpdatedAt")
            SELECT gen_random_uuid(), left(first, 100), left(last, 100), lower(left(email, 254)), left(phone, 20), left(street, 200), left(city, 100),
                left(state, 50), left(zip, 20), string_to_array(tags, ';'), 'Unknown', '{}', 'Csv', now(), now()
            FROM bench_staging ON CONFLICT DO NOTHING
            """);
        var indexed = clock.Elapsed;
        await ExecuteAsync(connection, "DROP TABLE bench_staging; DROP TABLE bench_contacts;");
        return (copied, indexed);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

internal static class Seed
{
    /// <summary>A marketer's API key written straight into the table, as the server stores one (its SHA-256).</summary>
    public static async Task<string> ApiKeyAsync(NpgsqlDataSource db)
    {
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        await using var insert = db.CreateCommand("""
            INSERT INTO "ApiKeys" ("Id", "Name", "Role", "Prefix", "SecretHash", "CreatedById", "CreatedAt")
            VALUES (@id, 'imports bench', 'Marketer', @prefix, @hash, @nobody, now())
            """);
        insert.Parameters.AddWithValue("id", Guid.CreateVersion7());
        insert.Parameters.AddWithValue("prefix", prefix);
        insert.Parameters.AddWithValue("hash", SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        insert.Parameters.AddWithValue("nobody", Guid.Empty);
        await insert.ExecuteNonQueryAsync();
        return $"crm_{prefix}_{secret}";
    }
}

internal static class Upload
{
    /// <summary>The file streamed from disk as the admin page sends it; the job's id from the 202.</summary>
    public static async Task<Guid> SendAsync(HttpClient http, Uri server, string path)
    {
        using var form = new MultipartFormDataContent();
        var file = new StreamContent(File.OpenRead(path), 64 * 1024);
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "bench.csv");
        using var response = await http.PostAsync(new Uri(server, "/imports/contacts"), form);
        var body = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 202)
        {
            throw new InvalidOperationException($"The upload got {(int)response.StatusCode}: {body}");
        }

        // The global id is base64url of "ImportJob:<guid N>" (src/Crm.GraphQL/Server/Conventions/NodeId.cs).
        var id = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(JsonNode.Parse(body)!["job"]!["id"]!.GetValue<string>()));
        return Guid.ParseExact(id["ImportJob:".Length..], "N");
    }
}

internal sealed record JobEnd(string Status, string? Reason, double WorkerSeconds);

internal static class Job
{
    public static async Task<JobEnd> WaitAsync(NpgsqlDataSource db, Guid id, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            await using var query = db.CreateCommand("""
                SELECT "Status", "FailureReason", EXTRACT(EPOCH FROM "FinishedAt" - "StartedAt")::float8 FROM "ImportJobs" WHERE "Id" = @id
                """);
            query.Parameters.AddWithValue("id", id);
            await using var reader = await query.ExecuteReaderAsync();
            if (await reader.ReadAsync() && reader.GetString(0) is not ("Queued" or "Running"))
            {
                return new JobEnd(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? 0 : reader.GetDouble(2));
            }

            await Task.Delay(50);
        }

        return new JobEnd("TimedOut", $"not finished in {timeout.TotalMinutes} min", 0);
    }

    public static async Task<Dictionary<string, long>> OutcomesAsync(NpgsqlDataSource db, Guid id)
    {
        await using var query = db.CreateCommand("""SELECT "Outcome", count(*) FROM "ImportRows" WHERE "JobId" = @id GROUP BY 1""");
        query.Parameters.AddWithValue("id", id);
        await using var reader = await query.ExecuteReaderAsync();
        var outcomes = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            outcomes[reader.GetString(0)] = reader.GetInt64(1);
        }

        return outcomes;
    }

    public static async Task<long> CsvContactsAsync(NpgsqlDataSource db)
    {
        await using var query = db.CreateCommand("""SELECT count(*) FROM "Contacts" WHERE "Source" = 'Csv'""");
        return (long)(await query.ExecuteScalarAsync())!;
    }
}

/// <summary>The server's resident memory, sampled while the import runs, and its high-water mark (VmHWM) at the end; in MB.</summary>
internal sealed class PeakMemory : IDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<double> _sampling;

    public PeakMemory(int pid)
    {
        _pid = pid;
        _sampling = Task.Run(async () =>
        {
            var peak = 0.0;
            while (!_stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, Read("VmRSS:"));
                await Task.Delay(100).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            return peak;
        });
    }

    public double Stop()
    {
        _stop.Cancel();
        return Math.Max(_sampling.GetAwaiter().GetResult(), Read("VmHWM:"));
    }

    public void Dispose() => _stop.Dispose();

    private double Read(string field)
    {
        var line = File.ReadLines($"/proc/{_pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
    }
}
