using System.Diagnostics.Metrics;

namespace Crm.Data;

/// <summary>The <c>Crm</c> meter: the business outcomes the production plan monitors, counted where they happen.</summary>
public static class CrmMetrics
{
    public const string MeterName = "Crm";

    public static Meter Meter { get; } = new(MeterName);

    /// <summary>Send attempts at the outbound sender, by outcome: sent, retried, failed, reconciled (found already sent).</summary>
    public static Counter<long> OutboundSends { get; } = Meter.CreateCounter<long>("crm.outbound.sends", description: "Texts handed to OpenPhone, by outcome (sent, retried, failed, reconciled).");

    /// <summary>Campaign texts whose delivery report settled them, by outcome: delivered or failed.</summary>
    public static Counter<long> CampaignDeliveries { get; } = Meter.CreateCounter<long>("crm.campaigns.deliveries", description: "Campaign texts the carrier delivered or failed, by outcome, as their delivery reports arrive.");

    public static Counter<long> ImportsFinished { get; } = Meter.CreateCounter<long>("crm.imports.finished", description: "Import jobs that ended, by kind and status.");
}
