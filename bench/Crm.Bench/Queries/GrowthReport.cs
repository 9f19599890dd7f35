using System.Globalization;
using System.Text.Json;

namespace Crm.Bench.Queries;

/// <summary>How inbox latency grows with the data: p50 at the larger dataset over p50 at the smaller (goal &lt; 1.5 for 10×).</summary>
internal static class GrowthReport
{
    public static async Task RunAsync(CommandLine args)
    {
        var small = await LoadAsync(args.Require("small"));
        var large = await LoadAsync(args.Require("large"));
        var append = args.Require("append");
        args.EnsureAllRead();

        var c = CultureInfo.InvariantCulture;
        var text = new System.Text.StringBuilder();
        text.AppendLine();
        text.AppendLine(c, $"## Data growth: {small.Label} → {large.Label} ({(double)large.Contacts / small.Contacts:F0}× contacts)");
        text.AppendLine();
        text.AppendLine(c, $"| scenario | GraphQL p50 ms at {small.Label} | at {large.Label} | growth | floor p50 ms at {small.Label} | at {large.Label} | growth |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var l in large.Scenarios)
        {
            var s = small.Scenarios.FirstOrDefault(x => x.Name == l.Name);
            if (s?.GraphQL is null || l.GraphQL is null || s.Floor is null || l.Floor is null)
            {
                continue;
            }

            var emphasis = l.Name == Scenarios.InboxFirstPage ? "**" : string.Empty;
            text.AppendLine(c, $"| {emphasis}{l.Name}{emphasis} | {s.GraphQL.P50:F2} | {l.GraphQL.P50:F2} | {emphasis}{l.GraphQL.P50 / s.GraphQL.P50:F2}×{emphasis} | {s.Floor.P50:F2} | {l.Floor.P50:F2} | {l.Floor.P50 / s.Floor.P50:F2}× |");
        }

        var inboxSmall = small.Scenarios.FirstOrDefault(x => x.Name == Scenarios.InboxFirstPage)?.GraphQL;
        var inboxLarge = large.Scenarios.FirstOrDefault(x => x.Name == Scenarios.InboxFirstPage)?.GraphQL;
        text.AppendLine();
        text.AppendLine(inboxSmall is null || inboxLarge is null
            ? "Inbox growth: not measured (the inbox scenario did not run on both sizes)."
            : string.Create(c, $"Inbox first page, GraphQL p50 growth: {inboxLarge.P50 / inboxSmall.P50:F2}× (goal < 1.5×: {(inboxLarge.P50 / inboxSmall.P50 < 1.5 ? "met" : "**not met**")})."));
        await File.AppendAllTextAsync(append, text.ToString());
        Console.Write(text);
    }

    private static async Task<RunSummary> LoadAsync(string path) =>
        JsonSerializer.Deserialize<RunSummary>(await File.ReadAllTextAsync(path)) ?? throw new UsageException($"{path} is not a run summary");
}
