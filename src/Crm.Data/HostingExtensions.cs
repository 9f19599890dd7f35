using Crm.Data.Audit;
using Crm.Data.Compliance;
using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Data.Events;
using Crm.Data.Outbound;
using Crm.Data.Seeding;
using Crm.Data.Users;
using Crm.Data.Webhooks;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Data;

public static partial class HostingExtensions
{
    /// <summary>PostgreSQL when <c>ConnectionStrings:Crm</c> is set, else the embedded SQLite file.</summary>
    public static IHostApplicationBuilder AddCrmData(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ConnectionUrls.Apply(builder.Configuration);
        builder.Services.AddOptions<CrmOptions>().BindConfiguration(CrmOptions.Section)
            .Validate(o => NodaTime.DateTimeZoneProviders.Tzdb.GetZoneOrNull(o.BusinessTimeZone) is not null, "Crm:BusinessTimeZone must be an IANA time zone such as America/New_York.")
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);

        var connectionString = builder.Configuration.GetConnectionString("Crm");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var path = Path.GetFullPath(
                builder.Configuration[$"{CrmOptions.Section}:{nameof(CrmOptions.SqlitePath)}"] ?? new CrmOptions().SqlitePath,
                builder.Environment.ContentRootPath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            builder.Services.AddDbContextPool<CrmDbContext, SqliteCrmDbContext>(o => Quiet(o.UseSqlite($"Data Source={path}")));
        }
        else
        {
            builder.Services.AddDbContextPool<CrmDbContext, PostgresCrmDbContext>(o => Quiet(o.UseNpgsql(connectionString)).AddInterceptors(RowLocks.Interceptor));
        }

