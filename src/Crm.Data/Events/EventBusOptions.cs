namespace Crm.Data.Events;

/// <summary>Settings under <c>Events</c>, shared by both buses.</summary>
public sealed class EventBusOptions
{
    public const string Section = "Events";

    /// <summary>
    /// Events one subscriber (a subscription group, an access watch) may fall behind before its stream ends with
    /// <see cref="EventsDroppedException"/>.
    /// </summary>
    public int BufferCapacity { get; set; } = 1024;
}
