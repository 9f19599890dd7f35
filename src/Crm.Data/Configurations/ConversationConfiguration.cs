using Crm.Data.Conversations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Crm.Data.Configurations;

internal sealed class ConversationConfiguration : IEntityTypeConfiguration<Conversation>
{
    public void Configure(EntityTypeBuilder<Conversation> builder)
    {
        builder.Property(c => c.Id).ValueGeneratedNever();
        builder.Property(c => c.OpenPhoneConversationId).HasMaxLength(100);
        builder.Property(c => c.LastActivityKind).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.LastActivityPreview).HasMaxLength(200);
        builder.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);

        builder.HasOne(c => c.Contact).WithMany(c => c.Conversations).HasForeignKey(c => c.ContactId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(c => c.PhoneNumber).WithMany().HasForeignKey(c => c.PhoneNumberId).OnDelete(DeleteBehavior.Restrict);

        builder.HasIndex(c => new { c.ContactId, c.PhoneNumberId }).IsUnique();
        builder.HasIndex(c => c.OpenPhoneConversationId).IsUnique();
        // The inbox: newest activity first, keyset-paged on (LastActivityAt, Id).
        builder.HasIndex(c => new { c.LastActivityAt, c.Id }).IsDescending(true, true);
    }
}
