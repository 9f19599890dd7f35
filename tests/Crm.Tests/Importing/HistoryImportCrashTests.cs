using Crm.Data.Audit;
using Crm.Data.Importing;
using Crm.Jobs.Importing;
using Crm.Tests.Infrastructure;
using Crm.Tests.OpenPhone;
using Microsoft.EntityFrameworkCore;

namespace Crm.Tests.Importing;

/// <summary>The server process killed (SIGKILL) in the middle of a history import, then started again.</summary>
public sealed class HistoryImportCrashTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    [Fact]
    public async Task AfterKillNineTheNextStartResumesTheImportAndEndsAsAnUninterruptedRunWould()
    {
        // 40 conversations at 20 requests a second: about ten seconds of importing, time enough to kill it half-way.
        await using var simulator = await SimulatorServer.StartAsync(HistoryImportTests.Account(40));
        var settings = PostgresFixture.Settings();
        settings["OpenPhone:ApiKey"] = SimulatorServer.ApiKey;
        settings["OpenPhone:ApiBaseUrl"] = simulator.BaseAddress.ToString();
        settings["OpenPhone:RequestsPerSecond"] = "20";
        settings["OpenPhone:Simulator:RequestsPerSecond"] = "20";
        settings["Imports:Workers"] = "1";
        settings["Imports:Lease"] = "00:00:02";
        settings["Imports:PollInterval"] = "00:00:00.500";
        var job = await Fixture.WithServiceAsync<HistoryImports, ImportJob>(imports => imports.StartAsync(full: true, null, Actor.System, CancellationToken.None));

        await using (var first = await ServerProcess.StartAsync(settings))
        {
            await WaitAsync(job.Id, j => j.Done >= 10, first);
            await first.KillAsync();
        }

        var killed = await JobAsync(job.Id);
        await using var second = await ServerProcess.StartAsync(settings);
        var ended = await WaitAsync(job.Id, j => j.FinishedAt is not null, second);

        Assert.True(killed is { Status: ImportStatus.Running, Done: >= 10 and < 40 }, $"killed at {killed.Status} {killed.Done}");
        Assert.Equal((ImportStatus.Succeeded, 40, 0, 2), (ended.Status, ended.Done, ended.Failed, ended.Runs));
        var state = await Fixture.QueryAsync(async db => (
            Activities: (await db.Activities.AsNoTracking().Select(a => a.OpenPhoneId!).ToListAsync()).Order(StringComparer.Ordinal).ToList(),
            Conversations: await db.Conversations.CountAsync()));
        var expected = HistoryImportTests.Expected(simulator.Account).Select(e => e.Split(' ')[0]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, state.Activities);
        Assert.Equal(40, state.Conversations);
    }

    private Task<ImportJob> JobAsync(Guid id) => Fixture.QueryAsync(db => db.ImportJobs.AsNoTracking().SingleAsync(j => j.Id == id));

    private async Task<ImportJob> WaitAsync(Guid id, Func<ImportJob, bool> until, ServerProcess server)
    {
        for (var i = 0; i < 600; i++)
        {
            var job = await JobAsync(id);
            if (until(job))
            {
                return job;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"The import did not get there in 60 s:\n{server.Output}");
        return null!;
    }
}
