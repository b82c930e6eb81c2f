using System.Diagnostics;
using System.Net.Sockets;
using MimeKit;

namespace Treue.Server.Tests.Infrastructure;

/// <summary>
/// A real SMTP server for the tests: Python's aiosmtpd (Debian's <c>python3-aiosmtpd</c>) with a handler that keeps each
/// message it accepts as a file and refuses recipients whose address starts with "bounce" (550). It can be stopped and
/// started again on the same port and folder, as a mail server that fails for a while.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private const string Python = "/usr/bin/python3";

    private const string Handler = """
        import os, time

        class Sink:
            def __init__(self, folder):
                self.folder = folder

            @classmethod
            def from_cli(cls, parser, *args):
                return cls(*args)

            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address.lower().startswith("bounce"):
                    return "550 5.1.1 No such user here"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                name = "%d-%d" % (time.time_ns(), os.getpid())
                tmp = os.path.join(self.folder, name + ".tmp")
                with open(tmp, "wb") as f:
                    f.write(envelope.original_content or envelope.content)
                os.replace(tmp, os.path.join(self.folder, name + ".eml"))
                return "250 Message accepted for delivery"
        """;

    private readonly string root;
    private Process? process;

    private SmtpSink(int port)
    {
        Port = port;
        root = Path.Combine(Path.GetTempPath(), "treue-smtp-" + Guid.NewGuid().ToString("N")[..10]);
        Folder = Path.Combine(root, "messages");
        Directory.CreateDirectory(Folder);
        File.WriteAllText(Path.Combine(root, "treue_smtp_sink.py"), Handler);
    }

    /// <summary>The port it listens on, on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Where the accepted messages are kept, one file each.</summary>
    public string Folder { get; }

    /// <summary>A sink on a free port, not started yet.</summary>
    public static SmtpSink Create() => new(ServerProcess.FreePort());

    /// <summary>A started sink on a free port.</summary>
    public static async Task<SmtpSink> StartAsync()
    {
        var sink = Create();
        await sink.StartAsync(TestContext.Current.CancellationToken);
        return sink;
    }

    /// <summary>Starts the server and waits until it takes connections.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (!File.Exists(Python))
            throw new InvalidOperationException($"{Python} is missing: install the python3-aiosmtpd package (.ci/run does).");
        var start = new ProcessStartInfo(Python)
        {
            ArgumentList = { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{Port}", "-c", "treue_smtp_sink.Sink", Folder },
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        start.Environment["PYTHONPATH"] = root;
        process = Process.Start(start) ?? throw new InvalidOperationException("aiosmtpd did not start");
        var errors = process.StandardError.ReadToEndAsync(ct);
        _ = process.StandardOutput.ReadToEndAsync(ct);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"aiosmtpd stopped at once (is python3-aiosmtpd installed?): {await errors}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port, ct);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    /// <summary>Stops the server: connections to its port are refused until it is started again.</summary>
    public async Task StopAsync()
    {
        if (process is null) return;
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        process = null;
    }

    /// <summary>The messages accepted so far, oldest first.</summary>
    public List<MimeMessage> Messages() =>
        [.. Directory.GetFiles(Folder, "*.eml").Order(StringComparer.Ordinal).Select(f => MimeMessage.Load(f))];

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
    }
}
