using System.Buffers.Text;
using System.Text.Json;
using GraphQL;

namespace Crm.GraphQL.Server.Querying;

/// <summary>Opaque cursors: base64 of the ordering's name and the row's key values.</summary>
internal static class Cursor
{
    public static string Encode<T>(object?[] values, IReadOnlyList<SortKey<T>> keys)
    {
        var payload = new CursorPayload(Signature(keys), [.. keys.Select((k, i) => JsonSerializer.SerializeToElement(values[i], k.KeyType))]);
        return Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload));
    }

    public static object?[] Decode<T>(string cursor, IReadOnlyList<SortKey<T>> keys)
    {
        CursorPayload? payload = null;
        try
        {
            if (cursor.Length <= 1024 && Base64Url.IsValid(cursor))
            {
                payload = JsonSerializer.Deserialize<CursorPayload>(Base64Url.DecodeFromChars(cursor));
            }
        }
        catch (JsonException)
        {
        }

        if (payload?.S is null || payload.V is null)
        {
            throw Invalid("The cursor is not valid.");
        }

        if (payload.S != Signature(keys) || payload.V.Length != keys.Count)
        {
            throw Invalid("The cursor belongs to another list or ordering.");
        }

        try
        {
            return [.. keys.Select((k, i) => payload.V[i].Deserialize(k.KeyType) ?? throw Invalid("The cursor is not valid."))];
        }
        catch (JsonException)
        {
            throw Invalid("The cursor is not valid.");
        }
    }

    private static string Signature<T>(IReadOnlyList<SortKey<T>> keys) => $"{typeof(T).Name}|{string.Join(',', keys.Select(k => k.Name))}";

    private static ExecutionError Invalid(string message) => new(message) { Code = "INVALID_CURSOR" };

    private sealed record CursorPayload(string? S, JsonElement[]? V);
}
