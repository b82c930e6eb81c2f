using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Treue.Server.Tests.Infrastructure;

/// <summary>The real server as a child process (the build output of Treue.Server), for multi-node and crash tests.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private ServerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>What the server printed so far (for failure messages).</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Starts a server on a free port against <paramref name="connectionString"/> and waits until it answers.</summary>
    public static Task<ServerProcess> StartAsync(string connectionString, params string[] extraArgs) => StartAsync(connectionString, FreePort(), extraArgs);

    /// <summary>Starts a server on <paramref name="port"/> (to restart a killed one where its clients expect it).</summary>
    public static Task<ServerProcess> StartAsync(string connectionString, int port, params string[] extraArgs) =>
        StartAsync(connectionString, port, home: null, extraArgs);

    /// <summary>Starts a server on a free port whose user home folder is <paramref name="home"/>.</summary>
    public static Task<ServerProcess> StartAsync(string connectionString, DirectoryInfo home, params string[] extraArgs) =>
        StartAsync(connectionString, FreePort(), home, extraArgs);

    /// <summary>
    /// Starts a server whose user home folder is <paramref name="home"/> (null: this process's), as if it ran on a machine
    /// of its own: whatever the framework keeps under the home folder by default is not shared with other processes.
    /// </summary>
    public static Task<ServerProcess> StartAsync(string connectionString, int port, DirectoryInfo? home, params string[] extraArgs) =>
        StartAsync(connectionString, port, home, null, extraArgs);

    /// <summary>Starts a server with extra environment variables (for example a storage layer preloaded under it).</summary>
    public static Task<ServerProcess> StartAsync(string connectionString, int port, IReadOnlyDictionary<string, string> environment, params string[] extraArgs) =>
        StartAsync(connectionString, port, null, environment, extraArgs);

    private static async Task<ServerProcess> StartAsync(string connectionString, int port, DirectoryInfo? home,
        IReadOnlyDictionary<string, string>? environment, string[] extraArgs)
    {
        var address = new Uri($"http://127.0.0.1:{port}");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (home is not null)
        {
            psi.Environment["HOME"] = home.FullName;
            // Both would take precedence over HOME as the place of the default key ring.
            psi.Environment.Remove("LOCALAPPDATA");
            psi.Environment.Remove("USERPROFILE");
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            psi.Environment[name] = value;
        psi.ArgumentList.Add(ServerDll());
        foreach (var a in new[] { "--urls", address.ToString(), "--ConnectionStrings:Treue=" + connectionString, "--Treue:Jobs:Interval=00:00:00",
                     "--Logging:LogLevel:Default=Warning" }.Concat(extraArgs))
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        var server = new ServerProcess(process, address);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (server._output) server._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (server._output) server._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        // A server starts in about 5 s on a quiet machine; beside the browser tests on two busy cores it took over a minute.
        var deadline = DateTime.UtcNow.Add(StartTimeout);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException("The server exited: " + server.Output);
            try
            {
                if ((await probe.GetAsync("/health")).IsSuccessStatusCode) return server;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        await server.DisposeAsync();
        throw new TimeoutException($"The server did not answer within {StartTimeout.TotalSeconds:F0} s: " + server.Output);
    }

    /// <summary>Kills the process at once, like a power cut (SIGKILL).</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);

    private static string ServerDll()
    {
        // tests/Treue.Server.Tests/bin/<Configuration>/net10.0 → src/Treue.Server/bin/<Configuration>/net10.0
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = here.Name;
        var configuration = here.Parent!.Name;
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(root, "src", "Treue.Server", "bin", configuration, framework, "Treue.Server.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build src/Treue.Server first.", dll);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
