using System.Text.Json.Nodes;
using Crm.Data.Activities;
using Crm.Data.Consent;
using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Jobs.Campaigns;
using Crm.Jobs.Outbound;
using Crm.Tests.Infrastructure;
using Crm.Tests.Outbound;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Crm.Tests.Campaigns;

/// <summary>Arranges contacts and campaigns as staff would, and plays the scheduler and the sender on a fake clock.</summary>
internal static class Campaigns
{
    public const string Fields = """
        id status
        results { total { audience pending queued sent delivered undelivered awaitingDelivery failedToSend skipped skippedBy { reason count } replied optedOut }
          variants { variant { label } tally { audience sent replied } } }
        """;

    /// <summary>Contacts with a phone of the given area code, opted in, tagged; <paramref name="change"/> varies them.</summary>
    public static async Task<List<Contact>> AddContactsAsync(OutboundHost host, int count, string tag, string areaCode = "617", int first = 0, Action<Contact, int>? change = null)
    {
        var now = DateTimeOffset.UtcNow;
        var contacts = Enumerable.Range(first, count).Select(i =>
        {
            var contact = new Contact
            {
                FirstName = i % 10 == 0 ? null : $"Owner{i}",
                Phone = $"+1{areaCode}555{i:D4}",
                Tags = [tag],
                SmsConsent = new SmsConsent { Status = SmsConsentStatus.OptedIn, Since = now.AddDays(-30), Source = ConsentSource.Import },
                CreatedAt = now,
                UpdatedAt = now,
            };
            change?.Invoke(contact, i);
            return contact;
        }).ToList();
        await host.QueryAsync(async db =>
        {
            db.Contacts.AddRange(contacts);
            return await db.SaveChangesAsync();
        });
        return contacts;
    }

    /// <summary>Creates a campaign through GraphQL; its global id.</summary>
    public static async Task<string> CreateAsync(GraphQLClient client, object input)
    {
        var payload = (await client.DataAsync("mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } errors { __typename ... on Error { message } } } }", new { input }))["createCampaign"]!;
        Assert.True(payload["errors"] is null or JsonArray { Count: 0 }, payload.ToJsonString());
        return payload["campaign"]!["id"]!.GetValue<string>();
    }

    /// <summary>startCampaign, pauseCampaign…: the payload.</summary>
    public static async Task<JsonNode> ActAsync(GraphQLClient client, string mutation, string id) =>
        (await client.DataAsync($"mutation($id: ID!) {{ {mutation}(input: {{ id: $id }}) {{ campaign {{ id status }} errors {{ __typename ... on Error {{ message }} ... on CampaignStateError {{ status action }} }} }} }}", new { id }))[mutation]!;

    public static async Task<JsonNode> GetAsync(GraphQLClient client, string id, string fields = Fields) =>
        (await client.DataAsync($"query($id: ID!) {{ campaign(id: $id) {{ {fields} }} }}", new { id }))["campaign"]!;

    /// <summary>
    /// Plays the scheduler and the sender from the clock's now until <paramref name="until"/>, one campaign tick at a time:
    /// the tick job, then every text that falls due before the next tick, each at its time.
    /// </summary>
    public static async Task RunAsync(OutboundHost host, FakeTimeProvider clock, DateTimeOffset until, TimeSpan tick)
    {
        var sender = host.App.Services.GetServices<IHostedService>().OfType<OutboundSender>().Single();
        while (clock.GetUtcNow() < until)
        {
            var next = clock.GetUtcNow() + tick;
            await using (var scope = host.App.Services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<CampaignTickJob>().RunAsync(CancellationToken.None);
            }

            while (await sender.SendNextAsync(CancellationToken.None) is { } due && due < next)
            {
                if (due > clock.GetUtcNow())
                {
                    clock.SetUtcNow(due);
                }
            }

            clock.SetUtcNow(next);
        }
    }

    /// <summary>One dispatcher tick, bypassing the tick's lease (as two instances whose clocks disagree would).</summary>
    public static async Task DispatchAsync(OutboundHost host)
    {
        await using var scope = host.App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<Crm.Data.Campaigns.CampaignDispatcher>().DispatchAsync(CancellationToken.None);
    }

    /// <summary>Sends what is due now, as one sender worker would.</summary>
    public static async Task DrainAsync(OutboundHost host)
    {
        var sender = host.App.Services.GetServices<IHostedService>().OfType<OutboundSender>().Single();
        var clock = host.App.Services.GetRequiredService<TimeProvider>();
        while (await sender.SendNextAsync(CancellationToken.None) is { } due && due <= clock.GetUtcNow())
        {
        }
    }

    /// <summary>The contact's answer to <paramref name="text"/>, as OpenPhone's webhook would record it.</summary>
    public static async Task ReplyAsync(OutboundHost host, Activity text, string body, DateTimeOffset at)
    {
        await using var scope = host.App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TimelineOperations>().RecordMessageAsync(
            new MessageFact($"AC{Guid.NewGuid():N}", ActivityDirection.Incoming, text.ToNumbers[0], [text.FromNumber!], body, [], "received", at, host.LineId, null),
            CancellationToken.None);
    }

    /// <summary>createCampaign, updateCampaign, scheduleCampaign…: the payload's first error, or null.</summary>
    public static async Task<JsonNode?> ErrorAsync(GraphQLClient client, string mutation, object input) =>
        (await client.DataAsync(
            $"mutation($input: {char.ToUpperInvariant(mutation[0])}{mutation[1..]}Input!) {{ {mutation}(input: $input) {{ errors {{ __typename ... on Error {{ message }} ... on InvalidFieldError {{ field }} ... on CampaignStateError {{ status action }} }} }} }}",
            new { input }))[mutation]!["errors"]?.AsArray().FirstOrDefault();

    public static int Int(JsonNode node, string path) => path.Split('.').Aggregate(node, (n, p) => n[p]!).GetValue<int>();
}
