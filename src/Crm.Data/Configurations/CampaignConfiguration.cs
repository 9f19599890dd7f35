using Crm.Data.Campaigns;
using Crm.Data.ContactLists;
using Crm.Data.Contacts;
using Crm.Data.Jobs;
using Crm.Data.PhoneNumbers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Crm.Data.Configurations;

internal sealed class CampaignConfiguration : IEntityTypeConfiguration<Campaign>
{
    public void Configure(EntityTypeBuilder<Campaign> builder)
    {
        builder.Property(c => c.Id).ValueGeneratedNever();
        builder.Property(c => c.Name).HasMaxLength(200);
        builder.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.WindowStart).HasMaxLength(5);
        builder.Property(c => c.WindowEnd).HasMaxLength(5);
        builder.Property(c => c.TimeZone).HasMaxLength(64);
        builder.Property(c => c.CreatedBy).HasMaxLength(200);
        builder.HasOne<ContactList>().WithMany().HasForeignKey(c => c.ListId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne<PhoneNumber>().WithMany().HasForeignKey(c => c.PhoneNumberId).OnDelete(DeleteBehavior.Restrict);
        builder.HasMany(c => c.Variants).WithOne().HasForeignKey(v => v.CampaignId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(c => c.FollowUps).WithOne().HasForeignKey(s => s.CampaignId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(c => c.Recurrence).HasConversion<string>().HasMaxLength(16);
        // A recurring campaign's runs, and the texted contacts of its earlier runs. No foreign key on ParentId: SQLite
        // would rebuild the table to add one, outside the migration's transaction. Deleting a recurring campaign clears
        // its runs' ParentId instead (CampaignOperations.DeleteAsync).
        builder.HasIndex(c => new { c.ParentId, c.CreatedAt });
        builder.HasIndex(c => new { c.Status, c.StartAt });
        builder.HasIndex(c => new { c.CreatedAt, c.Id }).IsDescending(true, true);
    }
}

internal sealed class CampaignVariantConfiguration : IEntityTypeConfiguration<CampaignVariant>
{
    public void Configure(EntityTypeBuilder<CampaignVariant> builder)
    {
        builder.Property(v => v.Id).ValueGeneratedNever();
        builder.Property(v => v.Label).HasMaxLength(1);
        builder.Property(v => v.Body).HasMaxLength(1600);
        builder.HasIndex(v => new { v.CampaignId, v.Label }).IsUnique();
    }
}

internal sealed class CampaignRecipientConfiguration : IEntityTypeConfiguration<CampaignRecipient>
{
    public void Configure(EntityTypeBuilder<CampaignRecipient> builder)
    {
        builder.Property(r => r.Id).ValueGeneratedNever();
        builder.Property(r => r.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.SkipReason).HasConversion<string>().HasMaxLength(32);
        builder.Property(r => r.SkipNote).HasMaxLength(500);
        builder.HasOne<Campaign>().WithMany().HasForeignKey(r => r.CampaignId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Contact>().WithMany().HasForeignKey(r => r.ContactId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<CampaignVariant>().WithMany().HasForeignKey(r => r.VariantId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne(r => r.Activity).WithMany().HasForeignKey(r => r.ActivityId).OnDelete(DeleteBehavior.SetNull);
        // Once per contact per campaign, whatever retries or instances do.
        builder.HasIndex(r => new { r.CampaignId, r.ContactId }).IsUnique();
        // The dispatcher's next recipients, in order.
        builder.HasIndex(r => new { r.CampaignId, r.State, r.NextTryAt });
        builder.HasIndex(r => r.ActivityId);
        // Attribution: a contact's most recent campaign texts.
        builder.HasIndex(r => new { r.ContactId, r.QueuedAt });
    }
}

internal sealed class FollowUpStepConfiguration : IEntityTypeConfiguration<FollowUpStep>
{
    public void Configure(EntityTypeBuilder<FollowUpStep> builder)
    {
        builder.HasKey(s => new { s.CampaignId, s.Number });
        builder.Property(s => s.Number).ValueGeneratedNever();
        builder.Property(s => s.Body).HasMaxLength(1600);
    }
}

internal sealed class CampaignFollowUpConfiguration : IEntityTypeConfiguration<CampaignFollowUp>
{
    public void Configure(EntityTypeBuilder<CampaignFollowUp> builder)
    {
        builder.Property(f => f.Id).ValueGeneratedNever();
        builder.Property(f => f.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(f => f.SkipReason).HasConversion<string>().HasMaxLength(32);
        builder.Property(f => f.SkipNote).HasMaxLength(500);
        builder.HasOne<Campaign>().WithMany().HasForeignKey(f => f.CampaignId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<CampaignRecipient>().WithMany().HasForeignKey(f => f.RecipientId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(f => f.Activity).WithMany().HasForeignKey(f => f.ActivityId).OnDelete(DeleteBehavior.SetNull);
        // Each step once per recipient, whatever retries or instances do.
        builder.HasIndex(f => new { f.RecipientId, f.Step }).IsUnique();
        // The dispatcher's due steps, in order.
        builder.HasIndex(f => new { f.CampaignId, f.State, f.NextTryAt });
        builder.HasIndex(f => f.ActivityId);
        // The line's daily cap counts the follow-ups queued today.
        builder.HasIndex(f => f.QueuedAt);
    }
}

internal sealed class CampaignEventConfiguration : IEntityTypeConfiguration<CampaignEvent>
{
    public void Configure(EntityTypeBuilder<CampaignEvent> builder)
    {
        builder.Property(e => e.Kind).HasMaxLength(32);
        builder.Property(e => e.Detail).HasMaxLength(1000);
        builder.Property(e => e.Actor).HasMaxLength(200);
        builder.HasOne<Campaign>().WithMany().HasForeignKey(e => e.CampaignId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(e => new { e.CampaignId, e.Id });
    }
}

internal sealed class JobLeaseConfiguration : IEntityTypeConfiguration<JobLease>
{
    public void Configure(EntityTypeBuilder<JobLease> builder)
    {
        builder.HasKey(l => new { l.Job, l.Tick });
        builder.Property(l => l.Job).HasMaxLength(64);
    }
}
