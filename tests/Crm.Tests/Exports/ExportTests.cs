using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Data.Activities;
using Crm.Data.Audit;
using Crm.Data.Consent;
using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Data.PhoneNumbers;
using Crm.Data.Users;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;
using CsvHelper;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Snapshooter.Xunit;

namespace Crm.Tests.Exports;

public sealed partial class ExportTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>GET <paramref name="path"/> with each argument's JSON in the query string.</summary>
    private static string Url(string path, params (string Name, string Json)[] arguments) =>
        arguments.Length == 0 ? path : $"{path}?{string.Join('&', arguments.Select(a => $"{a.Name}={Uri.EscapeDataString(a.Json)}"))}";

    private static (string Name, string Json) Where(object where) => ("where", JsonSerializer.Serialize(where));

    /// <summary>The records of a CSV file as CsvHelper reads them back, the header row first.</summary>
    private static List<string[]> Read(byte[] file)
    {
        using var reader = CsvReader.Create(file, CsvReaderOptions.Default with { HasHeader = false, Separator = ',' });
        var records = new List<string[]>();
        while (reader.Read())
        {
            records.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetString(i) ?? string.Empty)]);
        }

        return records;
    }

    private async Task<List<string[]>> ExportAsync(string url)
    {
        using var response = await Client.Http.GetAsync(url);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, Encoding.UTF8.GetString(body));
        return Read(body);
    }

    private static string Cell(List<string[]> records, int row, string header) => records[row][Array.IndexOf(records[0], header)];

    /// <summary>A column's cells, below the header.</summary>
    private static IEnumerable<string> Column(List<string[]> records, string header) => records.Skip(1).Select(r => r[Array.IndexOf(records[0], header)]);

    private async Task<Contact[]> ArrangeContactsAsync(params Contact[] contacts)
    {
        await Fixture.ArrangeAsync(db =>
        {
            db.AddRange(contacts);
            return Task.CompletedTask;
        });
        return contacts;
    }

    [Fact]
    public async Task AContactNamedLikeAFormulaExportsAsText()
    {
        var contact = TestData.Contact(1, "=HYPERLINK(\"http://x\")", "@SUM(A1)");
        contact.Company = "+1+1";
        contact.Email = "-2@example.com";
        contact.Address.Street = "\t12 Main St";
        contact.Address.City = "\rBoston";
        var abroad = TestData.Contact(2, "Nigel", "Abroad");
        abroad.Phone = "+442079460958";
        await ArrangeContactsAsync(contact, abroad);

        using var response = await Client.Http.GetAsync("/exports/contacts");
        var file = await response.Content.ReadAsByteArrayAsync();
        var records = Read(file);

        // In the file: quoted, the apostrophe first, inner quotes doubled; a spreadsheet shows it as text, never runs it.
        Assert.Contains("\"'=HYPERLINK(\"\"http://x\"\")\"", Encoding.UTF8.GetString(file), StringComparison.Ordinal);
        var row = records.FindIndex(r => r.Contains("'@SUM(A1)"));
        Assert.Equal("'=HYPERLINK(\"http://x\")", Cell(records, row, "First name"));
        Assert.Equal(["'@SUM(A1)", "'+1+1", "'-2@example.com", "'\t12 Main St", "'\rBoston"],
            [Cell(records, row, "Last name"), Cell(records, row, "Company"), Cell(records, row, "Email"), Cell(records, row, "Street"), Cell(records, row, "City")]);
        // Phones are written as people read them: a US number is plain text; a number abroad keeps its + and is guarded.
        Assert.Equal("(617) 555-0001", Cell(records, row, "Phone"));
        Assert.Equal("'+44 20 7946 0958", Cell(records, 3 - row, "Phone"));
    }

    [Fact]
    public async Task TheFileIsUtf8WithAByteOrderMarkAndDownloadsWithADatedName()
    {
        await ArrangeContactsAsync(TestData.Contact(1, "Zoë", "Ñandú"));

        using var response = await Client.Http.GetAsync("/exports/contacts");
        var file = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Matches(DatedName(), response.Content.Headers.ContentDisposition?.FileName ?? string.Empty);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal(Utf8Bom, file[..3]);
        Assert.Equal(["Zoë", "Ñandú"], Read(file)[1][1..3]);
    }

    [Theory]
    [InlineData("""{"tags":{"some":{"eq":"vip"}}}""", "First002, First004")]
    [InlineData("""{"smsConsent":{"status":{"eq":"OPTED_IN"}}}""", "First003")]
    [InlineData("""{"smsConsent":{"status":{"in":["OPTED_IN","OPTED_OUT"]}},"createdAt":{"gte":"2026-03-02T15:04:00Z"}}""", "First004")]
    [InlineData("""{"or":[{"firstName":{"eq":"First001"}},{"lastName":{"endsWith":"005"}}]}""", "First001, First005")]
    [InlineData("""{"tags":{"any":false},"source":{"eq":"CSV"}}""", "First005")]
    public async Task WhereSelectsExactlyTheContactsTheGraphQLFieldWould(string where, string expected)
    {
        var contacts = Enumerable.Range(1, 5).Select(n => TestData.Contact(n)).ToArray();
        contacts[2].SmsConsent.Status = SmsConsentStatus.OptedIn;
        contacts[3].SmsConsent.Status = SmsConsentStatus.OptedOut;
        contacts[4].Source = ContactSource.Csv;
        await ArrangeContactsAsync(contacts);
        var order = ("order", """[{"firstName":"ASC"}]""");

        var records = await ExportAsync(Url("/exports/contacts", ("where", where), order));
        var graphql = await Client.DataAsync("query($where: ContactFilterInput) { contacts(where: $where, order: [{ firstName: ASC }]) { nodes { firstName } } }", new { where = JsonNode.Parse(where) });

        Assert.Equal(expected, string.Join(", ", Column(records, "First name")));
        Assert.Equal(expected, string.Join(", ", graphql["contacts"]!["nodes"]!.AsArray().Select(n => n!["firstName"]!.GetValue<string>())));
    }

    [Fact]
    public async Task AGlobalIdSelectsItsContactAndTheOrderIsTheGivenOne()
    {
        var contacts = await ArrangeContactsAsync(TestData.Contact(1, "Ann", "Zed"), TestData.Contact(2, "Bob", "Young"), TestData.Contact(3, "Cy", "Young"));
        var ids = contacts.Select(c => NodeId.Encode("Contact", c.Id)).ToArray();

        var one = await ExportAsync(Url("/exports/contacts", Where(new { id = new { eq = ids[1] } })));
        var ordered = await ExportAsync(Url("/exports/contacts", ("order", """[{"lastName":"ASC"},{"firstName":"DESC"}]""")));
        var newestFirst = await ExportAsync("/exports/contacts");

        Assert.Equal([ids[1]], Column(one, "ID"));
        Assert.Equal(["Cy", "Bob", "Ann"], Column(ordered, "First name"));
        Assert.Equal(["Cy", "Bob", "Ann"], Column(newestFirst, "First name"));
    }

    [Theory]
    [InlineData("where", """{"tags":""", "INVALID_JSON")]
    [InlineData("where", """{"tags":{"some":{"eq":5}}}""", "INVALID_VALUE")]
    [InlineData("where", """{"nickname":{"eq":"x"}}""", "INVALID_VALUE")]
    [InlineData("where", """{"source":{"eq":"FAX"}}""", "INVALID_VALUE")]
    [InlineData("where", """{"createdAt":{"gt":"last tuesday"}}""", "INVALID_VALUE")]
    [InlineData("where", """[1,2]""", "INVALID_VALUE")]
    [InlineData("where", """{"id":{"eq":"Q29udmVyc2F0aW9uOjAxOWM2NWE0YjY0ZDc0ZmZiYjA0YmU2ZDM2NDQ2ZDNm"}}""", "INVALID_ID")]
    [InlineData("order", """[{"lastName":"SIDEWAYS"}]""", "INVALID_VALUE")]
    public async Task ABadArgumentIsA400WithAnErrorCodeAndNoFile(string argument, string json, string code)
    {
        await ArrangeContactsAsync(TestData.Contact(1));

        using var response = await Client.Http.GetAsync(Url("/exports/contacts", (argument, json)));
        var error = await GraphQLClient.ReadAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", error.ContentType);
        Assert.Equal(code, error.ErrorCode);
        Assert.NotNull(error.ErrorMessage);
        Assert.Null(response.Content.Headers.ContentDisposition);
        Assert.Equal(0, await Fixture.QueryAsync(db => db.AuditEntries.CountAsync(a => a.Action == "contacts.exported")));
    }

    [Fact]
    public async Task ViewersGet403AndAnonymousCallers401AsJson()
    {
        var viewer = await Fixture.ClientAsAsync(CrmRole.Viewer);
        var marketer = await Fixture.ClientAsAsync(CrmRole.Marketer);

        var forbidden = await GraphQLClient.ReadAsync(await viewer.Http.GetAsync("/exports/conversations"));
        var anonymous = await GraphQLClient.ReadAsync(await Anonymous.Http.GetAsync("/exports/contacts"));
        using var allowed = await marketer.Http.GetAsync("/exports/contacts");

        Assert.Equal((HttpStatusCode.Forbidden, "application/json", "AUTH_NOT_AUTHORIZED"), (forbidden.Status, forbidden.ContentType, forbidden.ErrorCode));
        Assert.Equal((HttpStatusCode.Unauthorized, "application/json", "AUTH_NOT_AUTHENTICATED"), (anonymous.Status, anonymous.ContentType, anonymous.ErrorCode));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task TheAdminPagesSessionCookieAuthenticatesAnExport()
    {
        const string password = "Correct-Horse-42";
        await Fixture.WithServiceAsync<UserOperations, CrmUser>(users => users.CreateAsync("mia@example.com", password, "Mia", CrmRole.Marketer, Actor.System));
        await ArrangeContactsAsync(TestData.Contact(1));
        using var browser = Fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), HandleCookies = true });
        (await browser.PostAsJsonAsync("/auth/login", new { email = "mia@example.com", password })).Dispose();

        // A plain link click: a GET with the cookie and no preflight header.
        using var response = await browser.GetAsync("/exports/contacts");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, Read(await response.Content.ReadAsByteArrayAsync()).Count);
        var audited = await Fixture.QueryAsync(db => db.AuditEntries.SingleAsync(a => a.Action == "contacts.exported"));
        Assert.Equal((AuditActorKind.User, "mia@example.com"), (audited.ActorKind, audited.ActorName));
    }

    [Fact]
    public async Task EachExportIsAuditedWithItsArgumentsAndRowCountButNoPhoneNumbersOrBodies()
    {
        var contacts = await ArrangeContactsAsync(TestData.Contact(1), TestData.Contact(2));
        var where = Where(new
        {
            or = new object[]
            {
                new { phone = new { eq = contacts[0].Phone } },
                new { conversations = new { some = new { activities = new { some = new { body = new { contains = "crack" } } } } } },
                new { tags = new { some = new { eq = "vip" } } },
            },
        });

        await ExportAsync(Url("/exports/contacts", where, ("order", """[{"lastName":"DESC"}]""")));
        await ExportAsync("/exports/conversations");

        var entries = await Fixture.QueryAsync(db => db.AuditEntries.Where(a => a.Action.EndsWith(".exported")).OrderBy(a => a.Action).ToListAsync());
        Assert.Equal(["contacts.exported", "conversations.exported"], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal((AuditActorKind.ApiKey, "test Admin"), (e.ActorKind, e.ActorName)));
        Assert.Matches(DatedName(), entries[0].Target!);
        Assert.Matches(DatedName(), entries[1].Target!);
        Assert.Equal(
            """{"where":{"or":[{"phone":"[redacted]"},{"conversations":{"some":{"activities":{"some":{"body":"[redacted]"}}}}},{"tags":{"some":{"eq":"vip"}}}]},"order":[{"lastName":"DESC"}],"rows":2}""",
            entries[0].Details);
        Assert.Equal("""{"rows":0}""", entries[1].Details);
    }

    [Fact]
    public async Task QuotesCommasAndLineBreaksRoundTripThroughCsvHelper()
    {
        var contact = TestData.Contact(1, "Ann \"The Hammer\"", "O'Brien, Jr.");
        contact.Company = "Smith, Jones & Sons\r\nConcrete\nLLC";
        contact.Tags = ["a,b", "vip"];
        contact.CustomFields = new Dictionary<string, string> { ["roof"] = "flat, \"tar\"", ["gate"] = "code 12" };
        await ArrangeContactsAsync(contact);

        var records = await ExportAsync("/exports/contacts");

        Assert.Equal(2, records.Count);
        Assert.Equal(["Ann \"The Hammer\"", "O'Brien, Jr."], records[1][1..3]);
        Assert.Equal("Smith, Jones & Sons\r\nConcrete\nLLC", Cell(records, 1, "Company"));
        Assert.Equal("a,b, vip", Cell(records, 1, "Tags"));
        Assert.Equal("""{"gate":"code 12","roof":"flat, \"tar\""}""", Cell(records, 1, "Custom fields"));
    }

    [Fact]
    public async Task ManyContactsArriveInSeekPagesEachExactlyOnce()
    {
        // More rows than two pages, half of them tied on the sort key: the tiebreak keeps page boundaries exact.
        var contacts = Enumerable.Range(1, 2345).Select(n =>
        {
            var contact = TestData.Contact(n);
            contact.Address.City = n % 2 == 0 ? "Boston" : null;
            return contact;
        }).ToArray();
        await ArrangeContactsAsync(contacts);
        using var sql = new SqlCommandCounter();

        var records = await ExportAsync(Url("/exports/contacts", ("order", """[{"city":"ASC"}]""")));

        var ids = Column(records, "ID").ToList();
        Assert.Equal(2345, ids.Count);
        Assert.Equal(2345, ids.Distinct().Count());
        Assert.Equal([.. Enumerable.Repeat("Boston", 1172), .. Enumerable.Repeat(string.Empty, 1173)], Column(records, "City"));
        // Three seeks of at most 1,000 rows, not one query for all: the server holds a page, never the file.
        Assert.Equal(3, sql.Commands.Count(c => c.Contains("FROM \"Contacts\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TheConversationsExportListsEveryActivityConversationByConversationInTimeOrder()
    {
        var line = TestData.Line();
        var ann = TestData.Contact(1, "Ann", "Smith");
        var bob = TestData.Contact(2, "Bob", "Jones");
        bob.Tags = ["lead"];
        // Ids fixed in creation order: the export lists conversations in id order.
        var first = Conversation(Guid.Parse("019c0000-0000-7000-8000-000000000001"), ann, line, TestData.Epoch.AddHours(3));
        var second = Conversation(Guid.Parse("019c0000-0000-7000-8000-000000000002"), bob, line, TestData.Epoch.AddHours(5));
        var call = new Activity
        {
            ConversationId = second.Id,
            ContactId = bob.Id,
            Kind = ActivityKind.Call,
            Direction = ActivityDirection.Incoming,
            Status = "completed",
            DurationSeconds = 95,
            AiSummary = "Wants a quote, \"ASAP\".",
            OccurredAt = TestData.Epoch.AddHours(4),
            CreatedAt = TestData.Epoch.AddHours(4),
        };
        var sent = TestData.Message(first, "=1+1 is our price, see you Monday", TestData.Epoch.AddHours(3), ActivityDirection.Outgoing);
        sent.OutboundStatus = MessageStatus.Delivered;
        await Fixture.ArrangeAsync(db =>
        {
            db.AddRange(line, ann, bob, first, second, call, sent);
            // Inserted out of time order: the export orders, not the table.
            db.Add(TestData.Message(second, "Thanks!", TestData.Epoch.AddHours(5)));
            db.Add(TestData.Message(first, "Is the foundation crack covered?\nPhotos attached.", TestData.Epoch.AddHours(1)));
            db.Add(TestData.Message(second, "Can you call me?", TestData.Epoch.AddHours(2)));
            return Task.CompletedTask;
        });

        var all = await ExportAsync("/exports/conversations");
        var leads = await ExportAsync(Url("/exports/conversations", Where(new { contact = new { tags = new { some = new { eq = "lead" } } } })));

        // Global ids differ on every run; the snapshot names the conversations instead.
        var names = new Dictionary<string, string> { [NodeId.Encode("Conversation", first.Id)] = "first", [NodeId.Encode("Conversation", second.Id)] = "second" };
        var rows = new JsonArray([.. all.Select(r => (JsonNode)new JsonArray([.. r.Select((cell, i) => (JsonNode?)(i == 0 && names.TryGetValue(cell, out var name) ? name : cell))]))]);
        Snapshot.Match(Newtonsoft.Json.Linq.JToken.Parse(rows.ToJsonString()));
        Assert.Equal(["Can you call me?", string.Empty, "Thanks!"], Column(leads, "Body"));
    }

    private static Conversation Conversation(Guid id, Contact contact, PhoneNumber line, DateTimeOffset lastActivityAt) => new()
    {
        Id = id,
        ContactId = contact.Id,
        PhoneNumberId = line.Id,
        CreatedAt = lastActivityAt.AddDays(-1),
        LastActivityAt = lastActivityAt,
    };

    [GeneratedRegex("""^"?(contacts|conversations)-\d{4}-\d{2}-\d{2}\.csv"?$""")]
    private static partial Regex DatedName();
}
