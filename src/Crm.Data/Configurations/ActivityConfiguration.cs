using Crm.Data.Activities;
using Crm.Data.Contacts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Crm.Data.Configurations;

internal sealed class ActivityConfiguration : IEntityTypeConfiguration<Activity>
{
    public void Configure(EntityTypeBuilder<Activity> builder)
    {
        builder.Property(a => a.Id).ValueGeneratedNever();
        builder.Property(a => a.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(a => a.Direction).HasConversion<string>().HasMaxLength(16);
        builder.Property(a => a.Status).HasMaxLength(32);
        builder.Property(a => a.OpenPhoneId).HasMaxLength(100);
        builder.Property(a => a.OutboundStatus).HasConversion<string>().HasMaxLength(16);
        builder.Property(a => a.FailureReason).HasMaxLength(500);
        builder.Property(a => a.GateNote).HasMaxLength(500);
        builder.Property(a => a.FromNumber).HasMaxLength(20);

        // Nullable columns, as the owned JSON entities had them: written by the CRM, they always hold a document.
        builder.Property(a => a.Media).IsJson().IsRequired(false);
        builder.Property(a => a.Recordings).IsJson().IsRequired(false);
        builder.Property(a => a.Voicemail).IsJson();
        builder.Property(a => a.Transcript).IsJson().IsRequired(false);

        builder.HasOne<Conversations.Conversation>().WithMany(c => c.Activities).HasForeignKey(a => a.ConversationId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Contact>().WithMany().HasForeignKey(a => a.ContactId).OnDelete(DeleteBehavior.Cascade);

        builder.HasIndex(a => a.OpenPhoneId).IsUnique();
        // "What failed?" across the workspace, newest first.
        builder.HasIndex(a => new { a.OutboundStatus, a.OccurredAt });
        builder.HasIndex(a => new { a.ConversationId, a.OccurredAt, a.Id });
        // A contact's timeline across lines, newest first, keyset-paged.
        builder.HasIndex(a => new { a.ContactId, a.OccurredAt, a.Id }).IsDescending(false, true, true);
    }
}
