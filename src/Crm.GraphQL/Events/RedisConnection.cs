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
                var options = Options(configuration.GetConnectionString("Redis")!);
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

    /// <summary>
    /// StackExchange.Redis's own form (<c>host:6379,password=…</c>), or a platform's URL: <c>redis://</c>, or
    /// <c>rediss://</c> for TLS (DigitalOcean's managed Redis/Valkey: <c>rediss://default:…@host:25061</c>).
    /// </summary>
    internal static ConfigurationOptions Options(string value)
    {
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("redis" or "rediss"))
        {
            return ConfigurationOptions.Parse(value);
        }

        var user = uri.UserInfo.Split(':', 2);
        var options = new ConfigurationOptions
        {
            Ssl = uri.Scheme == "rediss",
            User = user.Length > 1 && user[0].Length > 0 ? Uri.UnescapeDataString(user[0]) : null,
            // redis://:secret@host names only a password, and so does a lone name (redis://secret@host), as redis-cli -u reads it.
            Password = user.Length > 1 ? Uri.UnescapeDataString(user[1]) : user[0].Length > 0 ? Uri.UnescapeDataString(user[0]) : null,
        };
        options.EndPoints.Add(uri.Host, uri.Port > 0 ? uri.Port : 6379);
        if (int.TryParse(uri.AbsolutePath.Trim('/'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var database))
        {
            options.DefaultDatabase = database;
        }

        return options;
    }

    public void Dispose()
    {
        _connection?.Dispose();
        _connecting.Dispose();
    }
}
