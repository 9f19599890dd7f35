using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;

// The CSV import benchmark against one running server on an empty database: generate the file, COPY it into a
// staging table (the floor: PostgreSQL parsing and writing the same rows, nothing else), upload it to
// POST /imports/contacts and wait for its job; then count the report's outcomes and the contacts. rows/s is end to
// end, from the first byte of the upload to the job's end; peak memory is the server process's RSS high-water mark
// (startup included). With --warm-up=N, an import of N other rows first, unmeasured: the server has then compiled
// the code the import runs, as one that has been up a while has. Then where the worker's time went: what the
// database spent on each kind of statement (pg_stat_statements, which run.sh preloads) and the CPU seconds of the
// server and of PostgreSQL; with --index-costs=true, what each index of Contacts and of the report rows costs the
// insert. See bench/Imports/run.sh.
var settings = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1], StringComparer.Ordinal);
string Setting(string name) => settings.GetValueOrDefault(name) ?? throw new ArgumentException($"--{name}=… is required");

var rows = int.Parse(Setting("rows"), CultureInfo.InvariantCulture);
var warmUpRows = int.Parse(settings.GetValueOrDefault("warm-up") ?? "0", CultureInfo.InvariantCulture);
var serverPid = int.Parse(Setting("server-pid"), CultureInfo.InvariantCulture);
var path = Path.Combine(Setting("work"), "contacts.csv");
await using var db = NpgsqlDataSource.Create(Setting("db"));

var expected = MessyCsv.Write(path, rows);
var megabytes = new FileInfo(path).Length / 1048576.0;
Console.WriteLine($"{rows} rows, {megabytes:F1} MB: {expected.Duplicates} duplicate phones, {expected.Invalid} invalid phones");

var (copy, indexed) = await Staging.CopyAsync(db, path);
Console.WriteLine($"COPY into a staging table: {copy.TotalSeconds:F2} s; its rows into a table with the indexes of Contacts: {indexed.TotalSeconds:F2} s");

using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await Seed.ApiKeyAsync(db));
var warmUpCreated = 0L;
if (warmUpRows > 0)
{
    // A server that has run an import before: the code the measured one runs is compiled, as in a server that has
    // been up for a while. Other numbers and emails, so that the measured file meets none of these contacts.
    var warmUpPath = Path.Combine(Setting("work"), "warm-up.csv");
    MessyCsv.Write(warmUpPath, warmUpRows, firstNumber: 6_179_000_000L, emails: "WarmUp");
    var warmUpJob = await Upload.SendAsync(http, new Uri(Setting("url")), warmUpPath);
    var warmUp = await Job.WaitAsync(db, warmUpJob, TimeSpan.FromMinutes(10));
    warmUpCreated = (await Job.OutcomesAsync(db, warmUpJob)).GetValueOrDefault("Created");
    Console.WriteLine($"warm-up import of {warmUpRows} rows: {warmUp.Status}, worker {warmUp.WorkerSeconds:F2} s");
}

await Breakdown.StartAsync(db);
var postmaster = await Cpu.PostmasterAsync(db);
var cpuBefore = Cpu.Read(serverPid, postmaster);
using var memory = new PeakMemory(serverPid);
var clock = Stopwatch.StartNew();
var jobId = await Upload.SendAsync(http, new Uri(Setting("url")), path);
var uploaded = clock.Elapsed;
var job = await Job.WaitAsync(db, jobId, TimeSpan.FromMinutes(30));
var endToEnd = clock.Elapsed;
var peak = memory.Stop();

var cpu = Cpu.Read(serverPid, postmaster) - cpuBefore;
var spent = await Breakdown.ReadAsync(db);
var outcomes = await Job.OutcomesAsync(db, jobId);
var contacts = await Job.CsvContactsAsync(db) - warmUpCreated;
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
File.AppendAllText(output, Breakdown.Table(job, spent));
File.AppendAllText(output, string.Create(CultureInfo.InvariantCulture,
    $"\nCPU from the upload's start to the job's end ({endToEnd.TotalSeconds:F2} s on {Environment.ProcessorCount} cores): the server {cpu.Server:F2} s, PostgreSQL {cpu.Postgres:F2} s.\n"));
if (settings.GetValueOrDefault("index-costs") == "true")
{
    File.AppendAllText(output, Staging.Table(await Staging.IndexCostsAsync(db, path, jobId)));
}

Console.WriteLine(notes);
return goals.All(g => g.Item1) ? 0 : 1;

/// <summary>How many rows the file repeats (a phone of an earlier row) and how many have no possible phone.</summary>
internal sealed record Expected(int Duplicates, int Invalid);

