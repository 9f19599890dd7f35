using Crm.Data.ContactLists;
using Crm.Data.Users;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Newtonsoft.Json.Linq;
using Snapshooter.Xunit;

namespace Crm.Tests.ContactLists;

public sealed class ContactListMutationsTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    internal const string Create = """
        mutation($input: CreateContactListInput!) {
          createContactList(input: $input) {
            contactList { id name description createdBy memberCount }
            errors { __typename ... on Error { message } ... on DuplicateContactListNameError { name existingListId existingList { name } } ... on InvalidFieldError { field } }
          }
        }
        """;

    internal const string Add = """
        mutation($input: AddToContactListInput!) {
          addToContactList(input: $input) {
            added contactList { name memberCount }
            errors { __typename ... on Error { message } ... on NotFoundError { id } ... on InvalidFieldError { field } }
          }
        }
        """;

    private const string Remove = """
        mutation($input: RemoveFromContactListInput!) {
          removeFromContactList(input: $input) { removed contactList { memberCount } errors { __typename } }
        }
        """;

    [Fact]
    public async Task ListsAreCreatedRenamedDescribedAndDeletedWithUniqueNamesAndAudited()
    {
        var marketer = await Fixture.ClientAsAsync(CrmRole.Marketer);
        var created = await marketer.DataAsync(Create, new { input = new { name = " Spring mailer ", description = "Owners on the south side" } });
        var id = created["createContactList"]!["contactList"]!["id"]!.GetValue<string>();

        var duplicate = await marketer.PostAsync(Create, new { input = new { name = "Spring mailer" } });
        var blank = await marketer.PostAsync(Create, new { input = new { name = "  " } });
        var renamed = await marketer.DataAsync("""
            mutation($input: UpdateContactListInput!) { updateContactList(input: $input) { contactList { name description } errors { __typename } } }
            """, new { input = new { id, name = "Spring 2027", description = "" } });
        var deleted = await marketer.DataAsync("""
            mutation($input: DeleteContactListInput!) { deleteContactList(input: $input) { contactList { name } errors { __typename } } }
            """, new { input = new { id } });
        var viewer = await (await Fixture.ClientAsAsync(CrmRole.Viewer)).PostAsync(Create, new { input = new { name = "Not mine" } });

        Snapshot.Match(
            new JObject { ["created"] = Json(created), ["duplicate"] = Json(duplicate.Data), ["blank"] = Json(blank.Data), ["renamed"] = Json(renamed), ["deleted"] = Json(deleted) },
            o => o.IgnoreField("created.createContactList.contactList.id").IgnoreField("duplicate.createContactList.errors[0].existingListId"));
        Assert.Equal(id, duplicate.Data["createContactList"]!["errors"]![0]!["existingListId"]!.GetValue<string>());
        Assert.Equal("AUTH_NOT_AUTHORIZED", viewer.ErrorCode);
        Assert.Equal(0, await Fixture.QueryAsync(db => db.ContactLists.CountAsync()));
        var actions = await Fixture.QueryAsync(db => db.AuditEntries.Where(a => a.Action.StartsWith("contactlist.")).OrderBy(a => a.At).Select(a => a.Action).ToListAsync());
        Assert.Equal(["contactlist.created", "contactlist.renamed", "contactlist.updated", "contactlist.deleted"], actions);
    }

    [Fact]
    public async Task AddingByIdsIsIdempotentAndAnUnknownIdAddsNothing()
    {
        var contacts = Enumerable.Range(1, 3).Select(n => TestData.Contact(n)).ToList();
        await Fixture.ArrangeAsync(db =>
        {
            db.Contacts.AddRange(contacts);
            return Task.CompletedTask;
        });
        var listId = await CreateListAsync("Porches");
        string[] ids = [Id(contacts[0].Id), Id(contacts[1].Id)];

        var first = await Client.DataAsync(Add, new { input = new { listId, contactIds = ids } });
        var again = await Client.DataAsync(Add, new { input = new { listId, contactIds = ids.Append(Id(contacts[2].Id)) } });
        var unknown = await Client.DataAsync(Add, new { input = new { listId, contactIds = new[] { Id(contacts[0].Id), Id(Guid.NewGuid()) } } });
        var noList = await Client.DataAsync(Add, new { input = new { listId = ListId(Guid.NewGuid()), contactIds = ids } });
        var both = await Client.DataAsync(Add, new { input = new { listId, contactIds = ids, where = new { } } });
        var removed = await Client.DataAsync(Remove, new { input = new { listId, contactIds = new[] { ids[0], Id(Guid.NewGuid()) } } });

        Assert.Equal("""{"added":2,"contactList":{"name":"Porches","memberCount":2},"errors":null}""", GraphQLClient.Compact(first["addToContactList"]));
        Assert.Equal("""{"added":1,"contactList":{"name":"Porches","memberCount":3},"errors":null}""", GraphQLClient.Compact(again["addToContactList"]));
        Assert.Equal("NotFoundError", unknown["addToContactList"]!["errors"]![0]!["__typename"]!.GetValue<string>());
        Assert.Null(unknown["addToContactList"]!["added"]);
        Assert.Equal("Contact not found.", unknown["addToContactList"]!["errors"]![0]!["message"]!.GetValue<string>());
        Assert.Equal("ContactList not found.", noList["addToContactList"]!["errors"]![0]!["message"]!.GetValue<string>());
        Assert.Equal("contactIds", both["addToContactList"]!["errors"]![0]!["field"]!.GetValue<string>());
        Assert.Equal("""{"removed":1,"contactList":{"memberCount":2},"errors":null}""", GraphQLClient.Compact(removed["removeFromContactList"]));
        Assert.Equal(
            ["added=2 by=ids", "added=1 by=ids", "removed=1"],
            await Fixture.QueryAsync(db => db.AuditEntries.Where(a => a.Action.StartsWith("contactlist.members_")).OrderBy(a => a.At).Select(a => a.Details!).ToListAsync()));
    }

    [Fact]
    public async Task AddingByFilterIsOneStatementHoweverManyMatch()
    {
        await Fixture.ArrangeAsync(db =>
        {
            db.Contacts.AddRange(Enumerable.Range(1, 3000).Select(n => TestData.Contact(n)));
            return Task.CompletedTask;
        });
        var listId = await CreateListAsync("VIPs");
        var where = new { tags = new { some = new { eq = "vip" } } };

        using var sql = new SqlCommandCounter();
        var first = await Client.DataAsync(Add, new { input = new { listId, where } });
        var commands = sql.Commands;
        var again = await Client.DataAsync(Add, new { input = new { listId, where } });
        var narrower = await Client.DataAsync(Add, new { input = new { listId, where = new { firstName = new { eq = "First001" } } } });

        Assert.Equal(1500, first["addToContactList"]!["added"]!.GetValue<int>());
        Assert.Equal(1500, first["addToContactList"]!["contactList"]!["memberCount"]!.GetValue<int>());
        Assert.Equal(0, again["addToContactList"]!["added"]!.GetValue<int>());
        Assert.Equal(1, narrower["addToContactList"]!["added"]!.GetValue<int>());
        // EF Core's own commands are the API key, the list, the audit entry and memberCount; the INSERT … SELECT is sent
        // past EF Core, so it is not among them. Nothing is read or written per contact.
        Assert.True(commands.Count <= 5, string.Join("\n---\n", commands));
        Assert.Equal(1501, await Fixture.QueryAsync(db => db.ContactListMembers.CountAsync()));
    }

    private async Task<string> CreateListAsync(string name) =>
        (await Client.DataAsync(Create, new { input = new { name } }))["createContactList"]!["contactList"]!["id"]!.GetValue<string>();

    private static JToken Json(System.Text.Json.Nodes.JsonNode node) => JToken.Parse(node.ToJsonString());

    private static string Id(Guid contactId) => Crm.GraphQL.Server.Conventions.NodeId.Encode("Contact", contactId);

    private static string ListId(Guid listId) => Crm.GraphQL.Server.Conventions.NodeId.Encode(nameof(ContactList), listId);
}
