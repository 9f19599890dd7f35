using System.Diagnostics;
using Crm.Jobs.OpenPhone;
using Crm.Jobs.Outbound;
using Crm.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Crm.Tests.Outbound;

/// <summary>The pace every request to OpenPhone keeps: never more than the limit in any one second, across instances.</summary>
public sealed class SendRateTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    [Fact]
    public async Task InProcessTurnsAreSpacedJustWiderThanTheLimit()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var rate = new InProcessSendRate(Options.Create(new OpenPhoneApiOptions { RequestsPerSecond = 10 }), clock);
        var start = clock.GetUtcNow();
        var turns = Enumerable.Range(0, 12).Select(_ => rate.WaitTurnAsync(CancellationToken.None)).ToList();

        var done = new List<TimeSpan>();
        for (var step = 0; step < 200 && done.Count < turns.Count; step++)
        {
            done.AddRange(turns.Where(t => t.IsCompleted).Skip(done.Count).Select(_ => clock.GetUtcNow() - start));
            clock.Advance(TimeSpan.FromMilliseconds(10));
            // Lets the continuations of the turns that just fell due run: observed, not waited for.
            await Task.Delay(1);
        }

        Assert.Equal(12, done.Count);
        // Turns 104 ms apart: ten in the first second, the limit, and the twelfth at 1,144 ms (seen at the next 10 ms step).
        Assert.Equal(10, done.Count(t => t < TimeSpan.FromSeconds(1)));
        Assert.InRange(done[^1], TimeSpan.FromMilliseconds(1140), TimeSpan.FromMilliseconds(1160));
    }

    [Fact]
    public async Task ATextGoesAheadOfAllButAFewWaitingReads()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = Options.Create(new OpenPhoneApiOptions { RequestsPerSecond = 10, ReadsAhead = 2 });
        using var reads = new ReadTurns(options);
        var order = new List<HttpMethod>();
        using var client = new HttpMessageInvoker(new PacingHandler(new InProcessSendRate(options, clock), reads) { InnerHandler = new Recorder(order) });
        var sends = Enumerable.Range(0, 12).Select(_ => Send(HttpMethod.Get)).ToList();
        sends.Add(Send(HttpMethod.Post));

        for (var step = 0; step < 300 && !sends.All(s => s.IsCompleted); step++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(1);
        }

        Assert.All(sends, s => Assert.True(s.IsCompletedSuccessfully));
        // The first read left at once; two more had booked their turns before the text came: it goes fourth, not last.
        Assert.Equal(3, order.IndexOf(HttpMethod.Post));

        Task Send(HttpMethod method) => client.SendAsync(new HttpRequestMessage(method, "http://openphone.test/v1/x"), CancellationToken.None);
    }

    [Fact]
    public async Task TwoInstancesShareOnePaceInPostgres()
    {
        var options = Options.Create(new OpenPhoneApiOptions { RequestsPerSecond = 50 });
        var scopes = Fixture.Factory.Services.GetRequiredService<IServiceScopeFactory>();
        var (a, b) = (new PostgresSendRate(scopes, options), new PostgresSendRate(scopes, options));

        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? a : b).WaitTurnAsync(CancellationToken.None)));

        // 20 turns at 50 per second cannot all be taken in under 19 spacings, whoever takes them; only a lower bound is
        // safe to assert on a busy machine.
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(19 * 1.04 / 50), $"{watch.Elapsed.TotalMilliseconds} ms");
    }

    private sealed class Recorder(List<HttpMethod> order) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (order)
            {
                order.Add(request.Method);
            }

            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK));
        }
    }
}