internal static class MessyCsv
{
    private static readonly string[] First = ["John", "Mary", "José", "Li", "Anne-Marie", "O'Brien", "Zoë", "Ahmed", "Grace", "Tom"];
    private static readonly string[] Last = ["Smith", "McDonald", "García", "Nguyen", "O'Neil", "Müller", "Brown", "Lee", "Walker", "Jr."];
    private static readonly string[] Invalid = ["555-01", "n/a", "123", "phone", "+1 (617) 555"];

    /// <summary>
    /// A seeded file: every 20th row on average repeats an earlier phone in another format, every 50th has an invalid
    /// one. Phones count up from <paramref name="firstNumber"/>; emails are "<paramref name="emails"/>.N@Example.com".
    /// </summary>
    public static Expected Write(string path, int rows, long firstNumber = 6_172_000_000L, string emails = "Contact")
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
                var number = firstNumber + i;
                numbers.Add(number);
                phone = Format(number, random.Next(4));
            }

            var first = Case(First[random.Next(First.Length)], random);
            var last = Case(Last[random.Next(Last.Length)], random);
            var pad = random.Next(3) == 0 ? "  " : string.Empty;
            var notes = random.Next(10) == 0 ? "\"Gate code 12\nback door, ring twice\"" : string.Empty;
            file.Write(string.Create(
                CultureInfo.InvariantCulture,
                $"{pad}{first}{pad},{last} ,{phone},{emails}.{i}@Example.com,\"{i % 900 + 1} Main St, Apt {i % 7}\",{Case("Boston", random)},ma,02{i % 1000:D3},\"roof; gutters\",{notes}\r\n"));
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

internal static partial class Staging
{
    /// <summary>The importer's rows per transaction (ContactCsvImporter.BatchSize), for inserts that commit as it does.</summary>
    private const int Batch = 2000;

    private const string InsertContacts = """
        INSERT INTO bench_copy ("Id", "FirstName", "LastName", "Email", "Phone", "Street", "City", "State", "PostalCode", "Tags",
            "SmsConsentStatus", "CustomFields", "Source", "CreatedAt", "UpdatedAt")
        SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, first, last, email, phone, street, city, state, zip, tags,
            'Unknown', '{}', 'Csv', now(), now()
        FROM bench_rows WHERE n > @from AND n <= @to
        """;

    private const string InsertReport = """
        INSERT INTO bench_copy ("JobId", "Row", "Outcome", "Reason", "ContactId", "Phone", "Email")
        SELECT @job, n + 1, 'Created', NULL, ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, phone, email
        FROM bench_rows WHERE n > @from AND n <= @to
        """;

    private const string CreateStaging = "CREATE TABLE bench_staging (first text, last text, phone text, email text, street text, city text, state text, zip text, tags text, notes text)";

