namespace Crm.Data.Outbound;

/// <summary>Settings under <c>OpenPhone</c> for what a text is: where it goes from, how long it may be, what it costs.</summary>
public sealed class OutboundOptions
{
    public const string Section = "OpenPhone";

    /// <summary>OpenPhone's limit for one text (openphone-api.md §4.2).</summary>
    public const int MaxBodyLength = 1600;

    /// <summary>The line (<c>PN…</c>) a text to a contact leaves from when the caller names none and the workspace has several.</summary>
    public string? DefaultPhoneNumberId { get; set; }

    /// <summary>What OpenPhone charges per SMS part, in dollars: $0.01 in the US and Canada (openphone-api.md §4.3).</summary>
    public decimal PricePerSegment { get; set; } = 0.01m;
}
