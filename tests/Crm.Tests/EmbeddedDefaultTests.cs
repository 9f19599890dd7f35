using Crm.Data.Users;
using Crm.Tests.Infrastructure;

namespace Crm.Tests;

/// <summary>With no database configured the host runs on SQLite with demo data: the README's first command.</summary>
public sealed class EmbeddedDefaultTests
{
    [Fact]
    public async Task TheEmbeddedDefaultMigratesSeedsAndPagesThroughDemoData()
    {
        await using var host = new SqliteHost();
        var client = await host.ClientAsAsync(CrmRole.Viewer);

        var first = await client.DataAsync("{ contacts(first: 5) { totalCount nodes { id displayName phone } } }");
        var seen = new HashSet<string>();
        string? after = null;
        do
        {
            var page = (await client.DataAsync("query($after: String) { conversations(first: 50, after: $after) { pageInfo { hasNextPage endCursor } nodes { id lastActivity { occurredAt } } } }", new { after }))["conversations"]!;
            foreach (var node in page["nodes"]!.AsArray())
            {
                Assert.True(seen.Add(node!["id"]!.GetValue<string>()));
            }

            after = page["pageInfo"]!["hasNextPage"]!.GetValue<bool>() ? page["pageInfo"]!["endCursor"]!.GetValue<string>() : null;
        }
        while (after is not null);

        // The filters, orders and search run on SQLite too: each answers without error and finds demo rows.
        foreach (var query in new[]
        {
            "{ r: contacts(first: 3, where: { tags: { some: { eq: \"vip\" } } }, order: [{ lastName: ASC }]) { totalCount } }",
            "{ r: conversations(first: 3, where: { contact: { lastName: { startsWith: \"b\" } } }, order: [{ contact: { lastName: DESC } }]) { totalCount } }",
            "{ r: conversations(first: 3, where: { activities: { some: { body: { contains: \"foundation\" } } } }) { totalCount } }",
            "{ r: search(text: \"crack\", first: 3) { totalCount } }",
        })
        {
            Assert.True((await client.DataAsync(query))["r"]!["totalCount"]!.GetValue<int>() > 0, query);
        }

        Assert.Equal(200, first["contacts"]!["totalCount"]!.GetValue<int>());
        Assert.InRange(seen.Count, 200, 320);
        Assert.True(File.Exists(host.DatabasePath));
    }
}
