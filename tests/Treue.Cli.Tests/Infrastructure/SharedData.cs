namespace Treue.Cli.Tests.Infrastructure;

/// <summary>The reference data sets in <c>shared/data</c>, next to the repository.</summary>
public static class SharedData
{
    /// <summary>
    /// The folder <c>shared/data/cdnow</c>, found by walking up from the test binaries. Fails (never skips) when it is
    /// missing: CI always has it, and a silently skipped test would hide a broken import.
    /// </summary>
    public static string Cdnow()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "cdnow");
            if (Directory.Exists(candidate)) return candidate;
        }
        Assert.Fail($"The CDNOW data set was not found: no folder shared/data/cdnow above {AppContext.BaseDirectory}. " +
            "Put the shared data folder next to the repository (../shared/data/cdnow/CDNOW_master.txt).");
        return "";
    }

    /// <summary>A file of <c>shared/data/baskets</c>; fails like <see cref="Cdnow"/> when it is missing.</summary>
    public static string Baskets(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "baskets", file);
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail($"The basket data set {file} was not found: no folder shared/data/baskets above {AppContext.BaseDirectory}.");
        return "";
    }
}
