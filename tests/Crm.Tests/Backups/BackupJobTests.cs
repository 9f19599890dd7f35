using Crm.Data.Activities;
using Crm.Data.Audit;
using Crm.Data.Backups;
using Crm.Data.Users;
using Crm.Jobs.Backups;
using Crm.Tests.Infrastructure;
using Crm.Tests.OpenPhone;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Backups;

/// <summary>The daily job across instances, retention on a fixed clock, the S3 copy, the media copy and the admin API.</summary>
public sealed class BackupJobTests(PostgresFixture fixture) : PostgresTest(fixture), IDisposable
{
    /// <summary>A Wednesday.</summary>
    private static readonly DateTimeOffset Now = new(2027, 6, 16, 3, 30, 0, TimeSpan.Zero);

    private readonly string _directory = Directory.CreateTempSubdirectory("crm-backups-").FullName;

    [Fact]
    public async Task TwoInstancesTryingAtOnceBackUpOnceADayAndNotBeforeTheHour()
    {
        await using var first = Host();
        await using var second = Host();
        var day = Now.AddDays(40);

        Assert.Null(await RunJobAsync(first, day.AddHours(-1))); // 02:30, before Backups:Hour 3
        var tries = Enumerable.Range(0, 10).Select(i => Task.Run(() => RunJobAsync(i % 2 == 0 ? first : second, day)));
        var results = await Task.WhenAll(tries);

        var run = Assert.Single(results, r => r is not null)!;
        Assert.Equal(BackupStatus.Succeeded, run.Database.Status);
        Assert.Equal(BackupTrigger.Schedule, run.Database.Trigger);
        Assert.True(File.Exists(Path.Combine(_directory, run.Database.FileName!)));
        Assert.Equal(BackupStatus.Succeeded, run.Media!.Status);
        Assert.Single(Directory.GetFiles(_directory, "*.dump"));
        Assert.Null(await RunJobAsync(second, day.AddHours(20)));
    }

    [Fact]
    public async Task RetentionKeepsTheNewestOfSevenDaysAndOfFourWeeksAndRemovesTheRestFromDiskAndBucket()
    {
        await using var bucket = await FakeBucket.StartAsync();
        await using var host = Host(bucket);
        var rows = new List<Backup>();
        for (var age = 0; age < 40; age++)
        {
            rows.Add(Dump(Now.AddDays(-age)));
        }

        rows.Add(Dump(Now.AddHours(-2))); // an earlier one the same day: the day keeps its newest
        var failed = new Backup { Kind = BackupKind.Database, Trigger = BackupTrigger.Schedule, Status = BackupStatus.Failed, StartedAt = Now.AddDays(-30), Error = "boom" };
        await Fixture.ArrangeAsync(async db =>
        {
            db.Backups.AddRange(rows);
            db.Backups.Add(failed);
            await db.SaveChangesAsync();
        });
        foreach (var row in rows)
        {
            await File.WriteAllTextAsync(Path.Combine(_directory, row.FileName!), row.FileName);
            bucket.Objects[$"backups/crm/{row.FileName}"] = [1];
        }

        await using var scope = host.Services.CreateAsyncScope();
        var removed = await scope.ServiceProvider.GetRequiredService<DatabaseBackups>().ApplyRetentionAsync(Now, CancellationToken.None);

        // Days: Jun 16 … Jun 10. ISO weeks (from Monday): Jun 14 and Jun 7 are already kept by day; May 31 keeps Jun 6, May 24 keeps May 30.
        var expected = new[] { 16, 15, 14, 13, 12, 11, 10, 6 }.Select(d => new DateTimeOffset(2027, 6, d, 3, 30, 0, TimeSpan.Zero)).Append(new DateTimeOffset(2027, 5, 30, 3, 30, 0, TimeSpan.Zero)).ToHashSet();
        var left = await Fixture.QueryAsync(db => db.Backups.AsNoTracking().Where(b => b.DeletedAt == null && b.Status == BackupStatus.Succeeded).Select(b => b.StartedAt).ToListAsync());
        Assert.Equal(expected.OrderBy(t => t), left.OrderBy(t => t));
        Assert.Equal(rows.Count - expected.Count, removed.Count);
        Assert.Equal(expected.Count, Directory.GetFiles(_directory, "*.dump").Length);
        Assert.Equal(expected.Count, bucket.Objects.Count);
        Assert.Equal(removed.Count, bucket.Deleted.Count);
        Assert.Equal(BackupStatus.Failed, (await Fixture.QueryAsync(db => db.Backups.AsNoTracking().SingleAsync(b => b.Id == failed.Id))).Status);
    }

