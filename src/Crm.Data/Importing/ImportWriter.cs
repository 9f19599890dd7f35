using System.Text.Json;
using Crm.Data.Contacts;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Data.Importing;

/// <summary>
/// Writes an import batch's new contacts and report rows in the caller's unit of work (<see cref="BulkCopy"/>).
/// Contact columns follow ContactConfiguration (address and consent are complex types, tags a text[], custom fields
/// JSON text).
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
        if (contacts.Count > 0 && db.Database.GetDbConnection() is NpgsqlConnection)
        {
            await db.Database.ExecuteSqlRawAsync(PendingIndexEntries, cancellationToken);
        }

        await BulkCopy.AddAsync(db, db.Contacts, ContactCopy, contacts, WriteContactAsync, cancellationToken);
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

    public Task AddRowsAsync(IReadOnlyList<ImportRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return BulkCopy.AddAsync(db, db.ImportRows, RowCopy, rows, WriteRowAsync, cancellationToken);
    }

    private static async Task WriteContactAsync(NpgsqlBinaryImporter copy, Contact c, CancellationToken cancellationToken)
    {
        await copy.IdAsync(c.Id, cancellationToken);
        await copy.TextAsync(c.FirstName, cancellationToken);
        await copy.TextAsync(c.LastName, cancellationToken);
        await copy.TextAsync(c.Company, cancellationToken);
        await copy.TextAsync(c.Email, cancellationToken);
        await copy.TextAsync(c.Phone, cancellationToken);
        await copy.TextAsync(c.Address.Street, cancellationToken);
        await copy.TextAsync(c.Address.City, cancellationToken);
        await copy.TextAsync(c.Address.State, cancellationToken);
        await copy.TextAsync(c.Address.PostalCode, cancellationToken);
        await copy.TextAsync(c.TimeZone, cancellationToken);
        await copy.WriteAsync(c.Tags.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
        await copy.TextAsync(c.SmsConsent.Status.ToString(), cancellationToken);
        await copy.TimeAsync(c.SmsConsent.Since, cancellationToken);
        await copy.TextAsync(c.SmsConsent.Source?.ToString(), cancellationToken);
        await copy.TextAsync(JsonSerializer.Serialize(c.CustomFields, JsonSerializerOptions.Default), cancellationToken);
        await copy.TextAsync(c.Source.ToString(), cancellationToken);
        await copy.TextAsync(c.OpenPhoneContactId, cancellationToken);
        await copy.TimeAsync(c.CreatedAt, cancellationToken);
        await copy.TimeAsync(c.UpdatedAt, cancellationToken);
    }

    private static async Task WriteRowAsync(NpgsqlBinaryImporter copy, ImportRow r, CancellationToken cancellationToken)
    {
        await copy.IdAsync(r.JobId, cancellationToken);
        await copy.WriteAsync(r.Row, NpgsqlDbType.Integer, cancellationToken);
        await copy.TextAsync(r.Outcome.ToString(), cancellationToken);
        await copy.TextAsync(r.Reason, cancellationToken);
        await copy.IdAsync(r.ContactId, cancellationToken);
        await copy.TextAsync(r.Phone, cancellationToken);
        await copy.TextAsync(r.Email, cancellationToken);
    }
}
