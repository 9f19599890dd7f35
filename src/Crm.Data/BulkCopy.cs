using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Data;

/// <summary>
/// Many new rows in the caller's unit of work: by binary COPY on PostgreSQL, within the unit's transaction (EF's change
/// tracking per row is far too slow for thousands of rows), and through EF on SQLite. Columns are written in the order
/// of the COPY statement's list, each with the helpers below.
/// </summary>
internal static class BulkCopy
{
    public static async Task AddAsync<T>(
        CrmDbContext db, DbSet<T> set, string copy, IReadOnlyList<T> rows, Func<NpgsqlBinaryImporter, T, CancellationToken, Task> writeRow, CancellationToken cancellationToken)
        where T : class
    {
        if (rows.Count == 0)
        {
            return;
        }

        if (db.Database.GetDbConnection() is not NpgsqlConnection connection)
        {
            set.AddRange(rows);
            return;
        }

        await using var importer = await connection.BeginBinaryImportAsync(copy, cancellationToken);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(cancellationToken);
            await writeRow(importer, row, cancellationToken);
        }

        await importer.CompleteAsync(cancellationToken);
    }

    public static Task TextAsync(this NpgsqlBinaryImporter copy, string? value, CancellationToken cancellationToken) =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    public static Task TimeAsync(this NpgsqlBinaryImporter copy, DateTimeOffset? value, CancellationToken cancellationToken) =>
        value is { } at ? copy.WriteAsync(at.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken) : copy.WriteNullAsync(cancellationToken);

    public static Task IdAsync(this NpgsqlBinaryImporter copy, Guid? value, CancellationToken cancellationToken) =>
        value is { } id ? copy.WriteAsync(id, NpgsqlDbType.Uuid, cancellationToken) : copy.WriteNullAsync(cancellationToken);
}
