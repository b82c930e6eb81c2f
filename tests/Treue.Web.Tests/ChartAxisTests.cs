using System.Globalization;
using Microsoft.Playwright;
using Treue.Server.Web.Shared;
using Treue.Web.Tests.Infrastructure;

namespace Treue.Web.Tests;

/// <summary>The value axis of the console's charts: rounded steps, numbers in the reader's culture, labels that can be read.</summary>
public sealed class ChartAxisTests(WebServer server)
{
    [Theory]
    [InlineData(368640, 100000)]
    [InlineData(100, 20)]
    [InlineData(101, 25)]
    [InlineData(9, 2)]
    [InlineData(12, 2.5)]
    [InlineData(23, 5)]
    [InlineData(0.37, 0.1)]
    [InlineData(1, 0.2)]
    [InlineData(0, 1)]
    [InlineData(-5, 1)]
    public void The_step_is_1_2_2_5_or_5_times_a_power_of_ten(double max, double expected) =>
        Assert.Equal(expected, ChartAxis.Step(max), 9);

    [Fact]
    public void Steps_are_rounded_and_give_at_most_the_asked_number_of_ticks()
    {
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var max = Math.Pow(10, random.NextDouble() * 12 - 4);
            var step = ChartAxis.Step(max);
            var mantissa = step / Math.Pow(10, Math.Floor(Math.Log10(step) + 1e-12));
            Assert.Contains(Math.Round(mantissa, 6), new[] { 1, 2, 2.5, 5 });
            Assert.True(max / step <= 5 + 1e-9, $"{max}: step {step} gives more than 5 ticks");
            Assert.True(ChartAxis.Top(max, step) >= max);
        }
    }

    [Fact]
    public void Labels_follow_the_culture_and_the_step()
    {
        var before = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal("368.640", ChartAxis.Label(368640, 20000));
            Assert.Equal("7,5", ChartAxis.Label(7.5, 2.5));
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("en-GB");
            Assert.Equal("368,640", ChartAxis.Label(368640, 20000));
            Assert.Equal("0.25", ChartAxis.Label(0.25, 0.05));
        }
        finally { CultureInfo.CurrentCulture = before; }
    }

    [Theory]
    [InlineData("en-GB")]
    [InlineData("de-DE")]
    public async Task The_dashboard_charts_have_rounded_formatted_readable_axes(string language)
    {
        // A large purchase a month ago puts thousands on the points axis.
        if (!_seeded)
        {
            await server.PurchaseAsync(server.Ben.CardNumber, "axis-large-1", "tea-house", "samovar", "tea", 1, 4_321.00m, DateTimeOffset.UtcNow.AddMonths(-1));
            _seeded = true;
        }
        var culture = CultureInfo.GetCultureInfo(language);
        var page = await server.NewPageAsync(language, width: 1440);
        await page.StaffSignInByIdAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin");
        var charts = page.Locator(".axis-chart");
        await Assertions.Expect(charts.First.Locator("g.mud-charts-yaxis text").First).ToBeAttachedAsync();
        var sawThousands = false;
        for (var c = 0; c < await charts.CountAsync(); c++)
        {
            var texts = charts.Nth(c).Locator("g.mud-charts-yaxis text");
            var labels = (await texts.AllTextContentsAsync()).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            Assert.True(labels.Count >= 2, $"chart {c}: {labels.Count} axis labels");
            var values = labels.Select(l => decimal.Parse(l.Trim(), NumberStyles.Number, culture)).Order().ToList();
            var steps = values.Zip(values.Skip(1), (a, b) => b - a).Distinct().ToList();
            Assert.True(steps.Count == 1, $"chart {c}: uneven steps in {string.Join(" | ", labels)}");
            var mantissa = (double)steps[0] / Math.Pow(10, Math.Floor(Math.Log10((double)steps[0]) + 1e-12));
            Assert.True(new[] { 1, 2, 2.5, 5 }.Contains(Math.Round(mantissa, 6)), $"chart {c}: step {steps[0]} in {string.Join(" | ", labels)}");
            foreach (var label in labels.Where(l => decimal.Parse(l, NumberStyles.Number, culture) >= 1000))
            {
                Assert.Contains(culture.NumberFormat.NumberGroupSeparator, label, StringComparison.Ordinal);
                sawThousands = true;
            }
            await AssertReadableAsync(texts, $"chart {c} value axis");
            await AssertReadableAsync(charts.Nth(c).Locator("g.mud-charts-xaxis text"), $"chart {c} category axis");
        }
        Assert.True(sawThousands, "no axis reached the thousands");
    }

    [Fact]
    public async Task The_rfm_segment_labels_can_be_read()
    {
        var page = await server.NewPageAsync(width: 1440);
        await page.StaffSignInAsync(WebServer.AdminEmail);
        await page.OpenAsync("/admin/analytics/rfm");
        var texts = page.Locator(".axis-chart g.mud-charts-xaxis text");
        await Assertions.Expect(texts.First).ToBeAttachedAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "/tmp/a11y/rfm.png", FullPage = true });
        await AssertReadableAsync(texts, "RFM segments");
    }

    private static bool _seeded;

    /// <summary>Each label at least 11 px tall (its font as drawn) and no two labels on top of each other.</summary>
    private static async Task AssertReadableAsync(ILocator texts, string what)
    {
        const string measure = """
            els => els.filter(e => e.textContent.trim().length > 0).map(e => {
                const r = e.getBoundingClientRect();
                const m = e.getScreenCTM();
                const scale = m ? Math.hypot(m.a, m.b) : 1;
                return [r.left, r.top, r.right, r.bottom, parseFloat(getComputedStyle(e).fontSize) * scale];
            })
            """;
        var boxes = await texts.EvaluateAllAsync<double[][]>(measure);
        // A chart drawn again while it is measured has labels not laid out yet (no size): measure once it has settled.
        for (var attempt = 0; attempt < 20 && boxes.Any(b => double.IsNaN(b[4])); attempt++)
        {
            await Task.Delay(250);
            boxes = await texts.EvaluateAllAsync<double[][]>(measure);
        }
        foreach (var b in boxes) Assert.True(b[4] >= 11, $"{what}: a label is drawn at {b[4]:0.0} px");
        for (var i = 0; i < boxes.Length; i++)
        for (var j = i + 1; j < boxes.Length; j++)
        {
            var (a, b) = (boxes[i], boxes[j]);
            var x = Math.Min(a[2], b[2]) - Math.Max(a[0], b[0]);
            var y = Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]);
            Assert.False(x > 1 && y > 1, $"{what}: labels {i} and {j} overlap by {x:0.0} × {y:0.0} px");
        }
    }
}