    /// <summary>
    /// The same file COPYed as CSV into a table of text columns, in one transaction: the import's floor. Then, for
    /// where the rest goes, those rows INSERTed into an empty table with every index of Contacts (pg_trgm GINs included).
    /// </summary>
    public static async Task<(TimeSpan Copy, TimeSpan Indexed)> CopyAsync(NpgsqlDataSource db, string path)
    {
        await using var connection = await db.OpenConnectionAsync();
        await ExecuteAsync(connection, CreateStaging);
        await ExecuteAsync(connection, """CREATE TABLE bench_contacts (LIKE "Contacts" INCLUDING DEFAULTS INCLUDING INDEXES)""");
        var clock = Stopwatch.StartNew();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await CopyFileAsync(connection, path);
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

    /// <summary>
    /// What each index of Contacts, and each index and the foreign key of the report rows, costs an import: the file's
    /// distinct valid phones, cleaned roughly as the importer cleans them (E.164, trimmed, capitalized, time-ordered
    /// ids), inserted in the importer's batches, one committed transaction each, into an empty copy of the table with
    /// no index, with each alone, with all of them, and (Contacts) with all under settings an import transaction could
    /// change. A checkpoint before each, so that each pays the same full-page writes. Report rows go to the job
    /// <paramref name="jobId"/>, for the foreign key.
    /// </summary>
    public static async Task<List<Cost>> IndexCostsAsync(NpgsqlDataSource db, string path, Guid jobId)
    {
        await using var connection = await db.OpenConnectionAsync();
        var backend = (int)(await ScalarAsync(connection, "SELECT pg_backend_pid()"))!;
        await ExecuteAsync(connection, CreateStaging);
        await CopyFileAsync(connection, path);
        await ExecuteAsync(connection, """
            CREATE TABLE bench_rows AS
            SELECT (row_number() OVER (ORDER BY phone))::int AS n, * FROM (
                SELECT DISTINCT ON (phone) * FROM (
                    SELECT '+1' || right(regexp_replace(phone, '\D', '', 'g'), 10) AS phone, left(initcap(trim(first)), 100) AS first,
                        left(initcap(trim(last)), 100) AS last, lower(left(trim(email), 254)) AS email, left(street, 200) AS street,
                        left(initcap(city), 100) AS city, upper(left(state, 50)) AS state, left(zip, 20) AS zip, string_to_array(tags, '; ') AS tags
                    FROM bench_staging WHERE length(regexp_replace(phone, '\D', '', 'g')) >= 10) cleaned
                ORDER BY phone) distinct_phones;
            DROP TABLE bench_staging;
            """);
        var rows = (int)(long)(await ScalarAsync(connection, "SELECT count(*) FROM bench_rows"))!;

        var contacts = await IndexesAsync(connection, "Contacts");
        var all = contacts.Select(i => i.Definition).ToList();
        var variants = new List<(string Name, List<string> Ddl, string Settings)> { ("Contacts, no index", [], "") };
        variants.AddRange(contacts.Select(i => (i.Name + " alone", new List<string> { i.Definition }, string.Empty)));
        variants.Add(("all of Contacts", all, ""));
        variants.Add(("all, SET LOCAL work_mem = 64MB", all, "SET LOCAL work_mem = '64MB';"));
        variants.Add(("all, SET LOCAL gin_pending_list_limit = 32MB, work_mem = 64MB", all, "SET LOCAL gin_pending_list_limit = '32MB'; SET LOCAL work_mem = '64MB';"));
        variants.Add(("all, GIN fastupdate off", all.ConvertAll(d => d.Contains("USING gin", StringComparison.Ordinal) ? d + " WITH (fastupdate = off)" : d), ""));
        var costs = await VariantsAsync(connection, backend, rows, "Contacts", InsertContacts, jobId, variants);

        var report = await IndexesAsync(connection, "ImportRows");
        const string foreignKey = """ALTER TABLE bench_copy ADD FOREIGN KEY ("JobId") REFERENCES "ImportJobs" ("Id") ON DELETE CASCADE""";
        variants = [("ImportRows, no index", [], "")];
        variants.AddRange(report.Select(i => (i.Name + " alone", new List<string> { i.Definition }, string.Empty)));
        variants.Add(("the foreign key to ImportJobs alone", [foreignKey], ""));
        variants.Add(("all of ImportRows", [.. report.Select(i => i.Definition), foreignKey], ""));
        costs.AddRange(await VariantsAsync(connection, backend, rows, "ImportRows", InsertReport, jobId, variants));

        await ExecuteAsync(connection, "DROP TABLE bench_rows");
        return costs;
    }

    /// <summary>Each variant: an empty copy of <paramref name="table"/> with its indexes, then the rows in batches; wall and backend CPU time.</summary>
    private static async Task<List<Cost>> VariantsAsync(
        NpgsqlConnection connection, int backend, int rows, string table, string insert, Guid jobId, List<(string Name, List<string> Ddl, string Settings)> variants)
    {
        var costs = new List<Cost>();
        foreach (var (name, ddl, local) in variants)
        {
            await ExecuteAsync(connection, $"""CREATE TABLE bench_copy (LIKE "{table}" INCLUDING DEFAULTS)""");
            foreach (var statement in ddl)
            {
                await ExecuteAsync(connection, IndexTarget().Replace(statement, "CREATE $1INDEX ON bench_copy "));
            }

            await ExecuteAsync(connection, "CHECKPOINT");
            var cpu = Cpu.Of(backend);
            var clock = Stopwatch.StartNew();
            for (var from = 0; from < rows; from += Batch)
            {
                await using var transaction = await connection.BeginTransactionAsync();
                if (local.Length > 0)
                {
                    await ExecuteAsync(connection, local);
                }

                await using (var command = new NpgsqlCommand(insert, connection))
                {
                    command.Parameters.AddWithValue("from", from);
                    command.Parameters.AddWithValue("to", from + Batch);
                    if (insert.Contains("@job", StringComparison.Ordinal))
                    {
                        command.Parameters.AddWithValue("job", jobId);
                    }

                    await command.ExecuteNonQueryAsync();
                }

                await transaction.CommitAsync();
            }

            costs.Add(new Cost(name, rows, clock.Elapsed, Cpu.Of(backend) - cpu));
            await ExecuteAsync(connection, "DROP TABLE bench_copy");
        }

        return costs;
    }

    private static async Task<List<(string Name, string Definition)>> IndexesAsync(NpgsqlConnection connection, string table)
    {
        var indexes = new List<(string Name, string Definition)>();
        await using var query = new NpgsqlCommand("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = @table ORDER BY indexname", connection);
        query.Parameters.AddWithValue("table", table);
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            indexes.Add((reader.GetString(0), reader.GetString(1)));
        }

        return indexes;
    }

