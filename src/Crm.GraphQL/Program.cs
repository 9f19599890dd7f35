using Crm.Data;
using Crm.GraphQL;
using Crm.GraphQL.Admin;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Exports;
using Crm.GraphQL.Health;
using Crm.GraphQL.Importing;
using Crm.GraphQL.Observability;
using Crm.GraphQL.OpenPhone;
using Crm.GraphQL.Server;
using Crm.GraphQL.Webhooks;
using Crm.Jobs;
using Crm.OpenPhoneSimulator;

if (args is ["simulator", .. var simulatorArgs])
{
    await SimulatorHost.RunAsync(simulatorArgs);
    return;
}

if (args is ["backup", "restore", ..])
{
    // Before the host: a restore neither migrates nor opens the configured database, which may be the empty target.
    Environment.ExitCode = await Cli.RestoreAsync(args);
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddCrmErrorTracking();
builder.AddCrmData();
builder.AddCrmJobs();
builder.AddCrmGraphQL();
builder.AddWebhooks();
builder.AddOpenPhoneMode();

var app = builder.Build();
await app.Services.InitializeCrmDatabaseAsync(migrate: Cli.Migrating(args));
if (await Cli.TryRunAsync(app.Services, args) || !Cli.ImportOnStart(app, args))
{
    return;
}

app.Services.UseCrmSchedule();
app.UseCrmSecurity();
app.UseCrmMetrics();
app.MapAdminPage();
app.MapAuthEndpoints();
app.MapGraphQLEndpoint().RequireRateLimiting(AuthSetup.RequestPolicy);
app.MapExports();
app.MapHealthEndpoints();
app.MapImportEndpoints();
app.MapWebhooks();
app.MapOpenPhoneMode();
app.LogUrlsOnStart();

await app.RunAsync();
