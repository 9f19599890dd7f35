using StackExchange.Redis;

namespace Crm.GraphQL.Events;

/// <summary>
/// The process's one connection to Redis (<c>ConnectionStrings:Redis</c>), shared by the event bus and the health check:
/// a multiplexer is meant to be shared, and a second one would be a second set of sockets and reconnect loops.
/// </summary>
internal sealed class RedisConnection(IConfiguration configuration) : IDisposable
{
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private ConnectionMultiplexer? _connection;

    /// <summary>Raised when the connection comes back after a loss; StackExchange.Redis has restored its subscriptions by then.</summary>
    public event Action? Restored;

    /// <summary>Connects on first use; never throws because Redis is away (the multiplexer keeps retrying).</summary>
    public async Task<ConnectionMultiplexer> GetAsync()
    {
        if (_connection is { } connected)
        {
            return connected;
        }

        await _connecting.WaitAsync();
        try
        {
            if (_connection is null)
            {
                var options = ConfigurationOptions.Parse(configuration.GetConnectionString("Redis")!);
                options.AbortOnConnectFail = false; // start and keep retrying while Redis is away
                options.BacklogPolicy = BacklogPolicy.FailFast; // never queue a publish or a PING behind a reconnect
                options.ConnectTimeout = 2000;
                var connection = await ConnectionMultiplexer.ConnectAsync(options);
                connection.ConnectionRestored += (_, _) => Restored?.Invoke();
                _connection = connection;
            }

            return _connection;
        }
        finally
        {
            _connecting.Release();
        }
    }

    public void Dispose()
    {
        _connection?.Dispose();
        _connecting.Dispose();
    }
}
