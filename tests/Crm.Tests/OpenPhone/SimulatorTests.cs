using System.Net.Http.Json;
using Crm.Jobs.OpenPhone;
using Crm.OpenPhoneSimulator;

namespace Crm.Tests.OpenPhone;

/// <summary>The simulator's own endpoints under <c>/_simulator</c>, which tests and benchmarks read.</summary>
public sealed class SimulatorTests
{
    [Fact]
    public async Task MessagesListsEveryTextSentOnAnyLineButNoReplyAndIsNotCountedAsApiTraffic()
    {
        await using var simulator = await SimulatorServer.StartAsync(new Dictionary<string, string?>
        {
            [$"{SimulatorOptions.Section}:Seed:Lines"] = "2",
            [$"{SimulatorOptions.Section}:Seed:Conversations"] = "0",
        });
        using var host = simulator.Client();
        var lines = simulator.Account.Lines;
        await host.Client.SendMessageAsync(new OpenPhoneSendMessage("First", lines[0].Id, ["+16175550181"]), CancellationToken.None);
        simulator.Account.AddMessage(lines[0], "+16175550181", incoming: true, "A reply", "received");
        await host.Client.SendMessageAsync(new OpenPhoneSendMessage("Second", lines[1].Id, ["+16175550182"]), CancellationToken.None);

        using var http = new HttpClient { BaseAddress = simulator.BaseAddress };
        var page = await http.GetFromJsonAsync<MessagePage>("/_simulator/messages");

        Assert.Equal([("First", "+16175550181", lines[0].Id), ("Second", "+16175550182", lines[1].Id)], page!.Data.Select(m => (m.Text, m.To[0], m.PhoneNumberId)));
        Assert.Equal(["POST /v1/messages"], simulator.Traffic.Stats().Requests.Keys);
    }

    private sealed record MessagePage(IReadOnlyList<SimMessage> Data);
}
