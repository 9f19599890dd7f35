using System.Security.Cryptography;
using System.Text;
using Crm.Data.Audit;
using Crm.Data.Events;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Users;

/// <summary>
/// Keys look like <c>crm_&lt;prefix&gt;_&lt;secret&gt;</c>. The prefix finds the row; the secret's SHA-256 is compared in
/// constant time. A fast hash is enough: the secret is 256 random bits, not a password.
/// </summary>
public sealed class ApiKeyOperations(CrmDbContext db, UnitOfWork work, AuditLog audit, TimeProvider clock, ApiKeyCache cache)
{
    private const string Scheme = "crm";

    /// <summary>How stale LastUsedAt may get, so a busy integrator does not cost a write per request.</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public Task<(ApiKey Key, string Secret)> CreateAsync(string name, CrmRole role, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 100)
        {
            throw new InvalidFieldException("name", "A key needs a name of at most 100 characters.");
        }

        return work.RunAsync(_ => Task.FromResult(Create(name.Trim(), role, actor)), CancellationToken.None);
    }

    public async Task<ApiKey> RevokeAsync(Guid id, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var revoked = await work.RunAsync(async ct =>
        {
            var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, ct) ?? throw new NotFoundException(nameof(ApiKey), id);
            if (key.RevokedAt is not null)
            {
                return Change.Of(key);
            }

            key.RevokedAt = clock.GetUtcNow();
            audit.Record(actor, "apikey.revoked", key.Name);
            return Change.Of(key, new AccessChanged(key.Id));
        }, CancellationToken.None);
        // Here, not only from the bus: this instance's next request must fail even before the event has gone round.
        cache.Forget(revoked.Id);
        return revoked;
    }

    /// <summary>The live key a presented secret belongs to, or null; a key that passed recently comes from <see cref="ApiKeyCache"/>.</summary>
    /// <remarks>
    /// Not a unit of work: a read that at most touches <c>LastUsedAt</c> in one statement, and announces nothing. A key
    /// served from the cache is not read, so its <c>LastUsedAt</c> may lag by the cache's duration on top of a minute.
    /// </remarks>
    public async Task<ApiKey?> AuthenticateAsync(string presented, CancellationToken cancellationToken)
    {
        var parts = presented.Split('_', 3);
        if (parts.Length != 3 || parts[0] != Scheme || parts[1].Length > 32 || parts[2].Length > 64)
        {
            return null;
        }

        var hash = cache.Enabled ? ApiKeyCache.Hash(presented) : null;
        if (hash is not null && cache.Find(hash) is { } cached)
        {
            return cached;
        }

        var generation = cache.Generation;
        var prefix = parts[1];
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Prefix == prefix, cancellationToken);
        if (key is null || key.RevokedAt is not null
            || !CryptographicOperations.FixedTimeEquals(key.SecretHash, SHA256.HashData(Encoding.UTF8.GetBytes(parts[2]))))
        {
            return null;
        }

        var now = clock.GetUtcNow();
        if (key.LastUsedAt is null || now - key.LastUsedAt > LastUsedResolution)
        {
            key.LastUsedAt = now;
            await db.SaveChangesAsync(cancellationToken);
        }

        if (hash is not null)
        {
            cache.Add(hash, key, generation);
        }

        return key;
    }

    private Change<(ApiKey Key, string Secret)> Create(string name, CrmRole role, Actor actor)
    {

        // Hex, not base64url: the prefix must not contain the '_' separator.
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = UserOperations.Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = new ApiKey
        {
            Name = name,
            Role = role,
            Prefix = prefix,
            SecretHash = SHA256.HashData(Encoding.UTF8.GetBytes(secret)),
            CreatedById = actor.Id ?? Guid.Empty,
            CreatedAt = clock.GetUtcNow(),
        };
        db.ApiKeys.Add(key);
        audit.Record(actor, "apikey.created", key.Name, $"role={role}");
        return Change.Of((key, $"{Scheme}_{prefix}_{secret}"));
    }
}
