using System.Net;
using System.Text;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Auth;

/// <summary>Each hostile request gets a clear error, reaches no SQL, and leaves the server healthy.</summary>
public sealed class HostileQueryTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    public static TheoryData<string, string, string> Attacks()
    {
        var deep = "{ contacts(first: 1) { nodes { " + string.Concat(Enumerable.Repeat("conversations(first: 1) { nodes { contact { ", 8)) + "id" + new string('}', 8 * 3) + " } } }";
        var aliases = "{ " + string.Join(" ", Enumerable.Range(0, 200).Select(i => $"a{i}: contacts(first: 1) {{ totalCount }}")) + " }";
        var wide = "{ " + string.Join(" ", Enumerable.Range(0, 25).Select(i => $"c{i}: contacts(first: 100) {{ nodes {{ conversations(first: 100) {{ nodes {{ activities(first: 100) {{ nodes {{ body }} }} }} }} }} }}")) + " }";
        return new()
        {
            { "deep nesting", deep, "too nested" },
            { "alias flood", aliases, "aliases" },
            { "huge lists", wide, "too complex" },
            { "fragment cycle", "query { contacts { nodes { ...A } } } fragment A on Contact { conversations { nodes { contact { ...B } } } } fragment B on Contact { ...A }", "within itself" },
            { "parser bomb", string.Concat(Enumerable.Repeat("{ a ", 5000)), "nested deeper" },
            { "anonymous introspection", "{ __schema { types { name } } }", "Sign in" },
        };
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task HostileQueriesGetAClearErrorAndNeverReachTheDatabase(string attack, string query, string expected)
    {
        using var sql = new SqlCommandCounter();

        var response = await Anonymous.PostAsync(query);

        Assert.True(response.Status is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, $"{attack}: {response.Status} {response.Body}");
        Assert.Null(response.Json["data"]);
        // Anonymous callers may be refused for access before the limits are even counted: either is a clear answer.
        Assert.True(response.ErrorCode == "AUTH_NOT_AUTHENTICATED" || Mentions(response, expected), $"{attack}: {response.Body}");
        Assert.Empty(sql.Commands);
        await AssertHealthyAsync();
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task HostileQueriesFromAnAuthenticatedCallerHitTheLimitBeforeAnyResolver(string attack, string query, string expected)
    {
        using var sql = new SqlCommandCounter();

        var response = await Client.PostAsync(query);

        if (attack == "anonymous introspection")
        {
            Assert.NotNull(response.Json["data"]?["__schema"]);
            return;
        }

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.True(Mentions(response, expected), $"{attack}: {response.Body}");
        // Authenticating the key is the only database work allowed.
        Assert.All(sql.Commands, c => Assert.Contains("ApiKeys", c, StringComparison.Ordinal));
        await AssertHealthyAsync();
    }

    private static bool Mentions(GraphQLResponse response, string expected) =>
        response.Json["errors"]!.AsArray().Any(e => e!["message"]!.GetValue<string>().Contains(expected, StringComparison.OrdinalIgnoreCase));

    [Fact]
    public async Task OversizedBodiesAreRefusedBeforeParsing()
    {
        using var sql = new SqlCommandCounter();
        var body = new StringContent("{\"query\":\"" + new string(' ', 2_000_000) + "{ __typename }\"}", Encoding.UTF8, "application/json");

        using var response = await Anonymous.Http.PostAsync("/graphql", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(sql.Commands);
        await AssertHealthyAsync();
    }

    private async Task AssertHealthyAsync()
    {
        using var health = await Anonymous.Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
