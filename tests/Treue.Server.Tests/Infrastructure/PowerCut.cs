using System.Diagnostics;

namespace Treue.Server.Tests.Infrastructure;

/// <summary>
/// A storage layer for power-cut tests: <c>PowerCut/powercut.c</c>, compiled here with gcc and preloaded
/// (LD_PRELOAD) into the processes under test, keeps a shadow copy of a watched folder that holds only what those
/// processes synced (fsync, fdatasync, O_SYNC/O_DSYNC writes). Killing the processes keeps the kernel's page cache,
/// so the watched folder itself survives everything a process kill can do; the shadow is what a power cut at that
/// moment would have left on disk. See the C source for the exact model.
/// </summary>
public sealed class PowerCut : IDisposable
{
    private readonly string _library;
    private readonly string _state;
    private readonly string _watched;

    private PowerCut(string watched, string shadow, string state, string library)
    {
        _watched = watched;
        Shadow = shadow;
        _state = state;
        _library = library;
    }

    /// <summary>The shadow copy of the watched folder: what has been made durable.</summary>
    public string Shadow { get; }

    /// <summary>
    /// Compiles the layer (once) and copies <paramref name="watched"/> (which nobody may be writing now) to a shadow beside it in
    /// <paramref name="work"/>. <paramref name="user"/>: the user the processes under test run as, when that is another.
    /// </summary>
    public static async Task<PowerCut> CreateAsync(string watched, string work, string? user = null)
    {
        var library = await Library.Value;
        var id = Guid.NewGuid().ToString("N")[..8];
        var shadow = Path.Combine(work, $"shadow-{id}");
        var state = Path.Combine(work, $"powercut-state-{id}");
        // cp -a keeps owners and modes: PostgreSQL refuses a data directory that others may read.
        await RunAsync("cp", ["-a", "--", watched, shadow]);
        Directory.CreateDirectory(state);
        if (user is not null) await RunAsync("chown", ["-R", user, shadow, state]);
        return new PowerCut(Path.GetFullPath(watched), shadow, state, library);
    }

    // Compiled once per test run, into a folder every user may read (PostgreSQL runs as its own user).
    private static readonly Lazy<Task<string>> Library = new(CompileAsync);

    private static async Task<string> CompileAsync()
    {
        var gcc = (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "gcc")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("gcc was not found: the power-cut tests compile a small C library. Install 'gcc' and 'libc6-dev'.");
        var folder = Path.Combine(Path.GetTempPath(), "treue-powercut-lib-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        };
        var source = Path.Combine(folder, "powercut.c");
        var library = Path.Combine(folder, "powercut.so");
        await using (var resource = typeof(PowerCut).Assembly.GetManifestResourceStream("powercut.c")
            ?? throw new InvalidOperationException("The test assembly lacks its embedded powercut.c."))
        await using (var file = File.Create(source))
            await resource.CopyToAsync(file);
        await RunAsync(gcc, ["-shared", "-fPIC", "-O2", "-o", library, source, "-ldl"]);
        return library;
    }

    /// <summary>
    /// The environment that puts a process under the layer. <paramref name="syncDelay"/> is slept after each sync
    /// reached the disk and before it counts as done in the shadow and returns: a program that answers before its
    /// sync returns shows as a lost answer.
    /// </summary>
    public IReadOnlyDictionary<string, string> Preload(TimeSpan syncDelay) => new Dictionary<string, string>
    {
        ["LD_PRELOAD"] = _library,
        ["POWERCUT_WATCH"] = _watched,
        ["POWERCUT_SHADOW"] = Shadow,
        ["POWERCUT_STATE"] = _state,
        ["POWERCUT_DELAY_MS"] = ((int)syncDelay.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Removes the bookkeeping; the shadow stays with the work folder of its owner.</summary>
    public void Dispose()
    {
        try { Directory.Delete(_state, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static async Task RunAsync(string file, IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"'{file} {string.Join(' ', psi.ArgumentList)}' failed with exit code {process.ExitCode}: {await stderr}{await stdout}");
    }
}
