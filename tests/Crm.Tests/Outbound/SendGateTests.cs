using Crm.Data.Contacts;
using Crm.Data.Outbound;

namespace Crm.Tests.Outbound;

/// <summary>OpenPhone's own keywords, as the send gate reads an incoming text.</summary>
public sealed class SendGateTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 15, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("STOP", true)]
    [InlineData(" stop ", true)]
    [InlineData("Stop.", true)]
    [InlineData("STOPALL", true)]
    [InlineData("unsubscribe", true)]
    [InlineData("CANCEL", true)]
    [InlineData("end", true)]
    [InlineData("Quit!", true)]
    // Free text is the compliance issue's (a reviewed FREE_TEXT opt-out), not a keyword.
    [InlineData("please stop texting me", false)]
    [InlineData("Stopping by at 5", false)]
    [InlineData("", false)]
    public void OnlyAKeywordAloneOptsTheContactOut(string body, bool optsOut)
    {
        var contact = new Contact();

        var changed = SendGate.ApplyKeyword(contact, body, At);

        Assert.Equal(optsOut, changed);
        Assert.Equal(optsOut ? At : null, contact.SmsOptedOutAt);
        Assert.Equal(optsOut, SendGate.Refusal(contact) is not null);
    }

    [Fact]
    public void StartOrUnstopOptsBackInButNotOneOlderThanTheStop()
    {
        var contact = new Contact { SmsOptedOutAt = At };

        var late = SendGate.ApplyKeyword(contact, "START", At.AddMinutes(-1));
        var stillOut = contact.SmsOptedOutAt;
        var back = SendGate.ApplyKeyword(contact, "unstop", At.AddMinutes(1));

        Assert.Equal((false, At), (late, stillOut));
        Assert.True(back);
        Assert.Null(contact.SmsOptedOutAt);
    }
}
