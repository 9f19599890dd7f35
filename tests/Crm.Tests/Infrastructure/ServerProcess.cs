using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Crm.Tests.Infrastructure;

/// <summary>
/// The server binary as its own process, for the tests of a crash: <see cref="KillAsync"/> is SIGKILL, with no
/// shutdown hook, no lease given back and no buffer flushed.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringWriter _output = new();

    private ServerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>What it printed, for the failure message of a test.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <c>Crm.GraphQL.dll</c> from the test's output with <paramref name="settings"/> as environment variables; returns once it is ready.
    /// A <paramref name="port"/> chosen beforehand lets something started first (a simulator posting webhooks) know the address.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, int? port = null)
    {
        port ??= FreePort();
        var start = StartInfo(settings, []);
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";

        var server = new ServerProcess(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}/"));
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        try
        {
            await server.WaitReadyAsync();
        }
        catch
        {
            // A server that never got ready is not left running for the rest of the test run.
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Runs the server binary with a command (<c>migrate</c> …) until it exits; its exit code and all it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(IReadOnlyDictionary<string, string?> settings, params string[] args)
    {
        using var process = Process.Start(StartInfo(settings, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The server binary from the test's output, configured only through the environment, as a container is.</summary>
    private static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string?> settings, string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Crm.GraphQL.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return start;
    }

    /// <summary>SIGKILL, as the OOM killer or a pulled plug would.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
        await _output.DisposeAsync();
    }

    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 300; i++)
        {
            if (_process.HasExited)
            {
                break;
            }

            try
            {
                if ((await http.GetAsync("health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or still starting up on a busy machine (the health check took over 2 s).
            }

            await Task.Delay(100);
        }

        Assert.Fail($"The server did not become ready:\n{Output}");
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.WriteLine(line);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
