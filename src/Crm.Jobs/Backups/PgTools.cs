using System.Diagnostics;
using Npgsql;

namespace Crm.Jobs.Backups;

/// <summary>
/// pg_dump and pg_restore as child processes. The connection goes in as separate options and the password through
/// PGPASSWORD, so that it is never on a command line (visible to every user of the machine) nor in a log.
/// </summary>
internal static class PgTools
{
    private static readonly string[] Clean = ["--clean", "--if-exists"];

    public static Task DumpAsync(string pgDump, string connectionString, string file, CancellationToken cancellationToken) =>
        RunAsync(pgDump, connectionString, ["--format=custom", "--no-password", $"--file={file}"], cancellationToken);

    /// <summary><paramref name="clean"/> drops what the dump holds before recreating it (<c>--force</c>).</summary>
    public static Task RestoreAsync(string pgRestore, string connectionString, string file, bool clean, CancellationToken cancellationToken) =>
        RunAsync(
            pgRestore,
            connectionString,
            // No owner or grants: the target's role (a platform's doadmin) owns what it restores.
            ["--no-password", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", .. clean ? Clean : [], file],
            cancellationToken);

    private static async Task RunAsync(string tool, string connectionString, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add($"--host={connection.Host}");
        start.ArgumentList.Add($"--port={connection.Port}");
        if (!string.IsNullOrEmpty(connection.Username))
        {
            start.ArgumentList.Add($"--username={connection.Username}");
        }

        start.ArgumentList.Add($"--dbname={connection.Database}");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PGPASSWORD"] = connection.Password ?? string.Empty;
        start.Environment["PGSSLMODE"] = connection.SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Allow => "allow",
            SslMode.Require => "require",
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            _ => "prefer",
        };
        start.Environment["PGCONNECT_TIMEOUT"] = "30";
        start.Environment["PGAPPNAME"] = "crm-backup";

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{Path.GetFileName(tool)} did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{tool} could not be started ({ex.Message}); set Backups:PgDumpPath to a pg_dump of PostgreSQL 15 or later.", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            await output;
            var stderr = (await errors).Trim();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{Path.GetFileName(tool)} exited with {process.ExitCode}: {(stderr.Length > 1500 ? stderr[..1500] : stderr)}");
            }
        }
    }
}
