namespace Crm.Data.Compliance;

/// <summary>US ZIP code → state and IANA time zone, offline, from the embedded <c>zip-zones.tsv</c> (see its NOTICE).</summary>
public static class ZipCodes
{
    private static readonly Lazy<Dictionary<string, (string State, string Zone)>> Table = new(Load);

    /// <summary>
    /// The state and zone of "02134", "02134-1234" or " 02134 ". A 5-digit row wins over its 3-digit prefix; a prefix
    /// that spans zones or states has no row of its own, so a ZIP the data does not list there is not guessed.
    /// </summary>
    public static bool TryLookup(string? postalCode, out string state, out string zone)
    {
        state = zone = string.Empty;
        if (Zip(postalCode) is not { } zip
            || !(Table.Value.TryGetValue(zip, out var found) || Table.Value.TryGetValue(zip[..3], out found)))
        {
            return false;
        }

        (state, zone) = found;
        return true;
    }

    private static string? Zip(string? postalCode)
    {
        var text = postalCode.AsSpan().Trim();
        var plusFour = text.Length == 10 && text[5] == '-' && IsDigits(text[6..]);
        return (text.Length == 5 || plusFour) && IsDigits(text[..5]) ? text[..5].ToString() : null;
    }

    private static bool IsDigits(ReadOnlySpan<char> text) => !text.ContainsAnyExceptInRange('0', '9');

    private static Dictionary<string, (string State, string Zone)> Load()
    {
        using var stream = typeof(ZipCodes).Assembly.GetManifestResourceStream(typeof(ZipCodes), "zip-zones.tsv")
            ?? throw new InvalidOperationException("The embedded resource zip-zones.tsv is missing.");
        using var reader = new StreamReader(stream);
        Dictionary<string, (string, string)> table = [];
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#' && line.Split('\t') is [var zip, var state, var zone])
            {
                // A few dozen distinct states and zones over ~4,900 rows: share one string of each.
                table.Add(zip, (string.Intern(state), string.Intern(zone)));
            }
        }

        return table;
    }
}
