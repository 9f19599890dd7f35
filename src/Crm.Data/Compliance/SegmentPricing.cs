namespace Crm.Data.Compliance;

/// <summary>Settings under <c>OpenPhone</c> that price a text.</summary>
public sealed class SegmentPricing
{
    public const string Section = "OpenPhone";

    /// <summary>What OpenPhone charges per SMS part, in dollars: $0.01 in the US and Canada (openphone-api.md §4.3).</summary>
    public decimal PricePerSegment { get; set; } = 0.01m;
}
