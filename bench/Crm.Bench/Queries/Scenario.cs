using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Crm.Bench.Queries;

/// <summary>
/// A GraphQL request and its floor: one hand-written SQL statement returning the same rows and columns,
/// read through Npgsql into memory. Both sides name their rows by a key so a run can prove they agree.
/// </summary>
internal sealed class Scenario
{
    public required string Name { get; init; }

    public required string Query { get; init; }

    public object? Variables { get; init; }

    public required string FloorSql { get; init; }

    public object[] FloorParameters { get; init; } = [];

    /// <summary>Rows compared between the two sides (the page size; a floor may read one more for hasNextPage).</summary>
    public int Rows { get; init; } = 50;

    public required Func<JsonElement, IEnumerable<string>> GraphQLKeys { get; init; }

    public Func<object?[], string> FloorKey { get; init; } = row => row[0] is Guid id ? id.ToString("N") : string.Empty;

    /// <summary>Why the scenario cannot run against this server (its schema lacks a field, say); null when it can.</summary>
    public string? Unavailable { get; set; }

    public byte[] Body => _body ??= GraphQLClient.Body(Query, Variables);

    private byte[]? _body;

    /// <summary>The floor's timed path: one statement on a pooled connection, every column of every row materialized.</summary>
    public async Task<List<object?[]>> RunFloorAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(FloorSql);
        foreach (var value in FloorParameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object?[reader.FieldCount];
            reader.GetValues(row!);
            for (var i = 0; i < row.Length; i++)
            {
                if (row[i] is DBNull)
                {
                    row[i] = null;
                }
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>The nodes of a root connection field.</summary>
    public static IEnumerable<JsonElement> Nodes(JsonElement data, string field) =>
        data.GetProperty(field).GetProperty("nodes").EnumerateArray();

    /// <summary>The key inside an opaque global id (base64url of <c>Type:key</c>).</summary>
    public static string IdKey(JsonElement node)
    {
        var id = node.GetProperty("id").GetString() ?? string.Empty;
        var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(id));
        return Guid.TryParse(text[(text.IndexOf(':', StringComparison.Ordinal) + 1)..], out var key) ? key.ToString("N") : text;
    }

    public static string EncodeId(string typeName, Guid key) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{typeName}:{key:N}"));

    public static string TimeKey(DateTime value) => value.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture);

    public static string TimeKey(JsonElement value) =>
        DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture).UtcTicks.ToString(CultureInfo.InvariantCulture);
}
