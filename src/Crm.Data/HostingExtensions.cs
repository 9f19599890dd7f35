using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Data.Events;
using Crm.Data.Seeding;
using Crm.Data.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
        builder.Services.AddOptions<CrmOptions>().BindConfiguration(CrmOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);

        var connectionString = builder.Configuration.GetConnectionString("Crm");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var path = Path.GetFullPath(
                builder.Configuration[$"{CrmOptions.Section}:{nameof(CrmOptions.SqlitePath)}"] ?? new CrmOptions().SqlitePath,
                builder.Environment.ContentRootPath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            builder.Services.AddDbContext<CrmDbContext, SqliteCrmDbContext>(o => o.UseSqlite($"Data Source={path}"));
        }
        else
        {
            builder.Services.AddDbContext<CrmDbContext, PostgresCrmDbContext>(o => o.UseNpgsql(connectionString));
        }

        builder.Services.AddScoped<ContactOperations>();
        builder.Services.AddScoped<TimelineOperations>();
        builder.Services.AddScoped<WebhookInbox>();
        // REVIEW: in-process only; the subscriptions issue swaps in Redis when ConnectionStrings:Redis is set.
        builder.Services.AddSingleton<IEventBus, InProcessEventBus>();
        return builder;
    }

    /// <summary>Migrates and seeds as configured; run once before the host starts serving.</summary>
    public static async Task InitializeCrmDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var options = scope.ServiceProvider.GetRequiredService<IOptions<CrmOptions>>().Value;
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Crm.Data");

        if (options.MigrateOnStartup)
        {
            // REVIEW: start-up migration suits one instance or a rolling deploy of additive changes;
            // operators with several instances set Crm:MigrateOnStartup=false and run `dotnet ef database update`.
            await db.Database.MigrateAsync(cancellationToken);
        }

        var seed = options.SeedDemoData ?? db is SqliteCrmDbContext;
        if (seed && !await db.Contacts.AnyAsync(cancellationToken))
        {
            var counts = await DemoData.SeedAsync(db, scope.ServiceProvider.GetRequiredService<TimeProvider>(), cancellationToken);
            LogSeeded(logger, counts);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded demo data: {Counts}")]
    private static partial void LogSeeded(ILogger logger, string counts);
}
