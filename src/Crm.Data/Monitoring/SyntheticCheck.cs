using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Monitoring;

public enum SyntheticCheckStatus
{
    /// <summary>Recorded, the text not yet accepted by OpenPhone (or the process stopped before it was).</summary>
    Sending,

    /// <summary>OpenPhone accepted the text; its webhook is awaited.</summary>
    Sent,

    /// <summary>The webhook came back.</summary>
    Arrived,

    /// <summary>No webhook within <c>SyntheticCheck:Within</c> (an arrival after that still records the time).</summary>
    Late,

    /// <summary>OpenPhone refused the text: nothing could come back.</summary>
    SendFailed,
}

/// <summary>One text from one of the account's lines to its designated test line, and whether its webhook came back.</summary>
public sealed class SyntheticCheck
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public DateTimeOffset SentAt { get; set; }

    public DateTimeOffset? ArrivedAt { get; set; }

    public SyntheticCheckStatus Status { get; set; }

    /// <summary>OpenPhone's answer when it refused the text: a status and code, never a number or a body.</summary>
    public string? Error { get; set; }
}

/// <summary>
/// The synthetic webhook check's texts: the body carries the check's id, so the webhook that brings it back is matched
/// to its check and kept out of the inbox (a test line is not a customer).
/// </summary>
public sealed partial class SyntheticChecks(CrmDbContext db)
{
    private const string Prefix = "Attack-a-Crack CRM webhook check ";

    private static readonly Counter<long> Outcomes = CrmMetrics.Meter.CreateCounter<long>("crm.synthetic.checks", description: "Synthetic webhook checks, by outcome (arrived, late, send_failed).");

    private static readonly Histogram<double> Latency = CrmMetrics.Meter.CreateHistogram<double>("crm.synthetic.webhook_latency", unit: "s", description: "From the check's text accepted to its webhook stored.");

    public static string Body(Guid id) => $"{Prefix}{id:N}. No reply needed.";

    /// <summary>The check a text belongs to, when it is one of ours.</summary>
    public static bool TryRead(string? body, out Guid id)
    {
        id = Guid.Empty;
        return body is not null && body.StartsWith(Prefix, StringComparison.Ordinal) && Token().Match(body, Prefix.Length) is { Success: true } match
            && Guid.TryParseExact(match.Value, "N", out id);
    }

    /// <summary>The webhook of check <paramref name="id"/> arrived at <paramref name="at"/>; inside the caller's unit of work. False for an unknown check.</summary>
    public async Task<bool> ArrivedAsync(Guid id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var check = await db.SyntheticChecks.FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (check is null || check.ArrivedAt is not null)
        {
            return check is not null;
        }

        check.ArrivedAt = at;
        if (check.Status != SyntheticCheckStatus.Late)
        {
            check.Status = SyntheticCheckStatus.Arrived;
            Outcomes.Add(1, new KeyValuePair<string, object?>("outcome", "arrived"));
        }

        Latency.Record(Math.Max(0, (at - check.SentAt).TotalSeconds));
        return true;
    }

    /// <summary>Checks still awaited after <paramref name="within"/> become late, once each whichever instance sees them first.</summary>
    public async Task<int> MarkLateAsync(DateTimeOffset now, TimeSpan within, CancellationToken cancellationToken)
    {
        var due = now - within;
        var late = await db.SyntheticChecks
            .Where(c => (c.Status == SyntheticCheckStatus.Sent || c.Status == SyntheticCheckStatus.Sending) && c.SentAt <= due)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, SyntheticCheckStatus.Late), cancellationToken);
        if (late > 0)
        {
            Outcomes.Add(late, new KeyValuePair<string, object?>("outcome", "late"));
        }

        return late;
    }

    public static void SendFailed() => Outcomes.Add(1, new KeyValuePair<string, object?>("outcome", "send_failed"));

    [GeneratedRegex("\\G[0-9a-f]{32}")]
    private static partial Regex Token();
}