    /// <summary>One table per target, each variant against its target's "no index".</summary>
    public static string Table(List<Cost> costs)
    {
        var table = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"\nThe file's {costs[0].Rows} distinct valid phones inserted in batches of {Batch}, one transaction each (CPU: the inserting backend's):\n"));
        var none = costs[0];
        foreach (var cost in costs)
        {
            if (cost.Indexes.EndsWith(", no index", StringComparison.Ordinal))
            {
                none = cost;
                table.Append("\n| indexes | s | s over no index | rows/s | CPU s | CPU s over no index |\n|---|---|---|---|---|---|\n");
            }

            table.Append(CultureInfo.InvariantCulture,
                $"| {cost.Indexes} | {cost.Time.TotalSeconds:F2} | {(cost.Time - none.Time).TotalSeconds:F2} | {cost.Rows / cost.Time.TotalSeconds:F0} | {cost.Cpu:F2} | {cost.Cpu - none.Cpu:F2} |\n");
        }

        return table.ToString();
    }

    private static async Task CopyFileAsync(NpgsqlConnection connection, string path)
    {
        using var copy = await connection.BeginTextImportAsync("COPY bench_staging FROM STDIN (FORMAT csv, HEADER true)");
        using var file = new StreamReader(path, Encoding.UTF8);
        var buffer = new char[64 * 1024];
        int read;
        while ((read = await file.ReadAsync(buffer)) > 0)
        {
            await copy.WriteAsync(buffer.AsMemory(0, read));
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [GeneratedRegex("""^CREATE (UNIQUE )?INDEX \S+ ON public\.\S+ """)]
    private static partial Regex IndexTarget();
}

/// <summary>Rows into a table with some indexes: wall time and the inserting backend's CPU seconds.</summary>
internal sealed record Cost(string Indexes, int Rows, TimeSpan Time, double Cpu);

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

/// <summary>How the job ended; the worker's seconds, and of them those before its first batch (the file read through once to check it).</summary>
internal sealed record JobEnd(string Status, string? Reason, double WorkerSeconds, double CheckSeconds);

internal static class Job
{
    public static async Task<JobEnd> WaitAsync(NpgsqlDataSource db, Guid id, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var check = 0.0;
        while (deadline.Elapsed < timeout)
        {
            await using var query = db.CreateCommand("""
                SELECT "Status", "FailureReason", EXTRACT(EPOCH FROM "FinishedAt" - "StartedAt")::float8, "Total" IS NOT NULL,
                    EXTRACT(EPOCH FROM clock_timestamp() - "StartedAt")::float8
                FROM "ImportJobs" WHERE "Id" = @id
                """);
            query.Parameters.AddWithValue("id", id);
            await using var reader = await query.ExecuteReaderAsync();
            if (!await reader.ReadAsync())
            {
                continue;
            }

            // The check ends when the job learns its total: seen by this poll, so to within its 50 ms.
            if (check == 0 && reader.GetBoolean(3))
            {
                check = reader.GetDouble(4);
            }

            if (reader.GetString(0) is not ("Queued" or "Running"))
            {
                return new JobEnd(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? 0 : reader.GetDouble(2), check);
            }

            await Task.Delay(50);
        }

        return new JobEnd("TimedOut", $"not finished in {timeout.TotalMinutes} min", 0, check);
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

/// <summary>
/// Where the worker's time went, as the database saw it: the execution time of top-level statements, summed by what
/// they do (pg_stat_statements, preloaded by run.sh), and the WAL's writes and fsyncs (pg_stat_wal; a commit waits for
/// its fsync, which the statements' times leave out). The rest of the worker's time is spent outside the database:
/// cleaning rows (overlapped with the writes), EF, building the COPY streams, round trips.
/// </summary>
internal static class Breakdown
{
    private static readonly (string What, string Pattern)[] Kinds =
    [
        ("COPY of new contacts (their index updates included)", """^COPY "Contacts" """),
        ("COPY of report rows (their foreign-key checks included)", """^COPY "ImportRows" """),
        ("of which the foreign-key checks", """FROM ONLY "public"\."ImportJobs" x WHERE "Id" OPERATOR\(pg_catalog\.=\) \$1 FOR KEY SHARE"""),
        ("report-row lookups (in-file duplicates)", """^SELECT\s.*\sFROM "ImportRows"\s"""),
        ("contact lookups", """^SELECT\s.*\sFROM "Contacts"\s"""),
        ("consent lookups (orphaned entries)", """FROM "ConsentEntries" """),
        ("reading the file's chunks", """FROM "ImportFileChunks" """),
        ("storing the upload", """^INSERT INTO "(ImportFileChunks|ImportJobs|AuditEntries)" """),
        ("the job: claim, lease, progress", "\"ImportJobs\" "),
    ];

    public static async Task StartAsync(NpgsqlDataSource db)
    {
        await using var reset = db.CreateCommand("""
            CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
            SELECT pg_stat_statements_reset();
            SELECT pg_stat_reset_shared('wal');
            """);
        await reset.ExecuteNonQueryAsync();
    }

    /// <summary>Seconds and calls by kind, the upload's first; "other" is everything else but this benchmark's own polls.</summary>
    public static async Task<List<(string What, long Calls, double Seconds)>> ReadAsync(NpgsqlDataSource db)
    {
        var spent = Kinds.Select(k => (k.What, Calls: 0L, Seconds: 0.0)).Append(("other statements", 0, 0)).ToList();
        await using (var query = db.CreateCommand("SELECT query, toplevel, calls, total_exec_time FROM pg_stat_statements"))
        await using (var reader = await query.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var (text, toplevel) = (reader.GetString(0), reader.GetBoolean(1));
                if (text.Contains("clock_timestamp() - \"StartedAt\"", StringComparison.Ordinal) || text.Contains("pg_stat_", StringComparison.Ordinal))
                {
                    continue;
                }

                var kind = Array.FindIndex(Kinds, k => Regex.IsMatch(text, k.Pattern, RegexOptions.Singleline));
                if (kind < 0 && !toplevel)
                {
                    continue;
                }

                var at = kind < 0 ? spent.Count - 1 : kind;
                spent[at] = (spent[at].What, spent[at].Calls + reader.GetInt64(2), spent[at].Seconds + (reader.GetDouble(3) / 1000));
            }
        }

        await using var wal = db.CreateCommand("SELECT wal_write + wal_sync, (wal_write_time + wal_sync_time) / 1000, wal_bytes::float8 / 1048576 FROM pg_stat_wal");
        await using var walReader = await wal.ExecuteReaderAsync();
        await walReader.ReadAsync();
        spent.Add(($"WAL writes and fsyncs, all processes ({walReader.GetDouble(2):F0} MB)", walReader.GetInt64(0), walReader.GetDouble(1)));
        return spent;
    }

    public static string Table(JobEnd job, List<(string What, long Calls, double Seconds)> spent)
    {
        var table = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"\nWorker {job.WorkerSeconds:F2} s, of which {job.CheckSeconds:F2} s before the first batch (the file read once to check it). In the database:\n\n"));
        table.Append("| what | calls | s | share of the worker's time |\n|---|---|---|---|\n");
        foreach (var (what, calls, seconds) in spent)
        {
            table.Append(CultureInfo.InvariantCulture, $"| {what} | {calls} | {seconds:F2} | {seconds / job.WorkerSeconds:P0} |\n");
        }

        return table.ToString();
    }
}

