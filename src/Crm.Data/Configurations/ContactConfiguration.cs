using System.Text.Json;
using Crm.Data.Contacts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Crm.Data.Configurations;

internal sealed class ContactConfiguration : IEntityTypeConfiguration<Contact>
{
    public void Configure(EntityTypeBuilder<Contact> builder)
    {
        builder.Property(c => c.Id).ValueGeneratedNever();
        builder.Property(c => c.FirstName).HasMaxLength(100);
        builder.Property(c => c.LastName).HasMaxLength(100);
        builder.Property(c => c.Company).HasMaxLength(200);
        builder.Property(c => c.Email).HasMaxLength(254);
        builder.Property(c => c.Phone).HasMaxLength(20);
        builder.Property(c => c.TimeZone).HasMaxLength(64);
        builder.Property(c => c.OpenPhoneContactId).HasMaxLength(100);
        builder.Property(c => c.Source).HasConversion<string>().HasMaxLength(16);
        builder.Ignore(c => c.DisplayName);

        builder.ComplexProperty(c => c.SmsConsent, consent =>
        {
            consent.Property(s => s.Status).HasColumnName("SmsConsentStatus").HasConversion<string>().HasMaxLength(16);
            consent.Property(s => s.Since).HasColumnName("SmsConsentSince");
            consent.Property(s => s.Source).HasColumnName("SmsConsentSource").HasConversion<string>().HasMaxLength(16);
        });

        builder.ComplexProperty(c => c.Address, address =>
        {
            address.Property(a => a.Street).HasColumnName("Street").HasMaxLength(200);
            address.Property(a => a.City).HasColumnName("City").HasMaxLength(100);
            address.Property(a => a.State).HasColumnName("State").HasMaxLength(50);
            address.Property(a => a.PostalCode).HasColumnName("PostalCode").HasMaxLength(20);
        });

        builder.Property(c => c.CustomFields)
            .HasConversion(
                fields => JsonSerializer.Serialize(fields, JsonSerializerOptions.Default),
                json => JsonSerializer.Deserialize<Dictionary<string, string>>(json, JsonSerializerOptions.Default) ?? new(),
                new ValueComparer<Dictionary<string, string>>(
                    (a, b) => a!.Count == b!.Count && !a.Except(b).Any(),
                    fields => fields.Aggregate(0, (hash, pair) => HashCode.Combine(hash, pair.Key, pair.Value)),
                    fields => new Dictionary<string, string>(fields)));

        builder.HasIndex(c => c.Phone).IsUnique();
        builder.HasIndex(c => c.OpenPhoneContactId).IsUnique();
        builder.HasIndex(c => c.Email);
        builder.HasIndex(c => new { c.LastName, c.FirstName });
        // The default contact list order: newest first, keyset-paged.
        builder.HasIndex(c => new { c.CreatedAt, c.Id }).IsDescending(true, true);
    }
}
