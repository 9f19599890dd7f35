using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Data.Importing;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Crm.Tests.Importing;

/// <summary>Uploads a CSV as the admin page would, waits for its job, and reads back the job and its report.</summary>
internal static class Imports
{
    public static async Task<HttpResponseMessage> UploadAsync(HttpClient http, byte[] file, string fileName = "contacts.csv", IReadOnlyDictionary<string, string>? fields = null)
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(content, "file", fileName);
        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
        {
            form.Add(new StringContent(value), name);
        }

        return await http.PostAsync("/imports/contacts", form);
    }

    public static byte[] Utf8(string csv) => Encoding.UTF8.GetBytes(csv);

    /// <summary>Uploads, expects 202, and returns the job's id.</summary>
    public static async Task<Guid> QueueAsync(HttpClient http, string csv, IReadOnlyDictionary<string, string>? fields = null)
    {
        using var response = await UploadAsync(http, Utf8(csv), fields: fields);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        var job = JsonNode.Parse(body)!["job"]!;
        Assert.Equal("QUEUED", job["status"]!.GetValue<string>());
        Assert.True(NodeId.TryDecode(job["id"]!.GetValue<string>(), out var type, out var id) && type == "ImportJob");
        Assert.Equal($"/imports/{job["id"]!.GetValue<string>()}/report", job["reportUrl"]!.GetValue<string>());
        return id;
    }

    /// <summary>Waits for an import worker (<see cref="ImportingHost"/>'s) to end the job.</summary>
    public static async Task<ImportJob> WaitAsync(PostgresFixture fixture, Guid id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = await fixture.QueryAsync(db => db.ImportJobs.AsNoTracking().FirstAsync(j => j.Id == id));
            if (job.Status is not (ImportStatus.Queued or ImportStatus.Running))
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The import is still {job.Status} at {job.Phase}.");
            await Task.Delay(100);
        }
    }

    public static Task<List<ImportRow>> RowsAsync(PostgresFixture fixture, Guid id) =>
        fixture.QueryAsync(db => db.ImportRows.AsNoTracking().Where(r => r.JobId == id).OrderBy(r => r.Row).ToListAsync());

    /// <summary>Every row of the file has exactly one outcome, and the job's counts say the same.</summary>
    public static void AssertAccounted(ImportJob job, IReadOnlyList<ImportRow> rows, int rowsInFile)
    {
        Assert.Equal(rowsInFile, rows.Count);
        Assert.Equal(Enumerable.Range(2, rowsInFile), rows.Select(r => r.Row));
        Assert.Equal(rowsInFile, job.Total);
        Assert.Equal(rowsInFile, job.Done + job.Failed);
        Assert.Equal(rows.Count(r => r.Outcome == ImportRowOutcome.Rejected), job.Failed);
    }
}

/// <summary>
/// A host of a test class's own that runs imports (the shared host runs none), polling often: it takes the jobs that the
/// class's uploads queue through the shared host, on the same database, and stops with the class.
/// </summary>
public sealed class ImportingHost() : CrmApiFactory(new Dictionary<string, string?>(PostgresFixture.Settings())
{
    ["Imports:Workers"] = "1",
    ["Imports:PollInterval"] = "00:00:00.200",
}), IAsyncLifetime
{
    public Task InitializeAsync()
    {
        _ = Server;
        return Task.CompletedTask;
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}
