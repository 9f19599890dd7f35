using Crm.Data;
using Crm.Data.Activities;
using Crm.Data.ContactLists;
using Crm.Data.Contacts;
using Crm.Data.Outbound;
using Crm.Data.PhoneNumbers;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;
using Snapshooter.Xunit;

namespace Crm.Tests.Campaigns.Templates;

public sealed class TemplatePreviewTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const string Preview = """
        query($input: TemplatePreviewInput!) {
          templatePreview(input: $input) {
            variables
            errors { __typename ... on Error { message } ... on InvalidTemplateError { problem variable } }
            contact { contact { displayName } text segments { encoding segments characters estimatedCost } fellBack missing optOutFooter }
            audience {
              contacts minSegments meanSegments maxSegments totalSegments minCost meanCost maxCost totalCost
              encodings ucs2Texts withOptOutFooter missing { variable contacts } fellBack { variable contacts }
            }
          }
        }
        """;

    private const string SpringBody = "Hi {firstName|there}, {company|your home} in {city} qualifies for 10% off spring repairs.";

    private const string LongCompany = "Whitfield and Sons Foundation, Basement, Driveway and Masonry Restoration Contractors of Greater Boston";

    [Fact]
    public async Task APreviewForAContactRendersFallbacksAndNamesTheEmptyVariables()
    {
        var contact = new Contact { LastName = "Ng", Phone = "+16175550101", CustomFields = new() { ["roofType"] = " flat  " } };
        await Fixture.ArrangeAsync(db =>
        {
            db.Contacts.Add(contact);
            return Task.CompletedTask;
        });

        var response = await Client.PostAsync(Preview, new
        {
            input = new { body = "Hi {firstName|there} {lastName}, about your {roofType} roof at {company}.", contactId = NodeId.Encode("Contact", contact.Id) },
        });

        Snapshot.Match(response.Snapshot);
        Assert.Equal("Hi there Ng, about your flat roof at.\nReply STOP to opt out", response.Data["templatePreview"]!["contact"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnUnknownVariableIsAnErrorThatNamesItAndTheKnownOnes()
    {
        await Fixture.ArrangeAsync(db =>
        {
            db.Contacts.Add(new Contact { Phone = "+16175550102", CustomFields = new() { ["roofType"] = "slate", ["Gate code"] = "1234" } });
            return Task.CompletedTask;
        });

        var unknown = await Client.DataAsync(Preview, new { input = new { body = "Hi {frstName}, about your {roofType} roof" } });
        var unclosed = await Client.DataAsync(Preview, new { input = new { body = "Hi {firstName, about your roof" } });
        var custom = await Client.DataAsync("query { templatePreview(input: { body: \"{Gate code|none} {roofType}\" }) { variables knownVariables errors { __typename } } }");

        Assert.Equal(
            """{"variables":null,"errors":[{"__typename":"InvalidTemplateError","message":"Unknown variable {frstName}: known are firstName, lastName, company, city, Gate code, roofType.","problem":"UNKNOWN_VARIABLE","variable":"frstName"}],"contact":null,"audience":null}""",
            GraphQLClient.Compact(unknown["templatePreview"]));
        Assert.Equal("UNCLOSED_BRACE", unclosed["templatePreview"]!["errors"]![0]!["problem"]!.GetValue<string>());
        Assert.Equal(
            """{"variables":["Gate code","roofType"],"knownVariables":["firstName","lastName","company","city","Gate code","roofType"],"errors":null}""",
            GraphQLClient.Compact(custom["templatePreview"]));
    }

    [Fact]
    public async Task AnEstimateAcrossAnAudienceCountsPartsCostsEncodingsFootersAndMissingValues()
    {
        var list = new ContactList { Name = "Spring", CreatedAt = TestData.Epoch };
        Contact Member(int n, string? firstName, string? company = null, string? city = null) => new()
        {
            FirstName = firstName,
            Company = company,
            Address = new Address { City = city },
            Phone = $"+161755502{n:D2}",
            Tags = ["spring"],
        };

        // Al was sent a marketing text before: no footer. The others get it: Cy's marketing text is still queued, and the
        // unnamed contact's text was a conversation, not marketing.
        var al = Member(1, "Al", city: "Quincy");
        var unnamed = Member(4, null);
        var cy = Member(5, "Cy");
        Contact[] members = [al, Member(2, "Bea", LongCompany, "Quincy"), Member(3, "Zoë"), unnamed, cy];
        await Fixture.ArrangeAsync(db =>
        {
            var line = TestData.Line();
            db.PhoneNumbers.Add(line);
            db.ContactLists.Add(list);
            db.Contacts.AddRange(members);
            db.Contacts.Add(new Contact { FirstName = "Outsider", Phone = "+16175550299" });
            db.ContactListMembers.AddRange(members.Select(m => new ContactListMember { ListId = list.Id, ContactId = m.Id, AddedAt = TestData.Epoch }));
            Texted(db, line, al, SendPurpose.Marketing, sent: true);
            Texted(db, line, cy, SendPurpose.Marketing, sent: false);
            Texted(db, line, unnamed, SendPurpose.Conversation, sent: true);
            return Task.CompletedTask;
        });

        var byList = await Client.PostAsync(Preview, new { input = new { body = SpringBody, listId = NodeId.Encode("ContactList", list.Id) } });
        var byFilter = await Client.DataAsync(Preview, new { input = new { body = SpringBody, where = new { tags = new { some = new { eq = "spring" } } } } });
        var both = await Client.DataAsync(Preview, new { input = new { body = SpringBody, listId = NodeId.Encode("ContactList", list.Id), where = new { firstName = new { eq = "Zoë" } } } });
        var noList = await Client.PostAsync(Preview, new { input = new { body = SpringBody, listId = NodeId.Encode("ContactList", Guid.NewGuid()) } });

        // 64 and 181 GSM-7 characters (1 and 2 parts), Zoë's 77 in UCS-2 (2 parts of 67), 79 and 76 with the footer (1 each).
        Snapshot.Match(byList.Snapshot);
        var audience = byList.Data["templatePreview"]!["audience"]!;
        string[] counts = ["contacts", "minSegments", "meanSegments", "maxSegments", "totalSegments", "ucs2Texts", "withOptOutFooter"];
        Assert.Equal("5 1 1.4 2 7 1 4", string.Join(" ", counts.Select(f => audience[f]!.ToJsonString())));
        Assert.Equal(GraphQLClient.Compact(audience), GraphQLClient.Compact(byFilter["templatePreview"]!["audience"]));
        Assert.Equal("""{"contacts":1,"minSegments":2,"meanSegments":2,"maxSegments":2,"totalSegments":2,"minCost":0.02,"meanCost":0.02,"maxCost":0.02,"totalCost":0.02,"encodings":["UCS2"],"ucs2Texts":1,"withOptOutFooter":1,"missing":[{"variable":"city","contacts":1}],"fellBack":[{"variable":"company","contacts":1}]}""",
            GraphQLClient.Compact(both["templatePreview"]!["audience"]));
        Assert.Equal("NOT_FOUND", noList.ErrorCode);
    }

    private static void Texted(CrmDbContext db, PhoneNumber line, Contact contact, SendPurpose purpose, bool sent)
    {
        var conversation = TestData.Conversation(contact, line, TestData.Epoch);
        var text = TestData.Message(conversation, "Earlier text", TestData.Epoch, ActivityDirection.Outgoing);
        text.OutboundStatus = sent ? MessageStatus.Delivered : MessageStatus.Queued;
        text.SentAt = sent ? TestData.Epoch : null;
        db.Conversations.Add(conversation);
        db.Activities.Add(text);
        db.OutboundMessages.Add(new OutboundMessage
        {
            ActivityId = text.Id,
            State = sent ? OutboundState.Done : OutboundState.Queued,
            Purpose = purpose,
            LineOpenPhoneId = line.OpenPhoneId,
            ToNumber = contact.Phone!,
            CreatedAt = TestData.Epoch,
        });
    }
}
