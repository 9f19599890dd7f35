using System.IO.Compression;
using System.Net;
using System.Text;
using Crm.GraphQL.Observability;
using Crm.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Crm.Tests.Observability;

/// <summary>Sentry: absent without <c>Sentry:Dsn</c>; with it, events reach the ingest with no phone number or body in them.</summary>
[Collection(nameof(PostgresCollection))]
public sealed class ErrorTrackingTests
{
    private const string Body = "Please fix the crack near the garage, quote 7731";

    [Fact]
    public async Task WithoutADsnNothingOfSentryIsRegistered()
    {
        await using var host = new CrmApiFactory(PostgresFixture.Settings());
        _ = host.Server;

        Assert.Null(host.Services.GetService<IHub>());
        Assert.DoesNotContain(host.Services.GetServices<ILoggerProvider>(), p => p.GetType().Namespace?.StartsWith("Sentry", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task WithADsnEventsReachTheIngestScrubbedOfPhoneNumbersAndBodies()
    {
        using var ingest = new FakeIngest();
        var settings = PostgresFixture.Settings();
        settings["Sentry:Dsn"] = $"http://publickey@127.0.0.1:{ingest.Port}/1";
        await using var host = new CrmApiFactory(settings);
        _ = host.Server;
        var hub = host.Services.GetRequiredService<IHub>();
        var logger = host.Services.GetRequiredService<ILogger<ErrorTrackingTests>>();

        hub.AddBreadcrumb("Texted +16175550123", data: new Dictionary<string, string> { ["body"] = Body, ["to"] = "617-555-0123" });
#pragma warning disable CA1848 // One error log, as the application would write it.
        logger.LogError("Sending {Body} to {To} failed", Body, "+16175550123");
#pragma warning restore CA1848
        hub.CaptureException(new InvalidOperationException("No contact for (617) 555-0123"));
        hub.CaptureMessage("Call back 6175550123", SentryLevel.Warning);
        await hub.FlushAsync(TimeSpan.FromSeconds(10));

        var received = await ingest.UntilAsync(envelopes => envelopes.Count(e => e.Contains("\"type\":\"event\"", StringComparison.Ordinal)) >= 3);
        Assert.Contains("No contact for", received, StringComparison.Ordinal);
        Assert.Contains("Call back", received, StringComparison.Ordinal);
        Assert.Contains("failed", received, StringComparison.Ordinal);
        Assert.Contains(LogMasking.PhoneMask, received, StringComparison.Ordinal);
        Assert.Contains("\"environment\":\"Testing\"", received, StringComparison.Ordinal);
        foreach (var secret in new[] { "555-0123", "5550123", Body, "quote 7731" })
        {
            Assert.DoesNotContain(secret, received, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheScrubberMasksMessagesExtrasTagsAndRequestsAndDropsBodiesAndQueries()
    {
        var sentryEvent = new SentryEvent
        {
            Message = new SentryMessage { Message = "Texting {0}", Formatted = "Texting +16175550123" },
            Request = new SentryRequest { Url = "https://crm.example.com/graphql?phone=%2B16175550123", QueryString = "phone=%2B16175550123", Data = Body, Method = "GET" },
        };
        sentryEvent.SetExtra("body", Body);
        sentryEvent.SetExtra("to", "617-555-0123");
        sentryEvent.SetTag("caller", "(617) 555-0123");
        sentryEvent.Request.Headers["Cookie"] = "crm_session=abc";
        sentryEvent.Request.Headers["User-Agent"] = "tests";

        var scrubbed = ErrorTracking.Scrub(sentryEvent);
        var crumb = ErrorTracking.Scrub(new Breadcrumb("Called 617.555.0123", "default", new Dictionary<string, string> { ["text"] = Body }));

        Assert.Equal("Texting [phone]", scrubbed.Message!.Formatted);
        Assert.Equal((LogMasking.BodyMask, LogMasking.PhoneMask), (scrubbed.Extra["body"], scrubbed.Extra["to"]));
        Assert.Equal(LogMasking.PhoneMask, scrubbed.Tags["caller"]);
        Assert.Equal(("https://crm.example.com/graphql", null, null), (scrubbed.Request.Url, scrubbed.Request.QueryString, scrubbed.Request.Data));
        Assert.Equal(["User-Agent"], scrubbed.Request.Headers.Keys);
        Assert.Equal(("Called [phone]", LogMasking.BodyMask), (crumb.Message, crumb.Data!["text"]));
    }

    /// <summary>Sentry's ingest as far as the SDK sees it: every envelope posted, as text.</summary>
    private sealed class FakeIngest : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<string> _envelopes = [];
        private readonly Task _serving;

        public FakeIngest()
        {
            Port = ServerProcess.FreePort();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _serving = ServeAsync();
        }

        public int Port { get; }

        public async Task<string> UntilAsync(Func<IReadOnlyList<string>, bool> done)
        {
            for (var i = 0; i < 100; i++)
            {
                lock (_envelopes)
                {
                    if (done(_envelopes))
                    {
                        return string.Join("\n", _envelopes);
                    }
                }

                await Task.Delay(100);
            }

            lock (_envelopes)
            {
                Assert.Fail($"The ingest received only:\n{string.Join("\n", _envelopes)}");
                return string.Empty;
            }
        }

        public void Dispose()
        {
            _listener.Close();
            _ = _serving;
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                var body = context.Request.InputStream;
                if (string.Equals(context.Request.Headers["Content-Encoding"], "gzip", StringComparison.OrdinalIgnoreCase))
                {
                    body = new GZipStream(body, CompressionMode.Decompress);
                }

                using (var reader = new StreamReader(body, Encoding.UTF8))
                {
                    var text = await reader.ReadToEndAsync();
                    lock (_envelopes)
                    {
                        _envelopes.Add(text);
                    }
                }

                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }
    }
}
