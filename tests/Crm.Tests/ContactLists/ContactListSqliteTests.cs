using Crm.Data.Users;
using Crm.Tests.Infrastructure;
using static Crm.Tests.ContactLists.ContactListMutationsTests;

namespace Crm.Tests.ContactLists;

/// <summary>The embedded default runs the same INSERT … SELECT; on a host of its own, so it needs no PostgreSQL reset.</summary>
public sealed class ContactListSqliteTests
{
    [Fact]
    public async Task OnSqliteAddingByFilterIsTheSameStatement()
    {
        await using var host = new SqliteHost();
        var client = await host.ClientAsAsync(CrmRole.Marketer);
        var listId = (await client.DataAsync(Create, new { input = new { name = "Demo VIPs" } }))["createContactList"]!["contactList"]!["id"]!.GetValue<string>();
        var where = new { tags = new { some = new { eq = "vip" } } };
        var vips = (await client.DataAsync("query($where: ContactFilterInput) { contacts(where: $where) { totalCount } }", new { where }))["contacts"]!["totalCount"]!.GetValue<int>();

        var first = await client.DataAsync(Add, new { input = new { listId, where } });
        var again = await client.DataAsync(Add, new { input = new { listId, where } });

        Assert.True(vips > 0);
        Assert.Equal(vips, first["addToContactList"]!["added"]!.GetValue<int>());
        Assert.Equal(vips, again["addToContactList"]!["contactList"]!["memberCount"]!.GetValue<int>());
        Assert.Equal(0, again["addToContactList"]!["added"]!.GetValue<int>());
    }
}
