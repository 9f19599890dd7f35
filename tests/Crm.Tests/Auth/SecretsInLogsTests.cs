using System.Net.Http.Json;
using Crm.Data.Audit;
using Crm.Data.Users;
using Crm.Tests.Infrastructure;
using Crm.Tests.Webhooks;

namespace Crm.Tests.Auth;

/// <summary>Secrets come from configuration or users and must never reach a log, at any level.</summary>
public sealed class SecretsInLogsTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    [Fact]
    public async Task NoPasswordKeyOrTokenAppearsInTheLogs()
    {
        const string password = "Very-Secret-Passw0rd";
        await Fixture.WithServiceAsync<UserOperations, CrmUser>(users => users.CreateAsync("secret@example.com", password, null, CrmRole.Admin, Actor.System));
        CapturingLoggerProvider.Messages.Clear();

        using (var login = await Fixture.Factory.CreateClient().PostAsJsonAsync("/auth/login", new { email = "secret@example.com", password }))
        {
            login.EnsureSuccessStatusCode();
        }

        using (await Fixture.Factory.CreateClient().PostAsJsonAsync("/auth/login", new { email = "secret@example.com", password = password + "-wrong" }))
        {
        }

        var created = await Client.DataAsync("mutation { createApiKey(input: { name: \"logged?\", role: VIEWER }) { key } }");
        var key = created["createApiKey"]!["key"]!.GetValue<string>();
        var http = Fixture.Factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        await new GraphQLClient(http).DataAsync("{ me { kind } }");
        var invite = await Client.DataAsync("mutation { inviteUser(input: { email: \"inv@example.com\", role: VIEWER }) { inviteLink } }");
        var token = invite["inviteUser"]!["inviteLink"]!.GetValue<string>().Split("token=")[1];

        var webhooks = new WebhookSender(Fixture.Factory);
        var sample = WebhookSender.Sample("message.received.json");
        using (var signed = await webhooks.PostLegacyAsync(sample))
        using (var standard = await webhooks.PostStandardAsync(Payloads.WithEventId(sample, "EVsecrets0000000000000000000000002")))
        using (var forged = await webhooks.PostLegacyAsync(Payloads.WithEventId(sample, "EVsecrets0000000000000000000000003"), WebhookSender.UnknownKey))
        {
            Assert.Equal((System.Net.HttpStatusCode.OK, System.Net.HttpStatusCode.OK, System.Net.HttpStatusCode.Unauthorized), (signed.StatusCode, standard.StatusCode, forged.StatusCode));
        }

        var logs = string.Join("\n", CapturingLoggerProvider.Messages);
        Assert.NotEmpty(CapturingLoggerProvider.Messages);
        var signingSecrets = new[] { WebhookSender.LegacyKey, WebhookSender.StandardKey, WebhookSender.StandardKey["whsec_".Length..], WebhookSender.RotatedLegacyKey, WebhookSender.UnknownKey };
        // The secret part is base64url and may itself contain '_': everything after the prefix's separator.
        var keySecret = key.Split('_', 3)[2];
        foreach (var secret in new[] { password, key, keySecret, token }.Concat(signingSecrets))
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TextingLogsNeitherTheOpenPhoneKeyNorTheTextNorTheNumber()
    {
        await using var host = await Outbound.OutboundHost.StartAsync();
        var (_, conversations) = await host.ArrangeAsync(3);
        var client = await host.ClientAsync();
        // One refused for good, one answered with a 500 then reconciled and sent, one sent at once: every log path of a send.
        host.Simulator.Traffic.Script([
            new Crm.OpenPhoneSimulator.ScriptedFault(Crm.OpenPhoneSimulator.FaultKind.Status, "POST /v1/messages", Status: 400, Message: "Invalid recipient"),
            new Crm.OpenPhoneSimulator.ScriptedFault(Crm.OpenPhoneSimulator.FaultKind.ServerError, "POST /v1/messages")]);
        var ids = new List<Guid>();
        foreach (var conversation in conversations)
        {
            var sent = await client.DataAsync(
                "mutation($id: ID!) { sendMessage(input: { conversationId: $id, body: \"Secret-ish quote 9182\" }) { activity { id } } }",
                new { id = Crm.GraphQL.Server.Conventions.NodeId.Encode("Conversation", conversation.Id) });
            ids.Add(Crm.GraphQL.Server.Conventions.NodeId.Decode(sent["sendMessage"]!["activity"]!["id"]!.GetValue<string>(), "Activity"));
        }

        await host.WaitForAsync(ids[0], Crm.Data.Activities.MessageStatus.Failed);
        await host.WaitForAsync(ids[2], Crm.Data.Activities.MessageStatus.Sent);
        // After its backoff (2 s): the reconciling list names the number in its query string.
        await host.WaitForAsync(ids[1], Crm.Data.Activities.MessageStatus.Sent);

        var logs = string.Join("\n", host.Root.Logs.Entries.Select(e => $"{e.Message} {e.Exception}"));
        Assert.Contains("failed permanently", logs, StringComparison.Ordinal);
        Assert.Contains("will be retried", logs, StringComparison.Ordinal);
        Assert.Contains("GET", logs, StringComparison.Ordinal);
        foreach (var secret in new[] { OpenPhone.SimulatorServer.ApiKey, "Secret-ish quote", "6175551000", "6175551001", "6175551002" })
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }
    }
}
