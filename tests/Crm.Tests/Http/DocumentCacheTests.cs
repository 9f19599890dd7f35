using System.Net;
using Crm.GraphQL.Server.Execution;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Http;

/// <summary>A repeated document is parsed once, yet every rule that depends on the request still holds for it.</summary>
public sealed class DocumentCacheTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private long Parsed => Fixture.Factory.Services.GetRequiredService<DocumentCache>().Parsed;

    // The shared host has served other tests' documents: each test asks something no other test asks.
    private static string Unique(string query) => $"{query} # {Guid.NewGuid():N}";

    [Fact]
    public async Task ARepeatedQueryIsParsedOnce()
    {
        var query = Unique("{ contacts(first: 1) { totalCount } }");
        var before = Parsed;

        var answers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add((await Client.PostAsync(query)).Body);
        }

        Assert.Equal(1, Parsed - before);
        Assert.All(answers, a => Assert.Equal("""{"data":{"contacts":{"totalCount":0}}}""", a));
    }

    [Fact]
    public async Task ACachedDocumentRunsWithEachRequestsVariables()
    {
        foreach (var name in new[] { "Ann", "Bob", "Cy" })
        {
            await Client.DataAsync("mutation($n: String!) { createContact(input: { firstName: $n }) { contact { id } } }", new { n = name });
        }

        var query = Unique("query($n: Int!) { contacts(first: $n, order: [{ firstName: ASC }]) { nodes { firstName } } }");
        var before = Parsed;

        var one = await Client.DataAsync(query, new { n = 1 });
        var three = await Client.DataAsync(query, new { n = 3 });
        var wrongType = await Client.PostAsync(query, new { n = "three" });

        Assert.Equal(1, Parsed - before);
        Assert.Equal("""{"contacts":{"nodes":[{"firstName":"Ann"}]}}""", GraphQLClient.Compact(one));
        Assert.Equal("""{"contacts":{"nodes":[{"firstName":"Ann"},{"firstName":"Bob"},{"firstName":"Cy"}]}}""", GraphQLClient.Compact(three));
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.Status);
        Assert.Null(wrongType.Json["data"]);
    }

    [Fact]
    public async Task ACachedDocumentIsStillHeldToTheComplexityBudgetForItsVariables()
    {
        var query = Unique("query($n: Int) { contacts(first: $n) { nodes { conversations(first: $n) { nodes { activities(first: $n) { nodes { body } } } } } } }");
        var small = await Client.PostAsync(query, new { n = 1 });
        using var sql = new SqlCommandCounter();
        var huge = await Client.PostAsync(query, new { n = 100 });

        Assert.Equal(HttpStatusCode.OK, small.Status);
        Assert.Equal(HttpStatusCode.BadRequest, huge.Status);
        Assert.Contains("complex", huge.Json["errors"]![0]!["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(sql.Commands, c => c.Contains("\"Contacts\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AHostileQueryIsRefusedEveryTimeAndNeverKept()
    {
        var aliases = Unique("{ " + string.Join(" ", Enumerable.Range(0, 200).Select(i => $"a{i}: contacts(first: 1) {{ totalCount }}")) + " }");
        var before = Parsed;

        var first = await Client.PostAsync(aliases);
        var second = await Client.PostAsync(aliases);

        Assert.Equal(2, Parsed - before);
        Assert.All([first, second], r => Assert.Equal(HttpStatusCode.BadRequest, r.Status));
        Assert.All([first, second], r => Assert.Equal("ALIAS_LIMIT_EXCEEDED", r.ErrorCode));
    }

    [Fact]
    public async Task AMutationCachedFromAPostIsStillRefusedOverGet()
    {
        var mutation = Unique("mutation { createContact(input: { firstName: \"Posted\" }) { contact { id } } }");
        await Client.DataAsync(mutation);

        using var response = await Client.Http.GetAsync("/graphql?query=" + Uri.EscapeDataString(mutation));
        var result = await GraphQLClient.ReadAsync(response);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, result.Status);
        Assert.Equal("HTTP_METHOD_NOT_ALLOWED", result.ErrorCode);
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task ADocumentCachedForOneCallerIsStillRefusedToAnother()
    {
        var query = Unique("{ apiKeys { nodes { name } } }");
        var viewer = await Fixture.ClientAsAsync(Crm.Data.Users.CrmRole.Viewer);

        var admin = await Client.PostAsync(query);
        var refused = await viewer.PostAsync(query);
        var anonymous = await Anonymous.PostAsync(query);

        Assert.Equal(HttpStatusCode.OK, admin.Status);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
    }
}
