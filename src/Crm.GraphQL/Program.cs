using Crm.Data;
using Crm.GraphQL;
using Crm.GraphQL.Admin;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Health;
using Crm.GraphQL.Server;
using Crm.GraphQL.Webhooks;
using Crm.Jobs;

var builder = WebApplication.CreateBuilder(args);
builder.AddCrmData();
builder.AddCrmJobs();
builder.AddCrmGraphQL();
builder.AddWebhooks();

var app = builder.Build();
await app.Services.InitializeCrmDatabaseAsync();
if (await Cli.TryRunAsync(app.Services, args))
{
    return;
}

app.Services.UseCrmSchedule();
app.UseCrmSecurity();
app.MapAdminPage();
app.MapAuthEndpoints();
app.MapGraphQLEndpoint().RequireRateLimiting(AuthSetup.RequestPolicy);
app.MapHealthEndpoints();
app.MapWebhooks();
app.LogUrlsOnStart();

await app.RunAsync();
