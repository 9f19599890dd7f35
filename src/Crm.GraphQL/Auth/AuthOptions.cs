namespace Crm.GraphQL.Auth;

/// <summary>Settings under <c>Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Idle time after which a staff session ends (sliding).</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Login attempts allowed per client IP per minute.</summary>
    public int LoginAttemptsPerMinute { get; set; } = 20;

    /// <summary>
    /// How long a successful API-key check is reused without reading the database; a revocation ends it at once on
    /// every instance the bus reaches. Zero: every request reads the key.
    /// </summary>
    public TimeSpan ApiKeyCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>GraphQL requests allowed per caller (user, key, or anonymous IP) per minute.</summary>
    public int RequestsPerMinute { get; set; } = 1200;
}
