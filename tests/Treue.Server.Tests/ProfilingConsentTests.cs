using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Treue.Server.Tests.Infrastructure;

namespace Treue.Server.Tests;

/// <summary>Analyses leave members without consent to profiling out, or count them in aggregates only, as the programme says.</summary>
public abstract class ProfilingConsentTests(TreueServer server)
{
    [Fact]
    public async Task A_member_without_consent_to_profiling_is_never_listed_and_counts_only_as_configured()
    {
        var p = await server.NewProgrammeAsync();
        var tag = Guid.NewGuid().ToString("N")[..6];
        var consenting = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            var (m, card) = await p.EnrolAsync($"Consenting {i}");
            consenting.Add(m);
            await p.BuyAsync(TestProgramme.Purchase($"c{i}-{tag}", card, ("tea", "drinks", 1, 10m + i)));
        }
        // The programme's best customer by far, who never consented to profiling; and one who consented, then objected.
        var (refuser, refuserCard) = await p.EnrolAsync("Refusing Rita", profiling: false);
        var (objector, objectorCard) = await p.EnrolAsync("Objecting Otto");
        foreach (var (card, n) in new[] { (refuserCard, "r"), (objectorCard, "o") })
            for (var k = 0; k < 3; k++) await p.BuyAsync(TestProgramme.Purchase($"{n}{k}-{tag}", card, ("wine", "drinks", 2, 40m)));
        var objected = await p.Pos.PostAsJsonAsync($"/api/v1/members/{objector}/objection", new { }, TestProgramme.Json);
        await TestProgramme.Expect(objected, HttpStatusCode.OK);

        // Default: aggregate only. Both count in the segments' sizes; neither is listed or gets a personal suggestion.
        var rfm = await GetAsync<JsonObject>(p, "/api/v1/analytics/rfm");
        Assert.Equal(6, (int)rfm["scoredCustomers"]!);
        var listed = await ListedAsync(p);
        Assert.Equal(consenting.Order(), listed.Order());
        Assert.Empty(await GetAsync<JsonArray>(p, $"/api/v1/members/{refuser}/recommendations"));
        Assert.Empty(await GetAsync<JsonArray>(p, $"/api/v1/members/{objector}/recommendations"));

        // Excluded: they do not count at all.
        var put = await p.Admin.PutAsJsonAsync("/api/v1/privacy/settings", new { inactiveDays = (int?)null, warningDays = 30, analytics = "exclude", consentTextVersion = "1" }, TestProgramme.Json);
        await TestProgramme.Expect(put, HttpStatusCode.OK);
        rfm = await GetAsync<JsonObject>(p, "/api/v1/analytics/rfm");
        Assert.Equal(4, (int)rfm["scoredCustomers"]!);
        Assert.Equal(consenting.Order(), (await ListedAsync(p)).Order());

        // A consent given later shows the member at once (the cached results are made again).
        var granted = await p.Pos.PostAsJsonAsync($"/api/v1/members/{refuser}/consents", new { purpose = "profiling", granted = true }, TestProgramme.Json);
        await TestProgramme.Expect(granted, HttpStatusCode.OK);
        Assert.Contains(refuser, await ListedAsync(p));
        Assert.Equal(5, (int)(await GetAsync<JsonObject>(p, "/api/v1/analytics/rfm"))["scoredCustomers"]!);
    }

    /// <summary>Every member listed in any RFM segment.</summary>
    private static async Task<List<Guid>> ListedAsync(TestProgramme p)
    {
        var listed = new List<Guid>();
        foreach (var segment in (await GetAsync<JsonObject>(p, "/api/v1/analytics/rfm"))["segments"]!.AsArray().Select(s => (string)s!["segment"]!))
            listed.AddRange((await GetAsync<JsonObject>(p, $"/api/v1/analytics/rfm/members?segment={segment}&limit=100"))["items"]!.AsArray()
                .Select(m => Guid.Parse((string)m!["memberId"]!)));
        return listed;
    }

    private static async Task<T> GetAsync<T>(TestProgramme p, string url)
    {
        var res = await p.Admin.GetAsync(url);
        await TestProgramme.Expect(res, HttpStatusCode.OK);
        return (await res.Content.ReadFromJsonAsync<T>(TestProgramme.Json))!;
    }
}

public sealed class ProfilingConsentTestsOnSqlite(SqliteServer server) : ProfilingConsentTests(server), IClassFixture<SqliteServer>;

public sealed class ProfilingConsentTestsOnPostgres(PostgresServer server) : ProfilingConsentTests(server), IClassFixture<PostgresServer>;
