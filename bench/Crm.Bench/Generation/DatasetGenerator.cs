using System.Diagnostics;
using System.Globalization;
using Bogus;
using Crm.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Bench.Generation;

internal sealed record GenerateOptions(string ConnectionString, int Contacts, int Activities, int Seed, int Writers)
{
    public static GenerateOptions From(CommandLine args)
    {
        var options = new GenerateOptions(
            args.Require("db"),
            args.GetInt("contacts", 100_000),
            args.GetInt("activities", 1_000_000),
            args.GetInt("seed", 20261126),
            Math.Clamp(args.GetInt("writers", Environment.ProcessorCount), 1, 8));
        args.EnsureAllRead();
        if (options.Contacts == 0)
        {
            throw new UsageException("--contacts must be at least 1");
        }

        return options;
    }
}

/// <summary>
/// Fills a migrated, empty PostgreSQL database with an inbox-shaped dataset by binary COPY.
/// Secondary indexes and foreign keys of the loaded tables are dropped for the load and rebuilt
/// from their own definitions afterwards, so whatever the migrations declare is what is benchmarked.
/// </summary>
internal static class DatasetGenerator
{
    private static readonly string[] Tables = ["PhoneNumbers", "Contacts", "Conversations", "Activities"];

    private static readonly string[] ContactColumns =
    [
        "Id", "FirstName", "LastName", "Company", "Email", "Phone", "TimeZone", "Tags", "CustomFields", "Source",
        "OpenPhoneContactId", "CreatedAt", "UpdatedAt", "City", "PostalCode", "State", "Street",
    ];

    private static readonly string[] PhoneNumberColumns = ["Id", "OpenPhoneId", "Number", "Name", "IsActive"];

    private static readonly string[] ConversationColumns =
    [
        "Id", "ContactId", "PhoneNumberId", "OpenPhoneConversationId", "LastActivityAt", "LastActivityId", "LastActivityKind",
        "LastActivityPreview", "LastInboundAt", "UnreadCount", "Status", "SnoozedUntil", "CreatedAt",
    ];

    private static readonly string[] ActivityColumns =
    [
        "Id", "ConversationId", "ContactId", "Kind", "Direction", "Body", "Status", "OpenPhoneId", "FromNumber", "ToNumbers",
        "OccurredAt", "CreatedAt", "ErrorText", "DurationSeconds", "AnsweredAt", "CompletedAt", "AiSummary", "AiNextSteps",
        "Media", "Recordings", "Transcript", "Voicemail",
    ];

    public static async Task RunAsync(GenerateOptions options)
    {
        var total = Stopwatch.StartNew();
        var dataSource = new NpgsqlDataSourceBuilder(options.ConnectionString).Build();
        await using (dataSource)
        {
            await MigrateAsync(options.ConnectionString);
            await EnsureEmptyAndCompatibleAsync(dataSource);
            Console.WriteLine($"migrated in {Elapsed(total)}");

            var planning = Stopwatch.StartNew();
            var plan = DatasetPlan.Create(options, DateTime.UtcNow);
            Console.WriteLine($"planned {plan.Contacts.Count:N0} contacts, {plan.Conversations.Count:N0} conversations, {plan.ActivityCount:N0} activities, {plan.Lines.Count} lines in {Elapsed(planning)}");

            var schema = await LoadSchemaAsync(dataSource);
            await DropAsync(dataSource, schema);
            var load = Stopwatch.StartNew();
            try
            {
                await CopyPhoneNumbersAsync(dataSource, plan.Lines);
                await CopyContactsAsync(dataSource, plan.Contacts);
                await CopyActivitiesAsync(dataSource, plan, options.Writers, options.Seed);
                await CopyConversationsAsync(dataSource, plan.Conversations);
            }
            finally
            {
                load.Stop();
                Console.WriteLine($"copied in {load.Elapsed.TotalSeconds:F1}s: {Rate(plan.RowCount, load.Elapsed)} rows/s, {Rate(plan.ActivityCount, load.Elapsed)} activities/s");
                var rebuild = Stopwatch.StartNew();
                await RestoreAsync(dataSource, schema);
                Console.WriteLine($"rebuilt {schema.Indexes.Count} indexes and {schema.ForeignKeys.Count} foreign keys in {rebuild.Elapsed.TotalSeconds:F1}s");
            }

            var analyze = Stopwatch.StartNew();
            foreach (var table in Tables)
            {
                await ExecuteAsync(dataSource, $"VACUUM (ANALYZE) \"{table}\"");
            }

            Console.WriteLine($"vacuumed and analyzed in {analyze.Elapsed.TotalSeconds:F1}s");
            Console.WriteLine(
                $"generated {plan.RowCount:N0} rows ({plan.Contacts.Count:N0} contacts, {plan.Conversations.Count:N0} conversations, " +
                $"{plan.ActivityCount:N0} activities) in {total.Elapsed.TotalSeconds:F1}s: {Rate(plan.RowCount, total.Elapsed)} rows/s overall");
        }
    }

