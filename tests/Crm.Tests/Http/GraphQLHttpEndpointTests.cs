using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Crm.Tests.Infrastructure;
using Snapshooter.Xunit;

namespace Crm.Tests.Http;

public sealed class GraphQLHttpEndpointTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private async Task<GraphQLResponse> PostRawAsync(string body, string contentType = "application/json", string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using var response = await Client.Http.SendAsync(request);
        return await GraphQLClient.ReadAsync(response);
    }

    [Fact]
    public async Task MalformedJsonIsA400WithAGraphQLErrorBody()
    {
        var response = await PostRawAsync("{\"query\": \"{ contacts { nodes { id } } }\"");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("application/graphql-response+json", response.ContentType);
        Snapshot.Match(response.Snapshot);
    }

    [Fact]
    public async Task AnUnknownFieldIsA400ValidationErrorWithoutData()
    {
        var response = await Client.PostAsync("{ contacts { nodes { shoeSize } } }");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Snapshot.Match(response.Snapshot);
    }

    [Fact]
    public async Task LegacyJsonClientsGetValidationErrorsWith200()
    {
        var response = await PostRawAsync("""{"query":"{ nope }"}""", accept: "application/json");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("application/json", response.ContentType);
        Assert.NotNull(response.Json["errors"]);
    }

    [Fact]
    public async Task QueriesWorkOverGet()
    {
        using var response = await Client.Http.GetAsync("/graphql?query=" + Uri.EscapeDataString("query($n: Int) { contacts(first: $n) { totalCount } }") + "&variables=" + Uri.EscapeDataString("{\"n\":1}"));
        var result = await GraphQLClient.ReadAsync(response);

        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Equal("""{"data":{"contacts":{"totalCount":0}}}""", result.Body);
    }

    [Fact]
    public async Task MutationsOverGetAre405AndChangeNothing()
    {
        var mutation = "mutation { createContact(input: { firstName: \"Get\" }) { contact { id } } }";

        using var response = await Client.Http.GetAsync("/graphql?query=" + Uri.EscapeDataString(mutation));
        var result = await GraphQLClient.ReadAsync(response);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, result.Status);
        Assert.Contains("POST", response.Content.Headers.Allow);
        Assert.Equal("HTTP_METHOD_NOT_ALLOWED", result.ErrorCode);
        Assert.Equal(0, await Fixture.QueryAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Contacts)));
    }

    [Theory]
    [InlineData("""{"query": 42}""")]
    [InlineData("""{"query": "{ __typename }", "variables": "x"}""")]
    [InlineData("""{"query": "{ __typename }", "operationName": []}""")]
    [InlineData("""{"query": "{ __typename }", "extensions": 1}""")]
    [InlineData("""{}""")]
    [InlineData("""[{"query": "{ __typename }"}]""")]
    [InlineData("\"just a string\"")]
    public async Task RequestsThatAreNotWellFormedAre400(string body)
    {
        var response = await PostRawAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.NotNull(response.ErrorCode);
        Assert.Null(response.Json["data"]);
    }

    [Fact]
    public async Task OtherContentTypesAre415()
    {
        var response = await PostRawAsync("query={__typename}", "application/x-www-form-urlencoded");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.Status);
    }

    [Fact]
    public async Task OversizedBodiesAre413()
    {
        var response = await PostRawAsync(GraphQLClient.Serialize(new { query = "{ __typename }", variables = new { pad = new string('x', 300_000) } }));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.Status);
        Assert.Equal("REQUEST_TOO_LARGE", response.ErrorCode);
    }

    [Fact]
    public async Task AnUnacceptableAcceptHeaderIs406()
    {
        var response = await PostRawAsync("""{"query":"{ __typename }"}""", accept: "text/html");

        Assert.Equal(HttpStatusCode.NotAcceptable, response.Status);
    }

    [Fact]
    public async Task DeeplyNestedDocumentsAreRefusedByTheParser()
    {
        var query = new string('{', 200) + new string('}', 200);

        var response = await PostRawAsync(GraphQLClient.Serialize(new { query }));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Null(response.Json["data"]);
    }

    [Fact]
    public async Task QueriesDeeperThanTheLimitAreRefusedBeforeExecution()
    {
        var query = "{ conversations(first: 1) { nodes { contact { conversations(first: 1) { nodes { contact { conversations(first: 1) { nodes { contact { conversations(first: 1) { nodes { contact { conversations(first: 1) { nodes { contact { id } } } } } } } } } } } } } } } }";

        var response = await Client.PostAsync(query);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains("nested", response.ErrorMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("15", response.ErrorMessage, StringComparison.Ordinal);
    }
}
