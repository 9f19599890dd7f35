using Coravel.Invocable;
using Crm.Data;
using Crm.Data.Jobs;
using Crm.Data.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Jobs.Maintenance;

/// <summary>How long what the system keeps for operators is kept (production plan: data retention).</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Raw bodies of processed (or ignored) webhook events; the event row, its type and outcome stay. Failed ones keep theirs for replay.</summary>
    public TimeSpan WebhookBodies { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Audit log entries.</summary>
    public TimeSpan AuditLog { get; set; } = TimeSpan.FromDays(730);
}

/// <summary>What one run removed.</summary>
public sealed record RetentionResult(int WebhookBodies, int AuditEntries);

/// <summary>Scheduled hourly; runs once a day across instances (a lease keyed by the UTC day), so a restart or a second instance changes nothing.</summary>
internal sealed class RetentionJob(CrmDbContext db, JobLeases leases, IOptions<RetentionOptions> options, TimeProvider clock) : IInvocable, ICancellableInvocable
{
    public const string Name = "retention";

    public CancellationToken CancellationToken { get; set; }

    public Task Invoke() => RunAsync(clock.GetUtcNow(), CancellationToken);

    /// <summary>Null when another run already took today.</summary>
    public async Task<RetentionResult?> RunAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!await leases.TryTakeAsync(Name, JobLeases.TickOf(now, TimeSpan.FromDays(1)), cancellationToken))
        {
            return null;
        }

        var o = options.Value;
        var bodiesBefore = now - o.WebhookBodies;
        var bodies = await db.WebhookEvents
            .Where(e => e.Body != null && (e.Status == WebhookEventStatus.Processed || e.Status == WebhookEventStatus.Ignored) && e.ReceivedAt < bodiesBefore)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Body, (string?)null), cancellationToken);
        var auditBefore = now - o.AuditLog;
        var audit = await db.AuditEntries.Where(a => a.At < auditBefore).ExecuteDeleteAsync(cancellationToken);
        return new RetentionResult(bodies, audit);
    }
}
