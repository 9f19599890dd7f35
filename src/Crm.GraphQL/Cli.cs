using System.Globalization;
using Crm.Data;
using Crm.Data.Audit;
using Crm.Data.Backups;
using Crm.Data.Importing;
using Crm.Data.Users;
using Crm.Jobs.Backups;
using Crm.Jobs.Importing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.GraphQL;

/// <summary>
/// Operator commands of the server binary: <c>migrate</c>, <c>users create-admin --email … [--password …]</c>, and
/// <c>import openphone [--full] [--since &lt;time&gt;]</c>, <c>backup create [--media]</c> and
/// <c>backup restore --file … --connection … [--force]</c>.
/// </summary>
internal static class Cli
{
    /// <summary><c>migrate</c>: apply pending migrations and exit (a platform's pre-deploy job; chiseled images have no <c>dotnet ef</c>).</summary>
    public static bool Migrating(string[] args) => args is ["migrate"];

    public static async Task<bool> TryRunAsync(IServiceProvider services, string[] args)
    {
        if (Migrating(args))
        {
            // The start-up path has migrated by now, whatever Crm:MigrateOnStartup says.
            Console.WriteLine("The database is up to date.");
            return true;
        }

        if (args is ["backup", "create", ..])
        {
            Environment.ExitCode = await BackupAsync(services, args.Contains("--media"));
            return true;
        }

        if (args is not ["users", "create-admin", ..])
        {
            return false;
        }

        var email = Option(args, "--email");
        if (email is null)
        {
            await Console.Error.WriteLineAsync("usage: users create-admin --email <email> [--password <password>] (or CRM_ADMIN_PASSWORD)");
            Environment.ExitCode = 2;
            return true;
        }

        var password = Option(args, "--password") ?? Environment.GetEnvironmentVariable("CRM_ADMIN_PASSWORD");
        var generated = password is null;
        password ??= Crm.Data.HostingExtensions.NewPassword();
        await using var scope = services.CreateAsyncScope();
        try
        {
            await scope.ServiceProvider.GetRequiredService<UserOperations>().CreateAsync(email, password, "Administrator", CrmRole.Admin, Actor.System);
            Console.WriteLine(generated ? $"Admin {email} created with password: {password}" : $"Admin {email} created.");
        }
        catch (DomainException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            Environment.ExitCode = 1;
        }

        return true;
    }

    /// <summary>
    /// <c>import openphone</c>: the server runs as usual (with its simulator, when embedded) until the history import it
    /// queued ends, printing its progress; the exit code says how it ended. False when the arguments are wrong.
    /// </summary>
    public static bool ImportOnStart(WebApplication app, string[] args)
    {
        if (args is not ["import", "openphone", ..])
        {
            return true;
        }

        DateTimeOffset? since = null;
        if (Option(args, "--since") is { } text)
        {
            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                Console.Error.WriteLine("usage: import openphone [--full] [--since <ISO-8601 time>]");
                Environment.ExitCode = 2;
                return false;
            }

            since = parsed;
        }

        var full = args.Contains("--full");
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(() => ImportAsync(app, full, since)));
        return true;
    }

    private static async Task ImportAsync(WebApplication app, bool full, DateTimeOffset? since)
    {
        var stopping = app.Lifetime.ApplicationStopping;
        try
        {
            Guid id;
            await using (var scope = app.Services.CreateAsyncScope())
            {
                id = (await scope.ServiceProvider.GetRequiredService<HistoryImports>().StartAsync(full, since, new Actor(AuditActorKind.System, null, "command line", null), stopping)).Id;
            }

            Console.WriteLine($"OpenPhone import {id} queued.");
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), stopping);
                await using var scope = app.Services.CreateAsyncScope();
                var job = await scope.ServiceProvider.GetRequiredService<CrmDbContext>().ImportJobs.AsNoTracking().FirstAsync(j => j.Id == id, stopping);
                Console.WriteLine($"{job.Status} {job.Phase}: {job.Done} done, {job.Failed} failed of {job.Total?.ToString(CultureInfo.InvariantCulture) ?? "?"}");
                if (job.Status is ImportStatus.Succeeded or ImportStatus.Failed or ImportStatus.Cancelled)
                {
                    Environment.ExitCode = job.Status == ImportStatus.Succeeded ? 0 : 1;
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped by the operator: the job stays queued or running and resumes on the next start.
            Environment.ExitCode = 1;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"The import could not be followed: {ex.Message}");
            Environment.ExitCode = 1;
        }

        await app.StopAsync(CancellationToken.None);
    }

    /// <summary><c>backup create</c>: one database backup now (and the media copy with --media), as the schedule would write it.</summary>
    private static async Task<int> BackupAsync(IServiceProvider services, bool media)
    {
        await using var scope = services.CreateAsyncScope();
        var backups = scope.ServiceProvider.GetRequiredService<DatabaseBackups>();
        if (!backups.Enabled)
        {
            await Console.Error.WriteLineAsync("Backups:Directory is not set: there is nowhere to write the backup (set Backups__Directory).");
            return 2;
        }

        var backup = await backups.CreateAsync(BackupTrigger.Command, CancellationToken.None);
        if (backup.Status != BackupStatus.Succeeded)
        {
            await Console.Error.WriteLineAsync($"The backup failed: {backup.Error}");
            return 1;
        }

        var file = Path.Combine(Path.GetFullPath(scope.ServiceProvider.GetRequiredService<IOptions<BackupOptions>>().Value.Directory!), backup.FileName!);
        Console.WriteLine($"Backup written: {file} ({backup.SizeBytes} bytes, sha256 {backup.Sha256}{(backup.Uploaded ? ", uploaded" : string.Empty)})");
        if (backup.Error is not null)
        {
            await Console.Error.WriteLineAsync(backup.Error);
        }

        if (media)
        {
            var copies = await scope.ServiceProvider.GetRequiredService<MediaBackups>().RunAsync(BackupTrigger.Command, CancellationToken.None);
            Console.WriteLine($"Media: {copies.MediaCopied} copied, {copies.MediaFailed} failed.");
        }

        return 0;
    }

    /// <summary><c>backup restore</c>, configured like the server (Backups:PgDumpPath from the environment or appsettings).</summary>
    public static async Task<int> RestoreAsync(string[] args)
    {
        var file = Option(args, "--file");
        var connection = Option(args, "--connection");
        if (file is null || connection is null)
        {
            await Console.Error.WriteLineAsync(BackupRestore.Usage);
            return 2;
        }

        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var pgDump = configuration.GetSection(BackupOptions.Section).Get<BackupOptions>()?.PgDumpPath ?? new BackupOptions().PgDumpPath;
        return await BackupRestore.RunAsync(file, connection, args.Contains("--force"), pgDump, Console.Out, Console.Error, CancellationToken.None);
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
