using Crm.Data.Contacts;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Snapshooter.Xunit;

namespace Crm.Tests.Contacts;

public sealed class ContactMutationsTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const string Create = """
        mutation($input: CreateContactInput!) {
          createContact(input: $input) {
            contact { id firstName lastName displayName phone email company tags timeZone source address { city state } customFields { key value } }
            errors {
              __typename
              ... on Error { message }
              ... on DuplicateContactError { existingContactId existingContact { displayName } }
              ... on InvalidPhoneNumberError { phone }
              ... on InvalidFieldError { field }
            }
          }
        }
        """;

    [Fact]
    public async Task CreateContactNormalizesThePhoneAndStoresTheContact()
    {
        var response = await Client.PostAsync(Create, new
        {
            input = new
            {
                firstName = " Dana ",
                lastName = "Whitfield",
                phone = "(617) 555-0123",
                email = "dana@example.com",
                company = "Whitfield Homes",
                tags = new[] { "vip", "VIP", "lead" },
                timeZone = "America/New_York",
                address = new { city = "Quincy", state = "MA" },
                customFields = new[] { new { key = "foundation", value = "poured" } },
            },
        });

        Snapshot.Match(response.Snapshot, o => o.IgnoreField("data.createContact.contact.id"));
        var stored = await Fixture.QueryAsync(db => db.Contacts.SingleAsync());
        Assert.Equal("+16175550123", stored.Phone);
        Assert.Equal(ContactSource.Api, stored.Source);
    }

    [Theory]
    [InlineData("12")]
    [InlineData("not a phone")]
    [InlineData("+1 617 555 01234567")]
    public async Task CreateContactWithAnInvalidPhoneReturnsInvalidPhoneNumberErrorAndWritesNothing(string phone)
    {
        var response = await Client.PostAsync(Create, new { input = new { firstName = "Bad", phone } });

        var error = response.Data["createContact"]!["errors"]![0]!;
        Assert.Equal("InvalidPhoneNumberError", error["__typename"]!.GetValue<string>());
        Assert.Equal(phone, error["phone"]!.GetValue<string>());
        Assert.Null(response.Data["createContact"]!["contact"]);
        Assert.Equal(0, await Fixture.QueryAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task CreateContactWithADuplicatePhoneNamesTheExistingContact()
    {
        var first = await Client.DataAsync(Create, new { input = new { firstName = "Ann", phone = "+16175550199" } });
        var existingId = first["createContact"]!["contact"]!["id"]!.GetValue<string>();

        var response = await Client.PostAsync(Create, new { input = new { firstName = "Other", phone = "617.555.0199" } });

        Snapshot.Match(response.Snapshot, o => o.IgnoreField("data.createContact.errors[0].existingContactId"));
        Assert.Equal(existingId, response.Data["createContact"]!["errors"]![0]!["existingContactId"]!.GetValue<string>());
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task ConcurrentCreatesOfOnePhoneStoreOneContact()
    {
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            Client.PostAsync(Create, new { input = new { firstName = "Racer", phone = "+16175550177" } })));

        Assert.Equal(1, attempts.Count(a => a.Data["createContact"]!["contact"] is not null));
        Assert.All(attempts.Where(a => a.Data["createContact"]!["contact"] is null), a =>
            Assert.Equal("DuplicateContactError", a.Data["createContact"]!["errors"]![0]!["__typename"]!.GetValue<string>()));
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Contacts.CountAsync()));
    }

    [Theory]
    [InlineData("email", "not-an-email")]
    [InlineData("timeZone", "Mars/Olympus")]
    public async Task CreateContactRejectsMalformedFields(string field, string value)
    {
        var input = new Dictionary<string, object> { ["firstName"] = "Fay", [field] = value };

        var response = await Client.PostAsync(Create, new { input });

        var error = response.Data["createContact"]!["errors"]![0]!;
        Assert.Equal("InvalidFieldError", error["__typename"]!.GetValue<string>());
        Assert.Equal(field, error["field"]!.GetValue<string>());
        Assert.Equal(0, await Fixture.QueryAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task UpdateContactChangesOnlyTheGivenFields()
    {
        var created = await Client.DataAsync(Create, new { input = new { firstName = "Lee", lastName = "Ng", phone = "6175550111", email = "lee@example.com" } });
        var id = created["createContact"]!["contact"]!["id"]!.GetValue<string>();

        var updated = await Client.DataAsync("""
            mutation($input: UpdateContactInput!) {
              updateContact(input: $input) { contact { firstName lastName phone email company } errors { __typename } }
            }
            """, new { input = new { id, company = "Ng Masonry", email = "" } });

        Assert.Equal("""{"contact":{"firstName":"Lee","lastName":"Ng","phone":"+16175550111","email":null,"company":"Ng Masonry"},"errors":null}""", GraphQLClient.Compact(updated["updateContact"]));
    }

    [Fact]
    public async Task UpdateAndDeleteOfAnUnknownContactReturnNotFoundError()
    {
        var unknown = Crm.GraphQL.Server.Conventions.NodeId.Encode("Contact", Guid.CreateVersion7());

        var update = await Client.DataAsync("mutation($id: ID!) { updateContact(input: { id: $id, firstName: \"X\" }) { contact { id } errors { __typename ... on NotFoundError { id message } } } }", new { id = unknown });
        var delete = await Client.DataAsync("mutation($id: ID!) { deleteContact(input: { id: $id }) { contact { id } errors { __typename ... on NotFoundError { id } } } }", new { id = unknown });

        Assert.Equal("NotFoundError", update["updateContact"]!["errors"]![0]!["__typename"]!.GetValue<string>());
        Assert.Equal(unknown, update["updateContact"]!["errors"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("NotFoundError", delete["deleteContact"]!["errors"]![0]!["__typename"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeleteContactRemovesItsConversationsAndTimeline()
    {
        var line = TestData.Line();
        var contact = TestData.Contact(1);
        var conversation = TestData.Conversation(contact, line, TestData.Epoch);
        await Fixture.ArrangeAsync(db =>
        {
            db.AddRange(line, contact, conversation, TestData.Message(conversation, "hello", TestData.Epoch));
            return Task.CompletedTask;
        });

        var deleted = await Client.DataAsync("mutation($id: ID!) { deleteContact(input: { id: $id }) { contact { displayName } errors { __typename } } }",
            new { id = Crm.GraphQL.Server.Conventions.NodeId.Encode("Contact", contact.Id) });

        Assert.Equal("First001 Last001", deleted["deleteContact"]!["contact"]!["displayName"]!.GetValue<string>());
        Assert.Equal((0, 0, 1), await Fixture.QueryAsync(async db => (await db.Conversations.CountAsync(), await db.Activities.CountAsync(), await db.PhoneNumbers.CountAsync())));
    }

    [Fact]
    public async Task AnIdOfAnotherTypeIsRefusedWithAClearError()
    {
        var conversationId = Crm.GraphQL.Server.Conventions.NodeId.Encode("Conversation", Guid.CreateVersion7());

        var response = await Client.PostAsync("mutation($id: ID!) { deleteContact(input: { id: $id }) { contact { id } } }", new { id = conversationId });

        Assert.Equal("INVALID_ID", response.ErrorCode);
        Assert.Contains("not a Contact", response.ErrorMessage, StringComparison.Ordinal);
    }
}
