using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Crm.Data.Configurations;

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
