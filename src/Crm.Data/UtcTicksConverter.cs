using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Crm.Data;

/// <summary>Stores instants as UTC ticks: integers order the same way as the instants they encode.</summary>
internal sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    value => value.UtcTicks,
    ticks => new DateTimeOffset(ticks, TimeSpan.Zero));
