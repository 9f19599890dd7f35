using Crm.Data.Consent;
using Crm.Data.Outbound;
using Crm.Tests.Infrastructure;
using Crm.Tests.Outbound;
using Microsoft.EntityFrameworkCore;

namespace Crm.Tests.Consent;

/// <summary>Every incoming text read for consent, end to end from the signed webhook: entries, reviews and the CRM's replies.</summary>
public sealed class InboundConsentTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const string Line = "PNconsent001";
    private const string OurNumber = "+16175550100";

    private readonly WebhookSender _webhooks = new(fixture.Factory);
    private int _sequence;

    [Fact]
    public async Task OpenPhonesOwnStopIsRecordedButNeverConfirmedByUs()
    {
        await TextAsync("STOP");

        var contact = await Fixture.QueryAsync(db => db.Contacts.SingleAsync());
        Assert.Equal((SmsConsentStatus.OptedOut, ConsentSource.Keyword), (contact.SmsConsent.Status, contact.SmsConsent.Source));
        Assert.Empty(await RepliesAsync());
    }

    [Fact]
    public async Task AnOptOutOpenPhoneDoesNotHandleGetsExactlyOneConfirmation()
    {
        await TextAsync("REVOKE");
        await TextAsync("please stop texting me");
        await TextAsync("Opt out");

        var contact = await Fixture.QueryAsync(db => db.Contacts.SingleAsync());
        var entries = await Fixture.QueryAsync(db => db.ConsentEntries.OrderBy(e => e.RecordedAt).Select(e => e.Source).ToListAsync());
        var replies = await RepliesAsync();
        Assert.Equal(SmsConsentStatus.OptedOut, contact.SmsConsent.Status);
        Assert.Equal([ConsentSource.Keyword, ConsentSource.FreeText, ConsentSource.Keyword], entries);
        var confirmation = Assert.Single(replies);
        Assert.Equal(SendPurpose.Confirmation, confirmation.Purpose);
        Assert.Contains("unsubscribed", confirmation.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpIsAnsweredOnceEvenWhenOpenPhoneDeliversItAgain()
    {
        var help = Payload("HELP");
        using (await _webhooks.PostLegacyAsync(help))
        using (await _webhooks.PostLegacyAsync(help))
        {
        }

        var reply = Assert.Single(await RepliesAsync());
        Assert.Equal(SendPurpose.Help, reply.Purpose);
        Assert.Contains("Reply STOP to opt out", reply.Body, StringComparison.Ordinal);
        Assert.Equal(SmsConsentStatus.Unknown, (await Fixture.QueryAsync(db => db.Contacts.SingleAsync())).SmsConsent.Status);
    }

    [Fact]
    public async Task AnUncertainReplyWaitsForStaffWhoseOptOutIsConfirmedOnce()
    {
        await TextAsync("Stop! Don't pour yet, the truck is blocking");
        await TextAsync("can you stop by Tuesday?");

        var pending = await Client.DataAsync("{ optOutReviews(where: { status: { eq: PENDING } }) { nodes { id status reason activity { body } } } }");
        var node = pending["optOutReviews"]!["nodes"]!.AsArray().Single()!;
        var id = node["id"]!.GetValue<string>();
        const string Resolve = "mutation($id: ID!) { resolveOptOutReview(input: { id: $id, decision: OPTED_OUT }) { review { status resolvedBy } errors { __typename } } }";
        var resolved = await Client.DataAsync(Resolve, new { id });
        var again = await Client.DataAsync(Resolve, new { id });

        Assert.Equal("Stop! Don't pour yet, the truck is blocking", node["activity"]!["body"]!.GetValue<string>());
        Assert.Equal("OPTED_OUT", resolved["resolveOptOutReview"]!["review"]!["status"]!.GetValue<string>());
        Assert.Equal("InvalidFieldError", again["resolveOptOutReview"]!["errors"]![0]!["__typename"]!.GetValue<string>());
        var contact = await Fixture.QueryAsync(db => db.Contacts.SingleAsync());
        Assert.Equal((SmsConsentStatus.OptedOut, ConsentSource.Review), (contact.SmsConsent.Status, contact.SmsConsent.Source));
        Assert.Equal(SendPurpose.Confirmation, Assert.Single(await RepliesAsync()).Purpose);
        Assert.Single(await Fixture.QueryAsync(db => db.AuditEntries.Where(a => a.Action == "optout-review.resolved").ToListAsync()));
    }

    private async Task TextAsync(string body)
    {
        using var response = await _webhooks.PostLegacyAsync(Payload(body));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    private string Payload(string body)
    {
        _sequence++;
        return OutboundPipeTests.Inbound(body, $"ACconsent{_sequence:D25}", Line, OurNumber, DateTimeOffset.UtcNow.AddMinutes(_sequence - 10));
    }

    private Task<List<Reply>> RepliesAsync() => Fixture.QueryAsync(db => (
        from o in db.OutboundMessages
        join a in db.Activities on o.ActivityId equals a.Id
        select new Reply(o.Purpose, a.Body!)).ToListAsync());

    private sealed record Reply(SendPurpose Purpose, string Body);
}
