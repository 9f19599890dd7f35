using Crm.Data.Consent;
using Crm.Tests.Infrastructure;
using Crm.Tests.Outbound;
using Microsoft.EntityFrameworkCore;
using Snapshooter.Xunit;

namespace Crm.Tests.Consent;

/// <summary>The consent ledger: append-only entries, the contact's derived state, and what outlives a contact.</summary>
public sealed class ConsentLedgerTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const string Phone = "+16175551000";

    [Fact]
    public async Task StaffRecordConsentAsAnAuditedEntryAndContactsFilterOnTheDerivedState()
    {
        var contact = await CreateContactAsync("Dana", Phone);
        var other = await CreateContactAsync("Eli", "+16175551001");

        var recorded = await Client.DataAsync(
            """
            mutation($id: ID!) {
              recordConsent(input: { contactId: $id, status: OPTED_OUT, note: "Asked on the phone not to be texted" }) {
                contact { firstName smsConsent { status source } consentHistory(first: 5) { nodes { status source evidence actorName note } } }
                errors { __typename }
              }
            }
            """,
            new { id = contact });
        var optedOut = await Client.DataAsync("{ contacts(where: { smsConsent: { status: { eq: OPTED_OUT } } }) { nodes { firstName } } }");
        var unknown = await Client.DataAsync("{ contacts(where: { smsConsent: { status: { eq: UNKNOWN } } }) { nodes { id } } }");

        Snapshot.Match(Newtonsoft.Json.Linq.JToken.Parse(recorded.ToJsonString()));
        Assert.Equal("Dana", optedOut["contacts"]!["nodes"]!.AsArray().Single()!["firstName"]!.GetValue<string>());
        Assert.Equal(other, unknown["contacts"]!["nodes"]!.AsArray().Single()!["id"]!.GetValue<string>());
        var audit = await Fixture.QueryAsync(db => db.AuditEntries.SingleAsync(a => a.Action == "consent.recorded"));
        Assert.Equal("status=OptedOut source=Api", audit.Details);
    }

    [Fact]
    public async Task AnOlderTextArrivingLateIsKeptAsEvidenceButDoesNotUndoANewerOptOut()
    {
        var webhooks = new WebhookSender(Fixture.Factory);
        var now = DateTimeOffset.UtcNow;

        using (await webhooks.PostLegacyAsync(OutboundPipeTests.Inbound("STOP", "ACledger00000000000000000000000001", "PNledger0001", "+16175550100", now.AddMinutes(-1))))
        using (await webhooks.PostLegacyAsync(OutboundPipeTests.Inbound("START", "ACledger00000000000000000000000002", "PNledger0001", "+16175550100", now.AddMinutes(-5))))
        {
        }

        var contact = await Fixture.QueryAsync(db => db.Contacts.SingleAsync());
        var entries = await Fixture.QueryAsync(db => db.ConsentEntries.OrderBy(e => e.At).ToListAsync());
        Assert.Equal((SmsConsentStatus.OptedOut, ConsentSource.Keyword), (contact.SmsConsent.Status, contact.SmsConsent.Source));
        Assert.Equal([ConsentStatus.OptedIn, ConsentStatus.OptedOut], entries.Select(e => e.Status));
        Assert.All(entries, e => Assert.NotNull(e.ActivityId));
    }

    [Fact]
    public async Task DeletingAContactKeepsItsLedgerAndTheNumberStaysOptedOutWhenTheContactIsCreatedAgain()
    {
        var contact = await CreateContactAsync("Fran", Phone);
        await Client.DataAsync("mutation($id: ID!) { recordConsent(input: { contactId: $id, status: OPTED_OUT }) { errors { __typename } } }", new { id = contact });
        await Client.DataAsync("mutation($id: ID!) { deleteContact(input: { id: $id }) { errors { __typename } } }", new { id = contact });
        var kept = await Fixture.QueryAsync(db => db.ConsentEntries.SingleAsync());

        var again = await CreateContactAsync("Fran again", Phone);
        var state = await Client.DataAsync("query($id: ID!) { node(id: $id) { ... on Contact { smsConsent { status } consentHistory(first: 5) { nodes { status } } } } }", new { id = again });

        Assert.Null(kept.ContactId);
        Assert.Equal("OPTED_OUT", state["node"]!["smsConsent"]!["status"]!.GetValue<string>());
        Assert.Single(state["node"]!["consentHistory"]!["nodes"]!.AsArray());
    }

    private async Task<string> CreateContactAsync(string name, string phone)
    {
        var created = await Client.DataAsync(
            "mutation($name: String!, $phone: String!) { createContact(input: { firstName: $name, phone: $phone }) { contact { id } errors { __typename } } }",
            new { name, phone });
        return created["createContact"]!["contact"]!["id"]!.GetValue<string>();
    }
}
