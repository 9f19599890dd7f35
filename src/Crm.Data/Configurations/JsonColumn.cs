using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Crm.Data.Configurations;

/// <summary>
/// A value kept whole as one JSON document in its column: an activity's media, recordings, voicemail and transcript.
/// </summary>
/// <remarks>
/// A value converter rather than an owned JSON entity (<c>ToJson</c>): EF Core materializes owned JSON through nested
/// lambdas that create a delegate for every row read, about a tenth of the server's CPU on a timeline of 50
/// activities. Nothing queries inside these documents, so a converter loses nothing; the documents are the same.
/// Compared by their JSON, so a list changed in place is still saved.
/// </remarks>
internal static class JsonColumn
{
    public static PropertyBuilder<T> IsJson<T>(this PropertyBuilder<T> property)
    {
        ArgumentNullException.ThrowIfNull(property);
        return property.HasConversion(
            new Converter<T>(),
            new ValueComparer<T>(
                (a, b) => JsonSerializer.Serialize(a, JsonSerializerOptions.Default) == JsonSerializer.Serialize(b, JsonSerializerOptions.Default),
                value => JsonSerializer.Serialize(value, JsonSerializerOptions.Default).GetHashCode(StringComparison.Ordinal),
                value => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, JsonSerializerOptions.Default), JsonSerializerOptions.Default)!));
    }

    /// <summary>On PostgreSQL the documents are <c>jsonb</c>, as the owned JSON entities made them; SQLite keeps TEXT.</summary>
    public static void UseJsonb(ModelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var property in builder.Model.GetEntityTypes().SelectMany(e => e.GetProperties()).Where(p => p.GetValueConverter() is IJsonConverter))
        {
            property.SetColumnType("jsonb");
        }
    }

    private interface IJsonConverter;

    private sealed class Converter<T>() : ValueConverter<T, string>(
        value => JsonSerializer.Serialize(value, JsonSerializerOptions.Default),
        json => JsonSerializer.Deserialize<T>(json, JsonSerializerOptions.Default)!), IJsonConverter;
}
