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

        var month = (await client.DataAsync("{ dashboard { last30Days { textsIn textsOut } } }"))["dashboard"]!["last30Days"]!;
        Assert.True(month["textsIn"]!.GetValue<int>() > 0 && month["textsOut"]!.GetValue<int>() > 0, month.ToJsonString());

        // The demo's pictures and recordings come from the embedded simulator, so a browser shows and plays them offline.
        var media = new List<System.Text.Json.Nodes.JsonNode>();
        foreach (var where in new[] { "{ body: { contains: \"photo\" } }", "{ kind: { eq: CALL } }" })
        {
            var page = await client.DataAsync($$"""
                { conversations(first: 5, where: { activities: { some: {{where}} } }) { nodes { activities(first: 30) { nodes { media { url type } recordings { url type } voicemail { url type } } } } } }
                """);
            media.AddRange(page["conversations"]!["nodes"]!.AsArray()
                .SelectMany(c => c!["activities"]!["nodes"]!.AsArray())
                .SelectMany(a => a!["media"]!.AsArray().Concat(a["recordings"]!.AsArray()).Append(a["voicemail"]))
                .OfType<System.Text.Json.Nodes.JsonNode>());
        }

        using var browser = host.Factory.CreateClient();
        foreach (var type in new[] { "image/svg+xml", "audio/wav" })
        {
            var item = media.First(m => m["type"]?.GetValue<string>() == type);
            using var response = await browser.GetAsync(new Uri(item["url"]!.GetValue<string>(), UriKind.Relative));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(200, first["contacts"]!["totalCount"]!.GetValue<int>());
        Assert.InRange(seen.Count, 200, 320);
        Assert.True(File.Exists(host.DatabasePath));
    }
}
