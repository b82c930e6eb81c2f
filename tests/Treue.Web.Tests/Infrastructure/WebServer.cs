using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Treue.Domain.Earning;
using Treue.Domain.Programmes;
using Treue.Server.Features.ApiKeys;
using Treue.Server.Features.Audit;
using Treue.Server.Features.Cards;
using Treue.Server.Features.Programmes;
using Treue.Server.Web.Admin;
using Treue.Server.Web.Portal;
using Treue.Server.Web.Shared;
using Treue.Storage;
using Treue.Storage.Entities;

namespace Treue.Web.Tests.Infrastructure;

/// <summary>A member created for the tests.</summary>
public sealed record TestMember(Guid Id, string Name, string Email, string CardNumber);

/// <summary>
/// The real server (the build output of Treue.Server) on a free port, on SQLite in a temporary folder, with a test
/// programme, staff of every role and members; plus one headless Chromium (Debian's, never a downloaded one).
/// </summary>
public sealed class WebServer : IAsyncLifetime
{
    public const string Password = "correct-horse-battery";
    public const string AdminEmail = "admin@test.treue";
    public const string SupportEmail = "support@test.treue";
    public const string MarketerEmail = "marketer@test.treue";
    public const string AnalystEmail = "analyst@test.treue";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "treue-web-" + Guid.NewGuid().ToString("N")[..10]);
    private Process? _process;
    private readonly System.Text.StringBuilder _output = new();
    private IPlaywright? _playwright;

    public Uri Address { get; private set; } = default!;
    public IBrowser Browser { get; private set; } = default!;
    public HttpClient Pos { get; private set; } = default!;
    public HttpClient AdminApi { get; private set; } = default!;
    public Guid ProgrammeId { get; private set; }
    public TestMember Ana { get; private set; } = default!;
    public TestMember Ben { get; private set; } = default!;
    public TestMember Cara { get; private set; } = default!;
    /// <summary>A member of another programme, whom the test programme's staff must never see.</summary>
    public TestMember Outsider { get; private set; } = default!;
    public const string ThrottledEmail = "forgetful@test.treue";
    public string ConnectionString { get; private set; } = "";

    public string ServerOutput { get { lock (_output) return _output.ToString(); } }

    public static ProgrammeDocument Document => new()
    {
        Code = "web-test", Name = "Web Test Club", Currency = "EUR", TimeZone = "Europe/Berlin", PointValue = 0.01m, BaseRate = 1m,
        Rounding = RoundingPolicy.Down, PendingDays = 0, Expiry = new ExpiryPolicy(ExpiryKind.MonthsAfterEarning, Months: 12),
        Partners = [new("tea-house", "Tea House", [new("th-main", "Tea House Main Street")]), new("book-corner", "Book Corner", [new("bc-1", "Book Corner Centre")])],
        Rules = [new("welcome", "Welcome bonus", 20, Stacking.Stack, new RuleConditions { FirstPurchaseOnly = true }, new RuleEffect(EffectKind.FixedBonus, 50))],
        Rewards =
        [
            new("mug", "Tea mug", 100, Stock: 20, Description: "A big mug for big teas.", ImageUrl: null),
            new("teapot", "Cast-iron teapot", 300, CoPayment: 9.99m, Stock: 5, Description: "Keeps tea warm."),
            new("journey", "Tea journey to Darjeeling", 1_000_000, Description: "Out of reach on purpose."),
        ],
    };

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        ConnectionString = StorageSetup.DefaultConnectionString(_folder);
        await SeedAsync();
        await StartServerAsync();
        Pos = Client(await KeyAsync(ApiRole.Pos));
        AdminApi = Client(await KeyAsync(ApiRole.Admin));
        await RecordHistoryAsync();
        _playwright = await Playwright.CreateAsync();
        // The suite shares two cores with the other test modules: a wait that takes a second alone may take half a minute.
        Assertions.SetDefaultExpectTimeout(30_000);
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"],
        });
    }

    public TreueDb Db()
    {
        var options = new DbContextOptionsBuilder<TreueDb>();
        options.UseTreueDatabase(ConnectionString);
        return new TreueDb(options.Options);
    }

    private async Task SeedAsync()
    {
        await using var db = Db();
        await db.Database.MigrateAsync();
        var (result, refusal) = await new ProgrammeApplier(db, TimeProvider.System).ApplyAsync(Document, CancellationToken.None);
        if (refusal is not null) throw new InvalidOperationException(refusal.Message);
        ProgrammeId = result!.ProgrammeId;
        var config = new ConfigurationBuilder().Build();
        var throttle = new SignInThrottle(TimeProvider.System);
        var staff = new StaffAccounts(db, throttle, TimeProvider.System, config, NullLogger<StaffAccounts>.Instance);
        await staff.CreateAsync(ProgrammeId, AdminEmail, "Alice Admin", StaffRole.Admin, Password, AuditActor.System, CancellationToken.None);
        await staff.CreateAsync(ProgrammeId, SupportEmail, "Sid Support", StaffRole.Support, Password, AuditActor.System, CancellationToken.None);
        await staff.CreateAsync(ProgrammeId, MarketerEmail, "Mo Marketer", StaffRole.Marketer, Password, AuditActor.System, CancellationToken.None);
        await staff.CreateAsync(ProgrammeId, AnalystEmail, "Ann Analyst", StaffRole.Analyst, Password, AuditActor.System, CancellationToken.None);
        await staff.CreateAsync(ProgrammeId, ThrottledEmail, "Fred Forgetful", StaffRole.Support, Password, AuditActor.System, CancellationToken.None);
        var secret = new Treue.Server.Infrastructure.ServerSecret(config, Microsoft.Extensions.Options.Options.Create(new Treue.Server.TreueOptions { DataFolder = _folder }));
        var members = new MemberAccounts(db, throttle, new NoSender(), TimeProvider.System, config, secret,
            Microsoft.Extensions.Options.Options.Create(new Treue.Server.Features.Mail.MailOptions()));
        Ana = await MemberAsync(db, members, "Ana Tester", "ana@example.org");
        Ben = await MemberAsync(db, members, "Ben Otherperson", "ben@example.org");
        Cara = await MemberAsync(db, members, "Cara Shopper", "cara@example.org");
        var (other, _) = await new ProgrammeApplier(db, TimeProvider.System).ApplyAsync(Document with { Code = "other-club", Name = "Other Club" }, CancellationToken.None);
        Outsider = await MemberAsync(db, members, "Olga Outsider", "olga@example.org", other!.ProgrammeId);
    }

    /// <summary>A member with the test password in a programme a test class set up for itself.</summary>
    public async Task<TestMember> AddMemberAsync(Guid programme, string name, string email)
    {
        await using var db = Db();
        var config = new ConfigurationBuilder().Build();
        var secret = new Treue.Server.Infrastructure.ServerSecret(config, Microsoft.Extensions.Options.Options.Create(new Treue.Server.TreueOptions { DataFolder = _folder }));
        var members = new MemberAccounts(db, new SignInThrottle(TimeProvider.System), new NoSender(), TimeProvider.System, config, secret,
            Microsoft.Extensions.Options.Options.Create(new Treue.Server.Features.Mail.MailOptions()));
        return await MemberAsync(db, members, name, email, programme);
    }

    private async Task<TestMember> MemberAsync(TreueDb db, MemberAccounts accounts, string name, string email, Guid? programme = null)
    {
        var m = new Member
        {
            Id = Guid.CreateVersion7(), ProgrammeId = programme ?? ProgrammeId, Name = name, Email = email, EmailKey = email, Status = MemberStatus.Active,
            EnrolledAt = DateTime.UtcNow.AddMonths(-5), Language = "en",
        };
        db.Members.Add(m);
        var card = CardEndpoints.NewCard(m, CardKind.Digital, null, m.EnrolledAt);
        db.Cards.Add(card);
        await db.SaveChangesAsync();
        await accounts.SetPasswordAsync(m.ProgrammeId, m.Id, Password, CancellationToken.None);
        return new TestMember(m.Id, name, email, card.Number);
    }

    private async Task<string> KeyAsync(ApiRole role)
    {
        await using var db = Db();
        return (await ApiKeyEndpoints.CreateAsync(db, ProgrammeId, "web tests " + role, role, null, DateTime.UtcNow, CancellationToken.None)).Key;
    }

    /// <summary>Some months of purchases through the API, so that the dashboard and the histories have something to show.</summary>
    private async Task RecordHistoryAsync()
    {
        var n = 0;
        foreach (var (member, months) in new[] { (Ana, 4), (Ben, 3) })
        {
            for (var i = months; i >= 1; i--)
            {
                var at = DateTimeOffset.UtcNow.AddMonths(-i).AddDays(2);
                await PurchaseAsync(member.CardNumber, $"seed-{++n}", "tea-house", "green-tea", "tea", 2, 40.00m + i, at);
            }
        }
        await AdjustAsync(Ana.Id, 200, "Welcome gift from the tests");
    }

    public async Task<System.Text.Json.JsonElement> PurchaseAsync(string card, string receipt, string partner, string sku, string category, decimal qty,
        decimal price, DateTimeOffset? at = null)
    {
        var response = await Pos.PostAsJsonAsync("/api/v1/purchases", new
        {
            receiptId = receipt, partner, currency = "EUR", cardNumber = card, total = qty * price,
            lines = new[] { new { sku, category, quantity = qty, unitPrice = price } }, occurredAt = at,
        });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Purchase failed: {(int)response.StatusCode} {body}");
        return System.Text.Json.JsonDocument.Parse(body).RootElement;
    }

    public async Task AdjustAsync(Guid member, long points, string reason)
    {
        var response = await AdminApi.PostAsJsonAsync($"/api/v1/members/{member}/adjustments", new { points, reason });
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException("Adjustment failed: " + await response.Content.ReadAsStringAsync());
    }

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = Address };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A fresh browser context (its own cookies) with a page on the server.</summary>
    public async Task<IPage> NewPageAsync(string language = "en-GB", int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Address.ToString(), Locale = language, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(60_000);
        return await context.NewPageAsync();
    }

    private async Task StartServerAsync()
    {
        var port = FreePort();
        Address = new Uri($"http://127.0.0.1:{port}");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        foreach (var a in new[] { ServerDll(), "--urls", Address.ToString(), "--ConnectionStrings:Treue=" + ConnectionString, "--Treue:DataFolder=" + _folder,
                     "--Treue:Jobs:Interval=00:00:00", "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Treue.Server.Web.Shared.LogSignInCodeSender=Information" })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var probe = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException("The server exited: " + ServerOutput);
            try
            {
                if ((await probe.GetAsync("/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException("The server did not answer: " + ServerOutput);
    }

    private static string ServerDll()
    {
        // tests/Treue.Web.Tests/bin/<Configuration>/net10.0 → src/Treue.Server/bin/<Configuration>/net10.0
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(root, "src", "Treue.Server", "bin", here.Parent.Name, here.Name, "Treue.Server.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build src/Treue.Server first.", dll);
    }

    /// <summary>The repository's root folder (for docs/screenshots).</summary>
    public static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Treue.slnx"))) return d.FullName;
        throw new DirectoryNotFoundException("Treue.slnx not found above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        Pos?.Dispose();
        AdminApi?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private sealed class NoSender : ISignInCodeSender
    {
        public Task SendAsync(SignInCodeMessage message, CancellationToken ct) => Task.CompletedTask;
    }
}
