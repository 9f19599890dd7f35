namespace Crm.Jobs.Outbound;

/// <summary>Settings under <c>OpenPhone:Outbound</c> for this instance's sender.</summary>
public sealed class SenderOptions
{
    public const string Section = "OpenPhone:Outbound";

    /// <summary>Texts this instance sends at once; 0 turns its sender off. Unset: 4 on PostgreSQL, 1 on SQLite (one writer).</summary>
    public int? Workers { get; set; }

    /// <summary>Send requests made for one text before it is FAILED; each 429, 5xx or unanswered one counts, one the open circuit refused does not.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The first backoff after a transient failure; it doubles each attempt, with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a claim is the claimer's; past it, another sender reconciles the text. Longer than a request can take
    /// (the client's total timeout) plus the wait for a turn.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(1);
}
