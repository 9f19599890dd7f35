using System.Text;
using Crm.Data.Importing;
using Crm.Jobs.Importing;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Crm.Tests.Importing;

/// <summary>
/// An import interrupted midway ends as an uninterrupted one does: its first worker's claim taken over (as when its
/// lease runs out) in a host that runs no import workers, so the test plays them; or its server killed (SIGKILL).
/// </summary>
public sealed class ContactImportResumeTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const int Rows = 12_000;
    /// <summary>Every 20th row repeats an earlier phone in another format, every 50th phone is invalid, emails repeat after row 9000: decisions cross batches.</summary>
    private static string File()
    {
        var csv = new StringBuilder("name,phone,email,tags\n");
        for (var i = 0; i < Rows; i++)
        {
            var n = 5_500_000 + (i % 20 == 19 ? i - 7 : i);
            var phone = i % 50 == 49 ? "12345" : i % 20 == 19 ? FormattableString.Invariant($"(617) {n / 10000}-{n % 10000:D4}") : FormattableString.Invariant($"+1617{n}");
            csv.Append(FormattableString.Invariant($"Person {i},{phone},p{i % 9000}@example.com,\"t{i % 3}, x\"\n"));
        }

        return csv.ToString();
    }

    [Fact]
    public async Task AnImportTakenOverMidwayEndsAsAnUninterruptedOneDoes()
    {
        var settings = PostgresFixture.Settings();
        settings["Imports:Workers"] = "0";
        await using var host = new CrmApiFactory(settings);
        var http = host.CreateClient();
        http.DefaultRequestHeaders.Authorization = Client.Http.DefaultRequestHeaders.Authorization;
        var file = File();

        var straight = await Imports.QueueAsync(http, file);
        await RunAsync(host, await ClaimAsync(host, straight));
        var expected = await StateAsync(straight);

        await Fixture.ResetAsync();
        var key = await Fixture.ClientAsAsync(Crm.Data.Users.CrmRole.Admin);
        http.DefaultRequestHeaders.Authorization = key.Http.DefaultRequestHeaders.Authorization;
        var resumed = await Imports.QueueAsync(http, file);
        var firstRun = RunAsync(host, await ClaimAsync(host, resumed));
        var checkpoint = await TakeOverAfterFirstBatchAsync(resumed);
        await Assert.ThrowsAsync<ImportClaimLostException>(() => firstRun);
        var second = await Fixture.QueryAsync(db => db.ImportJobs.AsNoTracking().Where(j => j.Id == resumed)
            .Select(j => new ImportClaim(j.Id, j.ClaimToken!.Value, j.Kind, j.Options, j.Checkpoint, j.Runs)).FirstAsync());
        Assert.Equal(checkpoint, second.Checkpoint);
        await RunAsync(host, second);

        Assert.Equal(expected, await StateAsync(resumed));
        Assert.Equal(2, second.Runs);
    }

    [Fact]
    public async Task AfterKillNineTheNextStartResumesTheImportAndEndsAsAnUninterruptedRunWould()
    {
        var file = File();
        var straight = await Imports.QueueAsync(Client.Http, file);
        await using (var host = new CrmApiFactory(PostgresFixture.Settings()))
        {
            await RunAsync(host, await ClaimAsync(host, straight));
        }

        var expected = await StateAsync(straight);
        await Fixture.ResetAsync();
        var key = await Fixture.ClientAsAsync(Crm.Data.Users.CrmRole.Admin);
        var job = await Imports.QueueAsync(key.Http, file);
        var settings = PostgresFixture.Settings();
        settings["Imports:Workers"] = "1";
        settings["Imports:Lease"] = "00:00:02";
        settings["Imports:PollInterval"] = "00:00:00.500";

        ImportJob killed;
        await using (var first = await ServerProcess.StartAsync(settings))
        {
            killed = await UntilAsync(job, j => j.Done + j.Failed > 0, first);
            await first.KillAsync();
        }

        await using var second = await ServerProcess.StartAsync(settings);
        var ended = await UntilAsync(job, j => j.FinishedAt is not null, second);

        Assert.True(killed is { Status: ImportStatus.Running } && killed.Done + killed.Failed < Rows, $"killed at {killed.Status} {killed.Done + killed.Failed}");
        Assert.Equal((ImportStatus.Succeeded, 2), (ended.Status, ended.Runs));
        Assert.Equal(expected, await StateAsync(job));
    }

    private async Task<ImportJob> UntilAsync(Guid id, Func<ImportJob, bool> until, ServerProcess server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var job = await Fixture.QueryAsync(db => db.ImportJobs.AsNoTracking().FirstAsync(j => j.Id == id));
            if (until(job))
            {
                return job;
            }

            // Often enough to catch the import between its first batch and its last (about a second on this machine).
            await Task.Delay(10);
        }

        Assert.Fail($"The import did not get there in 60 s:\n{server.Output}");
        return null!;
    }

    private static async Task<ImportClaim> ClaimAsync(CrmApiFactory host, Guid id)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var claim = await scope.ServiceProvider.GetRequiredService<ImportJobOperations>().ClaimNextAsync(TimeSpan.FromMinutes(10), CancellationToken.None);
        Assert.Equal(id, claim?.JobId);
        return claim!;
    }

    private static async Task RunAsync(CrmApiFactory host, ImportClaim claim)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var importer = scope.ServiceProvider.GetServices<IImporter>().Single(i => i.Kind == ImportKind.Contacts);
        await importer.RunAsync(claim, CancellationToken.None);
        // As the runner ends a job its importer finished.
        await scope.ServiceProvider.GetRequiredService<ImportJobOperations>().FinishAsync(claim, ImportStatus.Succeeded, null, CancellationToken.None);
    }

    /// <summary>
    /// As soon as the first batch is committed, gives the job to another worker (a new claim token, one run more), as
    /// <see cref="ImportJobOperations.ClaimNextAsync"/> does once a lease has run out; returns the checkpoint it takes over at.
    /// </summary>
    private static async Task<string> TakeOverAfterFirstBatchAsync(Guid id)
    {
        await using var connection = new NpgsqlConnection(PostgresFixture.ConnectionString);
        await connection.OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            await using var takeOver = new NpgsqlCommand(
                """
                UPDATE "ImportJobs" SET "ClaimToken" = gen_random_uuid(), "Runs" = "Runs" + 1
                WHERE "Id" = @id AND "Checkpoint" IS NOT NULL AND "Checkpoint" <> '{"Rows":0}' RETURNING "Checkpoint"
                """,
                connection);
            takeOver.Parameters.AddWithValue("id", id);
            if (await takeOver.ExecuteScalarAsync() is string checkpoint)
            {
                Assert.NotEqual($$"""{"Rows":{{Rows}}}""", checkpoint);
                return checkpoint;
            }

            await Task.Delay(5);
        }

        throw new TimeoutException("The first batch never committed.");
    }

    /// <summary>What an import leaves: its contacts and its report, without the ids that differ from run to run.</summary>
    private async Task<string> StateAsync(Guid job)
    {
        var contacts = await Fixture.QueryAsync(db => db.Contacts.AsNoTracking().OrderBy(c => c.Phone).ThenBy(c => c.Email)
            .Select(c => $"{c.Phone}|{c.Email}|{c.FirstName}|{c.LastName}|{string.Join(';', c.Tags)}").ToListAsync());
        var rows = await Imports.RowsAsync(Fixture, job);
        var done = await Fixture.QueryAsync(db => db.ImportJobs.AsNoTracking().FirstAsync(j => j.Id == job));
        Imports.AssertAccounted(done, rows, Rows);
        Assert.Equal(rows.Count(r => r.Outcome == ImportRowOutcome.Created), contacts.Count);
        Assert.Equal(0, await Fixture.QueryAsync(db => db.ImportFileChunks.CountAsync(c => c.JobId == job)));
        return string.Join('\n', contacts.Concat(rows.Select(r => $"{r.Row}|{r.Outcome}|{r.Reason}|{r.Phone}|{r.Email}")));
    }
}
