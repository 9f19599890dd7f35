using System.Diagnostics;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Observability;

/// <summary>
/// deploy/alerts.yml as Prometheus reads it: valid rules (<c>promtool check rules</c>) that fire and stay quiet as
/// deploy/alerts.test.yml expects (<c>promtool test rules</c>). That its metrics are ours is checked against a real
/// scrape in <see cref="MetricsTests"/>.
/// </summary>
public sealed class AlertRulesTests
{
    private static string Promtool => Environment.GetEnvironmentVariable("CRM_TEST_PROMTOOL") is { Length: > 0 } path
        ? path
        : throw new InvalidOperationException("CRM_TEST_PROMTOOL is not set: run the tests with scripts/test.sh, which provides promtool.");

    [Fact]
    public async Task TheRulesAreValidAndEveryAlertHasASeverityAndASummary()
    {
        var (exitCode, output) = await RunAsync("check", "rules", "alerts.yml");
        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);

        var rules = File.ReadAllText(Path.Combine(Repository.Root(), "deploy", "alerts.yml"));
        var alerts = rules.Split("- alert: ")[1..];
        Assert.True(alerts.Length >= 15, rules);
        Assert.All(alerts, alert =>
        {
            Assert.Matches(@"severity: (critical|warning)\n", alert);
            Assert.Contains("summary: ", alert, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task TheRulesFireAndStayQuietAsTheirUnitTestsExpect()
    {
        var (exitCode, output) = await RunAsync("test", "rules", "alerts.test.yml");
        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryAlertIsTestedFiring()
    {
        var rules = await File.ReadAllTextAsync(Path.Combine(Repository.Root(), "deploy", "alerts.yml"));
        var tests = await File.ReadAllTextAsync(Path.Combine(Repository.Root(), "deploy", "alerts.test.yml"));
        var names = rules.Split("- alert: ")[1..].Select(a => a.Split('\n')[0].Trim()).ToList();
        // A firing expectation: the alert's name followed by a non-empty exp_alerts list.
        var firing = System.Text.RegularExpressions.Regex.Matches(tests, @"alertname: (\w+)\n\s+exp_alerts:\n").Select(m => m.Groups[1].Value).ToHashSet();
        var untested = names.Where(n => !firing.Contains(n)).ToList();
        Assert.True(untested.Count == 0, $"Never tested firing: {string.Join(", ", untested)}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Promtool)
        {
            WorkingDirectory = Path.Combine(Repository.Root(), "deploy"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
