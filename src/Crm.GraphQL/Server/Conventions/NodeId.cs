using System.Buffers.Text;
using System.Text;
using GraphQL;

namespace Crm.GraphQL.Server.Conventions;

/// <summary>
/// Opaque global ids in Hot Chocolate's shape: base64 of <c>TypeName:key</c>, so an id names its type
/// and one minted for a contact is refused where a conversation is expected.
/// </summary>
public static class NodeId
{
    public static string Encode(string typeName, Guid key) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{typeName}:{key:N}"));

    public static bool TryDecode(string? id, out string typeName, out Guid key)
    {
        typeName = string.Empty;
        key = Guid.Empty;
        if (string.IsNullOrEmpty(id) || id.Length > 128 || !Base64Url.IsValid(id))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(id));
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !Guid.TryParseExact(text.AsSpan(colon + 1), "N", out key))
        {
            return false;
        }

        typeName = text[..colon];
        return true;
    }

    /// <summary>Decodes an id that must name <paramref name="typeName"/>, or fails the field with INVALID_ID.</summary>
    public static Guid Decode(string? id, string typeName)
    {
        if (!TryDecode(id, out var actual, out var key))
        {
            throw new ExecutionError($"'{id}' is not a valid ID.") { Code = "INVALID_ID" };
        }

        return actual == typeName
            ? key
            : throw new ExecutionError($"The ID '{id}' names a {actual}, not a {typeName}.") { Code = "INVALID_ID" };
    }
}
