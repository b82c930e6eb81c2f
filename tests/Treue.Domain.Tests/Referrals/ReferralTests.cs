using System.Security.Cryptography;
using CsCheck;
using Xunit;
using Treue.Domain.Promotions;
using Treue.Domain.Referrals;

namespace Treue.Domain.Tests.Referrals;

public sealed class ReferralTests
{
    private static readonly Guid Anna = Guid.Parse("0196a4b2-0000-7000-8000-0000000000a1");
    private static readonly Guid Ben = Guid.Parse("0196a4b2-0000-7000-8000-0000000000b2");
    private static readonly DateOnly Day = new(2026, 3, 4);

    private static readonly ReferralTerms Terms = new("FRIEND-#########", QualifyWithinDays: 30, ReturnWindowDays: 14,
        Referrer: new ReferralReward(500), NewMember: new ReferralReward(0, "welcome-friend"))
    {
        MinPurchase = 20m,
        MaxPerReferrer = 3,
        LimitDays = 365,
    };

    private static readonly Identity AnnaId = new("anna@example.org", ["9990001"], ["tok-anna"]);
    private static readonly Identity BenId = new("ben@example.org", ["9990002"], ["tok-ben"]);

    private static readonly string Code = ReferralRules.NewCode(Terms, RandomNumberGenerator.Create());

    private static Referral Enrolled() => ReferralRules.Enrol(Terms, Code, Anna, AnnaId, [], Ben, BenId, Day).Referral!;

    [Fact]
    public void A_referral_code_is_a_checked_code_of_the_programmes_pattern()
    {
        Assert.StartsWith("FRIEND-", Code, StringComparison.Ordinal);
        Assert.True(CouponCodes.IsValid(Terms.CodePattern, Code.ToLowerInvariant()));
        var referral = ReferralRules.Enrol(Terms, " " + Code.ToLowerInvariant() + " ", Anna, AnnaId, [], Ben, BenId, Day).Referral!;
        Assert.Equal(new Referral(Anna, Ben, Code, Day, ReferralStatus.Waiting), referral);
    }

    [Fact]
    public void Both_sides_are_rewarded_once_the_qualifying_purchase_is_past_its_return_window()
    {
        var referral = Enrolled();
        Assert.Same(referral, ReferralRules.OnPurchase(Terms, referral, "r0", 19.99m, Day.AddDays(1)));

        var pending = ReferralRules.OnPurchase(Terms, referral, "r1", 45m, Day.AddDays(10));
        Assert.Equal((ReferralStatus.Pending, "r1", Day.AddDays(25)), (pending.Status, pending.PurchaseReference, pending.RewardOn));
        Assert.Same(pending, ReferralRules.OnPurchase(Terms, pending, "r2", 80m, Day.AddDays(11)));

        var (waiting, none) = ReferralRules.Settle(Terms, pending, Day.AddDays(24));
        Assert.Null(none);
        var (rewarded, payout) = ReferralRules.Settle(Terms, waiting, Day.AddDays(25));
        Assert.Equal(ReferralStatus.Rewarded, rewarded.Status);
        Assert.Equal(new ReferralPayout((Anna, new ReferralReward(500)), (Ben, new ReferralReward(0, "welcome-friend"))), payout);
        Assert.Null(ReferralRules.Settle(Terms, rewarded, Day.AddDays(60)).Payout);
    }

    [Fact]
    public void A_full_return_of_the_qualifying_purchase_cancels_the_referral_and_a_partial_one_does_not()
    {
        var pending = ReferralRules.OnPurchase(Terms, Enrolled(), "r1", 45m, Day.AddDays(2));

        Assert.Same(pending, ReferralRules.OnReturn(pending, "r1", fullReturn: false));
        Assert.Same(pending, ReferralRules.OnReturn(pending, "other", fullReturn: true));
        var cancelled = ReferralRules.OnReturn(pending, "r1", fullReturn: true);
        Assert.Equal(ReferralStatus.Cancelled, cancelled.Status);
        Assert.Null(ReferralRules.Settle(Terms, cancelled, Day.AddDays(100)).Payout);
        // A later purchase does not revive it.
        Assert.Same(cancelled, ReferralRules.OnPurchase(Terms, cancelled, "r3", 45m, Day.AddDays(5)));
    }

