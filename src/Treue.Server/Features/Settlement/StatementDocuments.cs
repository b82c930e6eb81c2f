using System.Globalization;
using System.Text;
using CsvHelper;
using Treue.Domain.Settlement;
using Treue.Server.Web.Shared;

namespace Treue.Server.Features.Settlement;

/// <summary>A partner's statement as a file: CSV for a spreadsheet, PDF for a partner's accountant. Texts and numbers follow the current culture.</summary>
public static class StatementDocuments
{
    /// <summary>One line of a statement: what it is, the points, the price per point, and the money (positive: the partner receives).</summary>
    public sealed record Line(string Label, long? Points, decimal? Price, decimal Amount);

    /// <summary>The lines of a statement in the order a reader follows them, ending with the net.</summary>
    public static IReadOnlyList<Line> Lines(StatementView s, Loc l) =>
    [
        new(l["Points issued"], s.PointsIssued, s.IssuePrice, -s.Issued),
        new(l["Points taken back by returns"], s.PointsReturned, s.IssuePrice, s.Returns),
        new(l["Points redeemed at the partner"], s.PointsRedeemed - s.PointsRefunded, s.RedemptionPrice, s.Redeemed),
        new(s.Breakage == BreakageBeneficiary.Partner ? l["Expired points, breakage to the partner"] : l["Expired points, breakage to the operator"],
            s.PointsExpired, s.IssuePrice, s.BreakageRefund),
        new(l["Fee per point"], s.PointsIssued - s.PointsReturned, s.FeePerPoint, -s.PointFee),
        new(l.Format("Fee of {0} % of the value issued", s.FeePercent.ToString("0.##", CultureInfo.CurrentCulture)), null, null, -s.PercentFee),
        new(l["Monthly fee"], null, null, -s.MonthlyFee),
        new(s.Net >= 0 ? l["Net: the operator pays the partner"] : l["Net: the partner pays the operator"], null, null, s.Net),
    ];

    /// <summary>
    /// The statement as CSV: one row per line, with invariant numbers so that any spreadsheet reads them. Amounts stay
    /// numbers (a spreadsheet's formula guard would turn a negative amount into text); the only free text, the partner's
    /// code, is guarded by hand.
    /// </summary>
    public static async Task<byte[]> CsvAsync(StatementView s, Loc l, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await using (var writer = new StreamWriter(buffer, new UTF8Encoding(false), leaveOpen: true))
        await using (var csv = CsvWriter.Create(writer, CsvWriterOptions.Default, leaveOpen: true))
        {
            csv.WriteHeader(["period", "status", "partner", "line", "points", "price_per_point", "amount", "currency"]);
            foreach (var line in Lines(s, l))
            {
                csv.WriteField(s.Period);
                csv.WriteField(s.Status);
                csv.WriteField(s.PartnerCode.Length > 0 && s.PartnerCode[0] is '=' or '+' or '-' or '@' ? "'" + s.PartnerCode : s.PartnerCode);
                csv.WriteField(line.Label);
                csv.WriteField(line.Points?.ToString(CultureInfo.InvariantCulture) ?? "");
                csv.WriteField(line.Price?.ToString("0.######", CultureInfo.InvariantCulture) ?? "");
                csv.WriteField(line.Amount.ToString("0.00#", CultureInfo.InvariantCulture));
                csv.WriteField(s.Currency);
                await csv.EndRecordAsync(ct);
            }
            await csv.FlushAsync(ct);
        }
        return buffer.ToArray();
    }

