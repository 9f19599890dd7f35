using System.Net;
using Crm.Tests.Infrastructure;
using Npgsql;
using YamlDotNet.RepresentationModel;

namespace Crm.Tests.Deployment;

/// <summary>
/// No Docker engine runs here: the Dockerfile, compose file and app spec are checked against the repository and each
/// other, and the server binary is run the way the image runs it (platform-style settings, `migrate`, then serve).
/// </summary>
public sealed class DeploymentFilesTests
{
    private static readonly string Root = Repository.Root();

    [Fact]
    public void TheDockerfileCopiesWhatExistsAndRunsTheServerOnTheChiseledRuntimeAsNonRoot()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "Dockerfile")).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

        var copies = lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(copies);
        foreach (var copy in copies)
        {
            var parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1];
            Assert.All(parts, source => Assert.True(File.Exists(Path.Combine(Root, source)) || Directory.Exists(Path.Combine(Root, source)), $"{copy}: {source} is not in the repository"));
        }

        Assert.Contains(lines, l => l == "FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build");
        Assert.Contains(lines, l => l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("dotnet publish src/Crm.GraphQL/Crm.GraphQL.csproj -c Release", StringComparison.Ordinal));
        Assert.Contains("USER $APP_UID", lines);
        Assert.Contains("CMD [\"./Crm.GraphQL\"]", lines);
        Assert.Contains(lines, l => l.Contains("ASPNETCORE_HTTP_PORTS=8080", StringComparison.Ordinal));
        // Backups: pg_dump/pg_restore from a stage on the runtime's own Ubuntu, copied in, and the setting pointing at them.
        Assert.Contains("FROM ubuntu:24.04 AS pgclient", lines);
        Assert.Contains(lines, l => l.Contains("postgresql-client-16", StringComparison.Ordinal));
        Assert.Contains("COPY --from=pgclient /opt/pgclient /opt/pgclient", lines);
        Assert.Contains(lines, l => l.Trim() == "Backups__PgDumpPath=/opt/pgclient/bin/pg_dump");
        Assert.True(lines.FindIndex(l => l.StartsWith("FROM ubuntu:24.04 AS pgclient", StringComparison.Ordinal)) < lines.FindIndex(l => l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet", StringComparison.Ordinal)), "the pgclient stage comes before the runtime stage");
        // The build stage copies the admin page the server serves from its output.
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "admin-static", "index.html")));
    }

    [Fact]
    public void TheAppSpecRunsTheImageOnItsPortWithItsHealthCheckAMigrateJobAndNoCommittedSecret()
    {
        var spec = Yaml(".do/app.yaml");
        var web = Single(spec["services"], "web");
        Assert.Equal("8080", Scalar(web["http_port"]));
        Assert.Equal("/health/ready", Scalar(((YamlMappingNode)web["health_check"])["http_path"]));
        Assert.Equal("Dockerfile", Scalar(web["dockerfile_path"]));
        var envs = Envs(web);
        Assert.Equal("${db.DATABASE_URL}", envs["ConnectionStrings__Crm"].Value);
        Assert.Equal("${cache.DATABASE_URL}", envs["ConnectionStrings__Redis"].Value);
        Assert.Equal("false", envs["Crm__MigrateOnStartup"].Value);
        Assert.All(envs.Values.Where(e => e.Secret), e => Assert.Matches(@"^EV\[[a-z0-9-]+\]$", e.Value));
        Assert.All(new[] { "OpenPhone__ApiKey", "OpenPhone__WebhookSigningKeys__0", "Crm__Admin__Password", "Backups__S3__AccessKey", "Backups__S3__SecretKey" }, key => Assert.True(envs[key].Secret, key));

        var migrate = Single(spec["jobs"], "migrate");
        Assert.Equal("PRE_DEPLOY", Scalar(migrate["kind"]));
        Assert.Equal("./Crm.GraphQL migrate", Scalar(migrate["run_command"]));
        Assert.Equal("${db.DATABASE_URL}", Envs(migrate)["ConnectionStrings__Crm"].Value);

        var databases = ((YamlSequenceNode)spec["databases"]).Cast<YamlMappingNode>().ToDictionary(d => Scalar(d["name"]), d => d);
        Assert.Equal(("PG", "15"), (Scalar(databases["db"]["engine"]), Scalar(databases["db"]["version"])));
        Assert.Equal("VALKEY", Scalar(databases["cache"]["engine"]));
        Assert.All(databases.Values, d => Assert.False(string.IsNullOrEmpty(Scalar(d["cluster_name"]))));
    }

    [Fact]
    public void TheComposeFileRunsTwoInstancesOnPostgres15AndRedis7AfterAMigration()
    {
        var services = (YamlMappingNode)Yaml("docker-compose.yml")["services"];
        Assert.Equal("postgres:15", Scalar(((YamlMappingNode)services["postgres"])["image"]));
        Assert.Equal("redis:7", Scalar(((YamlMappingNode)services["redis"])["image"]));
        Assert.Equal(["./Crm.GraphQL", "migrate"], ((YamlSequenceNode)((YamlMappingNode)services["migrate"])["command"]).Select(Scalar));
        foreach (var name in new[] { "app1", "app2" })
        {
            var app = Merged((YamlMappingNode)services[name]);
            var environment = (YamlMappingNode)app["environment"];
            Assert.StartsWith("postgresql://", Scalar(environment["ConnectionStrings__Crm"]), StringComparison.Ordinal);
            Assert.StartsWith("redis://", Scalar(environment["ConnectionStrings__Redis"]), StringComparison.Ordinal);
            Assert.Contains("migrate", ((YamlMappingNode)app["depends_on"]).Children.Keys.Select(Scalar));
        }
    }

    /// <summary>The image's way: settings from the environment only (a DATABASE_URL, a Redis URL), `migrate`, then serve.</summary>
    [Fact]
    public async Task TheServerBinaryMigratesAnEmptyDatabaseWithMigrateThenServesReadyFromPlatformUrls()
    {
        var target = new NpgsqlConnectionStringBuilder(await PostgresFixture.CreateDatabaseAsync("crm_platform_urls"));

        var credentials = target.Password is null ? Uri.EscapeDataString(target.Username!) : $"{Uri.EscapeDataString(target.Username!)}:{Uri.EscapeDataString(target.Password)}";
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Crm"] = $"postgresql://{credentials}@{target.Host}:{target.Port}/{target.Database}?sslmode=disable",
            ["ConnectionStrings:Redis"] = "redis://" + (Environment.GetEnvironmentVariable("CRM_TEST_REDIS") ?? throw new InvalidOperationException("CRM_TEST_REDIS is not set: run the tests with scripts/test.sh.")),
            ["Crm:MigrateOnStartup"] = "false",
        };

        var (exitCode, output) = await ServerProcess.RunToExitAsync(settings, "migrate");
        Assert.True(exitCode == 0, output);
        Assert.Contains("The database is up to date.", output, StringComparison.Ordinal);

        await using var server = await ServerProcess.StartAsync(settings);
        using var http = new HttpClient { BaseAddress = server.Address };
        using var ready = await http.GetAsync("/health/ready");
        var checks = System.Text.Json.Nodes.JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["checks"]!;
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(("Healthy", "Healthy"), (checks["database"]!["status"]!.GetValue<string>(), checks["redis"]!["status"]!.GetValue<string>()));
    }

    private static YamlMappingNode Yaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Root, path));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    /// <summary>A mapping with its YAML merge key (<c>&lt;&lt;: *anchor</c>) applied, which the representation model leaves as a key.</summary>
    private static YamlMappingNode Merged(YamlMappingNode node)
    {
        var merged = new YamlMappingNode();
        var merge = new YamlScalarNode("<<");
        if (node.Children.TryGetValue(merge, out var parent))
        {
            foreach (var (key, value) in ((YamlMappingNode)parent).Children)
            {
                merged.Children[key] = value;
            }
        }

        foreach (var (key, value) in node.Children.Where(c => !c.Key.Equals(merge)))
        {
            merged.Children[key] = value;
        }

        return merged;
    }

    private static YamlMappingNode Single(YamlNode list, string name) =>
        ((YamlSequenceNode)list).Cast<YamlMappingNode>().Single(n => Scalar(n["name"]) == name);

    private static Dictionary<string, (string Value, bool Secret)> Envs(YamlMappingNode component) =>
        ((YamlSequenceNode)component["envs"]).Cast<YamlMappingNode>().ToDictionary(
            e => Scalar(e["key"]),
            e => (Scalar(e["value"]), e.Children.TryGetValue(new YamlScalarNode("type"), out var type) && Scalar(type) == "SECRET"));

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? string.Empty;
}
