using Crm.Data.Phones;

namespace Crm.Tests.Phones;

public sealed class PhoneNumberNormalizerTests
{
    [Theory]
    [InlineData("(617) 555-0123", "+16175550123")]
    [InlineData("617.555.0123", "+16175550123")]
    [InlineData("1-617-555-0123", "+16175550123")]
    [InlineData("+1 617 555 0123", "+16175550123")]
    [InlineData("+44 20 7946 0958", "+442079460958")]
    [InlineData("+19876543210", "+19876543210")]
    public void CommonFormatsNormalizeToE164(string input, string expected)
    {
        Assert.True(PhoneNumberNormalizer.TryNormalize(input, out var e164));
        Assert.Equal(expected, e164);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("12")]
    [InlineData("hello")]
    [InlineData("617555012345678")]
    [InlineData(null)]
    public void ImpossibleNumbersAreRefused(string? input) => Assert.False(PhoneNumberNormalizer.TryNormalize(input, out _));

    [Theory]
    [InlineData("+16175550123", "(617) 555-0123")]
    [InlineData("+442079460958", "+44 20 7946 0958")]
    public void FormattingIsNationalAtHomeAndInternationalAbroad(string e164, string expected) =>
        Assert.Equal(expected, PhoneNumberNormalizer.Format(e164));
}
