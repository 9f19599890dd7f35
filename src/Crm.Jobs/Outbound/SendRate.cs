using Crm.Data;
using Crm.Jobs.OpenPhone;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crm.Jobs.Outbound;

/// <summary>
/// The pace of requests to OpenPhone, shared by every instance: each request waits for its own turn, so together they
/// never exceed <c>OpenPhone:RequestsPerSecond</c> in any one-second window.
/// </summary>
public interface ISendRate
{
    /// <summary>Waits for this request's turn.</summary>
    Task WaitTurnAsync(CancellationToken cancellationToken);
}

/// <summary>Turns are spaced a little wider than the limit allows.</summary>
internal static class SendPace
{
    /// <summary>
    /// A request leaves on its turn but reaches OpenPhone a few milliseconds later, by varying amounts; turns spaced exactly
    /// at the limit would put an eleventh request into some one-second window at OpenPhone's end whenever one request is
    /// held up longer than the one ten turns later. 4% is 40 ms of such slack at 10 per second, for 4% of the rate.
    /// </summary>
    private const double Margin = 1.04;

    public static TimeSpan Spacing(IOptions<OpenPhoneApiOptions> options) => TimeSpan.FromSeconds(Margin / options.Value.RequestsPerSecond);
}

/// <summary>
/// On PostgreSQL: one row holds the next free turn, by the database's clock (so instances' clocks need not agree); taking
/// a turn is one atomic UPDATE outside any transaction, whose row lock lasts only that statement.
/// </summary>
internal sealed class PostgresSendRate(IServiceScopeFactory scopes, IOptions<OpenPhoneApiOptions> options) : ISendRate
{
    private const string Key = "openphone";
    private readonly TimeSpan _spacing = SendPace.Spacing(options);

    public async Task WaitTurnAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        var spacing = _spacing;
        var waits = await db.Database.SqlQuery<double>($"""
            INSERT INTO "SendRateSlots" ("Key", "NextSlotAt") VALUES ({Key}, clock_timestamp() + {spacing})
            ON CONFLICT ("Key") DO UPDATE SET "NextSlotAt" = GREATEST("SendRateSlots"."NextSlotAt", clock_timestamp()) + {spacing}
            RETURNING EXTRACT(EPOCH FROM ("NextSlotAt" - {spacing} - clock_timestamp()))::float8 AS "Value"
            """).ToListAsync(cancellationToken);
        if (waits[0] > 0)
        {
            // A timer counts whole milliseconds from a millisecond tick: it drops the fraction and may fire up to a
            // millisecond before the time asked. Rounded up and one more, so no turn starts before the database gave it.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(waits[0] * 1000) + 1), cancellationToken);
        }
    }
}

/// <summary>The embedded default: one process, so the turns live in memory, on the injected clock.</summary>
internal sealed class InProcessSendRate(IOptions<OpenPhoneApiOptions> options, TimeProvider clock) : ISendRate
{
    private readonly TimeSpan _spacing = SendPace.Spacing(options);
    private readonly Lock _lock = new();
    private DateTimeOffset _next = DateTimeOffset.MinValue;

    public async Task WaitTurnAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset turn;
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            turn = _next > now ? _next : now;
            _next = turn + _spacing;
        }

        if (turn > now)
        {
            await Task.Delay(turn - now, clock, cancellationToken);
        }
    }
}