    /// <summary>The statement as a one-page PDF.</summary>
    public static byte[] Pdf(StatementView s, string programmeName, DateOnly firstDay, DateOnly lastDay, string? closedAt, Loc l)
    {
        var page = new PdfPage();
        var y = 790;
        page.Text(50, y, 18, bold: true, l["Settlement statement"]);
        y -= 28;
        page.Text(50, y, 11, bold: false, programmeName);
        y -= 16;
        page.Text(50, y, 11, bold: false, l.Format("Partner: {0} ({1})", s.PartnerName, s.PartnerCode));
        y -= 16;
        page.Text(50, y, 11, bold: false, l.Format("Period {0}: {1} to {2}", s.Period, firstDay.ToString("d", CultureInfo.CurrentCulture),
            lastDay.ToString("d", CultureInfo.CurrentCulture)));
        y -= 16;
        page.Text(50, y, 11, bold: false, closedAt is null ? l["Provisional: the period is open and may still change."] : l.Format("Closed on {0}; final.", closedAt));
        y -= 34;
        // The figures are set in a fixed-width font, so that the columns line up without measuring text.
        page.Mono(50, y, 9, bold: true, Row(l["Line"], l["Points"], l["Per point"], l.Format("Amount ({0})", s.Currency)));
        y -= 6;
        page.Rule(50, y, 545);
        y -= 14;
        var lines = Lines(s, l);
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var last = i == lines.Count - 1;
            if (last)
            {
                page.Rule(50, y + 8, 545);
                y -= 6;
            }
            page.Mono(50, y, 9, bold: last, Row(line.Label, line.Points is { } p ? Loc.Points(p) : "",
                line.Price is { } price ? price.ToString("0.00####", CultureInfo.CurrentCulture) : "", line.Amount.ToString("N2", CultureInfo.CurrentCulture)));
            y -= 16;
        }
        y -= 20;
        page.Text(50, y, 9, bold: false, l["Positive amounts are paid to the partner, negative amounts by the partner."]);
        return page.Build(l["Settlement statement"] + " " + s.Period + " " + s.PartnerCode);
    }

    private static string Row(string label, string points, string price, string amount)
    {
        if (label.Length > 44) label = label[..43] + ".";
        return label.PadRight(45) + points.PadLeft(12) + price.PadLeft(12) + amount.PadLeft(14);
    }

    /// <summary>
    /// A one-page PDF with text in the standard Helvetica and Courier fonts, which every PDF reader has, so that no font
    /// file is embedded or looked up on the server. Text is encoded in WinAnsi, which holds German and West European letters.
    /// </summary>
    private sealed class PdfPage
    {
        private readonly StringBuilder _content = new();

        public void Text(int x, int y, int size, bool bold, string text) => Show(bold ? "F2" : "F1", x, y, size, text);

        public void Mono(int x, int y, int size, bool bold, string text) => Show(bold ? "F4" : "F3", x, y, size, text);

        public void Rule(int x1, int y, int x2) => _content.Append(CultureInfo.InvariantCulture, $"0.5 w {x1} {y} m {x2} {y} l S\n");

        private void Show(string font, int x, int y, int size, string text) =>
            _content.Append(CultureInfo.InvariantCulture, $"BT /{font} {size} Tf {x} {y} Td ").Append(Literal(text)).Append(" Tj ET\n");

        private static string Literal(string text)
        {
            var b = new StringBuilder("(");
            foreach (var c in text)
            {
                var code = WinAnsi(c);
                if (code is '(' or ')' or '\\') b.Append('\\').Append((char)code);
                else if (code < 32 || code > 126) b.Append('\\').Append(Convert.ToString(code, 8).PadLeft(3, '0'));
                else b.Append((char)code);
            }
            return b.Append(')').ToString();
        }

        private static int WinAnsi(char c) => c switch
        {
            '€' => 0x80,
            '–' => 0x96,
            '—' => 0x97,
            '’' => 0x92,
            '−' => '-',
            '\u202F' or '\u2009' => 0xA0,
            _ when c < 0x80 || (c >= 0xA0 && c <= 0xFF) => c,
            _ => '?',
        };

        public byte[] Build(string title)
        {
            var stream = Encoding.Latin1.GetBytes(_content.ToString());
            string[] objects =
            [
                "<< /Type /Catalog /Pages 2 0 R >>",
                "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R /F2 6 0 R /F3 7 0 R /F4 8 0 R >> >> /Contents 4 0 R >>",
                $"<< /Length {stream.Length} >>\nstream\n",
                Font("Helvetica"), Font("Helvetica-Bold"), Font("Courier"), Font("Courier-Bold"),
                $"<< /Title {Literal(title)} /Producer (Treue) >>",
            ];
            using var pdf = new MemoryStream();
            void Write(string text) => pdf.Write(Encoding.Latin1.GetBytes(text));
            Write("%PDF-1.4\n%\u00E2\u00E3\u00CF\u00D3\n");
            var offsets = new long[objects.Length];
            for (var i = 0; i < objects.Length; i++)
            {
                offsets[i] = pdf.Position;
                Write($"{i + 1} 0 obj\n{objects[i]}");
                if (i == 3)
                {
                    pdf.Write(stream);
                    Write("\nendstream");
                }
                Write("\nendobj\n");
            }
            var xref = pdf.Position;
            Write($"xref\n0 {objects.Length + 1}\n0000000000 65535 f \n");
            foreach (var o in offsets) Write(o.ToString("D10", CultureInfo.InvariantCulture) + " 00000 n \n");
            Write($"trailer\n<< /Size {objects.Length + 1} /Root 1 0 R /Info {objects.Length} 0 R >>\nstartxref\n{xref.ToString(CultureInfo.InvariantCulture)}\n%%EOF\n");
            return pdf.ToArray();
        }

        private static string Font(string name) => $"<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>";
    }
}
