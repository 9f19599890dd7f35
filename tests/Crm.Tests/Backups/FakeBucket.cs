using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Crm.Tests.Backups;

/// <summary>
/// The few S3 calls the backups make (PUT and DELETE of an object, path-style), on Kestrel on a loopback port: the real
/// SDK's requests over real HTTP. It checks no signature; it keeps what was put.
/// </summary>
public sealed class FakeBucket : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeBucket(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    /// <summary>"bucket/key" → the body put.</summary>
    public ConcurrentDictionary<string, byte[]> Objects { get; } = new();

    public ConcurrentBag<string> Deleted { get; } = [];

    public ConcurrentBag<string> Authorizations { get; } = [];

    public static async Task<FakeBucket> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var bucket = new FakeBucket(app);
        app.MapPut("/{name}/{**key}", async (string name, string key, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            bucket.Objects[$"{name}/{key}"] = body.ToArray();
            bucket.Authorizations.Add(request.Headers.Authorization.ToString());
            return Results.Ok();
        });
        app.MapDelete("/{name}/{**key}", (string name, string key) =>
        {
            bucket.Objects.TryRemove($"{name}/{key}", out _);
            bucket.Deleted.Add($"{name}/{key}");
            return Results.NoContent();
        });
        await app.StartAsync();
        bucket.Address = new Uri(app.Urls.First());
        return bucket;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
