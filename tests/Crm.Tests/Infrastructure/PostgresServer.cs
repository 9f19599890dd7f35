using System.Diagnostics;

namespace Crm.Tests.Infrastructure;

/// <summary>
/// Stops and starts the throwaway PostgreSQL that scripts/test.sh runs (it exports where its binaries and data are),
/// for the tests of the database going away.
/// </summary>
public static class PostgresServer
{
    /// <summary><c>pg_ctl stop</c>: <c>fast</c> ends the sessions cleanly, <c>immediate</c> as a crash would.</summary>
    public static Task StopAsync(string mode) => PgCtlAsync("stop", "-m", mode);

    /// <summary>Starts it again; after an immediate stop it first recovers from its WAL, as after a crash.</summary>
    public static Task StartAsync() =>
        PgCtlAsync("start", "-w", "-l", Path.Combine(Environment.GetEnvironmentVariable("CRM_TEST_PG_DATA")!, "..", "postgres.log"));

    private static async Task PgCtlAsync(params string[] arguments)
    {
        var bin = Environment.GetEnvironmentVariable("CRM_TEST_PG_BIN") ?? throw new InvalidOperationException("CRM_TEST_PG_BIN is not set: run with scripts/test.sh.");
        var data = Environment.GetEnvironmentVariable("CRM_TEST_PG_DATA")!;
        var user = Environment.GetEnvironmentVariable("CRM_TEST_PG_USER") ?? Environment.UserName;
        var pgCtl = Path.Combine(bin, "pg_ctl");
        // PostgreSQL refuses to run as root: scripts/test.sh runs it as another user, and so must we.
        var asOther = user != Environment.UserName;
        var start = new ProcessStartInfo(asOther ? "runuser" : pgCtl) { WorkingDirectory = Path.GetTempPath(), RedirectStandardOutput = true, RedirectStandardError = true };
        if (asOther)
        {
            foreach (var argument in new[] { "-u", user, "--", pgCtl })
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments.Take(1).Concat(["-D", data]).Concat(arguments.Skip(1)))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"pg_ctl {string.Join(' ', arguments)} failed: {output}");
    }
}
