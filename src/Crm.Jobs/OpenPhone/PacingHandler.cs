using Crm.Jobs.Outbound;
using Microsoft.Extensions.Options;

namespace Crm.Jobs.OpenPhone;

/// <summary>
/// Every request to OpenPhone, a retry included, waits for its turn of the pace all instances share: inside the
/// resilience pipeline, so no caller and no retry can jump it. Sends book their turn at once; reads through
/// <see cref="ReadTurns"/>.
/// </summary>
internal sealed class PacingHandler(ISendRate rate, ReadTurns reads) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Post)
        {
            await rate.WaitTurnAsync(cancellationToken);
        }
        else
        {
            await reads.WaitTurnAsync(rate, cancellationToken);
        }

        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>
/// Staff texts go first: reads (a history import, call details) hold at most <c>OpenPhone:ReadsAhead</c> booked turns
/// per instance, so a text booked behind them waits for those few, however many reads are in flight or backing off
/// between retries. Turns are booked in order, so without this a text would queue behind every waiting read.
/// </summary>
internal sealed class ReadTurns(IOptions<OpenPhoneApiOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _ahead = new(options.Value.ReadsAhead);

    public async Task WaitTurnAsync(ISendRate rate, CancellationToken cancellationToken)
    {
        await _ahead.WaitAsync(cancellationToken);
        try
        {
            await rate.WaitTurnAsync(cancellationToken);
        }
        finally
        {
            _ahead.Release();
        }
    }

    public void Dispose() => _ahead.Dispose();
}
