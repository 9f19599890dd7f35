using System.Text;
using Crm.Data;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Crm.Jobs.Backups;

/// <summary>
/// <c>backup restore --file F --connection C [--force]</c>: a database backup into the database C, which must be empty
/// (no table) unless --force, which drops what the backup holds first. Runs before the host: it neither migrates nor
/// touches the configured database.
/// </summary>
public static class BackupRestore
{
    public const string Usage = "usage: backup restore --file <backup file> --connection <postgresql:// URL, Npgsql connection string, or SQLite file> [--force]";

    /// <summary>The exit code: 0 restored, 1 failed, 2 wrong arguments or a refused target. Messages go to the writers.</summary>
    public static async Task<int> RunAsync(string file, string connection, bool force, string pgDumpPath, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        if (!File.Exists(file))
        {
            await errors.WriteLineAsync($"No backup file at {file}.");
            return 2;
        }

        var format = await FormatAsync(file, cancellationToken);
        var npgsql = ConnectionUrls.ToNpgsql(connection) ?? (connection.Contains("Host=", StringComparison.OrdinalIgnoreCase) ? connection : null);
        try
        {
            switch (format, npgsql)
            {
                case ("postgres", not null):
                    if (!force && await PostgresTablesAsync(npgsql, cancellationToken) is > 0 and var tables)
                    {
                        await errors.WriteLineAsync($"The target database is not empty ({tables} tables); nothing was restored. Restore into a new, empty database, or pass --force to drop what the backup holds and restore over it.");
                        return 2;
                    }

                    await PgTools.RestoreAsync(new BackupOptions { PgDumpPath = pgDumpPath }.PgRestorePath, npgsql, file, force, cancellationToken);
                    break;
                case ("sqlite", null):
                    var path = SqlitePath(connection);
                    if (!force && File.Exists(path) && new FileInfo(path).Length > 0 && await SqliteTablesAsync(path, cancellationToken) > 0)
                    {
                        await errors.WriteLineAsync($"The target SQLite file {path} is not empty; nothing was restored. Name a new file, or pass --force to replace it.");
                        return 2;
                    }

                    RestoreSqlite(file, path);
                    break;
                case ("postgres", null) or ("sqlite", not null):
                    await errors.WriteLineAsync($"The backup is a {format} backup; --connection names a {(npgsql is null ? "SQLite" : "PostgreSQL")} database. {Usage}");
                    return 2;
                default:
                    await errors.WriteLineAsync($"{file} is neither a pg_dump custom-format file nor a SQLite database.");
                    return 2;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or NpgsqlException or SqliteException or IOException)
        {
            await errors.WriteLineAsync($"The restore failed: {ex.Message}");
            return 1;
        }

        await output.WriteLineAsync($"Restored {Path.GetFileName(file)}.");
        return 0;
    }

    /// <summary>By the file's first bytes: pg_dump's custom format starts "PGDMP", a SQLite database "SQLite format 3".</summary>
    private static async Task<string?> FormatAsync(string file, CancellationToken cancellationToken)
    {
        var head = new byte[16];
        await using var stream = File.OpenRead(file);
        var read = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        var text = Encoding.ASCII.GetString(head, 0, read);
        return text.StartsWith("PGDMP", StringComparison.Ordinal) ? "postgres" : text.StartsWith("SQLite format 3", StringComparison.Ordinal) ? "sqlite" : null;
    }

    private static async Task<long> PostgresTablesAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static string SqlitePath(string connection) =>
        Path.GetFullPath(connection.Contains('=', StringComparison.Ordinal) ? new SqliteConnectionStringBuilder(connection).DataSource : connection);

    private static async Task<long> SqliteTablesAsync(string path, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table'";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>SQLite's backup API from the file into the target: pages, not a byte copy, so a journal left beside either does not matter.</summary>
    private static void RestoreSqlite(string file, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        source.Open();
        using (var check = source.CreateCommand())
        {
            check.CommandText = "PRAGMA integrity_check";
            if (check.ExecuteScalar() as string != "ok")
            {
                throw new InvalidOperationException("The SQLite backup fails its integrity check.");
            }
        }

        using var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ConnectionString);
        destination.Open();
        source.BackupDatabase(destination);
    }
}
