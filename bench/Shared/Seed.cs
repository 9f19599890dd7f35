using System.Buffers.Text;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Crm.OpenPhoneSimulator;
using Npgsql;

// Linked into the harnesses that send through the simulator (bench/Outbound, bench/Campaigns): what each must have
// before its first request, written straight into the tables of a freshly migrated database.

/// <summary>The shape of the simulator's lists, as OpenPhone's: <c>{ "data": [ … ] }</c>.</summary>
internal sealed record Page<T>(IReadOnlyList<T> Data);

internal static partial class Seed
{
    /// <summary>The simulator's first line, as the CRM's PhoneNumber row: the only line, so every text leaves from it.</summary>
    public static async Task<SimLine> LineAsync(HttpClient http, Uri simulator, string openPhoneKey, NpgsqlDataSource db)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(simulator, "/v1/phone-numbers"));
        request.Headers.TryAddWithoutValidation("Authorization", openPhoneKey);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var line = (await response.Content.ReadFromJsonAsync<Page<SimLine>>())!.Data[0];
        await using var insert = db.CreateCommand("""
            INSERT INTO "PhoneNumbers" ("Id", "OpenPhoneId", "Number", "Name", "IsActive") VALUES (@id, @openPhoneId, @number, @name, true)
            ON CONFLICT ("OpenPhoneId") DO NOTHING
            """);
        insert.Parameters.AddWithValue("id", Guid.CreateVersion7());
        insert.Parameters.AddWithValue("openPhoneId", line.Id);
        insert.Parameters.AddWithValue("number", line.Number);
        insert.Parameters.AddWithValue("name", line.Name ?? "Bench line");
        await insert.ExecuteNonQueryAsync();
        return line;
    }

    /// <summary>A MARKETER key named <paramref name="name"/> written straight into the table, in the format ApiKeyOperations reads.</summary>
    public static async Task<string> ApiKeyAsync(NpgsqlDataSource db, string name)
    {
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        await using var insert = db.CreateCommand("""
            INSERT INTO "ApiKeys" ("Id", "Name", "Role", "Prefix", "SecretHash", "CreatedById", "CreatedAt")
            VALUES (@id, @name, 'Marketer', @prefix, @hash, @nobody, now())
            """);
        insert.Parameters.AddWithValue("id", Guid.CreateVersion7());
        insert.Parameters.AddWithValue("name", name);
        insert.Parameters.AddWithValue("prefix", prefix);
        insert.Parameters.AddWithValue("hash", SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        insert.Parameters.AddWithValue("nobody", Guid.Empty);
        await insert.ExecuteNonQueryAsync();
        return $"crm_{prefix}_{secret}";
    }
}
