using Crm.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Crm.Tests.Backups;

/// <summary>
/// The operator's way, through the server binary: <c>backup create</c> on a seeded database, <c>backup restore</c> into a
/// fresh one, then every table's row count and a checksum of the main tables' rows compared.
/// </summary>
[Collection(nameof(PostgresCollection))]
public sealed class BackupRoundTripTests : IDisposable
{
    /// <summary>The tables whose every row is compared, not just counted.</summary>
    private static readonly string[] MainTables = ["Contacts", "Conversations", "Activities", "PhoneNumbers", "Campaigns", "CampaignRecipients", "ContactLists", "ContactListMembers", "ConsentEntries", "Users"];

    private readonly string _directory = Directory.CreateTempSubdirectory("crm-backups-").FullName;

    private static string PgDump => Path.Combine(Environment.GetEnvironmentVariable("CRM_TEST_PG_BIN") ?? throw new InvalidOperationException("CRM_TEST_PG_BIN is not set: run with scripts/test.sh."), "pg_dump");

    [Fact]
    public async Task APostgresBackupRestoresIntoAFreshDatabaseWithTheSameRowsAndRefusesANonEmptyOne()
    {
        var source = await PostgresFixture.CreateDatabaseAsync("crm_backup_source");
        var target = await PostgresFixture.CreateDatabaseAsync("crm_backup_target");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Crm"] = source,
            ["Crm:SeedDemoData"] = "true",
            ["Backups:Directory"] = _directory,
            ["Backups:PgDumpPath"] = PgDump,
        };

        var (created, createOutput) = await ServerProcess.RunToExitAsync(settings, "backup", "create");
        Assert.True(created == 0, createOutput);
        var file = Assert.Single(Directory.GetFiles(_directory, "*.dump"));
        Assert.Contains($"Backup written: {file}", createOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(new NpgsqlConnectionStringBuilder(source).Password ?? "\0", createOutput, StringComparison.Ordinal);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(file)));
        Assert.Equal(("Succeeded", sha, "Command"), await ScalarRowAsync(source, """SELECT "Status", "Sha256", "Trigger" FROM "Backups" """));

        var restoreSettings = new Dictionary<string, string?> { ["Backups:PgDumpPath"] = PgDump };
        var (restored, restoreOutput) = await ServerProcess.RunToExitAsync(restoreSettings, "backup", "restore", "--file", file, "--connection", target);
        Assert.True(restored == 0, restoreOutput);

        var sourceCounts = await CountsAsync(source);
        Assert.True(sourceCounts["Contacts"] > 0 && sourceCounts["Conversations"] > 0 && sourceCounts["Activities"] > 0, "the demo seed wrote nothing to back up");
        Assert.Equal(sourceCounts, await CountsAsync(target));
        foreach (var table in MainTables)
        {
            Assert.Equal(await ChecksumAsync(source, table), await ChecksumAsync(target, table));
        }

        // Again into the now non-empty target: refused, nothing touched.
        await ExecuteAsync(target, """DELETE FROM "ContactListMembers" """);
        var before = await CountsAsync(target);
        var (refused, refusedOutput) = await ServerProcess.RunToExitAsync(restoreSettings, "backup", "restore", "--file", file, "--connection", target);
        Assert.Equal(2, refused);
        Assert.Contains("is not empty", refusedOutput, StringComparison.Ordinal);
        Assert.Equal(before, await CountsAsync(target));

        // --force replaces what the backup holds.
        var (forced, forcedOutput) = await ServerProcess.RunToExitAsync(restoreSettings, "backup", "restore", "--file", file, "--connection", target, "--force");
        Assert.True(forced == 0, forcedOutput);
        Assert.Equal(sourceCounts, await CountsAsync(target));
    }

    [Fact]
    public async Task ASqliteBackupRestoresIntoANewFileWithTheSameRows()
    {
        var database = Path.Combine(_directory, "crm.db");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Crm"] = "",
            ["Crm:SqlitePath"] = database,
            ["Backups:Directory"] = Path.Combine(_directory, "out"),
        };

        var (created, output) = await ServerProcess.RunToExitAsync(settings, "backup", "create");
        Assert.True(created == 0, output);
        var file = Assert.Single(Directory.GetFiles(Path.Combine(_directory, "out"), "*.sqlite"));

        var restoredPath = Path.Combine(_directory, "restored", "crm.db");
        var (restored, restoreOutput) = await ServerProcess.RunToExitAsync(new Dictionary<string, string?>(), "backup", "restore", "--file", file, "--connection", $"Data Source={restoredPath}");
        Assert.True(restored == 0, restoreOutput);

        var counts = await SqliteCountsAsync(database);
        Assert.True(counts["Contacts"] > 0, "the embedded demo seed wrote nothing");
        Assert.Equal(counts, await SqliteCountsAsync(restoredPath));

        var (refused, refusedOutput) = await ServerProcess.RunToExitAsync(new Dictionary<string, string?>(), "backup", "restore", "--file", file, "--connection", restoredPath);
        Assert.Equal(2, refused);
        Assert.Contains("is not empty", refusedOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BackupCreateWithoutADirectorySaysSoAndRestoreWithoutArgumentsShowsUsage()
    {
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Crm"] = "", ["Crm:SqlitePath"] = Path.Combine(_directory, "crm.db") };
        var (created, output) = await ServerProcess.RunToExitAsync(settings, "backup", "create");
        Assert.Equal(2, created);
        Assert.Contains("Backups:Directory is not set", output, StringComparison.Ordinal);

        var (restored, usage) = await ServerProcess.RunToExitAsync(new Dictionary<string, string?>(), "backup", "restore", "--file", "x.dump");
        Assert.Equal(2, restored);
        Assert.Contains("usage: backup restore", usage, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task<Dictionary<string, long>> CountsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var counts = new Dictionary<string, long>();
        foreach (var table in tables)
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM \"{table}\"", connection);
            counts[table] = (long)(await count.ExecuteScalarAsync())!;
        }

        return counts;
    }

    /// <summary>An md5 of every row's text, in a fixed order: any changed value, anywhere, changes it.</summary>
    private static async Task<string> ChecksumAsync(string connectionString, string table)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"{table}\" t", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<(string, string, string)> ScalarRowAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var row = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
        Assert.False(await reader.ReadAsync());
        return row;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<Dictionary<string, long>> SqliteCountsAsync(string path)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var counts = new Dictionary<string, long>();
        foreach (var table in tables)
        {
            await using var count = connection.CreateCommand();
            count.CommandText = $"SELECT count(*) FROM \"{table}\"";
            counts[table] = (long)(await count.ExecuteScalarAsync())!;
        }

        return counts;
    }
}
