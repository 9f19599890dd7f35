namespace Crm.GraphQL.Auth;

/// <summary>Settings under <c>Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Idle time after which a staff session ends (sliding).</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Login attempts allowed per client IP per minute.</summary>
    public int LoginAttemptsPerMinute { get; set; } = 20;

    /// <summary>GraphQL requests allowed per caller (user, key, or anonymous IP) per minute.</summary>
    public int RequestsPerMinute { get; set; } = 1200;
}
