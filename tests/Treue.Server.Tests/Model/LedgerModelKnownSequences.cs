namespace Treue.Server.Tests.Model;

/// <summary>
/// Short, hand-made sequences that the model-based test found failing, replayed through the same harness (real services
/// on a real SQLite database, the model, and every invariant after every step). Each names the behaviour it pins down.
/// </summary>
public sealed class LedgerModelKnownSequencesOnSqlite : IAsyncLifetime
{
    private static readonly ProgrammeSpec Plain = new(PendingDays: 0, ExpiryMonths: 0, ExpiryEndOfYearAfter: -1, BaseRate: 1m,
        PromoDoubles: false, BigBasketBonus: false, MinPoints: 1, MaxPoints: null, MaxShare: 1m, Rewards: [new RewardSpec("reward-0", 100, null)]);

    private readonly string _folder = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(),
        "treue-model-known-" + Guid.NewGuid().ToString("N")[..10]);
    private ModelDatabase? _db;

    public async ValueTask InitializeAsync() => _db = await ModelDatabase.CreateSqliteAsync(_folder);

    public async ValueTask DisposeAsync()
    {
        if (_db is not null) await _db.DisposeAsync();
    }

    private Task RunAsync(ProgrammeSpec programme, params Op[] ops) => LedgerSequence.RunAsync(_db!, new LedgerScenario(programme, ops), new ModelRunStats());

    /// <summary>
    /// Pay 200 points for a 120-euro kettle (earning 120), spend 100 of them on a reward, return the kettle. The 200 paid come
    /// back and the 120 earned go: the member keeps 100. Reversing before refunding finds only 20 points, writes 100 off as
    /// unrecovered, and then refunds 200: the member ends with 200 points and the reward.
    /// </summary>
    [Fact]
    public Task A_full_return_of_a_purchase_paid_with_points_writes_nothing_off_while_the_refund_covers_it() =>
        RunAsync(Plain,
            new AdjustOp(0, 200),
            new EarnOp(0, 0, [new LineSpec(Article: 5, Quantity: 0)], new PaySpec(2, 200), 0),
            new RedeemOp(0, 0),
            new ReturnOp(0, [new ReturnLineSpec(0, 0)]));

    /// <summary>
    /// Two lots of 100; paying 150 takes 100 from the first and 50 from the second. Returning the purchase in two halves
    /// refunds 75 twice. The points must go back where they came from, never more into a lot than was taken from it: both
    /// lots end with 100. Refunding each half from the last draw on puts 50 into the second lot twice (150 of 100).
    /// </summary>
    [Fact]
    public Task Partial_refunds_of_one_payment_never_put_more_into_a_lot_than_the_payment_took_from_it() =>
        RunAsync(Plain,
            new AdjustOp(0, 100),
            new AdjustOp(0, 100),
            new EarnOp(0, 0, [new LineSpec(Article: 1, Quantity: 1)], new PaySpec(2, 150), 0),
            new ReturnOp(0, [new ReturnLineSpec(0, 50)]),
            new ReturnOp(0, [new ReturnLineSpec(0, 0)]));
}
