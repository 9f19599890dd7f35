using System.Net;
using System.Net.Http.Json;
using System.Text;
using Crm.Data.Audit;
using Crm.Data.Consent;
using Crm.Data.Contacts;
using Crm.Data.Importing;
using Crm.Data.Users;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Tests.Importing;

public sealed class ContactImportTests(PostgresFixture fixture, ImportingHost importer) : PostgresTest(fixture), IClassFixture<ImportingHost>
{
    /// <summary>Its worker runs the jobs these tests queue.</summary>
    private readonly ImportingHost _importer = importer;

    private async Task<(ImportJob Job, List<ImportRow> Rows)> ImportAsync(string csv, int rowsInFile, IReadOnlyDictionary<string, string>? fields = null)
    {
        var id = await Imports.QueueAsync(Client.Http, csv, fields);
        var job = await Imports.WaitAsync(Fixture, id);
        Assert.True(job.Status == ImportStatus.Succeeded, job.FailureReason);
        var rows = await Imports.RowsAsync(Fixture, id);
        Imports.AssertAccounted(job, rows, rowsInFile);
        return (job, rows);
    }

    private Task<List<Contact>> ContactsAsync() => Fixture.QueryAsync(db => db.Contacts.AsNoTracking().OrderBy(c => c.Phone).ToListAsync());

    [Fact]
    public async Task HeadersAreMappedBySynonymsAndCellsAreCleaned()
    {
        var csv = "First Name,LAST_NAME,Mobile,Phone 2,E-Mail,Street Address,City,st,Zip Code,Company,Tags,Lot Size\r\n"
            + "  JOHN ,smith,(617) 555-0101,617.555.0199, John@Example.COM ,\"12 Main St, Apt 4\",BOSTON,ma,02108,ACME Corp,\"vip; roof|gutters\",\"0.25\nacres\"\r\n";

        await ImportAsync(csv, 1);

        var contact = Assert.Single(await ContactsAsync());
        Assert.Equal(("John", "Smith", "+16175550101", "john@example.com"), (contact.FirstName, contact.LastName, contact.Phone, contact.Email));
        Assert.Equal(("12 Main St, Apt 4", "Boston", "MA", "02108"), (contact.Address.Street, contact.Address.City, contact.Address.State, contact.Address.PostalCode));
        Assert.Equal("ACME Corp", contact.Company);
        Assert.Equal(["vip", "roof", "gutters"], contact.Tags);
        Assert.Equal("+16175550199", contact.CustomFields["Phone 2"]);
        Assert.Equal("0.25 acres", contact.CustomFields["Lot Size"]);
        Assert.Equal(ContactSource.Csv, contact.Source);
    }

