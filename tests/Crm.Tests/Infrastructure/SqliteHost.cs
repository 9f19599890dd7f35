using Crm.Data.Audit;
using Crm.Data.Users;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Infrastructure;

/// <summary>The embedded default: the host with no connection string, on a SQLite file of its own, removed when disposed.</summary>
public sealed class SqliteHost : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("crm-sqlite-").FullName;

    public SqliteHost(IReadOnlyDictionary<string, string?>? settings = null)
    {
        DatabasePath = Path.Combine(_directory, "crm.db");
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["ConnectionStrings:Crm"] = "",
            ["Crm:SqlitePath"] = DatabasePath,
        };
        Factory = new CrmApiFactory(all);
    }

    public string DatabasePath { get; }

    public CrmApiFactory Factory { get; }

    /// <summary>A client that authenticates with a fresh API key of the given role.</summary>
    public async Task<GraphQLClient> ClientAsAsync(CrmRole role)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var (_, key) = await scope.ServiceProvider.GetRequiredService<ApiKeyOperations>().CreateAsync($"test {role}", role, Actor.System);
        var http = Factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return new GraphQLClient(http);
    }

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
