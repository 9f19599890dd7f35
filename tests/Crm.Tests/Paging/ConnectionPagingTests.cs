using System.Net;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Paging;

public sealed class ConnectionPagingTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const int ContactCount = 30;

    private async Task<List<string>> ArrangeContactsAsync()
    {
        var contacts = Enumerable.Range(1, ContactCount).Select(n => TestData.Contact(n)).ToList();
        // Two share a creation instant, so the order must fall back to the id tiebreak.
        contacts[10].CreatedAt = contacts[11].CreatedAt;
        await Fixture.ArrangeAsync(db =>
        {
            db.AddRange(contacts);
            return Task.CompletedTask;
        });
        return [.. contacts.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id.ToString()).Select(c => $"{c.FirstName} {c.LastName}")];
    }

    [Fact]
    public async Task PagingForwardWithFirstSevenVisitsEveryContactOnceInOrder()
    {
        var expected = await ArrangeContactsAsync();
        var seen = new List<string>();
        string? after = null;
        var pages = 0;
        while (true)
        {
            var page = (await Client.DataAsync(
                "query($after: String) { contacts(first: 7, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { displayName } } } }",
                new { after }))["contacts"]!;
            pages++;
            Assert.Equal(ContactCount, page["totalCount"]!.GetValue<int>());
            Assert.Equal(after is not null, page["pageInfo"]!["hasPreviousPage"]!.GetValue<bool>());
            seen.AddRange(page["edges"]!.AsArray().Select(e => e!["node"]!["displayName"]!.GetValue<string>()));
            if (!page["pageInfo"]!["hasNextPage"]!.GetValue<bool>())
            {
                break;
            }

            after = page["pageInfo"]!["endCursor"]!.GetValue<string>();
        }

        Assert.Equal(expected, seen);
        Assert.Equal(5, pages);
    }

    [Fact]
    public async Task PagingBackwardWithLastAndBeforeVisitsEveryContactOnceInOrder()
    {
        var expected = await ArrangeContactsAsync();
        var seen = new List<string>();
        string? before = null;
        while (true)
        {
            var page = (await Client.DataAsync(
                "query($before: String) { contacts(last: 7, before: $before) { pageInfo { hasPreviousPage hasNextPage startCursor } nodes { displayName } } }",
                new { before }))["contacts"]!;
            Assert.Equal(before is not null, page["pageInfo"]!["hasNextPage"]!.GetValue<bool>());
            seen.InsertRange(0, page["nodes"]!.AsArray().Select(n => n!["displayName"]!.GetValue<string>()));
            if (!page["pageInfo"]!["hasPreviousPage"]!.GetValue<bool>())
            {
                break;
            }

            before = page["pageInfo"]!["startCursor"]!.GetValue<string>();
        }

        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task APageSizeOverTheMaximumIsAnErrorNamingTheLimit()
    {
        var response = await Client.PostAsync("{ contacts(first: 1000) { nodes { id } } }");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Null(response.Json["data"]);
        Assert.Contains("100", response.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("1000", response.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-a-cursor")]
    [InlineData("eyJTIjoiQ29udGFjdHxiYWQiLCJWIjpbXX0")]
    public async Task AForgedCursorIsRefused(string cursor)
    {
        var response = await Client.PostAsync("query($c: String) { contacts(after: $c) { nodes { id } } }", new { c = cursor });

        Assert.Equal("INVALID_CURSOR", response.ErrorCode);
    }

    [Fact]
    public async Task ACursorFromAnotherListIsRefused()
    {
        var line = TestData.Line();
        await Fixture.ArrangeAsync(db =>
        {
            db.Add(line);
            return Task.CompletedTask;
        });
        var phoneCursor = (await Client.DataAsync("{ phoneNumbers { edges { cursor } } }"))["phoneNumbers"]!["edges"]![0]!["cursor"]!.GetValue<string>();

        var response = await Client.PostAsync("query($c: String) { contacts(after: $c) { nodes { id } } }", new { c = phoneCursor });

        Assert.Equal("INVALID_CURSOR", response.ErrorCode);
        Assert.Contains("another list", response.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FirstAndLastTogetherAreRefused()
    {
        var response = await Client.PostAsync("{ contacts(first: 2, last: 2) { nodes { id } } }");

        Assert.Equal("PAGING_ARGUMENTS_CONFLICT", response.ErrorCode);
    }

    [Fact]
    public async Task DefaultPageIsTwentyRows()
    {
        await ArrangeContactsAsync();

        var page = await Client.DataAsync("{ contacts { nodes { id } pageInfo { hasNextPage } } }");

        Assert.Equal(20, page["contacts"]!["nodes"]!.AsArray().Count);
        Assert.True(page["contacts"]!["pageInfo"]!["hasNextPage"]!.GetValue<bool>());
    }
}