/// <summary>
/// CPU seconds (user and system) of the server process and of this run's PostgreSQL (its postmaster and the
/// processes it started: backends, WAL writer, checkpointer …; a backend that exits takes its seconds with it).
/// </summary>
internal readonly record struct Cpu(double Server, double Postgres)
{
    public static Cpu operator -(Cpu a, Cpu b) => new(a.Server - b.Server, a.Postgres - b.Postgres);

    /// <summary>The postmaster is the parent of any backend, this connection's included.</summary>
    public static async Task<int> PostmasterAsync(NpgsqlDataSource db)
    {
        await using var query = db.CreateCommand("SELECT pg_backend_pid()");
        return Stat((int)(await query.ExecuteScalarAsync())!)?.Parent ?? 0;
    }

    public static Cpu Read(int serverPid, int postmaster)
    {
        var postgres = 0.0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid) && Stat(pid) is { } stat && (pid == postmaster || stat.Parent == postmaster))
            {
                postgres += stat.Seconds;
            }
        }

        return new Cpu(Of(serverPid), postgres);
    }

    public static double Of(int pid) => Stat(pid)?.Seconds ?? 0;

    /// <summary>A process's parent and its utime + stime (fields 4, 14 and 15 of /proc/PID/stat; ticks of 1/100 s); null when it is gone.</summary>
    private static (int Parent, double Seconds)? Stat(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }

        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (int.Parse(fields[1], CultureInfo.InvariantCulture), (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / 100);
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