    private static async Task MigrateAsync(string connectionString)
    {
        var dbOptions = new DbContextOptionsBuilder<PostgresCrmDbContext>().UseNpgsql(connectionString).Options;
        await using var db = new PostgresCrmDbContext(dbOptions);
        await db.Database.MigrateAsync();
    }

    private static async Task EnsureEmptyAndCompatibleAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("""SELECT EXISTS (SELECT 1 FROM "Contacts") OR EXISTS (SELECT 1 FROM "PhoneNumbers")""");
        if ((bool)(await command.ExecuteScalarAsync())!)
        {
            throw new UsageException("the database already holds contacts or phone numbers: generate into a freshly created database");
        }

        // A later migration may add a required column the generator does not know: fail with its name, not a COPY error.
        var known = new Dictionary<string, string[]>
        {
            ["PhoneNumbers"] = PhoneNumberColumns,
            ["Contacts"] = ContactColumns,
            ["Conversations"] = ConversationColumns,
            ["Activities"] = ActivityColumns,
        };
        await using var columns = dataSource.CreateCommand("""
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = ANY(@tables)
              AND is_nullable = 'NO' AND column_default IS NULL AND is_generated = 'NEVER' AND identity_generation IS NULL
            """);
        columns.Parameters.AddWithValue("tables", Tables);
        var missing = new List<string>();
        await using (var reader = await columns.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                if (!known[reader.GetString(0)].Contains(reader.GetString(1)))
                {
                    missing.Add($"{reader.GetString(0)}.{reader.GetString(1)}");
                }
            }
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"the schema has required columns the generator does not fill: {string.Join(", ", missing)}");
        }
    }

    private sealed record LoadSchema(List<(string Name, string Definition)> Indexes, List<(string Table, string Name, string Definition)> ForeignKeys);

    private static async Task<LoadSchema> LoadSchemaAsync(NpgsqlDataSource dataSource)
    {
        var indexes = new List<(string, string)>();
        await using (var command = dataSource.CreateCommand("""
            SELECT quote_ident(ic.relname), pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            JOIN pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = current_schema() AND t.relname = ANY(@tables)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY t.relname, ic.relname
            """))
        {
            command.Parameters.AddWithValue("tables", Tables);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                indexes.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        var foreignKeys = new List<(string, string, string)>();
        await using (var command = dataSource.CreateCommand("""
            SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE c.contype = 'f' AND (c.conrelid::regclass::text = ANY(@quoted) OR c.confrelid::regclass::text = ANY(@quoted))
            ORDER BY 1, 2
            """))
        {
            command.Parameters.AddWithValue("quoted", Tables.Select(t => $"\"{t}\"").ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                foreignKeys.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        return new LoadSchema(indexes, foreignKeys);
    }

    private static async Task DropAsync(NpgsqlDataSource dataSource, LoadSchema schema)
    {
        foreach (var (table, name, _) in schema.ForeignKeys)
        {
            await ExecuteAsync(dataSource, $"ALTER TABLE {table} DROP CONSTRAINT {name}");
        }

        foreach (var (name, _) in schema.Indexes)
        {
            await ExecuteAsync(dataSource, $"DROP INDEX {name}");
        }
    }

    private static async Task RestoreAsync(NpgsqlDataSource dataSource, LoadSchema schema)
    {
        await ExecuteAsync(dataSource, "SET maintenance_work_mem = '512MB'");
        foreach (var (_, definition) in schema.Indexes)
        {
            await ExecuteAsync(dataSource, definition);
        }

        // Re-adding a foreign key validates every row: proof the generated data is consistent.
        foreach (var (table, name, definition) in schema.ForeignKeys)
        {
            await ExecuteAsync(dataSource, $"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}");
        }
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }

    private static string CopyCommand(string table, string[] columns) =>
        $"COPY \"{table}\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) FROM STDIN (FORMAT BINARY)";

    private static async Task CopyPhoneNumbersAsync(NpgsqlDataSource dataSource, IReadOnlyList<PhoneLine> lines)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var importer = await connection.BeginBinaryImportAsync(CopyCommand("PhoneNumbers", PhoneNumberColumns));
        foreach (var line in lines)
        {
            await importer.StartRowAsync();
            await importer.WriteAsync(line.Id, NpgsqlDbType.Uuid);
            await importer.WriteAsync(line.OpenPhoneId, NpgsqlDbType.Varchar);
            await importer.WriteAsync(line.Number, NpgsqlDbType.Varchar);
            await importer.WriteAsync(line.Name, NpgsqlDbType.Varchar);
            await importer.WriteAsync(true, NpgsqlDbType.Boolean);
        }

        await importer.CompleteAsync();
    }

    private static async Task CopyContactsAsync(NpgsqlDataSource dataSource, IReadOnlyList<ContactRow> contacts)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var importer = await connection.BeginBinaryImportAsync(CopyCommand("Contacts", ContactColumns));
        foreach (var c in contacts)
        {
            // Synchronous writes: buffered in memory, far cheaper per value than the async overloads.
            importer.StartRow();
            importer.Write(c.Id, NpgsqlDbType.Uuid);
            WriteText(importer, c.FirstName, NpgsqlDbType.Varchar);
            WriteText(importer, c.LastName, NpgsqlDbType.Varchar);
            WriteText(importer, c.Company, NpgsqlDbType.Varchar);
            WriteText(importer, c.Email, NpgsqlDbType.Varchar);
            importer.Write(c.Phone, NpgsqlDbType.Varchar);
            importer.Write("America/New_York", NpgsqlDbType.Varchar);
            importer.Write(c.Tags, NpgsqlDbType.Array | NpgsqlDbType.Text);
            importer.Write("{}", NpgsqlDbType.Text);
            importer.Write(c.Source, NpgsqlDbType.Varchar);
            importer.WriteNull();
            importer.Write(c.CreatedAt, NpgsqlDbType.TimestampTz);
            importer.Write(c.CreatedAt, NpgsqlDbType.TimestampTz);
            WriteText(importer, c.City, NpgsqlDbType.Varchar);
            WriteText(importer, c.PostalCode, NpgsqlDbType.Varchar);
            importer.Write("MA", NpgsqlDbType.Varchar);
            WriteText(importer, c.Street, NpgsqlDbType.Varchar);
        }

        await importer.CompleteAsync();
    }

    private static async Task CopyConversationsAsync(NpgsqlDataSource dataSource, IReadOnlyList<ConversationRow> conversations)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var importer = await connection.BeginBinaryImportAsync(CopyCommand("Conversations", ConversationColumns));
        foreach (var c in conversations)
        {
            importer.StartRow();
            importer.Write(c.Id, NpgsqlDbType.Uuid);
            importer.Write(c.Contact.Id, NpgsqlDbType.Uuid);
            importer.Write(c.Line.Id, NpgsqlDbType.Uuid);
            importer.Write("CN" + c.Id.ToString("N"), NpgsqlDbType.Varchar);
            importer.Write(c.LastActivityAt, NpgsqlDbType.TimestampTz);
            if (c.Length > 0)
            {
                importer.Write(c.LastActivityId, NpgsqlDbType.Uuid);
                importer.Write(c.LastActivityKind!, NpgsqlDbType.Varchar);
                importer.Write(c.LastActivityPreview!, NpgsqlDbType.Varchar);
            }
            else
            {
                importer.WriteNull();
                importer.WriteNull();
                importer.WriteNull();
            }

            if (c.LastInboundAt is { } inbound)
            {
                importer.Write(inbound, NpgsqlDbType.TimestampTz);
            }
            else
            {
                importer.WriteNull();
            }

            importer.Write(c.UnreadCount, NpgsqlDbType.Integer);
            importer.Write(c.UnreadCount == 0 && c.Done ? "Done" : "Open", NpgsqlDbType.Varchar);
            importer.WriteNull();
            importer.Write(c.CreatedAt, NpgsqlDbType.TimestampTz);
        }

        await importer.CompleteAsync();
    }

    /// <summary>Activities are generated while they are written, one COPY per writer over a slice of the conversations.</summary>
    private static async Task CopyActivitiesAsync(NpgsqlDataSource dataSource, DatasetPlan plan, int writers, int seed)
    {
        var slices = Enumerable.Range(0, writers)
            .Select(w => plan.Conversations.Where((_, i) => i % writers == w).ToList())
            .ToList();
        await Task.WhenAll(slices.Select((slice, w) => Task.Run(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var importer = await connection.BeginBinaryImportAsync(CopyCommand("Activities", ActivityColumns));
            var timeline = new TimelineWriter(importer, new Random(seed * 31 + w), plan.Now);
            foreach (var conversation in slice)
            {
                timeline.Write(conversation);
            }

            await importer.CompleteAsync();
        })));
    }

    internal static void WriteText(NpgsqlBinaryImporter importer, string? value, NpgsqlDbType type)
    {
        if (value is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(value, type);
        }
    }

    private static string Elapsed(Stopwatch watch) => $"{watch.Elapsed.TotalSeconds:F1}s";

    private static string Rate(long rows, TimeSpan elapsed) =>
        (rows / Math.Max(elapsed.TotalSeconds, 0.001)).ToString("N0", CultureInfo.InvariantCulture);
}

