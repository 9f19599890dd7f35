using System.Net;
using System.Net.Http.Json;
using Crm.Data.Audit;
using Crm.Data.Users;
using Crm.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Tests.Auth;

public sealed class SessionTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const string Password = "Correct-Horse-42";

    private Task<CrmUser> CreateUserAsync(CrmRole role, string email = "dana@example.com") =>
        Fixture.WithServiceAsync<UserOperations, CrmUser>(users => users.CreateAsync(email, Password, "Dana", role, Actor.System));

    /// <summary>A browser-like client: HTTPS, so Secure cookies flow, and a cookie jar.</summary>
    private HttpClient Browser() => Fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), HandleCookies = true });

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string email, string password) =>
        client.PostAsJsonAsync("/auth/login", new { email, password });

    [Fact]
    public async Task LoginSetsAnHttpOnlySecureSameSiteStrictCookieAndMeAnswers()
    {
        await CreateUserAsync(CrmRole.Marketer);
        using var browser = Browser();

        using var login = await LoginAsync(browser, "Dana@Example.com", Password);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        var me = await new GraphQLClient(browser).DataAsync("{ me { email displayName role kind } }");

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.StartsWith("crm_session=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("""{"email":"dana@example.com","displayName":"Dana","role":"MARKETER","kind":"USER"}""", GraphQLClient.Compact(me["me"]));
    }

    [Fact]
    public async Task LogoutEndsTheSession()
    {
        await CreateUserAsync(CrmRole.Viewer);
        using var browser = Browser();
        (await LoginAsync(browser, "dana@example.com", Password)).Dispose();

        using var logout = await browser.PostAsJsonAsync("/auth/logout", new { });
        var after = await new GraphQLClient(browser).PostAsync("{ me { email } }");

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.Status);
        Assert.Equal("AUTH_NOT_AUTHENTICATED", after.ErrorCode);
    }

    [Fact]
    public async Task WrongPasswordsLockTheAccountAndAreAudited()
    {
        await CreateUserAsync(CrmRole.Viewer);
        using var browser = Browser();

        for (var i = 0; i < 5; i++)
        {
            using var wrong = await LoginAsync(browser, "dana@example.com", "not-the-password");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var right = await LoginAsync(browser, "dana@example.com", Password);
        var failures = await Fixture.QueryAsync(db => db.AuditEntries.CountAsync(a => a.Action == "login.failed" && a.ActorName == "dana@example.com"));

        Assert.Equal(HttpStatusCode.Unauthorized, right.StatusCode);
        Assert.Equal(6, failures);
    }

    [Fact]
    public async Task UnknownUsersAndMalformedLoginsAreRefused()
    {
        using var browser = Browser();

        using var unknown = await LoginAsync(browser, "nobody@example.com", Password);
        using var malformed = await browser.PostAsync("/auth/login", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }

    [Fact]
    public async Task CookieRequestsWithoutAPreflightHeaderAreRefusedAsCsrf()
    {
        await CreateUserAsync(CrmRole.Viewer);
        using var browser = Browser();
        (await LoginAsync(browser, "dana@example.com", Password)).Dispose();
        var query = "/graphql?query=" + Uri.EscapeDataString("{ me { email } }");

        using var plainGet = await browser.GetAsync(query);
        using var preflighted = new HttpRequestMessage(HttpMethod.Get, query) { Headers = { { "GraphQL-Preflight", "1" } } };
        using var withHeader = await browser.SendAsync(preflighted);
        using var form = await browser.PostAsync("/graphql", new StringContent("query={me{email}}", System.Text.Encoding.UTF8, "text/plain"));
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query = "{ me { email } }" }), Headers = { { "Origin", "https://evil.example" } } };
        using var crossSiteResponse = await browser.SendAsync(crossSite);

        Assert.Equal(HttpStatusCode.Forbidden, plainGet.StatusCode);
        Assert.Contains("CSRF_PREFLIGHT_REQUIRED", await plainGet.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, withHeader.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, form.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, crossSiteResponse.StatusCode);
    }

    [Fact]
    public async Task DeactivatingOrDemotingAUserEndsTheirSessionAtOnce()
    {
        var user = await CreateUserAsync(CrmRole.Admin, "boss@example.com");
        await CreateUserAsync(CrmRole.Admin, "other-admin@example.com");
        using var browser = Browser();
        (await LoginAsync(browser, "boss@example.com", Password)).Dispose();
        var session = new GraphQLClient(browser);
        Assert.Equal("ADMIN", (await session.DataAsync("{ me { role } }"))["me"]!["role"]!.GetValue<string>());

        var demoted = await Client.DataAsync("mutation($id: ID!) { updateUser(input: { id: $id, role: VIEWER }) { user { role } errors { __typename } } }",
            new { id = Crm.GraphQL.Server.Conventions.NodeId.Encode("User", user.Id) });
        var after = await session.PostAsync("{ me { role } }");

        Assert.Equal("VIEWER", demoted["updateUser"]!["user"]!["role"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, after.Status);
        Assert.True(await Fixture.QueryAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "user.role_changed" && a.Target == "boss@example.com")));
    }

    [Fact]
    public async Task TheLastActiveAdminCannotBeDemoted()
    {
        var admin = await CreateUserAsync(CrmRole.Admin);

        var response = await Client.DataAsync("mutation($id: ID!) { updateUser(input: { id: $id, isActive: false }) { user { isActive } errors { __typename } } }",
            new { id = Crm.GraphQL.Server.Conventions.NodeId.Encode("User", admin.Id) });

        Assert.Equal("LastAdminError", response["updateUser"]!["errors"]![0]!["__typename"]!.GetValue<string>());
    }

    [Fact]
    public async Task TwoAdminsDemotingEachOtherAtOnceLeaveOneAdmin()
    {
        var first = await CreateUserAsync(CrmRole.Admin, "first@example.com");
        var second = await CreateUserAsync(CrmRole.Admin, "second@example.com");
        const string Demote = "mutation($id: ID!) { updateUser(input: { id: $id, role: VIEWER }) { user { role } errors { __typename } } }";
        Task<GraphQLResponse> DemoteAsync(CrmUser user) => Client.PostAsync(Demote, new { id = Crm.GraphQL.Server.Conventions.NodeId.Encode("User", user.Id) });

        // The first demotion waits on the first admin's row; the second starts while it waits, so both decide at once.
        GraphQLResponse[] answers;
        await using (var held = await HeldRowLock.AcquireAsync("Users", first.Id))
        {
            var demoteFirst = DemoteAsync(first);
            await HeldRowLock.WaitForWaitersAsync(1);
            var demoteSecond = DemoteAsync(second);
            await HeldRowLock.WaitForWaitersAsync(2, done: demoteSecond);
            await held.ReleaseAsync();
            answers = await Task.WhenAll(demoteFirst, demoteSecond);
        }

        Assert.Equal(1, await Fixture.QueryAsync(db => db.Users.CountAsync(u => u.Role == CrmRole.Admin && u.IsActive)));
        var outcomes = answers.Select(a => a.Data["updateUser"]!["errors"]?[0]?["__typename"]?.GetValue<string>() ?? "demoted").Order(StringComparer.Ordinal);
        Assert.Equal(["LastAdminError", "demoted"], outcomes);
    }
}

