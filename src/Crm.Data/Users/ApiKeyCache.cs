using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Crm.Data.Users;

/// <summary>
/// Successful API-key checks, kept for <c>duration</c> so that a busy integrator does not cost a database read per
/// request. Entries are found by the SHA-256 of the presented key, never by the key. A revoked key's entry is dropped
/// at once on the instance that revoked it (<see cref="ApiKeyOperations.RevokeAsync"/>), and on the others when the
/// revocation's <see cref="Events.AccessChanged"/> reaches them over the bus (the host listens); the duration bounds
/// what an instance that missed the event (Redis away) may still accept.
/// </summary>
/// <remarks>A zero duration caches nothing: the host decides (Crm.Data registers it off).</remarks>
public sealed class ApiKeyCache(TimeProvider clock, TimeSpan duration)
{
    // Only keys that passed the check are kept, so this is about the number of live keys, not of attempts.
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _generation;

    public bool Enabled => duration > TimeSpan.Zero;

    /// <summary>
    /// Moves on whenever an entry may have become wrong. A check takes it before it reads the database and hands it to
    /// <see cref="Add"/>, so a key read just before its revocation is not kept after the revocation was seen.
    /// </summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Keys held now (expired ones included until they are next looked up): for tests and diagnostics.</summary>
    public int Count => _entries.Count;

    public static string Hash(string presented) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(presented)));

    /// <summary>A copy of the key that passed the check for this hash, or null when there is none or it has expired.</summary>
    public ApiKey? Find(string hash)
    {
        if (!_entries.TryGetValue(hash, out var entry))
        {
            return null;
        }

        if (clock.GetUtcNow() >= entry.Expires)
        {
            _entries.TryRemove(KeyValuePair.Create(hash, entry));
            return null;
        }

        return Copy(entry.Key);
    }

    /// <param name="hash">The presented key's <see cref="Hash"/>.</param>
    /// <param name="key">The key as the database had it.</param>
    /// <param name="generation">The <see cref="Generation"/> taken before the database was read.</param>
    public void Add(string hash, ApiKey key, long generation)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!Enabled)
        {
            return;
        }

        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        _entries[hash] = new Entry(Copy(key), clock.GetUtcNow() + duration);
        // Checked after adding, as Forget moves the generation before it removes: either it sees this entry or this sees it.
        if (Generation != generation)
        {
            _entries.TryRemove(hash, out _);
        }
    }

    /// <summary>Drops whatever is cached for this key (or principal: other ids match nothing).</summary>
    public void Forget(Guid keyId)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (hash, entry) in _entries)
        {
            if (entry.Key.Id == keyId)
            {
                _entries.TryRemove(hash, out _);
            }
        }
    }

    /// <summary>Drops everything: events may have been lost, one of them perhaps a revocation.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    // Callers get their own detached object: an entity shared between requests could be changed by any of them.
    private static ApiKey Copy(ApiKey key) => new()
    {
        Id = key.Id,
        Name = key.Name,
        Role = key.Role,
        Prefix = key.Prefix,
        SecretHash = key.SecretHash,
        CreatedById = key.CreatedById,
        CreatedAt = key.CreatedAt,
        LastUsedAt = key.LastUsedAt,
        RevokedAt = key.RevokedAt,
    };

    private sealed record Entry(ApiKey Key, DateTimeOffset Expires);
}
