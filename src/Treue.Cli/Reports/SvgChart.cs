using System.Globalization;
using System.Net;
using System.Text;

namespace Treue.Cli.Reports;

/// <summary>A named series of values for a chart; null values leave a gap.</summary>
internal sealed record Series(string Name, IReadOnlyList<double?> Values);

/// <summary>
/// Writes self-contained SVG charts: line, bar and heat map, with axes, a legend and a title. SVG needs no native
/// graphics library, opens in every browser, and embeds in documents and slides as it is.
/// </summary>
internal static class SvgChart
{
    private const int Width = 800, Height = 450, Left = 70, Right = 20, Top = 50, Bottom = 80;
    private static readonly string[] Palette = ["#3f51b5", "#e91e63", "#009688", "#ff9800", "#795548", "#9c27b0", "#607d8b", "#8bc34a"];
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Lines over categories (months, groups) or evenly spaced points.</summary>
    public static string Line(string title, IReadOnlyList<string> labels, IReadOnlyList<Series> series, string yTitle = "", double? yMax = null) =>
        Plot(title, labels, series, yTitle, bars: false, yMax);

    /// <summary>Grouped bars over categories.</summary>
    public static string Bars(string title, IReadOnlyList<string> labels, IReadOnlyList<Series> series, string yTitle = "") =>
        Plot(title, labels, series, yTitle, bars: true, null);

    /// <summary>A heat map of shares in [0, 1] (cohort retention), each cell labelled with its percentage.</summary>
    public static string Heatmap(string title, IReadOnlyList<string> rows, IReadOnlyList<string> columns, Func<int, int, double?> share)
    {
        var svg = Begin(title);
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        var cw = plotW / (double)Math.Max(1, columns.Count);
        var ch = plotH / (double)Math.Max(1, rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            Text(svg, Left - 6, Top + (r + 0.5) * ch + 4, rows[r], "end", 10);
            for (var c = 0; c < columns.Count; c++)
            {
                if (share(r, c) is not { } v) continue;
                var x = Left + c * cw;
                var y = Top + r * ch;
                // Light to dark blue: the darker the cell, the more of the cohort came back.
                var shade = (int)Math.Round(235 - 190 * Math.Clamp(v, 0, 1));
                svg.Append(Inv, $"<rect x=\"{x:0.#}\" y=\"{y:0.#}\" width=\"{cw:0.#}\" height=\"{ch:0.#}\" fill=\"rgb({shade},{shade + 10},255)\" stroke=\"#fff\"><title>{Esc(rows[r])} +{Esc(columns[c])}: {v:P1}</title></rect>");
                if (cw >= 28 && ch >= 12)
                    Text(svg, x + cw / 2, y + ch / 2 + 4, v.ToString("P0", Inv), "middle", 9, shade < 140 ? "#fff" : "#222");
            }
        }
        for (var c = 0; c < columns.Count; c++)
            Text(svg, Left + (c + 0.5) * cw, Height - Bottom + 16, columns[c], "middle", 10);
        return End(svg);
    }

