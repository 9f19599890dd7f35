using Crm.Data.Consent;
using Crm.Data.Contacts;
using Crm.Data.Outbound;

namespace Crm.Tests.Outbound;

/// <summary>OpenPhone's own keywords, as the send gate reads an incoming text, and the gate's refusal.</summary>
public sealed class SendGateTests
{
    [Theory]
    [InlineData("STOP", ConsentStatus.OptedOut)]
    [InlineData(" stop ", ConsentStatus.OptedOut)]
    [InlineData("Stop.", ConsentStatus.OptedOut)]
    [InlineData("STOPALL", ConsentStatus.OptedOut)]
    [InlineData("unsubscribe", ConsentStatus.OptedOut)]
    [InlineData("CANCEL", ConsentStatus.OptedOut)]
    [InlineData("end", ConsentStatus.OptedOut)]
    [InlineData("Quit!", ConsentStatus.OptedOut)]
    [InlineData("START", ConsentStatus.OptedIn)]
    [InlineData("unstop", ConsentStatus.OptedIn)]
    [InlineData("please stop texting me", null)]
    [InlineData("Stopping by at 5", null)]
    [InlineData("", null)]
    public void OnlyAKeywordAloneChangesConsent(string body, ConsentStatus? expected) =>
        Assert.Equal(expected, SendGate.Keyword(body));

    [Fact]
    public void TheGateRefusesOnlyAnOptedOutContact()
    {
        var since = new DateTimeOffset(2026, 12, 1, 15, 0, 0, TimeSpan.Zero);
        var optedOut = new Contact { SmsConsent = new SmsConsent { Status = SmsConsentStatus.OptedOut, Since = since, Source = ConsentSource.Keyword } };

        Assert.Equal(since, SendGate.Refusal(optedOut)!.OptedOutAt);
        Assert.Null(SendGate.Refusal(new Contact()));
        Assert.Null(SendGate.Refusal(new Contact { SmsConsent = new SmsConsent { Status = SmsConsentStatus.OptedIn, Since = since } }));
    }
}