        // Sign-in cookies and Identity's tokens are sealed with Data Protection's keys. Kept in the database, every
        // instance (and the next container) reads what the others sealed; by default they live in one container's home.
        builder.Services.AddDataProtection().SetApplicationName("Attack-a-Crack CRM").PersistKeysToDbContext<CrmDbContext>();
        builder.Services.AddScoped<UnitOfWork>();
        builder.Services.AddScoped<ContactOperations>();
        builder.Services.AddScoped<InboxOperations>();
        builder.Services.AddScoped<AuditLog>();
        builder.Services.AddScoped<UserOperations>();
        builder.Services.AddScoped<ApiKeyOperations>();
        // Off unless the host turns it on: it must also drop entries when another instance revokes a key (Crm.GraphQL does).
        builder.Services.TryAddSingleton(sp => new ApiKeyCache(sp.GetRequiredService<TimeProvider>(), TimeSpan.Zero));
        builder.Services.AddIdentityCore<CrmUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 12;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.Lockout.AllowedForNewUsers = true;
            })
            .AddEntityFrameworkStores<CrmDbContext>();
        builder.Services.AddScoped<TimelineOperations>();
        builder.Services.AddScoped<WebhookInbox>();
        builder.Services.AddOptions<OutboundOptions>().BindConfiguration(OutboundOptions.Section)
            .Validate(o => o.PricePerSegment >= 0, "OpenPhone:PricePerSegment must not be negative.").ValidateOnStart();
        builder.Services.AddScoped<OutboundOperations>();
        builder.Services.AddScoped<Importing.ImportJobOperations>();
        builder.Services.AddScoped<Consent.ConsentLedger>();
        builder.Services.AddScoped<SendGate>();
        builder.Services.AddScoped<InboundConsent>();
        builder.Services.AddOptions<ComplianceOptions>().BindConfiguration(ComplianceOptions.Section)
            .Validate(o => QuietHours.Window.TryParse(o.MarketingHours, out _), "Compliance:MarketingHours must be a window such as 09:00-20:00.")
            .Validate(o => o.MarketingMaxPerContact > 0 && o.MarketingWindowDays > 0, "Compliance:MarketingMaxPerContact and MarketingWindowDays must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<OutboundSignal>();
        builder.Services.AddScoped<ContactLists.ContactListOperations>();
        builder.Services.AddScoped<Campaigns.TemplateValidator>();
        builder.Services.AddScoped<Campaigns.OptOutFooter>();
        builder.Services.AddScoped<Campaigns.TemplateEstimator>();
        builder.Services.AddScoped<Campaigns.CampaignTemplateOperations>();
        builder.Services.AddOptions<Campaigns.CampaignOptions>().BindConfiguration(Campaigns.CampaignOptions.Section)
            .Validate(o => o.DailyCap > 0 && o.PerMinute > 0 && o.Tick > TimeSpan.Zero && o.AttributionWindowDays > 0, "Campaigns:DailyCap, PerMinute, Tick and AttributionWindowDays must be positive.")
            .ValidateOnStart();
        builder.Services.AddScoped<Campaigns.CampaignEligibility>();
        builder.Services.AddScoped<Campaigns.CampaignWriter>();
        builder.Services.AddScoped<Campaigns.CampaignMessages>();
        builder.Services.AddScoped<Campaigns.CampaignOperations>();
        builder.Services.AddScoped<Campaigns.CampaignDispatcher>();
        builder.Services.AddScoped<Campaigns.CampaignAttribution>();
        builder.Services.AddScoped<Campaigns.CampaignResults>();
        builder.Services.AddScoped<Jobs.JobLeases>();
        builder.Services.AddScoped<Monitoring.SyntheticChecks>();
        // Crm.GraphQL replaces it with the Redis bus when ConnectionStrings:Redis is set.
        builder.Services.AddOptions<EventBusOptions>().BindConfiguration(EventBusOptions.Section)
            .Validate(o => o.BufferCapacity > 0, "Events:BufferCapacity must be positive.").ValidateOnStart();
        builder.Services.AddSingleton<IEventBus, InProcessEventBus>();
        return builder;
    }

    /// <summary>
    /// A failed save or command is logged by whoever handles it, not by EF Core at Error with its stack: a lost unique
    /// race that the unit of work runs again, or a redelivered webhook, is routine. The unit of work logs the failures
    /// it does not handle, and queries that fail are still logged by EF Core.
    /// </summary>
    private static DbContextOptionsBuilder Quiet(DbContextOptionsBuilder options) => options.ConfigureWarnings(w => w.Log(
        (CoreEventId.SaveChangesFailed, LogLevel.Debug),
        (RelationalEventId.CommandError, LogLevel.Debug)));

    /// <summary>
    /// Migrates and seeds as configured; run once before the host starts serving. <paramref name="migrate"/> migrates
    /// whatever <see cref="CrmOptions.MigrateOnStartup"/> says: the <c>migrate</c> command.
    /// </summary>
    public static async Task InitializeCrmDatabaseAsync(this IServiceProvider services, bool migrate = false, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var options = scope.ServiceProvider.GetRequiredService<IOptions<CrmOptions>>().Value;
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Crm.Data");

        if (options.MigrateOnStartup || migrate)
        {
            // Start-up migration suits one instance or a rolling deploy of additive changes; with several instances,
            // operators set Crm:MigrateOnStartup=false and run the server binary's `migrate` before the release.
            await db.Database.MigrateAsync(cancellationToken);
        }

        var seed = options.SeedDemoData ?? db is SqliteCrmDbContext;
        if (seed && !await db.Contacts.AnyAsync(cancellationToken))
        {
            var counts = await DemoData.SeedAsync(db, scope.ServiceProvider.GetRequiredService<TimeProvider>(), cancellationToken);
            LogSeeded(logger, counts);
        }

        try
        {
            EnsureDataProtectionKey(scope.ServiceProvider);
            await EnsureAdminAsync(scope.ServiceProvider, options, seed, logger, cancellationToken);
        }
        catch (Exception ex) when (!options.MigrateOnStartup && ex is System.Data.Common.DbException or InvalidOperationException)
        {
            // Operators who migrate separately may start the server before the database answers: serve, and report not-ready.
            LogAdminCheckFailed(logger, ex);
        }
    }

    /// <summary>
    /// The first Data Protection key, made before any instance serves (the <c>migrate</c> command runs this): left to
    /// the first sign-in, two instances starting on an empty key ring would each make their own, and each would refuse
    /// the other's cookies until its next key-ring refresh.
    /// </summary>
    private static void EnsureDataProtectionKey(IServiceProvider services)
    {
        var keys = services.GetRequiredService<IKeyManager>();
        if (keys.GetAllKeys().Count == 0)
        {
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            keys.CreateNewKey(now, now.AddDays(90));
        }
    }

    /// <summary>The first admin: from configuration, or a demo admin on a demo database, or a hint for the operator.</summary>
    private static async Task EnsureAdminAsync(IServiceProvider services, CrmOptions options, bool demo, ILogger logger, CancellationToken cancellationToken)
    {
        var users = services.GetRequiredService<UserOperations>();
        if (await users.HasActiveAdminAsync(cancellationToken))
        {
            return;
        }

        if (!string.IsNullOrWhiteSpace(options.Admin.Email) && !string.IsNullOrEmpty(options.Admin.Password))
        {
            await users.CreateAsync(options.Admin.Email, options.Admin.Password, "Administrator", CrmRole.Admin, Actor.System);
            LogAdminCreated(logger, options.Admin.Email);
        }
        else if (demo)
        {
            var password = NewPassword();
            await users.CreateAsync(DemoAdminEmail, password, "Demo Admin", CrmRole.Admin, Actor.System);
            var (_, key) = await services.GetRequiredService<ApiKeyOperations>().CreateAsync("demo", CrmRole.Marketer, Actor.System);
            // Deliberately the console, not the log: these secrets are shown once, to whoever started the server.
            Console.WriteLine($"Demo admin created. Log in at /admin/ as {DemoAdminEmail} with password: {password}");
            Console.WriteLine($"Demo API key (MARKETER): {key}");
        }
        else
        {
            LogNoAdmin(logger);
        }
    }

    public const string DemoAdminEmail = "admin@attackacrack.local";

    /// <summary>A strong password for generated accounts (demo admin, CLI without --password): 144 random bits, plus one character of each class Identity's policy demands: random text alone lacks a digit in about 2% of draws.</summary>
    public static string NewPassword() => UserOperations.Base64Url(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18)) + "a1Z";

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first admin {Email} from configuration")]
    private static partial void LogAdminCreated(ILogger logger, string email);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No active admin exists. Set Crm:Admin:Email and Crm:Admin:Password, or run: dotnet Crm.GraphQL.dll users create-admin --email <email>")]
    private static partial void LogNoAdmin(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check for an admin account; the database did not answer")]
    private static partial void LogAdminCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded demo data: {Counts}")]
    private static partial void LogSeeded(ILogger logger, string counts);
}
