using Crm.Data.PhoneNumbers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Crm.Data.Configurations;

internal sealed class PhoneNumberConfiguration : IEntityTypeConfiguration<PhoneNumber>
{
    public void Configure(EntityTypeBuilder<PhoneNumber> builder)
    {
        builder.Property(p => p.Id).ValueGeneratedNever();
        builder.Property(p => p.OpenPhoneId).HasMaxLength(100);
        builder.Property(p => p.Number).HasMaxLength(20);
        builder.Property(p => p.Name).HasMaxLength(200);
        builder.HasIndex(p => p.OpenPhoneId).IsUnique();
        builder.HasIndex(p => p.Number).IsUnique();
    }
}
