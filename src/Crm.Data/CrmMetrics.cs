using System.Diagnostics.Metrics;

namespace Crm.Data;

/// <summary>The <c>Crm</c> meter: the business outcomes the production plan monitors, counted where they happen.</summary>
public static class CrmMetrics
{
    public const string MeterName = "Crm";

    public static Meter Meter { get; } = new(MeterName);

    public static Counter<long> ImportsFinished { get; } = Meter.CreateCounter<long>("crm.imports.finished", description: "Import jobs that ended, by kind and status.");
}
