using System.Text.Json;
using Crm.Data.Contacts;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Data.Importing;

/// <summary>
/// Writes an import batch's new contacts and report rows in the caller's unit of work: by binary COPY on PostgreSQL,
/// within the unit's transaction (EF's change tracking per row is far too slow for files of 100,000 rows), and through
/// EF on SQLite. Contact columns follow ContactConfiguration (address and consent are complex types, tags a text[],
/// custom fields JSON text).
/// </summary>
public sealed class ImportWriter(CrmDbContext db)
{
    private const string ContactCopy = """
        COPY "Contacts" ("Id", "FirstName", "LastName", "Company", "Email", "Phone", "Street", "City", "State", "PostalCode",
            "TimeZone", "Tags", "SmsConsentStatus", "SmsConsentSince", "SmsConsentSource", "CustomFields", "Source",
            "OpenPhoneContactId", "CreatedAt", "UpdatedAt") FROM STDIN (FORMAT BINARY)
        """;

    /// <summary>
    /// For the rest of the batch's transaction: the trigram indexes of Contacts (GIN) keep up to 32 MB of new entries
    /// in their pending list (default 4 MB) before merging them into the index, and merge in 64 MB of memory. A merge
    /// sorts and writes many rows' entries at once, far cheaper than a few rows' at a time; autovacuum (after an
    /// import's worth of inserts) or a later insert merges what is left. It took the indexed insert of 93,012 rows
    /// from 5.23 s to 4.36 s (bench/results/imports-2026-12-01.md). Searches read the pending list as well, so
    /// they find new contacts at once.
    /// </summary>
    private const string PendingIndexEntries = "SET LOCAL gin_pending_list_limit = '32MB'; SET LOCAL work_mem = '64MB'";

    private const string RowCopy = """COPY "ImportRows" ("JobId", "Row", "Outcome", "Reason", "ContactId", "Phone", "Email") FROM STDIN (FORMAT BINARY)""";

    public async Task AddContactsAsync(IReadOnlyList<Contact> contacts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        if (contacts.Count == 0)
        {
            return;
        }

        if (db.Database.GetDbConnection() is not NpgsqlConnection connection)
        {
            db.Contacts.AddRange(contacts);
            return;
        }

        await db.Database.ExecuteSqlRawAsync(PendingIndexEntries, cancellationToken);
        await using var copy = await connection.BeginBinaryImportAsync(ContactCopy, cancellationToken);
        foreach (var c in contacts)
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(c.Id, NpgsqlDbType.Uuid, cancellationToken);
            await TextAsync(copy, c.FirstName, cancellationToken);
            await TextAsync(copy, c.LastName, cancellationToken);
            await TextAsync(copy, c.Company, cancellationToken);
            await TextAsync(copy, c.Email, cancellationToken);
            await TextAsync(copy, c.Phone, cancellationToken);
            await TextAsync(copy, c.Address.Street, cancellationToken);
            await TextAsync(copy, c.Address.City, cancellationToken);
            await TextAsync(copy, c.Address.State, cancellationToken);
            await TextAsync(copy, c.Address.PostalCode, cancellationToken);
            await TextAsync(copy, c.TimeZone, cancellationToken);
            await copy.WriteAsync(c.Tags.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
            await TextAsync(copy, c.SmsConsent.Status.ToString(), cancellationToken);
            await TimeAsync(copy, c.SmsConsent.Since, cancellationToken);
            await TextAsync(copy, c.SmsConsent.Source?.ToString(), cancellationToken);
            await TextAsync(copy, JsonSerializer.Serialize(c.CustomFields, JsonSerializerOptions.Default), cancellationToken);
            await TextAsync(copy, c.Source.ToString(), cancellationToken);
            await TextAsync(copy, c.OpenPhoneContactId, cancellationToken);
            await TimeAsync(copy, c.CreatedAt, cancellationToken);
            await TimeAsync(copy, c.UpdatedAt, cancellationToken);
        }

        await copy.CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// Fresh planner statistics for the job's report rows, on PostgreSQL. Autovacuum analyzes them a minute or
    /// more after the fact; until then the planner takes the job's report rows for the few it saw last, and looks
    /// up a batch's keys by scanning every row the job wrote (49 ms a batch at 100,000 rows, growing with the file)
    /// instead of through the (job, phone) and (job, email) indexes (1 ms).
    /// </summary>
    public async Task AnalyzeAsync(CancellationToken cancellationToken)
    {
        if (db.Database.GetDbConnection() is NpgsqlConnection)
        {
            await db.Database.ExecuteSqlRawAsync("""ANALYZE "ImportRows" """, cancellationToken);
        }
    }

    public async Task AddRowsAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (db.Database.GetDbConnection() is not NpgsqlConnection connection)
        {
            db.ImportRows.AddRange(rows);
            return;
        }

        await using var copy = await connection.BeginBinaryImportAsync(RowCopy, cancellationToken);
        foreach (var r in rows)
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(r.JobId, NpgsqlDbType.Uuid, cancellationToken);
            await copy.WriteAsync(r.Row, NpgsqlDbType.Integer, cancellationToken);
            await TextAsync(copy, r.Outcome.ToString(), cancellationToken);
            await TextAsync(copy, r.Reason, cancellationToken);
            if (r.ContactId is { } id)
            {
                await copy.WriteAsync(id, NpgsqlDbType.Uuid, cancellationToken);
            }
            else
            {
                await copy.WriteNullAsync(cancellationToken);
            }

            await TextAsync(copy, r.Phone, cancellationToken);
            await TextAsync(copy, r.Email, cancellationToken);
        }

        await copy.CompleteAsync(cancellationToken);
    }

    private static Task TextAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken cancellationToken) =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private static Task TimeAsync(NpgsqlBinaryImporter copy, DateTimeOffset? value, CancellationToken cancellationToken) =>
        value is { } at ? copy.WriteAsync(at.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken) : copy.WriteNullAsync(cancellationToken);
}
