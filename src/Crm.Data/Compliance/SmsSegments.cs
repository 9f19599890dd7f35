using System.Buffers;
using System.Collections.Frozen;
using System.Text;

namespace Crm.Data.Compliance;

/// <summary>How a text travels: GSM 7-bit when every character is in the GSM alphabet, else UCS-2.</summary>
public enum SmsEncoding
{
    Gsm7,
    Ucs2,
}

/// <summary>What a text costs in SMS parts.</summary>
/// <param name="Encoding">GSM-7, or UCS-2 when any character is outside the GSM alphabet.</param>
/// <param name="Segments">SMS parts; 0 for an empty text.</param>
/// <param name="Characters">
/// The length in the encoding's units, the units <paramref name="RemainingInSegment"/> is counted in: septets for
/// GSM-7 (an extension character such as € is 2), UTF-16 units for UCS-2 (an emoji beyond U+FFFF is 2). This is what
/// fills the parts, which a count of graphemes would not show.
/// </param>
/// <param name="RemainingInSegment">Units that still fit in the last part before the text needs another one.</param>
/// <param name="NonGsmCharacters">The distinct characters that made the text UCS-2, in order of first appearance; empty for GSM-7.</param>
/// <param name="EstimatedCost"><paramref name="Segments"/> × the price of one part.</param>
public sealed record SmsSegmentCount(
    SmsEncoding Encoding,
    int Segments,
    int Characters,
    int RemainingInSegment,
    IReadOnlyList<string> NonGsmCharacters,
    decimal EstimatedCost);

/// <summary>
/// Counts SMS parts per 3GPP TS 23.038 (the tables as in unicode.org's GSM0338.TXT): one part is 140 octets, so 160
/// GSM-7 septets or 70 UCS-2 units alone, and 153 or 67 per part once a 6-octet concatenation header is needed.
/// </summary>
/// <remarks>
/// An escape pair (0x1B + an extension code) and a surrogate pair are never split across parts: a part that would end
/// inside one ends before it. Characters joined into one grapheme (an emoji with a skin tone or a ZWJ) may be split
/// between code points, as the standard allows; npm sms-segments-calculator keeps whole graphemes together, so it can
/// count one more part for such a text. An empty text is 0 parts: carriers send no empty SMS.
/// </remarks>
public static class SmsSegments
{
    public const int Gsm7Single = 160;
    public const int Gsm7PerPart = 153;
    public const int Ucs2Single = 70;
    public const int Ucs2PerPart = 67;

    // The default alphabet in code order 0x00–0x7F, so position = GSM code. 0x1B is the escape, not a character:
    // GSM0338.TXT displays a stray one as a no-break space, but a no-break space cannot be sent as one, so it is UCS-2.
    private const string BasicTable =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001BÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    // Reached through the escape (0x1B 0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65): 2 septets each.
    private const string ExtensionTable = "\f^{}\\[~]|€";

    private const int EscapeCode = 0x1B;

    private static readonly SearchValues<char> Gsm = SearchValues.Create(BasicTable.Remove(EscapeCode, 1) + ExtensionTable);
    private static readonly SearchValues<char> Extension = SearchValues.Create(ExtensionTable);

    /// <summary>
    /// Typographic lookalikes that phones and word processors put in place of GSM characters, each of which alone
    /// would make a text UCS-2 (70 characters a part instead of 160). Letters are never changed.
    /// </summary>
    private static readonly (string From, string To)[] Lookalikes =
    [
        ("\u2018\u2019\u201A\u201B\u2032", "'"), // curly single quotes, low-9 and reversed-9 quotes, prime
        ("\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB", "\""), // curly double quotes, low-9 and reversed-9, double prime, guillemets
        ("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"), // hyphen, non-breaking hyphen, figure, en and em dash, bar, minus
        ("\u2026", "..."), // horizontal ellipsis
        ("\u00A0\u2002\u2003\u2007\u2009\u202F\t", " "), // no-break, en, em, figure, thin and narrow no-break spaces; tab
        ("\u200B\u2060\uFEFF", ""), // zero-width space, word joiner, byte-order mark: invisible, so dropped
    ];

    private static readonly FrozenDictionary<char, string> LookalikeMap =
        Lookalikes.SelectMany(l => l.From, (l, c) => KeyValuePair.Create(c, l.To)).ToFrozenDictionary();

    private static readonly SearchValues<char> LookalikeChars = SearchValues.Create([.. LookalikeMap.Keys]);

    public static SmsSegmentCount Count(string body, decimal pricePerSegment)
    {
        ArgumentNullException.ThrowIfNull(body);
        var text = body.AsSpan();
        var encoding = text.ContainsAnyExcept(Gsm) ? SmsEncoding.Ucs2 : SmsEncoding.Gsm7;
        var (single, perPart) = encoding == SmsEncoding.Gsm7 ? (Gsm7Single, Gsm7PerPart) : (Ucs2Single, Ucs2PerPart);

        // One pass packs the parts as if the text were long; a text that fits one part alone has no header and uses `single`.
        int units = 0, parts = 1, fill = 0;
        for (var i = 0; i < text.Length;)
        {
            var pair = encoding == SmsEncoding.Ucs2 && IsSurrogatePair(text, i);
            var width = pair || (encoding == SmsEncoding.Gsm7 && Extension.Contains(text[i])) ? 2 : 1;
            i += pair ? 2 : 1;
            units += width;
            if (fill + width > perPart)
            {
                parts++;
                fill = 0;
            }

            fill += width;
        }

        var (segments, remaining) = units == 0 ? (0, single) : units <= single ? (1, single - units) : (parts, perPart - fill);
        var nonGsm = encoding == SmsEncoding.Ucs2 ? NonGsmCharacters(text) : [];
        return new SmsSegmentCount(encoding, segments, units, remaining, nonGsm, segments * pricePerSegment);
    }

    /// <summary>
    /// The text with typographic lookalikes (curly quotes, dashes, the ellipsis, odd spaces) replaced by GSM
    /// characters; the same instance when it has none. Other characters are kept, so the result may still be UCS-2.
    /// </summary>
    public static string ToGsm(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var first = body.AsSpan().IndexOfAny(LookalikeChars);
        if (first < 0)
        {
            return body;
        }

        var result = new StringBuilder(body.Length + 8).Append(body, 0, first);
        foreach (var c in body.AsSpan(first))
        {
            if (LookalikeMap.TryGetValue(c, out var replacement))
            {
                result.Append(replacement);
            }
            else
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }

    private static bool IsSurrogatePair(ReadOnlySpan<char> text, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);

    private static List<string> NonGsmCharacters(ReadOnlySpan<char> text)
    {
        var found = new List<string>();
        // Keyed by code point; a lone surrogate keys as itself, which no scalar value can equal.
        var seen = new HashSet<int>();
        var start = 0;
        for (var next = text.IndexOfAnyExcept(Gsm); next >= 0; next = text[start..].IndexOfAnyExcept(Gsm))
        {
            var i = start + next;
            var length = IsSurrogatePair(text, i) ? 2 : 1;
            if (seen.Add(length == 2 ? char.ConvertToUtf32(text[i], text[i + 1]) : text[i]))
            {
                found.Add(text.Slice(i, length).ToString());
            }

            start = i + length;
        }

        return found;
    }
}
