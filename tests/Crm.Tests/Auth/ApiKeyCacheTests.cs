using Crm.Data.Users;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Auth;

/// <summary>The cache of successful key checks on its own, on a fake clock.</summary>
public sealed class ApiKeyCacheTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private readonly FixedClock _clock = new(Start);

    private static ApiKey Key() => new() { Name = "Zapier", Role = CrmRole.Marketer, Prefix = "0123456789abcdef", SecretHash = [1, 2, 3] };

    [Fact]
    public void ACheckIsReusedForItsDurationAndNotAMomentLonger()
    {
        var cache = new ApiKeyCache(_clock, TimeSpan.FromSeconds(30));
        var key = Key();
        var hash = ApiKeyCache.Hash("crm_0123456789abcdef_secret");

        cache.Add(hash, key, cache.Generation);
        _clock.Now = Start.AddSeconds(29.999);
        var before = cache.Find(hash);
        _clock.Now = Start.AddSeconds(30);
        var after = cache.Find(hash);

        Assert.Equal(key.Id, before?.Id);
        Assert.NotSame(key, before);
        Assert.Null(after);
    }

    [Fact]
    public void ItIsKeyedByAHashThatDoesNotContainTheKey()
    {
        var presented = "crm_0123456789abcdef_secret";

        var hash = ApiKeyCache.Hash(presented);

        Assert.DoesNotContain("secret", hash, StringComparison.Ordinal);
        Assert.DoesNotContain("0123456789abcdef", hash, StringComparison.Ordinal);
        Assert.NotEqual(hash, ApiKeyCache.Hash("crm_0123456789abcdef_secres"));
    }

    [Fact]
    public void ForgettingAKeyDropsItAndLeavesTheOthers()
    {
        var cache = new ApiKeyCache(_clock, TimeSpan.FromSeconds(30));
        var (revoked, kept) = (Key(), Key());
        cache.Add("a", revoked, cache.Generation);
        cache.Add("b", kept, cache.Generation);

        cache.Forget(revoked.Id);

        Assert.Null(cache.Find("a"));
        Assert.Equal(kept.Id, cache.Find("b")?.Id);
    }

    [Fact]
    public void ACheckThatReadTheKeyBeforeARevocationWasSeenIsNotKept()
    {
        var cache = new ApiKeyCache(_clock, TimeSpan.FromSeconds(30));
        var key = Key();
        var generation = cache.Generation; // the check starts, then reads the key as live

        cache.Forget(key.Id); // the revocation is seen before the check adds its result
        cache.Add("a", key, generation);

        Assert.Null(cache.Find("a"));
    }

    [Fact]
    public void AZeroDurationKeepsNothing()
    {
        var cache = new ApiKeyCache(_clock, TimeSpan.Zero);

        cache.Add("a", Key(), cache.Generation);

        Assert.False(cache.Enabled);
        Assert.Null(cache.Find("a"));
    }
}