    [Fact]
    public void A_referral_without_a_qualifying_purchase_in_time_lapses()
    {
        var referral = Enrolled();
        Assert.Same(referral, ReferralRules.OnPurchase(Terms, referral, "late", 45m, Day.AddDays(31)));
        Assert.Equal(ReferralStatus.Waiting, ReferralRules.Settle(Terms, referral, Day.AddDays(30)).Referral.Status);
        Assert.Equal(ReferralStatus.Lapsed, ReferralRules.Settle(Terms, referral, Day.AddDays(31)).Referral.Status);
    }

    [Theory]
    [InlineData("ANNA@example.org ", null, null)]
    [InlineData(null, "9990001", null)]
    [InlineData(null, null, "TOK-ANNA")]
    public void Nobody_refers_themselves_by_the_same_email_card_or_payment_reference(string? email, string? card, string? payment)
    {
        var newcomer = new Identity(email, card is null ? [] : [card], payment is null ? [] : [payment]);
        var (referral, refusal) = ReferralRules.Enrol(Terms, Code, Anna, AnnaId, [], Ben, newcomer, Day);

        Assert.Null(referral);
        Assert.Equal(("self_referral", "referralCode"), (refusal!.Code, refusal.Field));
    }

    [Fact]
    public void A_referrer_has_a_limit_per_period_and_a_mistyped_code_is_refused()
    {
        DateOnly[] three = [Day.AddDays(-400), Day.AddDays(-300), Day.AddDays(-10), Day];
        Assert.Equal("referral_limit", ReferralRules.Enrol(Terms, Code, Anna, AnnaId, three, Ben, BenId, Day).Refusal!.Code);
        // 65 days later the referral of 300 days before has left the period of 365 days.
        Assert.NotNull(ReferralRules.Enrol(Terms, Code, Anna, AnnaId, three, Ben, BenId, Day.AddDays(65)).Referral);
        Assert.Null(ReferralRules.Enrol(Terms, Code, Anna, AnnaId, three, Ben, BenId, Day.AddDays(64)).Referral);
        Assert.NotNull(ReferralRules.Enrol(Terms with { MaxPerReferrer = 0 }, Code, Anna, AnnaId, three, Ben, BenId, Day).Referral);

        var typo = Code[..^1] + (Code[^1] == 'A' ? 'B' : 'A');
        var refusal = ReferralRules.Enrol(Terms, typo, Anna, AnnaId, [], Ben, BenId, Day).Refusal!;
        Assert.Equal(("invalid_code", "referralCode"), (refusal.Code, refusal.Field));
        Assert.Equal("self_referral", ReferralRules.Enrol(Terms, Code, Anna, AnnaId, [], Anna, BenId, Day).Refusal!.Code);
    }

    [Fact]
    public void Unusable_terms_name_the_field_at_fault()
    {
        Assert.Null(Terms.Problem());
        Assert.Equal("codePattern", (Terms with { CodePattern = "F-###" }).Problem()!.Field);
        Assert.Equal("qualifyWithinDays", (Terms with { QualifyWithinDays = 0 }).Problem()!.Field);
        Assert.Equal("referrer.points", (Terms with { Referrer = new ReferralReward(-1) }).Problem()!.Field);
    }

    [Fact]
    public void Whatever_happens_a_referral_pays_out_at_most_once_and_never_after_a_full_return()
    {
        // Events: 0 purchase, 1 partial return, 2 full return, 3 settle; each on a later day.
        var events = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 20], Gen.Int[10, 60]).Array[0, 12];
        Check.Sample(events, steps =>
        {
            var referral = Enrolled();
            var day = Day;
            var payouts = 0;
            var returned = false;
            foreach (var (kind, gap, amount) in steps)
            {
                day = day.AddDays(gap);
                switch (kind)
                {
                    case 0:
                        referral = ReferralRules.OnPurchase(Terms, referral, "r" + day.DayNumber, amount, day);
                        break;
                    case 1:
                        referral = ReferralRules.OnReturn(referral, referral.PurchaseReference ?? "none", fullReturn: false);
                        break;
                    case 2:
                        var before = referral.Status;
                        referral = ReferralRules.OnReturn(referral, referral.PurchaseReference ?? "none", fullReturn: true);
                        returned |= before == ReferralStatus.Pending;
                        break;
                    default:
                        var (next, payout) = ReferralRules.Settle(Terms, referral, day);
                        referral = next;
                        if (payout is not null) payouts++;
                        break;
                }
            }
            Assert.True(payouts <= 1);
            if (returned) Assert.Equal(0, payouts);
            if (payouts == 1) Assert.Equal(ReferralStatus.Rewarded, referral.Status);
        });
    }
}
