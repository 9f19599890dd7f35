using Crm.Data.ContactLists;
using Crm.Data.Contacts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Crm.Data.Configurations;

internal sealed class ContactListConfiguration : IEntityTypeConfiguration<ContactList>
{
    public void Configure(EntityTypeBuilder<ContactList> builder)
    {
        builder.Property(l => l.Id).ValueGeneratedNever();
        builder.Property(l => l.Name).HasMaxLength(ContactList.MaxNameLength);
        builder.Property(l => l.Description).HasMaxLength(ContactList.MaxDescriptionLength);
        builder.Property(l => l.CreatedBy).HasMaxLength(200);
        builder.HasIndex(l => l.Name).IsUnique();
        builder.HasIndex(l => new { l.CreatedAt, l.Id }).IsDescending(true, true);
    }
}

internal sealed class ContactListMemberConfiguration : IEntityTypeConfiguration<ContactListMember>
{
    public void Configure(EntityTypeBuilder<ContactListMember> builder)
    {
        builder.HasKey(m => new { m.ListId, m.ContactId });
        builder.HasOne<ContactList>().WithMany().HasForeignKey(m => m.ListId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Contact>().WithMany().HasForeignKey(m => m.ContactId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(m => m.ContactId);
    }
}
