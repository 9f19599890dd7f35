using System.Text.Json;
using System.Threading.Channels;
using Crm.Data;
using Crm.Data.Consent;
using Crm.Data.ContactLists;
using Crm.Data.Contacts;
using Crm.Data.Events;
using Crm.Data.Importing;
using CsvHelper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Jobs.Importing.Contacts;

/// <summary>What a CSV import was asked to do, as the upload found and checked it.</summary>
public sealed record ContactImportOptions(
    string FileName,
    string Encoding,
    string Delimiter,
    IReadOnlyDictionary<string, string>? Mapping,
    bool DryRun,
    bool Overwrite,
    string? ListName)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public CsvFileFormat Format => new(Encoding, Delimiter);

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static ContactImportOptions Deserialize(string json) =>
        JsonSerializer.Deserialize<ContactImportOptions>(json, Json) ?? throw new InvalidOperationException("The import job has no options.");
}

/// <summary>
/// A CSV of contacts into the CRM. First the whole file is read once to check its structure (a quote left open
/// until the end fails the job before anything is written) and count its rows; then batches of rows, each in one
/// unit of work with the job's counts and checkpoint (the rows done), so a run that dies resumes after the last
/// batch committed and ends as an uninterrupted run would. Every row gets exactly one line in the job's report.
/// </summary>
/// <remarks>
/// Memory stays bounded whatever the file's size: the file streams from its chunks, and a row repeating an earlier
/// row's phone or email is found among the job's report rows (indexed), not in a set of the whole file; a filter of
/// fixed size (<see cref="SeenKeys"/>) spares the lookup of the keys no earlier row has.
/// A dry run takes the same decisions and writes only the report.
/// </remarks>
public sealed class ContactCsvImporter(
    IServiceScopeFactory scopes,
    CrmDbContext db,
    UnitOfWork work,
    ImportJobOperations jobs,
    ImportFiles files,
    ImportWriter writer,
    ConsentLedger consent,
    TimeProvider clock) : IImporter
{
    /// <summary>Rows per unit of work: big enough for COPY and one lookup query to pay off, small enough to redo after a crash.</summary>
    internal const int BatchSize = 2000;

    public ImportKind Kind => ImportKind.Contacts;

    public async Task RunAsync(ImportClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var options = ContactImportOptions.Deserialize(claim.Options);
        int done;
        if (claim.Checkpoint is null)
        {
            var total = await ValidateAsync(claim.JobId, options, cancellationToken);
            await jobs.ProgressAsync(claim, new ImportProgress(Phase: "rows", Total: total, Checkpoint: Checkpoint(0)), cancellationToken);
            done = 0;
        }
        else
        {
            done = JsonSerializer.Deserialize<ImportCheckpoint>(claim.Checkpoint)?.Rows ?? 0;
        }

        var seen = await SeenAsync(claim.JobId, cancellationToken);
        // Rows are read and cleaned (CPU) while the batch before them is written (the database): the reader runs
        // a batch or two ahead, no more, on a context of its own.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var batches = Channel.CreateBounded<List<ContactRow>>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var reading = Task.Run(() => ReadAsync(claim.JobId, options, done, batches.Writer, stop.Token), stop.Token);
        try
        {
            // Statistics after the first 5 batches and each time the rows done have doubled since: a few ANALYZEs
            // for any file, each a sample of at most 30,000 rows. Before 5 batches a scan of the job's rows costs little.
            var analyzed = done;
            await foreach (var batch in batches.Reader.ReadAllAsync(cancellationToken))
            {
                done += batch.Count;
                var next = Checkpoint(done);
                await work.RunAsync(ct => ImportBatchAsync(claim, options, batch, seen, next, ct), cancellationToken);
                if (done - analyzed >= Math.Max(analyzed, 5 * BatchSize))
                {
                    await writer.AnalyzeAsync(cancellationToken);
                    analyzed = done;
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        // The reader's error, if it stopped early (the loop above saw the end of its batches either way).
        await reading;
        await work.RunAsync(
            async ct =>
            {
                await jobs.ProgressAsync(claim, new ImportProgress(Phase: "report"), ct);
                await files.DeleteAsync(claim.JobId, ct);
                return Change.Of(true);
            },
            cancellationToken);
    }

    /// <summary>The phones and emails of the rows done before this run (none for a job that starts), which later rows may repeat.</summary>
    private async Task<SeenKeys> SeenAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var seen = new SeenKeys();
        await foreach (var row in FirstRows(jobId).Select(r => new { r.Phone, r.Email }).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            Add(seen, row.Phone, row.Email);
        }

        return seen;
    }

    /// <summary>The job's report rows that a later row can repeat: those that took a contact, not duplicates or rejections.</summary>
    private IQueryable<ImportRow> FirstRows(Guid jobId) => db.ImportRows.AsNoTracking()
        .Where(r => r.JobId == jobId && r.Outcome != ImportRowOutcome.DuplicateInFile && r.Outcome != ImportRowOutcome.Rejected);

    private static void Add(SeenKeys seen, string? phone, string? email)
    {
        if (phone is not null)
        {
            seen.Add(phone);
        }

        if (email is not null)
        {
            seen.Add(email);
        }
    }

    /// <summary>The rows after the first <paramref name="skip"/>, cleaned, in batches; the channel ends with the file, or early on an error, which the task carries.</summary>
    private async Task ReadAsync(Guid jobId, ContactImportOptions options, int skip, ChannelWriter<List<ContactRow>> batches, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await using var file = scope.ServiceProvider.GetRequiredService<ImportFiles>().OpenRead(jobId);
            using var reader = options.Format.Reader(file);
            await reader.ReadHeaderAsync(cancellationToken);
            var columns = ContactColumns.Resolve(reader.Headers, options.Mapping);
            for (var skipped = 0; skipped < skip && await reader.ReadAsync(cancellationToken); skipped++)
            {
            }

            var row = skip;
            var batch = new List<ContactRow>(BatchSize);
            while (await reader.ReadAsync(cancellationToken))
            {
                // Spreadsheet numbering: the header is row 1.
                batch.Add(ContactRow.Parse(row++ + 2, reader.Current.ToArray(), columns));
                if (batch.Count == BatchSize)
                {
                    await batches.WriteAsync(batch, cancellationToken);
                    batch = new List<ContactRow>(BatchSize);
                }
            }

            if (batch.Count > 0)
            {
                await batches.WriteAsync(batch, cancellationToken);
            }
        }
        finally
        {
            batches.TryComplete();
        }
    }

    /// <summary>The number of records, once the whole file has been read without a structural error.</summary>
    private async Task<int> ValidateAsync(Guid jobId, ContactImportOptions options, CancellationToken cancellationToken)
    {
        long? unterminated = null;
        await using var file = files.OpenRead(jobId);
        using var reader = options.Format.Reader(file, malformed => unterminated ??= malformed.Reason == CsvMalformedReason.UnterminatedQuote ? malformed.RecordNumber : null);
        await reader.ReadHeaderAsync(cancellationToken);
        ContactColumns.Resolve(reader.Headers, options.Mapping);
        var count = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            count++;
        }

        // A quote that never closes runs to the end of the file, taking every row after it into one field.
        return unterminated is { } record
            ? throw new InvalidCsvFileException($"The file ends inside a quoted field opened in row {record}: a closing quote is missing. Nothing was imported.")
            : count;
    }

    private async Task<Change<bool>> ImportBatchAsync(
        ImportClaim claim, ContactImportOptions options, List<ContactRow> batch, SeenKeys seenKeys, string checkpoint, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var valid = batch.Where(r => r.Reject is null).ToList();
        var phones = valid.Where(r => r.Phone is not null).Select(r => r.Phone!).Distinct().ToList();
        var emails = valid.Where(r => r.Email is not null).Select(r => r.Email!).Distinct().ToList();

        // Rows of earlier batches with the same phone or email: the first of them is the row this one repeats.
        var maybePhones = phones.Where(seenKeys.MayContain).ToList();
        var maybeEmails = emails.Where(seenKeys.MayContain).ToList();
        var earlier = maybePhones.Count + maybeEmails.Count == 0 ? [] : await FirstRows(claim.JobId)
            .Where(r => (r.Phone != null && maybePhones.Contains(r.Phone)) || (r.Email != null && maybeEmails.Contains(r.Email)))
            .Select(r => new Seen(r.Row, r.ContactId, r.Phone, r.Email))
            .ToListAsync(cancellationToken);
        var byPhone = earlier.Where(s => s.Phone is not null).GroupBy(s => s.Phone!).ToDictionary(g => g.Key, g => g.MinBy(s => s.Row)!, StringComparer.Ordinal);
        var byEmail = earlier.Where(s => s.Email is not null).GroupBy(s => s.Email!).ToDictionary(g => g.Key, g => g.MinBy(s => s.Row)!, StringComparer.Ordinal);

        var query = db.Contacts.Where(c => (c.Phone != null && phones.Contains(c.Phone)) || (c.Email != null && emails.Contains(c.Email)));
        var existing = await (options.DryRun ? query.AsNoTracking() : query).OrderBy(c => c.CreatedAt).ToListAsync(cancellationToken);
        var contactByPhone = existing.Where(c => c.Phone is not null).ToDictionary(c => c.Phone!, StringComparer.Ordinal);
        var contactByEmail = existing.Where(c => c.Email is not null).GroupBy(c => c.Email!).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var orphans = options.DryRun ? null : await consent.OrphansAsync(phones.Where(p => !contactByPhone.ContainsKey(p)).ToList(), cancellationToken);

        var created = new List<Contact>();
        var report = new List<ImportRow>(batch.Count);
        var members = new List<Guid>();
        var events = new List<CrmEvent>();
        foreach (var row in batch)
        {
            if (row.Reject is { } reason)
            {
                report.Add(Line(claim, row, ImportRowOutcome.Rejected, reason, null));
                continue;
            }

            var repeated = row.Phone is not null && byPhone.TryGetValue(row.Phone, out var samePhone) ? (samePhone, "phone")
                : row.Email is not null && byEmail.TryGetValue(row.Email, out var sameEmail) ? (sameEmail, "email")
                : default;
            if (repeated.Item1 is { } first)
            {
                report.Add(Line(claim, row, ImportRowOutcome.DuplicateInFile, $"Same {repeated.Item2} as row {first.Row}.", first.ContactId));
                continue;
            }

            var contact = (row.Phone is null ? null : contactByPhone.GetValueOrDefault(row.Phone)) ?? (row.Email is null ? null : contactByEmail.GetValueOrDefault(row.Email));
            ImportRowOutcome outcome;
            if (contact is null)
            {
                contact = new Contact { Source = ContactSource.Csv, CreatedAt = now, UpdatedAt = now };
                Enrich(contact, row, overwrite: true);
                if (orphans is not null && contact.Phone is not null)
                {
                    ConsentLedger.Inherit(contact, orphans[contact.Phone]);
                }

                created.Add(contact);
                outcome = ImportRowOutcome.Created;
            }
            else
            {
                outcome = Enrich(contact, row, options.Overwrite) ? ImportRowOutcome.Updated : ImportRowOutcome.Unchanged;
            }

            var (consentChanged, note) = RecordConsent(contact, row, options, now, events);
            if (consentChanged && outcome == ImportRowOutcome.Unchanged)
            {
                outcome = ImportRowOutcome.Updated;
            }

            if (outcome == ImportRowOutcome.Updated && !options.DryRun)
            {
                contact.UpdatedAt = now;
                events.Add(new ContactUpdated(contact.Id));
            }

            var contactId = options.DryRun && outcome == ImportRowOutcome.Created ? (Guid?)null : contact.Id;
            var seen = new Seen(row.Row, contactId, row.Phone, row.Email);
            if (row.Phone is not null)
            {
                byPhone.TryAdd(row.Phone, seen);
            }

            if (row.Email is not null)
            {
                byEmail.TryAdd(row.Email, seen);
            }

            Add(seenKeys, row.Phone, row.Email);

            members.Add(contact.Id);
            report.Add(Line(claim, row, outcome, note, contactId));
        }

        if (!options.DryRun)
        {
            await writer.AddContactsAsync(created, cancellationToken);
            if (options.ListName is { } listName)
            {
                await AddToListAsync(listName, claim, members, now, cancellationToken);
            }
        }

        await writer.AddRowsAsync(report, cancellationToken);
        var rejected = report.Count(r => r.Outcome == ImportRowOutcome.Rejected);
        await jobs.ProgressAsync(claim, new ImportProgress(Done: report.Count - rejected, Failed: rejected, Checkpoint: checkpoint), cancellationToken);
        // No event per new contact: a file of 100,000 would flood every subscriber. The job's progress event says
        // that contacts changed, and lists refetch.
        return Change.Of(true, events);
    }

    /// <summary>
    /// The file's consent through the ledger, when it changes the contact's; never an opt-in over an opt-out, which
    /// only the contact can undo. Whether it changed, and a note for the report.
    /// </summary>
    private (bool Changed, string? Note) RecordConsent(Contact contact, ContactRow row, ContactImportOptions options, DateTimeOffset now, List<CrmEvent> events)
    {
        if (row.Consent is not { } status)
        {
            return (false, null);
        }

        var current = contact.SmsConsent.Status;
        if (status == ConsentStatus.OptedIn && current == SmsConsentStatus.OptedOut)
        {
            return (false, "Consent not changed: the contact opted out, and only they can opt back in.");
        }

        if ((status == ConsentStatus.OptedIn && current == SmsConsentStatus.OptedIn) || (status == ConsentStatus.OptedOut && current == SmsConsentStatus.OptedOut))
        {
            return (false, null);
        }

        var fact = new ConsentFact(status, ConsentSource.Import, now, Evidence: $"{options.FileName} row {row.Row}: {row.ConsentText}");
        if (options.DryRun)
        {
            contact.SmsConsent.Status = status == ConsentStatus.OptedIn ? SmsConsentStatus.OptedIn : SmsConsentStatus.OptedOut;
            contact.SmsConsent.Since = now;
        }
        else
        {
            events.AddRange(consent.Append(contact, fact));
        }

        return (true, null);
    }

    /// <summary>Fills the contact's empty fields from the row (or overwrites them, when asked); tags and custom fields are merged. Whether anything changed.</summary>
    /// <remarks>An existing phone is never replaced: the number is the contact's identity in conversations.</remarks>
    internal static bool Enrich(Contact contact, ContactRow row, bool overwrite)
    {
        var changed = false;
        string? Take(string? current, string? value)
        {
            if (value is null || current == value || (current is not null && !overwrite))
            {
                return current;
            }

            changed = true;
            return value;
        }

        contact.FirstName = Take(contact.FirstName, row.FirstName);
        contact.LastName = Take(contact.LastName, row.LastName);
        contact.Company = Take(contact.Company, row.Company);
        contact.Email = Take(contact.Email, row.Email);
        contact.Address.Street = Take(contact.Address.Street, row.Street);
        contact.Address.City = Take(contact.Address.City, row.City);
        contact.Address.State = Take(contact.Address.State, row.State);
        contact.Address.PostalCode = Take(contact.Address.PostalCode, row.PostalCode);
        if (contact.Phone is null && row.Phone is not null)
        {
            contact.Phone = row.Phone;
            changed = true;
        }

        foreach (var tag in row.Tags.Where(t => !contact.Tags.Contains(t, StringComparer.OrdinalIgnoreCase)))
        {
            contact.Tags.Add(tag);
            changed = true;
        }

        foreach (var (key, value) in row.CustomFields)
        {
            if (!contact.CustomFields.TryGetValue(key, out var current) || (overwrite && current != value))
            {
                contact.CustomFields[key] = value;
                changed = true;
            }
        }

        return changed;
    }

    private async Task AddToListAsync(string name, ImportClaim claim, List<Guid> contactIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var list = await db.ContactLists.FirstOrDefaultAsync(l => l.Name == name, cancellationToken);
        if (list is null)
        {
            // A race with another import creating it loses on the unique name, and the unit runs again and finds it.
            var job = await db.ImportJobs.AsNoTracking().Where(j => j.Id == claim.JobId).Select(j => j.StartedBy).FirstAsync(cancellationToken);
            list = new ContactList { Name = name, CreatedAt = now, CreatedBy = job };
            db.ContactLists.Add(list);
        }

        var ids = contactIds.Distinct().ToList();
        var already = await db.ContactListMembers.Where(m => m.ListId == list.Id && ids.Contains(m.ContactId)).Select(m => m.ContactId).ToListAsync(cancellationToken);
        db.ContactListMembers.AddRange(ids.Except(already).Select(id => new ContactListMember { ListId = list.Id, ContactId = id, AddedAt = now }));
    }

    private static ImportRow Line(ImportClaim claim, ContactRow row, ImportRowOutcome outcome, string? reason, Guid? contactId) =>
        new() { JobId = claim.JobId, Row = row.Row, Outcome = outcome, Reason = reason, ContactId = contactId, Phone = row.Phone, Email = row.Email?.Length <= 254 ? row.Email : null };

    private static string Checkpoint(int rows) => JsonSerializer.Serialize(new ImportCheckpoint(rows));

    private sealed record ImportCheckpoint(int Rows);

    private sealed record Seen(int Row, Guid? ContactId, string? Phone, string? Email);
}