/// <summary>Contacts, lines and conversations with their timeline lengths, decided before anything is written.</summary>
internal sealed class DatasetPlan
{
    public required DateTime Now { get; init; }

    public required List<PhoneLine> Lines { get; init; }

    public required List<ContactRow> Contacts { get; init; }

    public required List<ConversationRow> Conversations { get; init; }

    public long ActivityCount => Conversations.Sum(c => (long)c.Length);

    public long RowCount => Lines.Count + Contacts.Count + Conversations.Count + ActivityCount;

    private const int HistoryDays = 3 * 365;

    public static DatasetPlan Create(GenerateOptions options, DateTime now)
    {
        var faker = new Faker("en") { Random = new Randomizer(options.Seed) };
        var random = new Random(options.Seed);
        var start = now.AddDays(-HistoryDays);

        List<PhoneLine> lines =
        [
            Line("Main line", "+16175550100", start),
            Line("Sales", "+16175550142", start),
            Line("Service", "+17815550177", start),
        ];

        var phones = new HashSet<string>(options.Contacts);
        var contacts = new List<ContactRow>(options.Contacts);
        for (var i = 0; i < options.Contacts; i++)
        {
            // A growing business: more contacts in recent months than three years ago.
            var createdAt = start.AddMinutes(Math.Sqrt(random.NextDouble()) * (HistoryDays - 1) * 24 * 60);
            var unnamed = random.NextDouble() < 0.05;
            var first = unnamed ? null : faker.Name.FirstName();
            var last = unnamed ? null : faker.Name.LastName();
            var tags = new List<string>(2);
            if (random.NextDouble() < 0.10)
            {
                tags.Add("vip");
            }

            if (random.NextDouble() < 0.20)
            {
                tags.Add("lead");
            }

            if (random.NextDouble() < 0.15)
            {
                tags.Add(Corpus.Tags[random.Next(Corpus.Tags.Length)]);
            }

            contacts.Add(new ContactRow
            {
                Id = Guid.CreateVersion7(new DateTimeOffset(createdAt)),
                FirstName = first,
                LastName = last,
                Company = random.NextDouble() < 0.15 ? faker.Company.CompanyName() : null,
                Email = unnamed || random.NextDouble() < 0.35 ? null : Email(first!, last!, i, random),
                Phone = UniquePhone(random, phones),
                Street = unnamed ? null : faker.Address.StreetAddress(),
                City = unnamed ? null : Corpus.Cities[random.Next(Corpus.Cities.Length)],
                PostalCode = unnamed ? null : "0" + random.Next(1000, 2800).ToString(CultureInfo.InvariantCulture),
                Tags = [.. tags],
                Source = unnamed ? "Webhook" : random.Next(3) switch { 0 => "Manual", 1 => "Csv", _ => "OpenPhone" },
                CreatedAt = createdAt,
            });
        }

        var conversations = new List<ConversationRow>(options.Contacts * 6 / 5);
        foreach (var contact in contacts)
        {
            // ~1.2 conversations per contact: most talk to one line, a fifth to two.
            var first = random.Next(lines.Count);
            AddConversation(conversations, contact, lines[first], random, now);
            if (random.NextDouble() < 0.2)
            {
                AddConversation(conversations, contact, lines[(first + 1 + random.Next(lines.Count - 1)) % lines.Count], random, now);
            }
        }

        FitLengths(conversations, options.Activities, random);
        return new DatasetPlan { Now = now, Lines = lines, Contacts = contacts, Conversations = conversations };
    }

