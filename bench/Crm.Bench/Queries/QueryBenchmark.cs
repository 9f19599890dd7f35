using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace Crm.Bench.Queries;

internal sealed record RunOptions(
    string ConnectionString, Uri Url, string Email, string Password, string Label, string Output, string? Json,
    int Rounds, int Requests, int Warmup, string? Only, string? Commit)
{
    public static RunOptions From(CommandLine args)
    {
        var label = args.Get("label") ?? "dataset";
        var options = new RunOptions(
            args.Require("db"),
            new Uri(args.Require("url")),
            args.Require("email"),
            args.Require("password"),
            label,
            args.Get("out") ?? Path.Combine("bench", "results", $"query-{label}-{DateTime.UtcNow:yyyy-MM-dd}.md"),
            args.Get("json"),
            args.GetInt("rounds", 20),
            args.GetInt("requests", 25),
            args.GetInt("warmup", 50),
            args.Get("only"),
            args.Get("commit"));
        args.EnsureAllRead();
        return options;
    }
}

internal sealed record SideResult(double P50, double P95, double RequestsPerSecond, int Samples);

internal sealed record ScenarioResult(string Name, SideResult? GraphQL, SideResult? Floor, bool SameRows, string? Note)
{
    public double? Ratio => GraphQL is null || Floor is null ? null : GraphQL.P50 / Floor.P50;
}

internal sealed record RunSummary(string Label, long Contacts, long Conversations, long Activities, List<ScenarioResult> Scenarios);