    [Fact]
    public async Task AnExplicitMappingOverridesTheSynonymsAndCanIgnoreAColumn()
    {
        var csv = "Cell,Who,Notes,Name\n6175550102,John A. Smith Jr.,call after 5,ignored by the mapping\n6175550103,\"Doe, Jane\",,\n";
        var mapping = new Dictionary<string, string> { ["mapping"] = """{"Cell":"phone","Who":"fullName","Notes":"ignore","Name":"custom"}""" };

        await ImportAsync(csv, 2, mapping);

        var contacts = await ContactsAsync();
        Assert.Equal(("John A.", "Smith Jr."), (contacts[0].FirstName, contacts[0].LastName));
        Assert.Equal(("Jane", "Doe"), (contacts[1].FirstName, contacts[1].LastName));
        Assert.Equal(new Dictionary<string, string> { ["Name"] = "ignored by the mapping" }, contacts[0].CustomFields);

        using var unknown = await Imports.UploadAsync(Client.Http, Imports.Utf8(csv), fields: new Dictionary<string, string> { ["mapping"] = """{"Cell":"mobile phone"}""" });
        var error = await GraphQLClient.ReadAsync(unknown);
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_FILE"), (error.Status, error.ErrorCode));
        Assert.Contains("unknown field 'mobile phone'", error.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryRowHasOneOutcomeAndTheReportAddsUp()
    {
        await Fixture.ArrangeAsync(db =>
        {
            db.Contacts.Add(new Contact { FirstName = "Ann", Phone = "+16175550201", CreatedAt = TestData.Epoch, UpdatedAt = TestData.Epoch });
            db.Contacts.Add(new Contact { FirstName = "Bob", Phone = "+16175550202", Email = "bob@example.com", CreatedAt = TestData.Epoch, UpdatedAt = TestData.Epoch });
            db.Contacts.Add(new Contact { FirstName = "Cy", Email = "cy@example.com", CreatedAt = TestData.Epoch, UpdatedAt = TestData.Epoch });
            return Task.CompletedTask;
        });
        var csv = "name,phone,email\n"
            + "New Person,617-555-0200,\n"            // 2 CREATED
            + "Ann,6175550201,ann@example.com\n"      // 3 UPDATED: email filled
            + "Bob,+1 617 555 0202,bob@example.com\n" // 4 UNCHANGED
            + "Again,(617) 555-0200,\n"               // 5 DUPLICATE_IN_FILE of row 2, another format
            + "Bad,12,\n"                             // 6 REJECTED: not a phone number
            + "Nobody,,\n"                            // 7 REJECTED: neither phone nor email
            + "Cy,,CY@example.com\n"                  // 8 UNCHANGED: matched by email
            + "Cy again,,cy@example.com\n"            // 9 DUPLICATE_IN_FILE of row 8, by email
            + "Broken,6175550203,not-an-email\n";     // 10 REJECTED: email

        var (job, rows) = await ImportAsync(csv, 9);

        Assert.Equal(
            [ImportRowOutcome.Created, ImportRowOutcome.Updated, ImportRowOutcome.Unchanged, ImportRowOutcome.DuplicateInFile, ImportRowOutcome.Rejected,
             ImportRowOutcome.Rejected, ImportRowOutcome.Unchanged, ImportRowOutcome.DuplicateInFile, ImportRowOutcome.Rejected],
            rows.Select(r => r.Outcome));
        Assert.Equal("Same phone as row 2.", rows[3].Reason);
        Assert.Equal(rows[0].ContactId, rows[3].ContactId);
        Assert.Equal("Same email as row 8.", rows[7].Reason);
        Assert.Contains("possible phone number", rows[4].Reason, StringComparison.Ordinal);
        Assert.Contains("neither a phone number nor an email", rows[5].Reason, StringComparison.Ordinal);
        Assert.Contains("email", rows[8].Reason, StringComparison.Ordinal);
        Assert.Equal(4, (await ContactsAsync()).Count);
        Assert.Equal("ann@example.com", (await ContactsAsync()).Single(c => c.FirstName == "Ann").Email);

        using var report = await Client.Http.GetAsync($"/imports/{NodeId.Encode("ImportJob", job.Id)}/report");
        var bytes = await report.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.Equal("text/csv", report.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Encoding.UTF8.Preamble.ToArray(), bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("row,outcome,reason,contactId,phone,email", lines[0]);
        Assert.Equal(9, lines.Length - 1);
        Assert.Equal(
            ["CREATED", "UPDATED", "UNCHANGED", "DUPLICATE_IN_FILE", "REJECTED", "REJECTED", "UNCHANGED", "DUPLICATE_IN_FILE", "REJECTED"],
            lines[1..].Select(l => l.Split(',')[1]));
        // The phone starts with +, which a spreadsheet would run as a formula: the report escapes it.
        Assert.StartsWith($"2,CREATED,,{NodeId.Encode("Contact", rows[0].ContactId!.Value)},\"'+16175550200\"", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADryRunReportsTheSameDecisionsAndWritesNothingElse()
    {
        await Fixture.ArrangeAsync(db =>
        {
            db.Contacts.Add(new Contact { FirstName = "Ann", Phone = "+16175550201", CreatedAt = TestData.Epoch, UpdatedAt = TestData.Epoch });
            return Task.CompletedTask;
        });
        var csv = "name,phone,email,consent\nNew,6175550200,,yes\nAnn,6175550201,ann@example.com,no\nAgain,617 555 0200,,\nBad,1,,\n";

        var (_, rows) = await ImportAsync(csv, 4, new Dictionary<string, string> { ["dryRun"] = "true", ["listName"] = "Dry" });

        Assert.Equal([ImportRowOutcome.Created, ImportRowOutcome.Updated, ImportRowOutcome.DuplicateInFile, ImportRowOutcome.Rejected], rows.Select(r => r.Outcome));
        Assert.Null(rows[0].ContactId);
        var ann = Assert.Single(await ContactsAsync());
        Assert.Null(ann.Email);
        Assert.Equal(SmsConsentStatus.Unknown, ann.SmsConsent.Status);
        Assert.Equal(0, await Fixture.QueryAsync(db => db.ConsentEntries.CountAsync()));
        Assert.Equal(0, await Fixture.QueryAsync(db => db.ContactLists.CountAsync()));
    }

    [Fact]
    public async Task EnrichmentFillsEmptyFieldsMergesTagsAndOverwritesOnlyWhenAsked()
    {
        await Fixture.ArrangeAsync(db =>
        {
            db.Contacts.Add(new Contact
            {
                FirstName = "Old",
                Phone = "+16175550301",
                Tags = ["a"],
                CustomFields = new() { ["source"] = "fair" },
                CreatedAt = TestData.Epoch,
                UpdatedAt = TestData.Epoch,
            });
            return Task.CompletedTask;
        });
        var csv = "first name,phone,company,tags,source\nNew,6175550301,Acme,\"b, A\",web\n";

        var (_, fill) = await ImportAsync(csv, 1);
        var filled = Assert.Single(await ContactsAsync());
        var (_, overwrite) = await ImportAsync(csv, 1, new Dictionary<string, string> { ["overwrite"] = "true" });
        var overwritten = Assert.Single(await ContactsAsync());

        Assert.Equal(ImportRowOutcome.Updated, fill[0].Outcome);
        Assert.Equal(("Old", "Acme", "fair"), (filled.FirstName, filled.Company, filled.CustomFields["source"]));
        Assert.Equal(["a", "b"], filled.Tags);
        Assert.Equal(ImportRowOutcome.Updated, overwrite[0].Outcome);
        Assert.Equal(("New", "Acme", "web"), (overwritten.FirstName, overwritten.Company, overwritten.CustomFields["source"]));
        Assert.Equal(["a", "b"], overwritten.Tags);
    }

    [Fact]
    public async Task TheConsentColumnIsRecordedInTheLedgerWithSourceImportButNeverOverAnOptOut()
    {
        await Fixture.ArrangeAsync(db =>
        {
            db.Contacts.Add(new Contact
            {
                FirstName = "Stopped",
                Phone = "+16175550403",
                SmsConsent = new SmsConsent { Status = SmsConsentStatus.OptedOut, Since = TestData.Epoch, Source = ConsentSource.Keyword },
                CreatedAt = TestData.Epoch,
                UpdatedAt = TestData.Epoch,
            });
            return Task.CompletedTask;
        });
        var csv = "phone,SMS Consent\n6175550401,Opted In\n6175550402,STOP\n6175550403,yes\n6175550404,\n6175550405,maybe\n";

        var (_, rows) = await ImportAsync(csv, 5);

        var contacts = await ContactsAsync();
        Assert.Equal(
            [SmsConsentStatus.OptedIn, SmsConsentStatus.OptedOut, SmsConsentStatus.OptedOut, SmsConsentStatus.Unknown],
            contacts.Select(c => c.SmsConsent.Status));
        var entries = await Fixture.QueryAsync(db => db.ConsentEntries.AsNoTracking().OrderBy(e => e.Phone).ToListAsync());
        Assert.Equal(["+16175550401", "+16175550402"], entries.Select(e => e.Phone));
        Assert.All(entries, e => Assert.Equal(ConsentSource.Import, e.Source));
        Assert.Equal("contacts.csv row 2: Opted In", entries[0].Evidence);
        Assert.Equal((ImportRowOutcome.Unchanged, "Consent not changed: the contact opted out, and only they can opt back in."), (rows[2].Outcome, rows[2].Reason));
        Assert.Equal(ImportRowOutcome.Rejected, rows[4].Outcome);
    }

    [Fact]
    public async Task ListNamePutsEveryImportedContactInTheListAndGraphQLShowsIt()
    {
        await Fixture.ArrangeAsync(db =>
        {
            db.Contacts.Add(new Contact { FirstName = "Ann", Phone = "+16175550501", CreatedAt = TestData.Epoch, UpdatedAt = TestData.Epoch });
            return Task.CompletedTask;
        });
        var csv = "phone\n6175550501\n6175550502\n617-555-0502\nnope\n";

        await ImportAsync(csv, 4, new Dictionary<string, string> { ["listName"] = "Spring mailer" });
        await ImportAsync(csv, 4, new Dictionary<string, string> { ["listName"] = "Spring mailer" });

        var data = await Client.DataAsync("""
            { contactLists(where: { name: { eq: "Spring mailer" } }) {
                nodes { id name memberCount contacts(first: 10) { totalCount edges { node { phone } } } } } }
            """);
        var list = Assert.Single(data["contactLists"]!["nodes"]!.AsArray())!;
        Assert.Equal(2, list["memberCount"]!.GetValue<int>());
        Assert.Equal(2, list["contacts"]!["totalCount"]!.GetValue<int>());
        Assert.Equal(
            ["+16175550501", "+16175550502"],
            list["contacts"]!["edges"]!.AsArray().Select(e => e!["node"]!["phone"]!.GetValue<string>()).Order());
        var node = await Client.DataAsync("query($id: ID!) { node(id: $id) { ... on ContactList { name } } }", new { id = list["id"]!.GetValue<string>() });
        Assert.Equal("Spring mailer", node["node"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task AQuoteLeftOpenFailsTheJobBeforeAnythingIsWritten()
    {
        var csv = "name,phone\nAnn,6175550601\nBob,6175550602\n\"Cy,6175550603\nDee,6175550604\n";

        var id = await Imports.QueueAsync(Client.Http, csv);
        var job = await Imports.WaitAsync(Fixture, id);

        Assert.Equal(ImportStatus.Failed, job.Status);
        Assert.Contains("quoted field opened in row 4", job.FailureReason, StringComparison.Ordinal);
        Assert.Empty(await ContactsAsync());
        Assert.Empty(await Imports.RowsAsync(Fixture, id));
        // A job that ended is never read again: its upload goes with it, as a finished one's does.
        Assert.Equal(0, await Fixture.QueryAsync(db => db.ImportFileChunks.CountAsync(c => c.JobId == id)));
    }

    [Theory]
    [InlineData("pipes", "no phone or email column")]
    [InlineData("binary", "binary data")]
    [InlineData("utf16", "UTF-16")]
    [InlineData("empty", "empty")]
    public async Task AFileThatIsNotAReadableCsvIsA400AndQueuesNothing(string kind, string message)
    {
        var file = kind switch
        {
            "pipes" => Imports.Utf8("name|phone\nAnn|6175550701\n"),
            "binary" => [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00],
            "utf16" => [.. Encoding.Unicode.Preamble, .. Encoding.Unicode.GetBytes("name,phone\nAnn,6175550701\n")],
            _ => [],
        };

        using var response = await Imports.UploadAsync(Client.Http, file);
        var error = await GraphQLClient.ReadAsync(response);

        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_FILE"), (error.Status, error.ErrorCode));
        Assert.Contains(message, error.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(0, await Fixture.QueryAsync(db => db.ImportJobs.CountAsync()));
    }

    [Fact]
    public async Task A60MegabyteFileIsA413()
    {
        var header = Imports.Utf8("name,phone\n");
        var file = new byte[60 * 1024 * 1024];
        header.CopyTo(file, 0);
        file.AsSpan(header.Length).Fill((byte)'a');

        using var response = await Imports.UploadAsync(Client.Http, file);
        var error = await GraphQLClient.ReadAsync(response);

        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "FILE_TOO_LARGE"), (error.Status, error.ErrorCode));
        Assert.Equal(0, await Fixture.QueryAsync(db => db.ImportJobs.CountAsync()));
    }

    [Fact]
    public async Task SemicolonsTabsWindows1252AndFormulasAreReadAsData()
    {
        var cp1252 = CodePagesEncodingProvider.Instance.GetEncoding(1252)!;
        await ImportAsync("name;phone\nRené Ébert;6175550801\n", 1);
        using (var latin = await Imports.UploadAsync(Client.Http, cp1252.GetBytes("name\tphone\nZoë Müller\t6175550802\n=HYPERLINK(\"http://x\")\t6175550803\n")))
        {
            Assert.Equal(HttpStatusCode.Accepted, latin.StatusCode);
        }

        var jobs = await Fixture.QueryAsync(db => db.ImportJobs.AsNoTracking().Select(j => j.Id).ToListAsync());
        foreach (var job in jobs)
        {
            Assert.Equal(ImportStatus.Succeeded, (await Imports.WaitAsync(Fixture, job)).Status);
        }

        var contacts = await ContactsAsync();
        Assert.Equal(("René", "Ébert"), (contacts[0].FirstName, contacts[0].LastName));
        Assert.Equal(("Zoë", "Müller"), (contacts[1].FirstName, contacts[1].LastName));
        Assert.Equal("=HYPERLINK(\"http://x\")", contacts[2].FirstName);
    }

    [Fact]
    public async Task ImportsNeedAMarketerAndACookieNeedsThePreflightHeader()
    {
        var csv = Imports.Utf8("phone\n6175550901\n");
        var viewer = await Fixture.ClientAsAsync(CrmRole.Viewer);
        var marketer = await Fixture.ClientAsAsync(CrmRole.Marketer);

        using var anonymous = await Imports.UploadAsync(Anonymous.Http, csv);
        using var denied = await Imports.UploadAsync(viewer.Http, csv);
        using var report = await viewer.Http.GetAsync($"/imports/{NodeId.Encode("ImportJob", Guid.NewGuid())}/report");
        using var allowed = await Imports.UploadAsync(marketer.Http, csv);
        Assert.Equal("AUTH_NOT_AUTHENTICATED", (await GraphQLClient.ReadAsync(anonymous)).ErrorCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, report.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, allowed.StatusCode);

        await Fixture.WithServiceAsync<UserOperations, CrmUser>(users => users.CreateAsync("mara@example.com", "Correct-Horse-42", "Mara", CrmRole.Marketer, Actor.System));
        using var browser = Fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), HandleCookies = true });
        (await browser.PostAsJsonAsync("/auth/login", new { email = "mara@example.com", password = "Correct-Horse-42" })).EnsureSuccessStatusCode();
        using var crossSite = await Imports.UploadAsync(browser, csv);
        browser.DefaultRequestHeaders.Add("GraphQL-Preflight", "1");
        using var preflighted = await Imports.UploadAsync(browser, csv);

        Assert.Equal((HttpStatusCode.Forbidden, "CSRF_PREFLIGHT_REQUIRED"), (crossSite.StatusCode, (await GraphQLClient.ReadAsync(crossSite)).ErrorCode));
        Assert.Equal(HttpStatusCode.Accepted, preflighted.StatusCode);
        var audited = await Fixture.QueryAsync(db => db.AuditEntries.AsNoTracking().Where(a => a.Action == "import.started").CountAsync());
        Assert.Equal(2, audited);
        foreach (var job in await Fixture.QueryAsync(db => db.ImportJobs.AsNoTracking().Select(j => j.Id).ToListAsync()))
        {
            await Imports.WaitAsync(Fixture, job);
        }
    }

    [Fact]
    public async Task AHistoryImportsReportListsItsErrors()
    {
        var id = Guid.CreateVersion7();
        await Fixture.ArrangeAsync(db =>
        {
            db.ImportJobs.Add(new ImportJob { Id = id, Kind = ImportKind.OpenPhoneHistory, Status = ImportStatus.Succeeded, CreatedAt = TestData.Epoch });
            db.ImportErrors.Add(new ImportError { JobId = id, At = TestData.Epoch, Item = "conversation CN1", Message = "=not a formula" });
            return Task.CompletedTask;
        });

        using var report = await Client.Http.GetAsync($"/imports/{NodeId.Encode("ImportJob", id)}/report");
        var text = (await report.Content.ReadAsStringAsync()).TrimStart('\uFEFF');

        Assert.Equal($"item,message,at\r\nconversation CN1,\"'=not a formula\",{TestData.Epoch:O}\r\n", text);
    }
}
