using Crm.Data.Compliance;

namespace Crm.Tests.Compliance;

/// <summary>
/// Every expectation is worked out by hand from 3GPP TS 23.038 (GSM0338.TXT): a part holds 160 septets or 70 UCS-2
/// units alone, 153 or 67 with the concatenation header; an extension character is 2 septets, an emoji beyond
/// U+FFFF 2 units, and neither is split, so a part that cannot take one whole ends early. "a×n" is n times 'a' (one
/// septet), "á×n" n times 'á' (not in the GSM alphabet, one UTF-16 unit). The segment counts and encodings were also
/// checked against npm sms-segments-calculator 1.3.0, which agrees on all of them; its character count for UCS-2
/// counts graphemes (an emoji is 1), ours UTF-16 units (2).
/// </summary>
public sealed class SmsSegmentsTests
{
    private const string Emoji = "\U0001F600"; // 😀, a surrogate pair

    private static string A(int n) => new('a', n);

    private static string U(int n) => new('á', n);

    public static TheoryData<string, string, SmsEncoding, int, int, int> Cases => new()
    {
        // label, body, encoding, segments, characters, remaining in the last part
        { "empty: nothing is sent", "", SmsEncoding.Gsm7, 0, 0, 160 },
        { "Hello: 5 septets", "Hello", SmsEncoding.Gsm7, 1, 5, 155 },
        { "a×153: one part, 160 − 153", A(153), SmsEncoding.Gsm7, 1, 153, 7 },
        { "a×154: 160 − 154", A(154), SmsEncoding.Gsm7, 1, 154, 6 },
        { "a×160: a full single part", A(160), SmsEncoding.Gsm7, 1, 160, 0 },
        { "a×161: 153 | 8, 153 − 8", A(161), SmsEncoding.Gsm7, 2, 161, 145 },
        { "a×306: 153 | 153", A(306), SmsEncoding.Gsm7, 2, 306, 0 },
        { "a×307: 153 | 153 | 1", A(307), SmsEncoding.Gsm7, 3, 307, 152 },
        { "€: escape + code", "€", SmsEncoding.Gsm7, 1, 2, 158 },
        { "all ten extension characters: 10 × 2", "\f^{}\\[~]|€", SmsEncoding.Gsm7, 1, 20, 140 },
        { "a×158 + €: 158 + 2 = 160, one part", A(158) + "€", SmsEncoding.Gsm7, 1, 160, 0 },
        { "a×159 + €: 161 septets, 153 | 6 + 2", A(159) + "€", SmsEncoding.Gsm7, 2, 161, 145 },
        { "a×152 + €: 154 septets still fit one part", A(152) + "€", SmsEncoding.Gsm7, 1, 154, 6 },
        { "a×152 + € + a×10: 152 | 2 + 10, the escape moves whole", A(152) + "€" + A(10), SmsEncoding.Gsm7, 2, 164, 141 },
        { "a×152 + € + a×152: 306 septets but 152 | 2 + 151 | 1", A(152) + "€" + A(152), SmsEncoding.Gsm7, 3, 306, 152 },
        { "a×153 + € + a×10: 153 | 2 + 10", A(153) + "€" + A(10), SmsEncoding.Gsm7, 2, 165, 141 },
        { "CRLF is two septets: 6 + 2 + 6", "Line 1\r\nLine 2", SmsEncoding.Gsm7, 1, 14, 146 },
        { "Price: 5€ {approx}: 18 characters, 3 of them extension", "Price: 5€ {approx}", SmsEncoding.Gsm7, 1, 21, 139 },
        { "one emoji: 2 units", Emoji, SmsEncoding.Ucs2, 1, 2, 68 },
        { "a curly quote makes it UCS-2: It’s", "It’s", SmsEncoding.Ucs2, 1, 4, 66 },
        { "á×67", U(67), SmsEncoding.Ucs2, 1, 67, 3 },
        { "á×68", U(68), SmsEncoding.Ucs2, 1, 68, 2 },
        { "á×70: a full single part", U(70), SmsEncoding.Ucs2, 1, 70, 0 },
        { "á×71: 67 | 4", U(71), SmsEncoding.Ucs2, 2, 71, 63 },
        { "á×134: 67 | 67", U(134), SmsEncoding.Ucs2, 2, 134, 0 },
        { "á×135: 67 | 67 | 1", U(135), SmsEncoding.Ucs2, 3, 135, 66 },
        { "a×69 + á: one non-GSM character makes all 70 UCS-2", A(69) + "á", SmsEncoding.Ucs2, 1, 70, 0 },
        { "€ in UCS-2 is one unit, not an escape pair", "€á", SmsEncoding.Ucs2, 1, 2, 68 },
        { "á×68 + emoji: 70 units, one part", U(68) + Emoji, SmsEncoding.Ucs2, 1, 70, 0 },
        { "á×65 + emoji + á×4: 65 + 2 | 4", U(65) + Emoji + U(4), SmsEncoding.Ucs2, 2, 71, 63 },
        { "á×66 + emoji + á×3: the pair straddles 67, so 66 | 2 + 3", U(66) + Emoji + U(3), SmsEncoding.Ucs2, 2, 71, 62 },
        { "á×66 + emoji + á×66: 134 units but 66 | 2 + 65 | 1", U(66) + Emoji + U(66), SmsEncoding.Ucs2, 3, 134, 66 },
        { "emoji×35: 70 units", string.Concat(Enumerable.Repeat(Emoji, 35)), SmsEncoding.Ucs2, 1, 70, 0 },
        { "emoji×36: 33 pairs = 66 | 3 pairs = 6", string.Concat(Enumerable.Repeat(Emoji, 36)), SmsEncoding.Ucs2, 2, 72, 61 },
        { "a×100 + ’: 101 units, 67 | 34", A(100) + "’", SmsEncoding.Ucs2, 2, 101, 33 },
        { "Spanish with an emoji: 27 units", "Olá, ¿cómo estás? 😀 á 😀 ’", SmsEncoding.Ucs2, 1, 27, 43 },
        { "the grave accent is not GSM", "`", SmsEncoding.Ucs2, 1, 1, 69 },
        { "small c-cedilla is not GSM (only Ç)", "ç", SmsEncoding.Ucs2, 1, 1, 69 },
        { "Greek capital alpha is not GSM (Latin A is)", "\u0391", SmsEncoding.Ucs2, 1, 1, 69 },
        { "no-break space is not GSM", "\u00A0", SmsEncoding.Ucs2, 1, 1, 69 },
        { "tab is not GSM", "\t", SmsEncoding.Ucs2, 1, 1, 69 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void SegmentsAreCountedAsWorkedOutByHand(string label, string body, SmsEncoding encoding, int segments, int characters, int remaining)
    {
        var count = SmsSegments.Count(body, 0.01m);

        Assert.True(
            (count.Encoding, count.Segments, count.Characters, count.RemainingInSegment) == (encoding, segments, characters, remaining),
            $"{label}: got {count.Encoding}, {count.Segments} parts, {count.Characters} characters, {count.RemainingInSegment} remaining");
        Assert.Equal(segments * 0.01m, count.EstimatedCost);
    }

    [Fact]
    public void EveryCharacterOfTheBasicTableIsOneSeptet()
    {
        // GSM0338.TXT's 128 codes less the escape 0x1B, grouped as the table lists them: 31 + 32 + 64 characters.
        var basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ" + " !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

        var once = SmsSegments.Count(basic, 0.01m);
        var twice = SmsSegments.Count(basic + basic, 0.01m);

        Assert.Equal((SmsEncoding.Gsm7, 1, 127, 33), (once.Encoding, once.Segments, once.Characters, once.RemainingInSegment));
        // 254 septets: 153 | 101.
        Assert.Equal((SmsEncoding.Gsm7, 2, 254, 52), (twice.Encoding, twice.Segments, twice.Characters, twice.RemainingInSegment));
    }

    [Fact]
    public void NonGsmCharactersAreDistinctInOrderOfFirstAppearanceWithAnEmojiWhole()
    {
        var count = SmsSegments.Count("Olá, ¿cómo estás? 😀 á 😀 ’", 0.01m);

        Assert.Equal(new[] { "á", "ó", Emoji, "’" }, count.NonGsmCharacters);
        Assert.Empty(SmsSegments.Count("Price: 5€ {approx}", 0.01m).NonGsmCharacters);
    }

    [Fact]
    public void ALoneSurrogateIsOneNonGsmUnit()
    {
        var count = SmsSegments.Count("a\uD83D", 0.01m);

        Assert.Equal((SmsEncoding.Ucs2, 1, 2, 68), (count.Encoding, count.Segments, count.Characters, count.RemainingInSegment));
        Assert.Equal(new[] { "\uD83D" }, count.NonGsmCharacters);
    }

    [Fact]
    public void TheCostIsSegmentsTimesThePrice()
    {
        Assert.Equal(0.0237m, SmsSegments.Count(A(307), 0.0079m).EstimatedCost); // 3 × 0.0079
        Assert.Equal(0m, SmsSegments.Count("", 0.01m).EstimatedCost);
    }

    [Theory]
    [InlineData("It\u2019s \u201Cdone\u201D", "It's \"done\"")]
    [InlineData("\u2018a\u2019 \u201Ab\u201B", "'a' 'b'")]
    [InlineData("2\u20133, 4\u20145, \u22121, \u2010\u2011\u2012\u2015", "2-3, 4-5, -1, ----")]
    [InlineData("Wait\u2026", "Wait...")]
    [InlineData("10\u00A0am\u2009\u202F\u2002\u2003\u2007\tx", "10 am      x")]
    [InlineData("a\u200Bb\u2060c\uFEFF", "abc")]
    [InlineData("\u00ABHola\u00BB 5\u2032 6\u2033", "\"Hola\" 5' 6\"")]
    [InlineData("\U0001F600 \u2019", "\U0001F600 '")]
    [InlineData("Olá, ¿cómo?", "Olá, ¿cómo?")]
    public void LookalikesAreReplacedAndLettersKept(string body, string expected) => Assert.Equal(expected, SmsSegments.ToGsm(body));

    [Fact]
    public void ATextWithoutLookalikesIsReturnedAsItIs()
    {
        const string body = "See you Tuesday at 10";

        Assert.Same(body, SmsSegments.ToGsm(body));
    }

    [Fact]
    public void ReplacingLookalikesCanTurnATextBackIntoGsm()
    {
        // 100 septets and one curly quote: 101 UCS-2 units (67 | 34) before; 101 septets in one part after.
        var body = A(100) + "\u2019";

        var before = SmsSegments.Count(body, 0.01m);
        var after = SmsSegments.Count(SmsSegments.ToGsm(body), 0.01m);

        Assert.Equal((SmsEncoding.Ucs2, 2), (before.Encoding, before.Segments));
        Assert.Equal((SmsEncoding.Gsm7, 1, 101), (after.Encoding, after.Segments, after.Characters));
    }
}