    private static void AddConversation(List<ConversationRow> conversations, ContactRow contact, PhoneLine line, Random random, DateTime now)
    {
        var latest = Math.Max(0, (now.AddHours(-1) - contact.CreatedAt).TotalMinutes);
        var createdAt = contact.CreatedAt.AddMinutes(random.NextDouble() * Math.Min(latest, 30 * 24 * 60));
        conversations.Add(new ConversationRow
        {
            Id = Guid.CreateVersion7(new DateTimeOffset(createdAt)),
            Contact = contact,
            Line = line,
            CreatedAt = createdAt,
            Length = SkewedLength(random),
            Unread = random.NextDouble() < 0.15,
            Done = random.NextDouble() < 0.6,
            LastActivityAt = createdAt,
        });
    }

    /// <summary>Most threads are 2–10 activities, some a few dozen, a handful hundreds (a Pareto tail).</summary>
    private static int SkewedLength(Random random)
    {
        var p = random.NextDouble();
        if (p < 0.90)
        {
            return random.Next(2, 11);
        }

        if (p < 0.99)
        {
            return random.Next(11, 41);
        }

        return (int)Math.Min(1_000, 50 / Math.Pow(1 - random.NextDouble(), 1 / 1.3));
    }

    /// <summary>Scales the drawn lengths to the requested total, then settles the rounding remainder one activity at a time.</summary>
    private static void FitLengths(List<ConversationRow> conversations, int target, Random random)
    {
        var drawn = conversations.Sum(c => (long)c.Length);
        var factor = (double)target / drawn;
        foreach (var c in conversations)
        {
            var scaled = c.Length * factor;
            c.Length = Math.Max(1, (int)scaled + (random.NextDouble() < scaled - Math.Floor(scaled) ? 1 : 0));
        }

        var remainder = target - conversations.Sum(c => (long)c.Length);
        while (remainder != 0)
        {
            var c = conversations[random.Next(conversations.Count)];
            if (remainder > 0)
            {
                c.Length++;
                remainder--;
            }
            else if (c.Length > 1)
            {
                c.Length--;
                remainder++;
            }
        }
    }

    private static PhoneLine Line(string name, string number, DateTime start)
    {
        var id = Guid.CreateVersion7(new DateTimeOffset(start));
        return new PhoneLine { Id = id, OpenPhoneId = "PN" + id.ToString("N")[^10..], Number = number, Name = name };
    }

    private static string Email(string first, string last, int i, Random random)
    {
        var domain = random.Next(4) switch { 0 => "gmail.com", 1 => "yahoo.com", 2 => "comcast.net", _ => "outlook.com" };
        return string.Create(CultureInfo.InvariantCulture, $"{first}.{last}{i % 1000}@{domain}").ToLowerInvariant();
    }

    private static string UniquePhone(Random random, HashSet<string> taken)
    {
        while (true)
        {
            var area = Corpus.AreaCodes[random.Next(Corpus.AreaCodes.Length)];
            var phone = string.Create(CultureInfo.InvariantCulture, $"+1{area}{random.Next(201, 990)}{random.Next(0, 10_000):D4}");
            if (taken.Add(phone))
            {
                return phone;
            }
        }
    }
}
