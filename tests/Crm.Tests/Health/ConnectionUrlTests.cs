using System.Net;
using Crm.Data;
using Crm.GraphQL.Events;
using Npgsql;

namespace Crm.Tests.Health;

/// <summary>A platform's DATABASE_URL and Redis URL work as the connection strings, as they are.</summary>
public sealed class ConnectionUrlTests
{
    [Fact]
    public void APostgresUrlBecomesNpgsqlsFormWithItsEscapesAndOptions()
    {
        var npgsql = new NpgsqlConnectionStringBuilder(ConnectionUrls.ToNpgsql("postgresql://doadmin:p%40ss%3Aw0rd@db-crm.example.com:25060/defaultdb?sslmode=require&Timeout=5"));

        Assert.Equal(("db-crm.example.com", 25060, "defaultdb", "doadmin", "p@ss:w0rd"), (npgsql.Host, npgsql.Port, npgsql.Database, npgsql.Username, npgsql.Password));
        Assert.Equal(SslMode.Require, npgsql.SslMode);
        Assert.Equal(5, npgsql.Timeout);
        Assert.Equal(5432, new NpgsqlConnectionStringBuilder(ConnectionUrls.ToNpgsql("postgres://u@localhost/crm")).Port);
    }

    [Fact]
    public void AnythingButAUrlIsLeftAsItIs()
    {
        Assert.Null(ConnectionUrls.ToNpgsql("Host=localhost;Database=crm"));
        Assert.Null(ConnectionUrls.ToNpgsql("mysql://u:p@host/db"));
    }

    [Fact]
    public void AnUnknownOptionIsRefusedByNameWithoutItsValue()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ConnectionUrls.ToNpgsql("postgresql://u:p@host/db?colour=s3cret"));
        Assert.Contains("'colour'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rediss://default:s%3Acret@redis-crm.example.com:25061", true, "default", "s:cret", 25061)]
    [InlineData("redis://:secret@127.0.0.1:6380/2", false, null, "secret", 6380)]
    [InlineData("redis://127.0.0.1", false, null, null, 6379)]
    public void ARedisUrlBecomesStackExchangeOptions(string url, bool ssl, string? user, string? password, int port)
    {
        var options = RedisConnection.Options(url);

        Assert.Equal((ssl, user, password), (options.Ssl, options.User, options.Password));
        Assert.Equal(port, Assert.Single(options.EndPoints) switch { DnsEndPoint d => d.Port, IPEndPoint i => i.Port, var other => throw new InvalidOperationException($"{other}") });
    }

    [Fact]
    public void StackExchangesOwnFormStillWorks() =>
        Assert.Equal("pw", RedisConnection.Options("127.0.0.1:6379,password=pw").Password);
}
