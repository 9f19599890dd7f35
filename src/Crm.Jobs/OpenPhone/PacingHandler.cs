using Crm.Jobs.Outbound;

namespace Crm.Jobs.OpenPhone;

/// <summary>
/// Every request to OpenPhone, a retry included, waits for its turn of the pace all instances share: inside the
/// resilience pipeline, so no caller and no retry can jump it.
/// </summary>
internal sealed class PacingHandler(ISendRate rate) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await rate.WaitTurnAsync(cancellationToken);
        return await base.SendAsync(request, cancellationToken);
    }
}
