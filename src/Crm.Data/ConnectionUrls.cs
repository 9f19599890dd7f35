using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Crm.Data;

/// <summary>
/// Hosting platforms hand out a database as a URL (DigitalOcean's <c>DATABASE_URL</c>:
/// <c>postgresql://doadmin:…@host:25060/defaultdb?sslmode=require</c>); Npgsql takes key=value pairs. A URL in
/// <c>ConnectionStrings:Crm</c> is turned into those pairs once, at start, so that everything reading the setting
/// (the database, migrations, health) sees one form; any other value is left as it is.
/// </summary>
public static class ConnectionUrls
{
    public static void Apply(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration.GetConnectionString("Crm") is { } value && ToNpgsql(value) is { } converted)
        {
            configuration["ConnectionStrings:Crm"] = converted;
        }
    }

    /// <summary>Npgsql's form of a <c>postgres://</c> or <c>postgresql://</c> URL; null for anything else.</summary>
    /// <remarks>Query options are Npgsql keywords or their synonyms (<c>sslmode</c>, <c>Timeout</c> …); an unknown one is refused by name.</remarks>
    public static string? ToNpgsql(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql"))
        {
            return null;
        }

        var user = uri.UserInfo.Split(':', 2);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } database ? database : null,
            Username = user[0].Length > 0 ? Uri.UnescapeDataString(user[0]) : null,
            Password = user.Length > 1 ? Uri.UnescapeDataString(user[1]) : null,
        };
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, option) = pair.Split('=', 2) is [var k, var v] ? (Uri.UnescapeDataString(k), Uri.UnescapeDataString(v)) : (Uri.UnescapeDataString(pair), string.Empty);
            try
            {
                builder[key] = option;
            }
            catch (ArgumentException)
            {
                // The value is never echoed: it may be a certificate path or a password.
                throw new InvalidOperationException($"ConnectionStrings:Crm: the URL's option '{key}' is not one Npgsql knows (see the Npgsql connection string parameters).");
            }
        }

        return builder.ConnectionString;
    }
}
