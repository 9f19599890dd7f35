using System.Globalization;
using Crm.Data.Phones;
using GraphQL;

namespace Crm.GraphQL.Exports;

/// <summary>How exports write values that are not plain text, the same in every file.</summary>
internal static class Cells
{
    /// <summary>UTC, in the form spreadsheets read as a date and time (the headers say UTC).</summary>
    public static string? Time(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>As the GraphQL schema names the value: <c>OPTED_IN</c>.</summary>
    public static string? Name<TEnum>(TEnum? value)
        where TEnum : struct, Enum => value?.ToString().ToConstantCase();

    /// <summary>
    /// As people read it: (617) 555-0123 for US numbers, which a spreadsheet keeps as text; a raw +16175550123 would
    /// become the number 16175550123, or need the formula guard's apostrophe. Numbers abroad keep their +44 … and so
    /// get the apostrophe like any cell starting with +.
    /// </summary>
    public static string? Phone(string? e164) => e164 is null ? null : PhoneNumberNormalizer.Format(e164);

    public static string? Number(int? value) => value?.ToString(CultureInfo.InvariantCulture);
}
