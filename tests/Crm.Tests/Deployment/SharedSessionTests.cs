using System.Net;
using System.Net.Http.Json;
using Crm.Tests.Infrastructure;
using Npgsql;

namespace Crm.Tests.Deployment;

/// <summary>
/// Two containers share nothing but the database: a staff member signed in through one instance stays signed in when the
/// platform's balancer sends the next request to the other. Each process gets a home directory of its own, where Data
/// Protection would keep its keys if they were not in the database.
/// </summary>
public sealed class SharedSessionTests : IDisposable
{
    private const string Email = "owner@example.com";
    private const string Password = "Both-Instances-42";

    private readonly List<string> _homes = [];

    [Fact]
    public async Task ASessionStartedOnOneInstanceIsValidOnTheOther()
    {
        var database = await PostgresFixture.CreateDatabaseAsync("crm_shared_sessions");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Crm"] = database,
            ["Crm:MigrateOnStartup"] = "false",
            ["Crm:Admin:Email"] = Email,
            ["Crm:Admin:Password"] = Password,
        };

        var (exitCode, output) = await ServerProcess.RunToExitAsync(Own(settings), "migrate");
        Assert.True(exitCode == 0, output);
        Assert.Equal(1, await KeysAsync(database));

        await using var first = await ServerProcess.StartAsync(Own(settings));
        await using var second = await ServerProcess.StartAsync(Own(settings));
        using var one = new HttpClient { BaseAddress = first.Address };
        using var other = new HttpClient { BaseAddress = second.Address };
        using var login = await one.PostAsJsonAsync("/auth/login", new { email = Email, password = Password });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        // The cookie is Secure (production) and this is plain HTTP on loopback: carried by hand, as the browser would over TLS.
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];

        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query = "{ me { email } }" }) };
        request.Headers.Add("Cookie", cookie);
        using var me = await other.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Contains(Email, await me.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await KeysAsync(database));
    }

    public void Dispose()
    {
        foreach (var home in _homes)
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private Dictionary<string, string?> Own(Dictionary<string, string?> settings)
    {
        var home = Directory.CreateTempSubdirectory("crm-home-").FullName;
        _homes.Add(home);
        return new Dictionary<string, string?>(settings) { ["HOME"] = home };
    }

    private static async Task<long> KeysAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM \"DataProtectionKeys\"", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
