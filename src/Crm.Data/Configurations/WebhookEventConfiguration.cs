using Crm.Data.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Crm.Data.Configurations;

internal sealed class WebhookEventConfiguration : IEntityTypeConfiguration<WebhookEvent>
{
    public void Configure(EntityTypeBuilder<WebhookEvent> builder)
    {
        builder.Property(e => e.Id).ValueGeneratedNever();
        builder.Property(e => e.EventId).HasMaxLength(200);
        builder.Property(e => e.Type).HasMaxLength(100);
        builder.Property(e => e.ApiVersion).HasMaxLength(32);
        builder.Property(e => e.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.LastError).HasMaxLength(2000);
        builder.Property(e => e.CallOpenPhoneId).HasMaxLength(100);
        // Every save of a tracked event checks the lease it was read with: a claim that ran out writes nothing (WebhookClaim).
        builder.Property(e => e.ClaimedUntil).IsConcurrencyToken();

        builder.HasIndex(e => e.EventId).IsUnique();
        // The retry job's scan: due events of one status.
        builder.HasIndex(e => new { e.Status, e.NextAttemptAt });
        // A call's waiting details, looked up when the call arrives.
        builder.HasIndex(e => e.CallOpenPhoneId);
        // The operators' list: newest first, keyset-paged on (ReceivedAt, Id).
        builder.HasIndex(e => new { e.ReceivedAt, e.Id }).IsDescending(true, true);
    }
}
