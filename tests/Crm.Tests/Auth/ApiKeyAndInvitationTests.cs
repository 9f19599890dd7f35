using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Snapshooter.Xunit;

namespace Crm.Tests.Auth;

public sealed class ApiKeyAndInvitationTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private GraphQLClient WithKey(string key)
    {
        var http = Fixture.Factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return new GraphQLClient(http);
    }

    [Fact]
    public async Task AKeyIsShownOnceWorksRecordsItsUseAndIsRefusedOnTheNextRequestAfterRevocation()
    {
        var created = await Client.DataAsync("""
            mutation { createApiKey(input: { name: "Zapier", role: MARKETER }) { key apiKey { id name role prefix revokedAt } errors { __typename } } }
            """);
        var key = created["createApiKey"]!["key"]!.GetValue<string>();
        var id = created["createApiKey"]!["apiKey"]!["id"]!.GetValue<string>();
        var integrator = WithKey(key);

        var me = await integrator.DataAsync("{ me { kind displayName role email } }");
        var lastUsed = await Fixture.QueryAsync(db => db.ApiKeys.Where(k => k.Name == "Zapier").Select(k => k.LastUsedAt).SingleAsync());
        var listed = await Client.DataAsync("{ apiKeys { nodes { name } } }");
        await Client.DataAsync("mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } } }", new { id });
        var refused = await integrator.PostAsync("{ me { kind } }");

        Assert.StartsWith("crm_", key, StringComparison.Ordinal);
        Assert.Equal("""{"kind":"API_KEY","displayName":"Zapier","role":"MARKETER","email":null}""", GraphQLClient.Compact(me["me"]));
        Assert.NotNull(lastUsed);
        Assert.DoesNotContain(key, listed.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal(2, await Fixture.QueryAsync(db => db.AuditEntries.CountAsync(a => a.Target == "Zapier" && (a.Action == "apikey.created" || a.Action == "apikey.revoked"))));
    }

    [Fact]
    public async Task AKeyThatPassedIsNotReadAgainUntilItIsRevoked()
    {
        var (key, secret) = await Fixture.WithServiceAsync<Crm.Data.Users.ApiKeyOperations, (Crm.Data.Users.ApiKey, string)>(keys => keys.CreateAsync("cached", Crm.Data.Users.CrmRole.Viewer, Crm.Data.Audit.Actor.System));
        var integrator = WithKey(secret);
        await integrator.DataAsync("{ contacts(first: 1) { totalCount } }");

        using var sql = new SqlCommandCounter();
        // Not `me`, which reads the key's row for its own answer.
        var again = await integrator.PostAsync("{ contacts(first: 1) { totalCount } }");
        var readsWhileCached = sql.Commands.Count(c => c.Contains("\"ApiKeys\"", StringComparison.Ordinal));
        await Client.DataAsync("mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } } }", new { id = Crm.GraphQL.Server.Conventions.NodeId.Encode("ApiKey", key.Id) });
        var refused = await integrator.PostAsync("{ me { kind } }");

        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(0, readsWhileCached);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
    }

    [Theory]
    [InlineData("crm_0000000000000000_forged")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("not-a-key")]
    public async Task ForgedKeysAreRefused(string key)
    {
        var response = await WithKey(key).PostAsync("{ me { kind } }");

        Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
    }

    [Fact]
    public async Task AMarketerKeyCannotManageKeys()
    {
        var marketer = await Fixture.ClientAsAsync(Crm.Data.Users.CrmRole.Marketer);

        var response = await marketer.PostAsync("mutation { createApiKey(input: { name: \"x\", role: ADMIN }) { key } }");

        Assert.Equal(HttpStatusCode.Forbidden, response.Status);
        Snapshot.Match(response.Snapshot);
    }

    [Fact]
    public async Task AnInvitationLetsTheInviteeSetAPasswordOnceWithinSevenDays()
    {
        var invited = await Client.DataAsync("mutation { inviteUser(input: { email: \"new@example.com\", role: MARKETER }) { invitation { email role expiresAt } inviteLink errors { __typename } } }");
        var token = invited["inviteUser"]!["inviteLink"]!.GetValue<string>().Split("token=")[1];
        const string accept = "mutation($token: String!, $password: String!) { acceptInvitation(input: { token: $token, password: $password, displayName: \"New Person\" }) { user { email role displayName } errors { __typename ... on PasswordRejectedError { reasons } } } }";

        var weak = await Anonymous.DataAsync(accept, new { token, password = "short" });
        var accepted = await Anonymous.DataAsync(accept, new { token, password = "A-Good-Passw0rd" });
        var reused = await Anonymous.DataAsync(accept, new { token, password = "A-Good-Passw0rd" });
        using var login = await Fixture.Factory.CreateClient().PostAsJsonAsync("/auth/login", new { email = "new@example.com", password = "A-Good-Passw0rd" });

        Assert.Equal("PasswordRejectedError", weak["acceptInvitation"]!["errors"]![0]!["__typename"]!.GetValue<string>());
        Assert.Equal("""{"email":"new@example.com","role":"MARKETER","displayName":"New Person"}""", GraphQLClient.Compact(accepted["acceptInvitation"]!["user"]));
        Assert.Equal("InvalidInvitationError", reused["acceptInvitation"]!["errors"]![0]!["__typename"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task AnExpiredInvitationIsRefused()
    {
        var invited = await Client.DataAsync("mutation { inviteUser(input: { email: \"late@example.com\", role: VIEWER }) { inviteLink } }");
        var token = invited["inviteUser"]!["inviteLink"]!.GetValue<string>().Split("token=")[1];
        await Fixture.ArrangeAsync(async db => (await db.Invitations.SingleAsync()).ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1));

        var response = await Anonymous.DataAsync("mutation($token: String!) { acceptInvitation(input: { token: $token, password: \"A-Good-Passw0rd\" }) { user { email } errors { __typename } } }", new { token });

        Assert.Equal("InvalidInvitationError", response["acceptInvitation"]!["errors"]![0]!["__typename"]!.GetValue<string>());
        Assert.Equal(0, await Fixture.QueryAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task AdminsCanReadTheAuditLog()
    {
        await Client.DataAsync("mutation { inviteUser(input: { email: \"audit@example.com\", role: VIEWER }) { inviteLink } }");

        var log = await Client.DataAsync("{ auditLog(first: 10) { nodes { action actorKind actorName target details } } }");

        Snapshot.Match(Newtonsoft.Json.Linq.JToken.Parse(log.ToJsonString()));
    }
}
