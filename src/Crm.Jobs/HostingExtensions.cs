using Coravel;
using Crm.Data.Campaigns;
using Crm.Jobs.Campaigns;
using Crm.Jobs.Importing;
using Crm.Jobs.OpenPhone;
using Crm.Jobs.Outbound;
using Crm.Jobs.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Crm.Jobs;

public static class HostingExtensions
{
    /// <summary>The environment the test host runs in.</summary>
    public const string TestingEnvironment = "Testing";

    /// <summary>Coravel's scheduler; each job is an invocable registered here and scheduled in <see cref="UseCrmSchedule"/>.</summary>
    public static IHostApplicationBuilder AddCrmJobs(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (Schedules(builder.Environment))
        {
            builder.Services.AddScheduler();
        }

        builder.Services.AddTransient<RetryWebhooksJob>();
        builder.Services.AddOptions<Maintenance.RetentionOptions>().BindConfiguration(Maintenance.RetentionOptions.Section)
            .Validate(o => o.WebhookBodies > TimeSpan.Zero && o.AuditLog > TimeSpan.Zero, "Retention periods must be positive.")
            .ValidateOnStart();
        builder.Services.AddTransient<Maintenance.RetentionJob>();
        builder.Services.AddOptions<Maintenance.SyntheticCheckOptions>().BindConfiguration(Maintenance.SyntheticCheckOptions.Section)
            .Validate(o => o.Every >= TimeSpan.FromMinutes(1) && o.Within > TimeSpan.Zero && o.Within < o.Every, "SyntheticCheck:Every must be at least a minute and SyntheticCheck:Within shorter than it.")
            .ValidateOnStart();
        builder.Services.AddTransient<Maintenance.SyntheticWebhookCheckJob>();
        builder.AddBackups();
        builder.AddOpenPhoneClient();
        builder.AddOutboundSender();
        builder.AddImports();
        return builder;
    }

    /// <summary>Database and media backups: the daily job and what <c>backup create</c> and runBackup call.</summary>
    private static void AddBackups(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<Backups.BackupOptions>().BindConfiguration(Backups.BackupOptions.Section)
            .Validate(o => o.Hour is >= 0 and < 24, "Backups:Hour must be an hour from 0 to 23.")
            .Validate(o => o.KeepDaily >= 1 && o.KeepWeekly >= 0 && o.MediaConcurrency > 0 && o.MediaMaxBytes > 0, "Backups:KeepDaily, MediaConcurrency and MediaMaxBytes must be positive, KeepWeekly not negative.")
            .Validate(o => !o.S3.Enabled || Uri.TryCreate(o.S3.ServiceUrl, UriKind.Absolute, out _), "Backups:S3:ServiceUrl must be an absolute URL.")
            .ValidateOnStart();
        builder.Services.AddScoped<Backups.BackupBucket>();
        builder.Services.AddScoped<Backups.DatabaseBackups>();
        builder.Services.AddScoped<Backups.MediaBackups>();
        builder.Services.AddTransient<Backups.BackupJob>();
        builder.Services.AddHttpClient(Backups.MediaBackups.HttpClientName, http => http.Timeout = TimeSpan.FromMinutes(5))
            .RedactLoggedHeaders(_ => true);
    }

    /// <summary>The import workers and the importers they run.</summary>
    private static void AddImports(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ImportRunnerOptions>().BindConfiguration(ImportRunnerOptions.Section)
            .Validate(o => o.Workers >= 0 && o.Lease > TimeSpan.Zero && o.PollInterval > TimeSpan.Zero && o.MaxRuns > 0 && o.MaxUploadBytes > 0, "Imports settings must be positive.")
            .ValidateOnStart();
        builder.Services.AddOptions<HistoryImportSettings>().BindConfiguration(HistoryImportSettings.Section)
            .Validate(o => o.Concurrency > 0 && o.ConversationAttempts > 0, "Imports:OpenPhone settings must be positive.")
            .ValidateOnStart();
        builder.Services.AddHostedService<ImportRunner>();
        builder.Services.AddScoped<IImporter, OpenPhoneHistoryImporter>();
        builder.Services.AddScoped<HistoryImports>();
        builder.Services.AddScoped<IImporter, Importing.Contacts.ContactCsvImporter>();
        builder.Services.AddScoped<Crm.Data.Importing.ImportFiles>();
        builder.Services.AddScoped<Crm.Data.Importing.ImportWriter>();
    }

    /// <summary>The sender: this instance's workers draining the outbox.</summary>
    private static void AddOutboundSender(this IHostApplicationBuilder builder)
    {
        var embedded = Embedded(builder);
        builder.Services.AddOptions<SenderOptions>().BindConfiguration(SenderOptions.Section)
            .PostConfigure(o => o.Workers ??= embedded ? 1 : 4)
            .Validate(o => o.Workers >= 0 && o.MaxAttempts > 0 && o.RetryDelay > TimeSpan.Zero && o.Lease > TimeSpan.Zero, "OpenPhone:Outbound settings must be positive.")
            .ValidateOnStart();
        builder.Services.AddHostedService<OutboundSender>();
        builder.Services.AddTransient<SweepOutboxJob>();
        builder.Services.AddTransient<CampaignTickJob>();
    }

