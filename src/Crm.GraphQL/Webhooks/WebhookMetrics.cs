using System.Diagnostics.Metrics;

namespace Crm.GraphQL.Webhooks;

/// <summary>The <c>Crm.Webhooks</c> meter: what operators alert on (rejections, failures, dead events).</summary>
public static class WebhookMetrics
{
    public const string MeterName = "Crm.Webhooks";

    private static readonly Meter Meter = new(MeterName);

    public static Counter<long> Rejected { get; } = Meter.CreateCounter<long>("crm.webhooks.rejected", description: "Deliveries refused (signature, size, rate), by reason.");

    public static Counter<long> Stored { get; } = Meter.CreateCounter<long>("crm.webhooks.stored", description: "Deliveries stored in the inbox.");

    public static Histogram<int> BatchSize { get; } = Meter.CreateHistogram<int>("crm.webhooks.batch_size", unit: "{event}", description: "Deliveries stored by one commit (group commit).");

    public static Counter<long> Duplicates { get; } = Meter.CreateCounter<long>("crm.webhooks.duplicates", description: "Redeliveries of an event already stored.");

    public static Counter<long> Outcomes { get; } = Meter.CreateCounter<long>("crm.webhooks.outcomes", description: "Processing attempts, by resulting status.");
}
