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

internal sealed class ConsentEntryConfiguration : IEntityTypeConfiguration<Consent.ConsentEntry>
{
    public void Configure(EntityTypeBuilder<Consent.ConsentEntry> builder)
    {
        builder.Property(e => e.Id).ValueGeneratedNever();
        builder.Property(e => e.Phone).HasMaxLength(20);
        builder.Property(e => e.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.Source).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.Evidence).HasMaxLength(500);
        builder.Property(e => e.ActorName).HasMaxLength(200);
        builder.Property(e => e.Note).HasMaxLength(500);
        // The ledger outlives the contact: deleting one keeps its entries, by number.
        builder.HasOne<Contacts.Contact>().WithMany().HasForeignKey(e => e.ContactId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(e => new { e.ContactId, e.At });
        builder.HasIndex(e => e.Phone);
    }
}

internal sealed class OptOutReviewConfiguration : IEntityTypeConfiguration<Compliance.OptOutReview>
{
    public void Configure(EntityTypeBuilder<Compliance.OptOutReview> builder)
    {
        builder.Property(r => r.Id).ValueGeneratedNever();
        builder.Property(r => r.Reason).HasMaxLength(200);
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.ResolvedBy).HasMaxLength(200);
        builder.HasOne<Contacts.Contact>().WithMany().HasForeignKey(r => r.ContactId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Activity>().WithMany().HasForeignKey(r => r.ActivityId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => new { r.Status, r.CreatedAt });
        builder.HasIndex(r => r.ContactId);
    }
}
