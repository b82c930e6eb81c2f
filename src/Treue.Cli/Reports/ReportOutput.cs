using System.Globalization;
using System.Text.Json;
using CsvHelper;
using Treue.Storage;

namespace Treue.Cli.Reports;

/// <summary>A table of a report: a header and rows of already formatted cells.</summary>
internal sealed record ReportTable(string Name, IReadOnlyList<string> Header, IEnumerable<IReadOnlyList<object?>> Rows);

/// <summary>A chart of a report as SVG text.</summary>
internal sealed record ReportChart(string Name, string Svg);

/// <summary>What a report produces: the whole result for JSON, its tables for CSV, its charts, and a few lines to say.</summary>
internal sealed record ReportOutput(object Result, IReadOnlyList<ReportTable> Tables, IReadOnlyList<ReportChart> Charts, IReadOnlyList<string> Summary);

/// <summary>Writes a report's files into a folder.</summary>
internal static class ReportWriter
{
    /// <summary>Writes <c>name.json</c> or one CSV per table, and one SVG per chart; returns the paths written.</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(ReportOutput output, string name, string folder, string format, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        if (format == "json")
        {
            var path = Path.Combine(folder, name + ".json");
            await using (var file = File.Create(path))
                await JsonSerializer.SerializeAsync(file, output.Result, output.Result.GetType(), TreueJson.Options, ct);
            written.Add(path);
        }
        else
        {
            foreach (var table in output.Tables)
            {
                var path = Path.Combine(folder, table.Name + ".csv");
                await using (var writer = new StreamWriter(path))
                await using (var csv = CsvWriter.Create(writer, CsvWriterOptions.Default with { Injection = CsvInjection.Escape }, leaveOpen: false))
                {
                    csv.WriteHeader([.. table.Header]);
                    foreach (var row in table.Rows)
                    {
                        foreach (var cell in row) csv.WriteField(Cell(cell));
                        await csv.EndRecordAsync(ct);
                    }
                    await csv.FlushAsync(ct);
                }
                written.Add(path);
            }
        }
        foreach (var chart in output.Charts)
        {
            var path = Path.Combine(folder, chart.Name + ".svg");
            await File.WriteAllTextAsync(path, chart.Svg, ct);
            written.Add(path);
        }
        return written;
    }

    private static string Cell(object? value) => value switch
    {
        null => "",
        double d => double.IsFinite(d) ? d.ToString("0.######", CultureInfo.InvariantCulture) : "",
        float f => ((double)f).ToString("0.######", CultureInfo.InvariantCulture),
        DateOnly day => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
