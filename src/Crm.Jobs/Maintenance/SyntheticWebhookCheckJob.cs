using Coravel.Invocable;
using Crm.Data;
using Crm.Data.Jobs;
using Crm.Data.Monitoring;
using Crm.Jobs.OpenPhone;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Jobs.Maintenance;

/// <summary>The synthetic webhook check (production plan: "webhook processing over 99%"), off unless both lines are set.</summary>
public sealed class SyntheticCheckOptions
{
    public const string Section = "SyntheticCheck";

    /// <summary>The line that sends: its OpenPhone id (PN…) or number.</summary>
    public string? From { get; set; }

    /// <summary>The designated test line it texts: another of the account's lines, in E.164. No customer ever.</summary>
    public string? To { get; set; }

    public TimeSpan Every { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A check whose webhook has not arrived this long after its send is late: the metric and the health detail say so.</summary>
    public TimeSpan Within { get; set; } = TimeSpan.FromMinutes(5);

    public bool Enabled => !string.IsNullOrWhiteSpace(From) && !string.IsNullOrWhiteSpace(To);
}

/// <summary>
/// Scheduled every minute: marks unanswered checks late, and once per <see cref="SyntheticCheckOptions.Every"/> across
/// instances (a lease per tick) texts the test line. The check is recorded before the text goes out, so a process that
/// dies mid-way leaves a check that turns late, never an unseen text.
/// </summary>
internal sealed class SyntheticWebhookCheckJob(
    CrmDbContext db,
    SyntheticChecks checks,
    JobLeases leases,
    OpenPhoneClient openPhone,
    IOptions<SyntheticCheckOptions> options,
    TimeProvider clock) : IInvocable, ICancellableInvocable
{
    public const string Name = "synthetic-webhook-check";

    public CancellationToken CancellationToken { get; set; }

    public Task Invoke() => RunAsync(clock.GetUtcNow(), CancellationToken);

    /// <summary>The check this run sent, or null when the feature is off or another run has this tick.</summary>
    public async Task<SyntheticCheck?> RunAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return null;
        }

        await checks.MarkLateAsync(now, o.Within, cancellationToken);
        if (!await leases.TryTakeAsync(Name, JobLeases.TickOf(now, o.Every), cancellationToken))
        {
            return null;
        }

        var check = new SyntheticCheck { SentAt = now, Status = SyntheticCheckStatus.Sending };
        db.SyntheticChecks.Add(check);
        await db.SaveChangesAsync(cancellationToken);
        db.Entry(check).State = EntityState.Detached;
        var sent = await openPhone.SendMessageAsync(new OpenPhoneSendMessage(SyntheticChecks.Body(check.Id), o.From!, [o.To!]), cancellationToken);
        // Its webhook may be in already (Arrived): only a check still sending moves on.
        var sending = db.SyntheticChecks.Where(c => c.Id == check.Id && c.Status == SyntheticCheckStatus.Sending);
        if (sent.Succeeded)
        {
            check.Status = SyntheticCheckStatus.Sent;
            await sending.ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, SyntheticCheckStatus.Sent), cancellationToken);
        }
        else
        {
            check.Status = SyntheticCheckStatus.SendFailed;
            check.Error = $"{sent.Error.Status} {sent.Error.Code}".Trim();
            await sending.ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, SyntheticCheckStatus.SendFailed).SetProperty(c => c.Error, check.Error), cancellationToken);
            SyntheticChecks.SendFailed();
        }

        return check;
    }
}
