using Crm.Data.Monitoring;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Crm.Data.Configurations;

internal sealed class SyntheticCheckConfiguration : IEntityTypeConfiguration<SyntheticCheck>
{
    public void Configure(EntityTypeBuilder<SyntheticCheck> builder)
    {
        builder.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.Error).HasMaxLength(200);
        builder.HasIndex(c => c.SentAt);
    }
}