    private static string Plot(string title, IReadOnlyList<string> labels, IReadOnlyList<Series> series, string yTitle, bool bars, double? yMax)
    {
        var svg = Begin(title);
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        var values = series.SelectMany(s => s.Values).OfType<double>().Where(double.IsFinite).ToList();
        var min = Math.Min(0, values.Count == 0 ? 0 : values.Min());
        var max = yMax ?? (values.Count == 0 ? 1 : values.Max());
        if (max <= min) max = min + 1;
        var (lo, hi, step) = NiceScale(min, max);
        double Y(double v) => Top + plotH - (v - lo) / (hi - lo) * plotH;

        for (var t = lo; t <= hi + step / 2; t += step)
        {
            var y = Y(t);
            svg.Append(Inv, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\" stroke=\"#e0e0e0\"/>");
            Text(svg, Left - 6, y + 4, Format(t), "end", 10);
        }
        svg.Append(Inv, $"<line x1=\"{Left}\" y1=\"{Y(0):0.#}\" x2=\"{Width - Right}\" y2=\"{Y(0):0.#}\" stroke=\"#888\"/>");
        if (yTitle.Length > 0)
            svg.Append(Inv, $"<text x=\"14\" y=\"{Top + plotH / 2}\" transform=\"rotate(-90 14 {Top + plotH / 2})\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">{Esc(yTitle)}</text>");

        var n = Math.Max(1, labels.Count);
        var slot = plotW / (double)n;
        var every = Math.Max(1, (int)Math.Ceiling(n / 16.0));
        for (var i = 0; i < labels.Count; i += every)
            Text(svg, Left + (i + 0.5) * slot, Height - Bottom + 16, labels[i], "middle", 10);

        for (var s = 0; s < series.Count; s++)
        {
            var colour = Palette[s % Palette.Length];
            var vs = series[s].Values;
            if (bars)
            {
                var bw = slot * 0.8 / series.Count;
                for (var i = 0; i < Math.Min(vs.Count, n); i++)
                {
                    if (vs[i] is not { } v || !double.IsFinite(v)) continue;
                    var x = Left + i * slot + slot * 0.1 + s * bw;
                    var (y0, y1) = (Y(Math.Max(0, v)), Y(Math.Min(0, v)));
                    svg.Append(Inv, $"<rect x=\"{x:0.##}\" y=\"{y0:0.##}\" width=\"{bw:0.##}\" height=\"{Math.Max(0.5, y1 - y0):0.##}\" fill=\"{colour}\"><title>{Esc(series[s].Name)} {Esc(labels.ElementAtOrDefault(i) ?? "")}: {Format(v)}</title></rect>");
                }
            }
            else
            {
                var path = new StringBuilder();
                var pen = false;
                for (var i = 0; i < Math.Min(vs.Count, n); i++)
                {
                    if (vs[i] is not { } v || !double.IsFinite(v)) { pen = false; continue; }
                    path.Append(Inv, $"{(pen ? 'L' : 'M')}{Left + (i + 0.5) * slot:0.##},{Y(v):0.##} ");
                    pen = true;
                }
                svg.Append(Inv, $"<path d=\"{path.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"><title>{Esc(series[s].Name)}</title></path>");
            }
            // Legend along the bottom.
            var lx = Left + s * 160;
            svg.Append(Inv, $"<rect x=\"{lx}\" y=\"{Height - 28}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>");
            Text(svg, lx + 18, Height - 18, series[s].Name, "start", 11);
        }
        return End(svg);
    }

    private static StringBuilder Begin(string title)
    {
        var svg = new StringBuilder();
        svg.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" role=\"img\" aria-label=\"{Esc(title)}\">");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>");
        Text(svg, Width / 2.0, 28, title, "middle", 16, "#222");
        return svg;
    }

    private static string End(StringBuilder svg) => svg.Append("</svg>\n").ToString();

    private static void Text(StringBuilder svg, double x, double y, string text, string anchor, int size, string colour = "#444") =>
        svg.Append(Inv, $"<text x=\"{x:0.#}\" y=\"{y:0.#}\" text-anchor=\"{anchor}\" font-size=\"{size}\" fill=\"{colour}\">{Esc(text)}</text>");

    private static string Esc(string s) => WebUtility.HtmlEncode(s);

    private static string Format(double v) => Math.Abs(v) switch
    {
        >= 1_000_000 => (v / 1_000_000).ToString("0.#", Inv) + "M",
        >= 10_000 => (v / 1_000).ToString("0.#", Inv) + "k",
        >= 10 => v.ToString("0", Inv),
        _ => v.ToString("0.##", Inv),
    };

    /// <summary>Axis bounds and a tick step of 1, 2 or 5 × 10^k giving about five ticks.</summary>
    private static (double Lo, double Hi, double Step) NiceScale(double min, double max)
    {
        var raw = (max - min) / 5;
        var mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = (raw / mag) switch { <= 1 => mag, <= 2 => 2 * mag, <= 5 => 5 * mag, _ => 10 * mag };
        return (Math.Floor(min / step) * step, Math.Ceiling(max / step) * step, step);
    }
}
