namespace Crm.Data.Compliance;

/// <summary>US states by postal code: their names (as addresses and libphonenumber's geocoder write them) and IANA zones.</summary>
/// <remarks>A state's zones are every zone any part of it keeps; the ones listed first cover most people.</remarks>
public static class UsStates
{
    private static readonly (string Code, string Name, string[] Zones)[] Table =
    [
        ("AL", "Alabama", ["America/Chicago"]),
        ("AK", "Alaska", ["America/Anchorage", "America/Adak"]),
        ("AZ", "Arizona", ["America/Phoenix"]),
        ("AR", "Arkansas", ["America/Chicago"]),
        ("CA", "California", ["America/Los_Angeles"]),
        ("CO", "Colorado", ["America/Denver"]),
        ("CT", "Connecticut", ["America/New_York"]),
        ("DE", "Delaware", ["America/New_York"]),
        ("DC", "District of Columbia", ["America/New_York"]),
        ("FL", "Florida", ["America/New_York", "America/Chicago"]),
        ("GA", "Georgia", ["America/New_York"]),
        ("HI", "Hawaii", ["Pacific/Honolulu"]),
        ("ID", "Idaho", ["America/Boise", "America/Los_Angeles"]),
        ("IL", "Illinois", ["America/Chicago"]),
        ("IN", "Indiana", ["America/Indiana/Indianapolis", "America/Chicago"]),
        ("IA", "Iowa", ["America/Chicago"]),
        ("KS", "Kansas", ["America/Chicago", "America/Denver"]),
        ("KY", "Kentucky", ["America/New_York", "America/Chicago"]),
        ("LA", "Louisiana", ["America/Chicago"]),
        ("ME", "Maine", ["America/New_York"]),
        ("MD", "Maryland", ["America/New_York"]),
        ("MA", "Massachusetts", ["America/New_York"]),
        ("MI", "Michigan", ["America/Detroit", "America/Menominee"]),
        ("MN", "Minnesota", ["America/Chicago"]),
        ("MS", "Mississippi", ["America/Chicago"]),
        ("MO", "Missouri", ["America/Chicago"]),
        ("MT", "Montana", ["America/Denver"]),
        ("NE", "Nebraska", ["America/Chicago", "America/Denver"]),
        ("NV", "Nevada", ["America/Los_Angeles"]),
        ("NH", "New Hampshire", ["America/New_York"]),
        ("NJ", "New Jersey", ["America/New_York"]),
        ("NM", "New Mexico", ["America/Denver"]),
        ("NY", "New York", ["America/New_York"]),
        ("NC", "North Carolina", ["America/New_York"]),
        ("ND", "North Dakota", ["America/Chicago", "America/Denver"]),
        ("OH", "Ohio", ["America/New_York"]),
        ("OK", "Oklahoma", ["America/Chicago"]),
        ("OR", "Oregon", ["America/Los_Angeles", "America/Boise"]),
        ("PA", "Pennsylvania", ["America/New_York"]),
        ("RI", "Rhode Island", ["America/New_York"]),
        ("SC", "South Carolina", ["America/New_York"]),
        ("SD", "South Dakota", ["America/Chicago", "America/Denver"]),
        ("TN", "Tennessee", ["America/Chicago", "America/New_York"]),
        ("TX", "Texas", ["America/Chicago", "America/Denver"]),
        ("UT", "Utah", ["America/Denver"]),
        ("VT", "Vermont", ["America/New_York"]),
        ("VA", "Virginia", ["America/New_York"]),
        ("WA", "Washington", ["America/Los_Angeles"]),
        ("WV", "West Virginia", ["America/New_York"]),
        ("WI", "Wisconsin", ["America/Chicago"]),
        ("WY", "Wyoming", ["America/Denver"]),
    ];

    private static readonly Dictionary<string, (string Code, string Name, string[] Zones)> ByKey = Table
        .SelectMany(s => new[] { (s.Code, s), (s.Name, s) })
        .ToDictionary(p => p.Item1, p => p.s, StringComparer.OrdinalIgnoreCase);

    /// <summary>The postal code of "MA", "ma", "Massachusetts" or "Washington State"; null when it names no state.</summary>
    public static string? Normalize(string? state)
    {
        var key = state?.Trim().Replace(" State", string.Empty, StringComparison.OrdinalIgnoreCase).Trim('.');
        return key is { Length: > 0 } && ByKey.TryGetValue(key, out var found) ? found.Code : null;
    }

    /// <summary>The state in the geocoder's "Florida", "Washington State" or "Pensacola, FL".</summary>
    public static string? FromGeocoder(string? description) =>
        string.IsNullOrWhiteSpace(description) ? null
            : Normalize(description.Contains(',', StringComparison.Ordinal) ? description[(description.LastIndexOf(',') + 1)..] : description);

    public static IReadOnlyList<string> Zones(string code) => ByKey.TryGetValue(code, out var found) ? found.Zones : [];
}
