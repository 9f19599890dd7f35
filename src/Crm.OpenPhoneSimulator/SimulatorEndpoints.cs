using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Crm.OpenPhoneSimulator;

/// <summary>
/// OpenPhone's REST API v1 over real HTTP (openphone-api.md §4): the endpoints the CRM calls, with OpenPhone's
/// page and error shapes, its per-key rate limit and injectable faults, plus <c>/_simulator/*</c> for tests.
/// </summary>
public static partial class SimulatorEndpoints
{
    // Relaxed escaping: OpenPhone writes "+1…" literally, not "\u002B1…".
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] SummaryLines = ["The customer described a crack in the basement wall."];
    private static readonly string[] NextSteps = ["Book an inspection."];

    /// <summary>
    /// The simulator's services, settings bound from <paramref name="section"/>. The account is generated from
    /// <see cref="SimulatorSeedOptions"/> unless <paramref name="seed"/> fills it (the embedded default seeds it from the demo data).
    /// </summary>
    public static IServiceCollection AddOpenPhoneSimulator(this IServiceCollection services, IConfiguration section, Action<IServiceProvider, SimulatedAccount>? seed = null)
    {
        services.AddOptions<SimulatorOptions>().Bind(section)
            .Validate(o => o.RequestsPerSecond > 0, "OpenPhone:Simulator:RequestsPerSecond must be positive.")
            .Validate(o => o.SigningKey is null || IsBase64(o.SigningKey), "OpenPhone:Simulator:SigningKey must be base64.");
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SimulatorTraffic>();
        services.AddSingleton<SimulatorWebhooks>();
        services.AddSingleton(sp =>
        {
            var account = new SimulatedAccount(sp.GetRequiredService<TimeProvider>());
            if (seed is null)
            {
                account.Generate(sp.GetRequiredService<IOptions<SimulatorOptions>>().Value.Seed);
            }
            else
            {
                seed(sp, account);
            }

            return account;
        });
        services.AddHttpClient(SimulatorWebhooks.HttpClientName);
        return services;
    }

    /// <summary>Maps the API under <paramref name="prefix"/> (empty when the simulator is the whole server).</summary>
    public static RouteGroupBuilder MapOpenPhoneSimulator(this IEndpointRouteBuilder routes, string prefix = "")
    {
        var root = routes.MapGroup(prefix);
        var simulator = root.MapGroup("/_simulator");
        simulator.MapGet("/stats", (SimulatorTraffic traffic) => Results.Json(traffic.Stats(), Json));
        // OpenPhone has no whole-account list: a benchmark would page /v1/messages per participant, through the limit it measures.
        simulator.MapGet("/messages", (SimulatedAccount account) => Results.Json(new { data = account.Outgoing() }, Json));
        simulator.MapGet("/media/{name}", Media);
        simulator.MapPost("/faults", (ScriptedFault[] faults, SimulatorTraffic traffic) =>
        {
            traffic.Script(faults);
            return Results.NoContent();
        });

        var api = root.MapGroup("/v1").AddEndpointFilter(GateAsync);
        Map(api, "POST", "/messages", SendMessageAsync);
        Map(api, "GET", "/messages", (Func<HttpRequest, SimulatedAccount, IResult>)ListMessages);
        Map(api, "GET", "/phone-numbers", (Func<SimulatedAccount, IResult>)(account => Results.Json(new { data = account.Lines }, Json)));
        Map(api, "GET", "/conversations", (Func<HttpRequest, SimulatedAccount, IResult>)ListConversations);
        Map(api, "GET", "/calls", (Func<HttpRequest, SimulatedAccount, IResult>)ListCalls);
        Map(api, "GET", "/call-recordings/{callId}", (Func<string, HttpRequest, SimulatedAccount, IResult>)CallRecordings);
        Map(api, "GET", "/call-summaries/{callId}", (Func<string, SimulatedAccount, IResult>)CallSummary);
        Map(api, "GET", "/call-transcripts/{callId}", (Func<string, SimulatedAccount, IResult>)CallTranscript);
        Map(api, "GET", "/call-voicemails/{callId}", (Func<string, HttpRequest, SimulatedAccount, IResult>)CallVoicemail);
        Map(api, "GET", "/contacts", (Func<HttpRequest, SimulatedAccount, IResult>)((request, account) => Paged(request, account.Contacts, 50)));
        return root;
    }

    private static void Map(RouteGroupBuilder api, string method, string pattern, Delegate handler) =>
        api.MapMethods(pattern, [method], handler).WithMetadata(new SimulatedRoute($"{method} /v1{pattern}"));

    /// <summary>Count, authenticate, rate-limit, then inject the fault for this request, if any, around the handler.</summary>
    private static async ValueTask<object?> GateAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var traffic = http.RequestServices.GetRequiredService<SimulatorTraffic>();
        var endpoint = http.GetEndpoint()?.Metadata.GetMetadata<SimulatedRoute>()?.Name ?? http.Request.Path.ToString();
        traffic.Count(endpoint);
        var key = http.Request.Headers.Authorization.ToString();
        if (!traffic.Authorized(key))
        {
            return Error(401, "0000401", "Unauthorized", "The API key is missing or not valid.");
        }

        if (traffic.RateLimit(key) is { } wait)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Results.Json(new { message = "API rate limit exceeded" }, Json, statusCode: 429);
        }

        var fault = traffic.NextFault(endpoint);
        switch (fault?.Kind)
        {
            case FaultKind.RateLimit:
                http.Response.Headers.RetryAfter = traffic.Options.Faults.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return Results.Json(new { message = "API rate limit exceeded" }, Json, statusCode: 429);
            case FaultKind.ServerError:
                return Error(500, "0000500", "Internal Server Error", "Something went wrong on our side (simulated).");
            case FaultKind.Status:
                return Error(fault.Status, fault.Code ?? $"0000{fault.Status}", fault.Message ?? "Simulated error", fault.Message ?? "Simulated error");
            case FaultKind.Slow:
                await Task.Delay(traffic.Options.Faults.SlowDelay, http.RequestServices.GetRequiredService<TimeProvider>(), http.RequestAborted);
                break;
            case FaultKind.Drop:
                http.Abort();
                return Results.Empty;
            case FaultKind.AcceptThenCrash:
                await next(context);
                http.Abort();
                return Results.Empty;
        }

        return await next(context);
    }

    private static async Task<IResult> SendMessageAsync(HttpRequest request, SimulatedAccount account, SimulatorTraffic traffic, SimulatorWebhooks webhooks)
    {
        SendBody? body;
        try
        {
            body = await request.ReadFromJsonAsync<SendBody>(Json, request.HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            body = null;
        }

        var errors = new List<object>();
        var content = body?.Content;
        if (string.IsNullOrWhiteSpace(content) || content.Length > 1600)
        {
            errors.Add(new { path = "/content", message = "Expected a string of 1 to 1600 characters with a non-whitespace character.", value = (string?)null, schema = new { type = "string" } });
        }

        if (body?.To is not [var to] || !E164().IsMatch(to))
        {
            errors.Add(new { path = "/to", message = "Expected exactly one recipient in E.164 format.", value = (string?)null, schema = new { type = "array" } });
        }

        var from = body?.From ?? body?.PhoneNumberId;
        var line = from is null ? null : account.FindLine(from);
        if (line is null)
        {
            errors.Add(new { path = "/from", message = "Expected the id (PN…) or E.164 number of one of the workspace's lines.", value = (string?)null, schema = new { type = "string" } });
        }

        if (errors.Count > 0)
        {
            return Error(400, "0200400", "Bad Request", "Invalid request body.", errors);
        }

        var message = account.AddMessage(line!, body!.To![0], incoming: false, content!, "sent");
        traffic.MessageAccepted();
        webhooks.MessageSent(line!, message);
        return Results.Json(new { data = message }, Json, statusCode: 202);
    }

    private static IResult ListMessages(HttpRequest request, SimulatedAccount account) => ListHistory(request, account, account.Messages);

    private static IResult ListCalls(HttpRequest request, SimulatedAccount account) => ListHistory(request, account, account.Calls);

    /// <summary>Messages or calls of one line with one participant, as <c>GET /v1/messages</c> and <c>GET /v1/calls</c> filter them.</summary>
    private static IResult ListHistory<T>(HttpRequest request, SimulatedAccount account, Func<SimLine, string, DateTimeOffset?, DateTimeOffset?, IReadOnlyList<T>> read)
    {
        if (LineAndParticipant(request, account, out var line, out var participant, out var failure) is false)
        {
            return failure!;
        }

        if (!TryTime(request, "createdAfter", out var after) || !TryTime(request, "createdBefore", out var before))
        {
            return Invalid("/createdAfter", "Expected an ISO-8601 date-time.");
        }

        return Paged(request, read(line!, participant!, after, before), 100);
    }

    private static IResult ListConversations(HttpRequest request, SimulatedAccount account) =>
        TryTime(request, "updatedAfter", out var updatedAfter)
            ? Paged(request, account.Conversations(Values(request, "phoneNumbers"), updatedAfter), 100)
            : Invalid("/updatedAfter", "Expected an ISO-8601 date-time.");

    private static IResult CallRecordings(string callId, HttpRequest request, SimulatedAccount account) => account.FindCall(callId) is not { } call
        ? CallNotFound("0904404")
        : Results.Json(new
        {
            data = call.HasRecording
                ? new object[] { new { id = "RC" + call.Id[2..], url = MediaUrl(request, $"rec-{call.Id}.wav", call.Duration), type = "audio/wav", duration = call.Duration, startTime = call.AnsweredAt, status = "completed" } }
                : [],
        }, Json);

    private static IResult CallSummary(string callId, SimulatedAccount account) => account.FindCall(callId) is not { HasSummary: true } call
        ? CallNotFound("0504404")
        : Results.Json(new { data = new { callId = call.Id, status = "completed", summary = SummaryLines, nextSteps = NextSteps } }, Json);

    private static IResult CallTranscript(string callId, SimulatedAccount account) => account.FindCall(callId) is not { HasTranscript: true } call
        ? CallNotFound("0604404")
        : Results.Json(new
        {
            data = new
            {
                callId = call.Id,
                createdAt = call.CompletedAt,
                dialogue = new[]
                {
                    new { content = "Hi, I have a crack in my foundation.", start = 0.0, end = 3.2, identifier = call.Participants[0], userId = (string?)null },
                    new { content = "We can come and look at it this week.", start = 3.5, end = 6.0, identifier = "+16175550000", userId = (string?)"USsim00001" },
                },
                duration = call.Duration,
                status = "completed",
            },
        }, Json);

    private static IResult CallVoicemail(string callId, HttpRequest request, SimulatedAccount account) => account.FindCall(callId) is not { HasVoicemail: true } call
        ? CallNotFound("1204404")
        : Results.Json(new { data = new { id = "VM" + call.Id[2..], duration = 14, transcript = "Please call me back about the leak.", recordingUrl = MediaUrl(request, $"vm-{call.Id}.wav", 14), status = "completed" } }, Json);

    /// <summary>Where this simulator serves a stand-in media file: absolute, as OpenPhone's are, under the API's own prefix.</summary>
    private static string MediaUrl(HttpRequest request, string name, int? seconds)
    {
        var path = request.Path.Value ?? string.Empty;
        var prefix = path[..Math.Max(0, path.IndexOf("/v1/", StringComparison.Ordinal))];
        return string.Create(CultureInfo.InvariantCulture, $"{request.Scheme}://{request.Host}{request.PathBase}{prefix}/_simulator/media/{name}?seconds={seconds ?? 5}");
    }

    /// <summary>
    /// Stand-ins for OpenPhone's media files, so that demo pictures show and recordings play without the internet: a
    /// picture (any name ending .svg) and silence of the asked length (.wav, 1–120 seconds).
    /// </summary>
    private static IResult Media(string name, int? seconds)
    {
        if (name.EndsWith(".svg", StringComparison.Ordinal))
        {
            return Results.Text(Picture, "image/svg+xml");
        }

        return name.EndsWith(".wav", StringComparison.Ordinal) ? Results.File(Silence(Math.Clamp(seconds ?? 5, 1, 120)), "audio/wav") : Results.NotFound();
    }

    private const string Picture = """
        <svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240"><rect width="320" height="240" fill="#c9ced6"/><path d="M40 200 L130 90 L190 160 L230 120 L290 200 Z" fill="#7d8793"/><text x="160" y="40" font-family="sans-serif" font-size="18" text-anchor="middle" fill="#1b1f24">Demo photo</text></svg>
        """;

    /// <summary>A WAVE file of 8-bit mono PCM at 8 kHz, every sample 128 (silence at 8 bits).</summary>
    private static byte[] Silence(int seconds)
    {
        const int Rate = 8000;
        var samples = Rate * seconds;
        var wav = new byte[44 + samples];
        var span = wav.AsSpan();
        Encoding.ASCII.GetBytes("RIFF").CopyTo(span);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[4..], 36 + samples);
        Encoding.ASCII.GetBytes("WAVEfmt ").CopyTo(span[8..]);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16); // format chunk size
        System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(span[20..], 1); // PCM
        System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(span[22..], 1); // mono
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[24..], Rate);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[28..], Rate); // bytes per second
        System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(span[32..], 1); // block align
        System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(span[34..], 8); // bits per sample
        Encoding.ASCII.GetBytes("data").CopyTo(span[36..]);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[40..], samples);
        span[44..].Fill(128);
        return wav;
    }

    /// <summary>OpenPhone's page: <c>{data, totalItems, nextPageToken}</c>, the token opaque to the caller.</summary>
    private static IResult Paged<T>(HttpRequest request, IReadOnlyList<T> items, int limit)
    {
        if (!int.TryParse(request.Query["maxResults"], NumberStyles.None, CultureInfo.InvariantCulture, out var max) || max < 1 || max > limit)
        {
            return Invalid("/maxResults", $"Expected an integer from 1 to {limit}.");
        }

        var offset = 0;
        var token = request.Query["pageToken"].ToString();
        if (token.Length > 0 && !TryReadToken(token, out offset))
        {
            return Invalid("/pageToken", "Invalid page token.");
        }

        var page = items.Skip(offset).Take(max).ToList();
        var next = offset + page.Count < items.Count ? Convert.ToBase64String(Encoding.ASCII.GetBytes($"offset:{offset + page.Count}")) : null;
        return Results.Json(new { data = page, totalItems = items.Count, nextPageToken = next }, Json);
    }

    private static bool TryReadToken(string token, out int offset)
    {
        offset = 0;
        var bytes = new byte[token.Length];
        if (!Convert.TryFromBase64String(token, bytes, out var written))
        {
            return false;
        }

        var text = Encoding.ASCII.GetString(bytes, 0, written);
        return text.StartsWith("offset:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
    }

    private static bool LineAndParticipant(HttpRequest request, SimulatedAccount account, out SimLine? line, out string? participant, out IResult? failure)
    {
        line = account.FindLine(request.Query["phoneNumberId"].ToString());
        var participants = Values(request, "participants");
        participant = participants.Count == 1 ? participants[0] : null;
        failure = line is null ? Invalid("/phoneNumberId", "Expected the id (PN…) of one of the workspace's lines.")
            : participant is null ? Invalid("/participants", "Expected exactly one participant in E.164 format.")
            : null;
        return failure is null;
    }

    /// <summary>Arrays in the query, repeated as <c>name=…</c> or <c>name[]=…</c>.</summary>
    private static List<string> Values(HttpRequest request, string name) =>
        [.. request.Query[name].Concat(request.Query[name + "[]"]).OfType<string>().Where(v => v.Length > 0)];

    private static bool TryTime(HttpRequest request, string name, out DateTimeOffset? value)
    {
        value = null;
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return true;
        }

        var ok = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed);
        value = ok ? parsed : null;
        return ok;
    }

    private static IResult CallNotFound(string code) => Error(404, code, "Not Found", "No such call, or it has none of these.");

    private static IResult Invalid(string path, string message) =>
        Error(400, "0000400", "Bad Request", "Invalid query parameters.", [new { path, message, value = (string?)null, schema = new { type = "string" } }]);

    /// <summary>OpenPhone's error body (openphone-api.md §4.6).</summary>
    private static IResult Error(int status, string code, string title, string message, IReadOnlyList<object>? errors = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["message"] = message,
            ["code"] = code,
            ["status"] = status,
            ["docs"] = "https://openphone.com/docs",
            ["title"] = title,
        };
        if (errors is not null)
        {
            body["errors"] = errors;
        }

        return Results.Json(body, Json, statusCode: status);
    }

    private static bool IsBase64(string text) => Convert.TryFromBase64String(text, new byte[text.Length], out _);

    [GeneratedRegex(@"^\+[1-9]\d{1,14}$")]
    private static partial Regex E164();

    private sealed record SendBody(string? Content, string? From, IReadOnlyList<string>? To, string? PhoneNumberId, string? UserId);

    private sealed record SimulatedRoute(string Name);
}