/// <summary>
/// Sequential requests from one loopback client (a latency benchmark, not a load test): for each scenario,
/// warm-up, then rounds that alternate GraphQL and its SQL floor so both see the same machine state.
/// </summary>
internal static class QueryBenchmark
{
    public static async Task RunAsync(RunOptions options)
    {
        var dataSource = new NpgsqlDataSourceBuilder(options.ConnectionString).Build();
        await using (dataSource)
        {
            using var client = await GraphQLClient.ConnectAsync(options.Url, options.Email, options.Password);
            var counts = await CountAsync(dataSource);
            Console.WriteLine($"dataset {options.Label}: {counts.Contacts:N0} contacts, {counts.Conversations:N0} conversations, {counts.Activities:N0} activities");

            var scenarios = await Scenarios.CreateAsync(client, dataSource);
            if (options.Only is { } only)
            {
                // "!dashboard": every scenario but those (the dashboard's floor alone takes 0.7 s a request).
                var exclude = only.StartsWith('!');
                scenarios = [.. scenarios.Where(s => s.Name.Contains(only.TrimStart('!'), StringComparison.OrdinalIgnoreCase) != exclude)];
            }

            var results = new List<ScenarioResult>();
            foreach (var scenario in scenarios)
            {
                var result = await MeasureAsync(scenario, client, dataSource, options);
                results.Add(result);
                Console.WriteLine(result.GraphQL is null
                    ? $"  {scenario.Name}: not measured: {result.Note}"
                    : $"  {scenario.Name}: GraphQL p50 {result.GraphQL.P50:F2} ms, floor p50 {result.Floor!.P50:F2} ms, ratio {result.Ratio:F2}{(result.SameRows ? string.Empty : "  ROWS DIFFER")}");
            }

            var summary = new RunSummary(options.Label, counts.Contacts, counts.Conversations, counts.Activities, results);
            var machine = await Machine.DescribeAsync(dataSource);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Output))!);
            await File.WriteAllTextAsync(options.Output, Report.Markdown(summary, machine, options));
            Console.WriteLine($"wrote {options.Output}");
            if (options.Json is { } json)
            {
                await File.WriteAllTextAsync(json, JsonSerializer.Serialize(summary));
            }
        }
    }

    private static async Task<ScenarioResult> MeasureAsync(Scenario scenario, GraphQLClient client, NpgsqlDataSource dataSource, RunOptions options)
    {
        if (scenario.Unavailable is { } reason)
        {
            return new ScenarioResult(scenario.Name, null, null, false, reason);
        }

        // Untimed: both sides must answer, and with the same rows in the same order.
        string? note = null;
        bool same;
        try
        {
            var data = await client.QueryAsync(scenario.Query, scenario.Variables);
            var graphQLKeys = scenario.GraphQLKeys(data).Take(scenario.Rows).ToList();
            var floorKeys = (await scenario.RunFloorAsync(dataSource)).Select(scenario.FloorKey).Take(scenario.Rows).ToList();
            same = graphQLKeys.SequenceEqual(floorKeys);
            if (!same)
            {
                note = $"rows differ: GraphQL returned {graphQLKeys.Count}, floor {floorKeys.Count}, first difference at row {FirstDifference(graphQLKeys, floorKeys) + 1}";
            }
            else if (graphQLKeys.Count == 0)
            {
                note = "both sides returned no rows";
            }
        }
        catch (Exception ex) when (ex is GraphQLFailedException or PostgresException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return new ScenarioResult(scenario.Name, null, null, false, ex.Message.ReplaceLineEndings(" "));
        }

        for (var i = 0; i < options.Warmup; i++)
        {
            await client.PostAsync(scenario.Body);
            await scenario.RunFloorAsync(dataSource);
        }

        var graphQL = new Samples(options.Rounds * options.Requests);
        var floor = new Samples(options.Rounds * options.Requests);
        for (var round = 0; round < options.Rounds; round++)
        {
            // Alternate which side goes first so neither always inherits the other's warm caches.
            if (round % 2 == 0)
            {
                await TimeAsync(graphQL, options.Requests, () => client.PostAsync(scenario.Body));
                await TimeAsync(floor, options.Requests, () => scenario.RunFloorAsync(dataSource));
            }
            else
            {
                await TimeAsync(floor, options.Requests, () => scenario.RunFloorAsync(dataSource));
                await TimeAsync(graphQL, options.Requests, () => client.PostAsync(scenario.Body));
            }
        }

        return new ScenarioResult(scenario.Name, graphQL.Result(), floor.Result(), same, note);
    }

    private static async Task TimeAsync<T>(Samples samples, int requests, Func<Task<T>> request)
    {
        for (var i = 0; i < requests; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await request();
            samples.Add(Stopwatch.GetElapsedTime(start));
        }
    }

    private static int FirstDifference(List<string> a, List<string> b)
    {
        var i = 0;
        while (i < a.Count && i < b.Count && a[i] == b[i])
        {
            i++;
        }

        return i;
    }

    private static async Task<(long Contacts, long Conversations, long Activities)> CountAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT (SELECT count(*) FROM "Contacts"), (SELECT count(*) FROM "Conversations"), (SELECT count(*) FROM "Activities")
            """);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private sealed class Samples(int capacity)
    {
        private readonly List<double> _milliseconds = new(capacity);
        private TimeSpan _total;

        public void Add(TimeSpan elapsed)
        {
            _milliseconds.Add(elapsed.TotalMilliseconds);
            _total += elapsed;
        }

        public SideResult Result()
        {
            _milliseconds.Sort();
            return new SideResult(Percentile(0.50), Percentile(0.95), _milliseconds.Count / _total.TotalSeconds, _milliseconds.Count);
        }

        /// <summary>Nearest rank.</summary>
        private double Percentile(double p) =>
            _milliseconds[Math.Clamp((int)Math.Ceiling(p * _milliseconds.Count) - 1, 0, _milliseconds.Count - 1)];
    }
}

internal sealed record MachineInfo(int Processors, string Cpu, string Memory, string PostgreSql, string Runtime, string Os, string LoadAverage);

internal static class Machine
{
    public static async Task<MachineInfo> DescribeAsync(NpgsqlDataSource dataSource)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? (await File.ReadAllLinesAsync("/proc/cpuinfo")).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        await using var command = dataSource.CreateCommand("SELECT version()");
        var postgres = (string)(await command.ExecuteScalarAsync())!;
        return new MachineInfo(
            Environment.ProcessorCount,
            cpu ?? "unknown",
            await RunAsync("free", "-h"),
            postgres,
            System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg")).Trim() : "unknown");
    }

    private static async Task<string> RunAsync(string file, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true })!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return output.TrimEnd();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}

internal static class Report
{
    public static string Markdown(RunSummary summary, MachineInfo machine, RunOptions options)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new System.Text.StringBuilder();
        text.AppendLine(c, $"# Query benchmark: {summary.Label} ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        text.AppendLine();
        text.AppendLine(c, $"Dataset: {summary.Contacts:N0} contacts, {summary.Conversations:N0} conversations, {summary.Activities:N0} activities (`Crm.Bench generate`).");
        if (options.Commit is { } commit)
        {
            text.AppendLine();
            text.AppendLine(c, $"Server: commit {commit}, Release build, `ASPNETCORE_ENVIRONMENT=Production`.");
        }

        text.AppendLine();
        text.AppendLine(c, $"Method: one loopback client, sequential requests (latency, not load). Per scenario: {options.Warmup} warm-up requests per side, then {options.Rounds} rounds × {options.Requests} requests alternating GraphQL (`POST /graphql`, API key, whole response read) and its floor (one hand-written SQL statement through Npgsql, every row materialized). Ratio = GraphQL p50 / floor p50 (goal ≤ 2). \"Same rows\" compares the row keys both sides returned.");
        text.AppendLine();
        text.AppendLine("| scenario | GraphQL p50 ms | GraphQL p95 ms | GraphQL req/s | floor p50 ms | floor p95 ms | floor req/s | ratio | same rows |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|:---:|");
        foreach (var s in summary.Scenarios)
        {
            if (s.GraphQL is null || s.Floor is null)
            {
                text.AppendLine(c, $"| {s.Name} | – | – | – | – | – | – | – | not run |");
                continue;
            }

            text.AppendLine(c, $"| {s.Name} | {s.GraphQL.P50:F2} | {s.GraphQL.P95:F2} | {s.GraphQL.RequestsPerSecond:F0} | {s.Floor.P50:F2} | {s.Floor.P95:F2} | {s.Floor.RequestsPerSecond:F0} | {s.Ratio:F2} | {(s.SameRows ? "yes" : "**no**")} |");
        }

        var notes = summary.Scenarios.Where(s => s.Note is not null).ToList();
        if (notes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Notes:");
            foreach (var s in notes)
            {
                text.AppendLine(c, $"- {s.Name}: {s.Note!.Replace("|", "\\|", StringComparison.Ordinal)}");
            }
        }

        text.AppendLine();
        text.AppendLine("## Machine");
        text.AppendLine();
        text.AppendLine(c, $"- CPUs (`nproc`): {machine.Processors}; CPU: {machine.Cpu}");
        text.AppendLine(c, $"- PostgreSQL: {machine.PostgreSql}");
        text.AppendLine(c, $"- Runtime: {machine.Runtime} on {machine.Os}");
        text.AppendLine(c, $"- Load average at the end of the run (`/proc/loadavg`; the machine is shared): {machine.LoadAverage}");
        text.AppendLine("- Memory (`free -h`):");
        text.AppendLine();
        text.AppendLine("```");
        text.AppendLine(machine.Memory);
        text.AppendLine("```");
        return text.ToString();
    }
}
