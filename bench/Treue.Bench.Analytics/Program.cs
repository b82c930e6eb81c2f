using System.Globalization;
using Treue.Bench.Analytics;

// Benchmarks of the customer analytics, each against a baseline measured in the same run.
// Usage: dotnet run -c Release --project bench/Treue.Bench.Analytics -- bgnbd [--runs N] [--data DIR]
//        dotnet run -c Release --project bench/Treue.Bench.Analytics -- clv [--members N] [--seed N]
//        dotnet run -c Release --project bench/Treue.Bench.Analytics -- segments [--members N] [--per-member N] [--seed N] [--db FILE]
var command = args.Length > 0 ? args[0] : "";
Console.WriteLine($"Treue analytics bench: {command}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
#if DEBUG
Console.WriteLine("warning: Debug build; figures are only meaningful with -c Release");
#endif
switch (command)
{
    case "bgnbd":
        return ClvBench.BgNbdFit(DataFolder(), IntOption("--runs", 21));
    case "clv":
        return ClvBench.Clv(IntOption("--members", 1_000_000), IntOption("--seed", 20050301));
    case "segments":
        return SegmentsBench.Run(IntOption("--members", 1_000_000), IntOption("--per-member", 10), IntOption("--seed", 7), Option("--db"));
    default:
        Console.Error.WriteLine("usage: Treue.Bench.Analytics bgnbd [--runs N] [--data DIR] | clv [--members N] [--seed N] | segments [--members N] [--per-member N] [--seed N] [--db FILE]");
        return 2;
}

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

int IntOption(string name, int fallback) =>
    Option(name) is { } value ? int.Parse(value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : fallback;

string DataFolder()
{
    if (Option("--data") is { } given) return given;
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "shared", "data");
        if (Directory.Exists(candidate)) return candidate;
    }
    throw new DirectoryNotFoundException("shared/data not found beside the repository; pass --data DIR.");
}
