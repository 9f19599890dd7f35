using Crm.Tests.Infrastructure;

namespace Crm.Tests.Search;

public sealed class SearchTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private async Task ArrangeAsync()
    {
        var line = TestData.Line();
        var smith = TestData.Contact(1, "Ann", "Smith");
        var arrowsmith = TestData.Contact(2, "Bo", "Arrowsmith");
        var jones = TestData.Contact(3, "Cy", "Jones");
        jones.Company = "Smithfield Foundations";
        var conversation = TestData.Conversation(jones, line, TestData.Epoch);
        await Fixture.ArrangeAsync(db =>
        {
            db.AddRange(line, smith, arrowsmith, jones, conversation);
            db.Add(TestData.Message(conversation, "The foundation crack is back", TestData.Epoch));
            db.Add(TestData.Message(conversation, "Can you look at the FOUNDATION again?", TestData.Epoch.AddHours(1)));
            db.Add(TestData.Message(conversation, "Thanks!", TestData.Epoch.AddHours(2)));
            return Task.CompletedTask;
        });
    }

    private async Task<string> SearchAsync(string text, int first = 20, string? after = null)
    {
        var data = await Client.DataAsync("query($t: String!, $n: Int, $a: String) { search(text: $t, first: $n, after: $a) { nodes { __typename ... on Contact { displayName } ... on Activity { body } } } }", new { t = text, n = first, a = after });
        return string.Join(" | ", data["search"]!["nodes"]!.AsArray().Select(n => n!["displayName"]?.GetValue<string>() ?? n!["body"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("smith", "Ann Smith | Bo Arrowsmith | Cy Jones")]
    [InlineData("ann smi", "Ann Smith")]
    [InlineData("foundation", "Cy Jones | Can you look at the FOUNDATION again? | The foundation crack is back")]
    [InlineData("(617) 555-0002", "Bo Arrowsmith")]
    [InlineData("617 555", "Ann Smith | Bo Arrowsmith | Cy Jones")]
    [InlineData("nothing like it", "")]
    public async Task SearchFindsContactsByNameCompanyAndPhoneDigitsThenMessages(string text, string expected)
    {
        await ArrangeAsync();

        Assert.Equal(expected, await SearchAsync(text));
    }

    [Fact]
    public async Task SearchPagesFromContactsIntoMessages()
    {
        await ArrangeAsync();
        var first = await Client.DataAsync("{ search(text: \"foundation\", first: 2) { totalCount pageInfo { hasNextPage endCursor } } }");
        var after = first["search"]!["pageInfo"]!["endCursor"]!.GetValue<string>();

        Assert.Equal(3, first["search"]!["totalCount"]!.GetValue<int>());
        Assert.True(first["search"]!["pageInfo"]!["hasNextPage"]!.GetValue<bool>());
        Assert.Equal("The foundation crack is back", await SearchAsync("foundation", 2, after));
    }

    [Fact]
    public async Task TooShortSearchesAreRefused()
    {
        var response = await Client.PostAsync("{ search(text: \" a \") { nodes { __typename } } }");

        Assert.Equal("INVALID_SEARCH", response.ErrorCode);
    }
}
