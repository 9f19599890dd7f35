using Crm.Data;
using Crm.Data.Audit;
using Crm.Data.Users;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Respawn;

namespace Crm.Tests.Infrastructure;

/// <summary>
/// One host per test run on the throwaway PostgreSQL that scripts/test.sh starts; the host's start-up
/// migrates the empty database, so every run exercises the migration chain.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private Respawner? _respawner;

    public static string ConnectionString => Environment.GetEnvironmentVariable("CRM_TEST_DB")
        ?? throw new InvalidOperationException("CRM_TEST_DB is not set: run the tests with scripts/test.sh, which starts PostgreSQL.");

    public CrmApiFactory Factory { get; } = new(Settings());

    /// <summary>The shared host's settings; tests that need another configuration start their own host from these.</summary>
    public static Dictionary<string, string?> Settings() => new()
    {
        ["ConnectionStrings:Crm"] = ConnectionString,
        ["Crm:SeedDemoData"] = "false",
        // The shared host never texts: it has no OpenPhone to reach. Tests of the outbound pipe start their own (OutboundHost).
        ["OpenPhone:Outbound:Workers"] = "0",
        // Nor does it run imports: a test's job is run by the host the test starts for it.
        ["Imports:Workers"] = "0",
        ["OpenPhone:WebhookSigningKeys:0"] = WebhookSender.LegacyKey,
        ["OpenPhone:WebhookSigningKeys:1"] = WebhookSender.StandardKey,
        ["OpenPhone:WebhookSigningKeys:2"] = WebhookSender.RotatedLegacyKey,
    };

    public async Task InitializeAsync()
    {
        _ = Factory.Server; // starts the host, which migrates
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        _respawner = await Respawner.CreateAsync(connection, new RespawnerOptions
        {
            DbAdapter = DbAdapter.Postgres,
            // The key ring stays: hosts cache theirs, and one started after a reset must read the keys the others use.
            TablesToIgnore = ["__EFMigrationsHistory", "DataProtectionKeys"],
        });
    }

    /// <summary>A new, empty database beside the shared one (dropped first if a run left it); its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var admin = new NpgsqlConnection(ConnectionString))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Empties every table: each test arranges its own rows.</summary>
    public async Task ResetAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await _respawner!.ResetAsync(connection);
    }

    public async Task ArrangeAsync(Func<CrmDbContext, Task> arrange)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        await arrange(db);
        await db.SaveChangesAsync();
    }

    public async Task<T> QueryAsync<T>(Func<CrmDbContext, Task<T>> query)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<CrmDbContext>());
    }

    /// <summary>Runs a domain service as the system would, e.g. to create users and keys for a test.</summary>
    public async Task<T> WithServiceAsync<TService, T>(Func<TService, Task<T>> action)
        where TService : notnull
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    /// <summary>A client that authenticates with a fresh API key of the given role.</summary>
    public async Task<GraphQLClient> ClientAsAsync(CrmRole role)
    {
        var (_, secret) = await WithServiceAsync<ApiKeyOperations, (ApiKey, string)>(keys => keys.CreateAsync($"test {role}", role, Actor.System));
        var http = Factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        return new GraphQLClient(http);
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

[CollectionDefinition(nameof(PostgresCollection))]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>;

/// <summary>
/// Base for tests against the shared host: the database is empty when each test starts, and <see cref="Client"/>
/// calls as an admin API key (access rules have their own tests).
/// </summary>
[Collection(nameof(PostgresCollection))]
public abstract class PostgresTest(PostgresFixture fixture) : IAsyncLifetime
{
    private GraphQLClient? _client;

    protected PostgresFixture Fixture { get; } = fixture;

    protected GraphQLClient Client => _client ?? throw new InvalidOperationException("Not initialized.");

    protected GraphQLClient Anonymous { get; } = new(fixture.Factory.CreateClient());

    public async Task InitializeAsync()
    {
        await Fixture.ResetAsync();
        _client = await Fixture.ClientAsAsync(CrmRole.Admin);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
