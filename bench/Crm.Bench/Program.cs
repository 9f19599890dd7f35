using Crm.Bench;
using Crm.Bench.Generation;
using Crm.Bench.Queries;

// Benchmarks of the CRM at scale; bench/run-query-bench.sh drives both commands end to end.
var command = args.Length > 0 ? args[0] : "help";
var options = CommandLine.Parse(args.Skip(1));
try
{
    switch (command)
    {
        case "generate":
            await DatasetGenerator.RunAsync(GenerateOptions.From(options));
            return 0;
        case "run":
            await QueryBenchmark.RunAsync(RunOptions.From(options));
            return 0;
        case "growth":
            await GrowthReport.RunAsync(options);
            return 0;
        default:
            Console.WriteLine(CommandLine.Usage);
            return command is "help" or "--help" or "-h" ? 0 : 2;
    }
}
catch (UsageException ex)
{
    await Console.Error.WriteLineAsync($"error: {ex.Message}\n\n{CommandLine.Usage}");
    return 2;
}