    [Fact]
    public async Task ADumpIsUploadedToTheBucketSignedWithTheConfiguredKey()
    {
        await using var bucket = await FakeBucket.StartAsync();
        await using var host = Host(bucket);

        await using var scope = host.Services.CreateAsyncScope();
        var backup = await scope.ServiceProvider.GetRequiredService<DatabaseBackups>().CreateAsync(BackupTrigger.Manual, CancellationToken.None);

        Assert.True(backup.Uploaded, backup.Error);
        var uploaded = bucket.Objects[$"backups/crm/{backup.FileName}"];
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(_directory, backup.FileName!)), uploaded);
        Assert.Contains(bucket.Authorizations, a => a.Contains("Credential=AKTEST/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MediaIsCopiedOnceByContentHashAndAFailingUrlIsRecordedAndRetriedWithoutFailingTheRun()
    {
        await using var simulator = await SimulatorServer.StartAsync();
        await using var host = Host();
        var media = new Uri(simulator.BaseAddress, "_simulator/media/");
        await Fixture.ArrangeAsync(async db =>
        {
            var line = TestData.Line();
            var contact = TestData.Contact(1);
            var conversation = TestData.Conversation(contact, line, TestData.Epoch);
            var message = TestData.Message(conversation, "photo", TestData.Epoch);
            message.Media = [new MediaItem { Url = new Uri(media, "photo-a.svg").ToString() }, new MediaItem { Url = new Uri(media, "photo-b.svg").ToString() }];
            var call = TestData.Message(conversation, "call", TestData.Epoch.AddMinutes(1));
            call.Kind = ActivityKind.Call;
            call.Recordings = [new MediaItem { Url = new Uri(media, "rec-1.wav?seconds=2").ToString() }];
            call.Voicemail = new MediaItem { Url = new Uri(media, "gone.bin").ToString() };
            var relative = TestData.Message(conversation, "demo", TestData.Epoch.AddMinutes(2));
            relative.Media = [new MediaItem { Url = "/_openphone/_simulator/media/photo-c.svg" }];
            db.AddRange(line, contact, conversation, message, call, relative);
            await db.SaveChangesAsync();
        });

        var first = await RunMediaAsync(host);
        var second = await RunMediaAsync(host);

        Assert.Equal((BackupStatus.Succeeded, 3, 1), (first.Status, first.MediaCopied, first.MediaFailed));
        // Two pictures with the same bytes are one file; each file is named by its content's hash.
        var files = Directory.GetFiles(Path.Combine(_directory, "media"));
        Assert.Equal(2, files.Length);
        Assert.All(files, f => Assert.Equal(Path.GetFileName(f), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))));
        Assert.Equal((0, 1), (second.MediaCopied, second.MediaFailed));
        var copies = await Fixture.QueryAsync(db => db.MediaCopies.AsNoTracking().ToDictionaryAsync(m => m.Url[(m.Url.LastIndexOf('/') + 1)..]));
        Assert.Equal(["gone.bin", "photo-a.svg", "photo-b.svg", "rec-1.wav?seconds=2"], copies.Keys.Order());
        Assert.Equal(copies["photo-a.svg"].Sha256, copies["photo-b.svg"].Sha256);
        Assert.Equal((2, null), (copies["gone.bin"].Attempts, copies["gone.bin"].Sha256));
        Assert.Contains("404", copies["gone.bin"].LastError, StringComparison.Ordinal);
        Assert.Equal(1, copies["rec-1.wav?seconds=2"].Attempts);
    }

    [Fact]
    public async Task AnAdminRunsABackupNowAndListsItOnceAMinuteAndOnlyWhereBackupsAreOn()
    {
        var off = await Client.DataAsync("mutation { runBackup(input: {}) { backup { id } errors { __typename ... on Error { message } } } }");
        Assert.Equal("BackupsNotConfiguredError", off["runBackup"]!["errors"]![0]!["__typename"]!.GetValue<string>());

        await using var host = Host();
        var admin = await ClientAsync(host, CrmRole.Admin);
        var run = await admin.DataAsync("mutation { runBackup(input: { kind: DATABASE }) { backup { id kind trigger status fileName sizeBytes sha256 } errors { __typename } } }");
        var backup = run["runBackup"]!["backup"]!;
        Assert.Equal(("DATABASE", "MANUAL", "SUCCEEDED"), (backup["kind"]!.GetValue<string>(), backup["trigger"]!.GetValue<string>(), backup["status"]!.GetValue<string>()));
        Assert.Equal(64, backup["sha256"]!.GetValue<string>().Length);

        var again = await admin.DataAsync("mutation { runBackup(input: {}) { backup { id } errors { __typename } } }");
        Assert.Equal("BackupBusyError", again["runBackup"]!["errors"]![0]!["__typename"]!.GetValue<string>());

        var list = await admin.DataAsync("{ backups(first: 10, kind: DATABASE) { nodes { id fileName status } } }");
        Assert.Equal(backup["id"]!.GetValue<string>(), Assert.Single(list["backups"]!["nodes"]!.AsArray())!["id"]!.GetValue<string>());

        var viewer = await ClientAsync(host, CrmRole.Viewer);
        var denied = await viewer.PostAsync("{ backups(first: 1) { nodes { id } } }");
        Assert.NotNull(denied.Json["errors"]);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private CrmApiFactory Host(FakeBucket? bucket = null)
    {
        var settings = PostgresFixture.Settings();
        settings["Backups:Directory"] = _directory;
        settings["Backups:PgDumpPath"] = Path.Combine(Environment.GetEnvironmentVariable("CRM_TEST_PG_BIN")!, "pg_dump");
        if (bucket is not null)
        {
            settings["Backups:S3:ServiceUrl"] = bucket.Address.ToString();
            settings["Backups:S3:Bucket"] = "backups";
            settings["Backups:S3:Prefix"] = "crm/";
            settings["Backups:S3:AccessKey"] = "AKTEST";
            settings["Backups:S3:SecretKey"] = "test-secret";
        }

        return new CrmApiFactory(settings);
    }

    private static Backup Dump(DateTimeOffset at) => new()
    {
        Kind = BackupKind.Database,
        Trigger = BackupTrigger.Schedule,
        Status = BackupStatus.Succeeded,
        StartedAt = at,
        FinishedAt = at,
        FileName = $"crm-{at:yyyyMMdd-HHmmss}Z-test.dump",
        Uploaded = true,
    };

    private static async Task<BackupRunResult?> RunJobAsync(CrmApiFactory host, DateTimeOffset now)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<BackupJob>().RunAsync(now, CancellationToken.None);
    }

    private static async Task<Backup> RunMediaAsync(CrmApiFactory host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<MediaBackups>().RunAsync(BackupTrigger.Manual, CancellationToken.None);
    }

    private static async Task<GraphQLClient> ClientAsync(CrmApiFactory host, CrmRole role)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var (_, secret) = await scope.ServiceProvider.GetRequiredService<ApiKeyOperations>().CreateAsync($"test {role}", role, Actor.System);
        var http = host.CreateClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        return new GraphQLClient(http);
    }
}
