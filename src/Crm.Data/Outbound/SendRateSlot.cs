namespace Crm.Data.Outbound;

/// <summary>
/// The shared pace of requests to OpenPhone on PostgreSQL: every instance takes its turn from this one row
/// (<c>Crm.Jobs.Outbound.PostgresSendRate</c>), so together they never exceed the per-key limit.
/// </summary>
public sealed class SendRateSlot
{
    public required string Key { get; init; }

    /// <summary>The earliest time the next request may start, by the database's clock.</summary>
    public DateTimeOffset NextSlotAt { get; set; }
}
