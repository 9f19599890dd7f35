using Crm.Data.Activities;
using Crm.Data.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Crm.Data.Configurations;

internal sealed class OutboundMessageConfiguration : IEntityTypeConfiguration<OutboundMessage>
{
    public void Configure(EntityTypeBuilder<OutboundMessage> builder)
    {
        builder.HasKey(o => o.ActivityId);
        builder.Property(o => o.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(o => o.Priority).HasConversion<int>();
        builder.Property(o => o.Purpose).HasConversion<string>().HasMaxLength(16);
        builder.Property(o => o.LineOpenPhoneId).HasMaxLength(100);
        builder.Property(o => o.ToNumber).HasMaxLength(20);
        builder.Property(o => o.IdempotencyKey).HasMaxLength(200);
        builder.Property(o => o.LastError).HasMaxLength(500);
        builder.HasOne<Activity>().WithOne().HasForeignKey<OutboundMessage>(o => o.ActivityId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(o => o.IdempotencyKey).IsUnique();
        // The claim: queued rows by priority and due time.
        builder.HasIndex(o => new { o.State, o.Priority, o.NextAttemptAt });
    }
}

internal sealed class SendRateConfiguration : IEntityTypeConfiguration<SendRateSlot>
{
    public void Configure(EntityTypeBuilder<SendRateSlot> builder)
    {
        builder.HasKey(s => s.Key);
        builder.Property(s => s.Key).HasMaxLength(100);
    }
}
