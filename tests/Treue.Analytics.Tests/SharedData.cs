namespace Treue.Analytics.Tests;

/// <summary>Finds the reference data in <c>../shared/data</c> beside the repository.</summary>
internal static class SharedData
{
    public static string File(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine([dir.FullName, "shared", "data", .. parts]);
            if (System.IO.File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException($"Reference data shared/data/{string.Join('/', parts)} not found beside the repository.");
    }
}