    /// <summary>
    /// The typed client for OpenPhone's API with its resilience pipeline: retries with jitter on 429/5xx/timeouts honouring
    /// Retry-After, an attempt and a total timeout and a circuit breaker, tunable under <c>OpenPhone:Resilience</c>.
    /// </summary>
    internal static void AddOpenPhoneClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OpenPhoneApiOptions>().BindConfiguration(OpenPhoneApiOptions.Section)
            .Validate(o => Uri.TryCreate(o.ApiBaseUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https", "OpenPhone:ApiBaseUrl must be an absolute http(s) URL.")
            .Validate(o => o.RequestsPerSecond > 0 && o.ReadsAhead > 0, "OpenPhone:RequestsPerSecond and OpenPhone:ReadsAhead must be positive.")
            .ValidateOnStart();
        // The host replaces it with its simulator when no API key is configured.
        builder.Services.TryAddSingleton<IOpenPhoneEndpoint, ConfiguredOpenPhoneEndpoint>();
        // The pace every instance shares: in PostgreSQL, or in this process on SQLite.
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ReadTurns>();
        if (Embedded(builder))
        {
            builder.Services.TryAddSingleton<ISendRate, InProcessSendRate>();
        }
        else
        {
            builder.Services.TryAddSingleton<ISendRate, PostgresSendRate>();
        }

        var client = builder.Services.AddHttpClient<OpenPhoneClient>((services, http) =>
            {
                var endpoint = services.GetRequiredService<IOpenPhoneEndpoint>();
                http.BaseAddress = endpoint.BaseAddress;
                if (!string.IsNullOrEmpty(endpoint.ApiKey))
                {
                    // The raw key, no "Bearer" (openphone-api.md §4.1).
                    http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", endpoint.ApiKey);
                }
            })
            // Already the default since .NET 9, said here so the key in Authorization can never reach a Trace log.
            .RedactLoggedHeaders(_ => true);
        var resilience = client.AddStandardResilienceHandler();
        // Added after the pipeline, so inside it: each attempt, not each call, takes a turn.
        client.AddHttpMessageHandler(services => new PacingHandler(services.GetRequiredService<ISendRate>(), services.GetRequiredService<ReadTurns>()));
        var settings = builder.Configuration.GetSection($"{OpenPhoneApiOptions.Section}:Resilience");
        if (settings.Exists())
        {
            resilience.Configure(settings);
        }

        resilience.Configure(o =>
        {
            o.Retry.ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context.GetRequestMessage()));
            // A 429 is OpenPhone pacing us, not failing: it must not open the circuit and refuse every send for a while.
            o.CircuitBreaker.ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Result?.StatusCode != System.Net.HttpStatusCode.TooManyRequests && HttpClientResiliencePredicates.IsTransient(args.Outcome));
        });
    }

    private static bool Embedded(IHostApplicationBuilder builder) => string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Crm"));

    /// <summary>
    /// A send is never retried here. It has no idempotency key: after a timeout, a 5xx or a dropped connection OpenPhone
    /// may have sent it, which the outbound pipe reconciles; and even a 429 waits for a new turn of the shared pace
    /// (<see cref="Outbound.ISendRate"/>), which a retry here would jump. Reads retry on every transient failure.
    /// </summary>
    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, HttpRequestMessage? request) =>
        request?.Method != HttpMethod.Post && HttpClientResiliencePredicates.IsTransient(outcome);

    /// <summary>Every schedule of the system, in one place.</summary>
    public static IServiceProvider UseCrmSchedule(this IServiceProvider services)
    {
        if (Schedules(services.GetRequiredService<IHostEnvironment>()))
        {
            services.UseScheduler(scheduler =>
            {
                scheduler.Schedule<RetryWebhooksJob>().EveryMinute().PreventOverlapping(nameof(RetryWebhooksJob));
                scheduler.Schedule<SweepOutboxJob>().EveryMinute();
                scheduler.Schedule<Maintenance.RetentionJob>().Hourly().PreventOverlapping(Maintenance.RetentionJob.Name);
                scheduler.Schedule<Maintenance.SyntheticWebhookCheckJob>().EveryMinute().PreventOverlapping(Maintenance.SyntheticWebhookCheckJob.Name);
                scheduler.Schedule<Backups.BackupJob>().Hourly().PreventOverlapping(Backups.BackupJob.Name);
                var tick = services.GetRequiredService<IOptions<CampaignOptions>>().Value.Tick;
                scheduler.Schedule<CampaignTickJob>().EverySeconds(Math.Max(1, (int)tick.TotalSeconds)).PreventOverlapping(CampaignTickJob.Name);
            });
        }

        return services;
    }

    /// <summary>Tests call the jobs' methods themselves with a fake clock: a scheduler on the real clock would race them.</summary>
    private static bool Schedules(IHostEnvironment environment) => !environment.IsEnvironment(TestingEnvironment);
}
