using Xunit;
using Treue.Domain.Clubs;
using Treue.Domain.Earning;
using Treue.Domain.Programmes;
using Treue.Domain.Promotions;
using Treue.Domain.Purchases;
using Treue.Domain.Tiers;

namespace Treue.Domain.Tests.Clubs;

public sealed class ClubTests
{
    private static readonly DateOnly Day = new(2026, 1, 31);
    private static readonly Dictionary<string, string> NoProfile = [];

    private static readonly ClubDefinition Families = new("families", "Family club")
    {
        Fields = [new ProfileField("childrenBirthYears", ProfileFieldType.Years) { Required = true }, new ProfileField("newsletter", ProfileFieldType.Boolean)],
    };

    private static readonly ClubDefinition Pets = new("pets", "Pet owners")
    {
        EarningRules = [new EarningRule("pet-food", "Double points on pet food", 0, Stacking.Stack, new RuleConditions { Categories = ["pet-food"] },
            new RuleEffect(EffectKind.Multiplier, 2m))],
    };

    private static ClubDefinition Paid(RenewalMode renewal = RenewalMode.Automatic, int months = 12) =>
        new("plus", "Treue Plus") { Fee = new ClubFee(49m, months, renewal, "treue") { NoticeDays = 30 } };

    [Fact]
    public void A_free_club_takes_its_profile_fields_with_consent()
    {
        var (membership, fee, refusal) = ClubRules.Join(Families, null, new Dictionary<string, string> { ["childrenBirthYears"] = "2019, 2022" }, true, Day);

        Assert.Null(refusal);
        Assert.Null(fee);
        Assert.Equal(ClubStatus.Active, membership!.Status);
        Assert.Equal("2019, 2022", membership.Profile["childrenBirthYears"]);
        Assert.True(membership.IsActive(Day));
        Assert.Null(membership.PaidUntil);
    }

    [Theory]
    [InlineData("childrenBirthYears", "2019, twenty", false, "profile.childrenBirthYears")]
    [InlineData("childrenBirthYears", "1850", false, "profile.childrenBirthYears")]
    [InlineData("newsletter", "yes", false, "profile.newsletter")]
    [InlineData("pets", "cat", false, "profile.pets")]
    [InlineData("childrenBirthYears", "2020", true, "consent")]
    public void Profile_data_that_does_not_fit_is_refused_naming_the_field(string field, string value, bool withoutConsent, string expected)
    {
        var profile = new Dictionary<string, string> { ["childrenBirthYears"] = "2020", [field] = value };
        var (_, _, refusal) = ClubRules.Join(Families, null, profile, !withoutConsent, Day);
        Assert.Equal(expected, refusal!.Field);
    }

    [Fact]
    public void A_required_field_must_be_given_and_a_member_joins_only_once()
    {
        Assert.Equal(("field_required", "profile.childrenBirthYears"), Refused(ClubRules.Join(Families, null, NoProfile, true, Day).Refusal));
        var (member, _, _) = ClubRules.Join(Pets, null, NoProfile, false, Day);
        Assert.Equal(("already_member", "club"), Refused(ClubRules.Join(Pets, member, NoProfile, false, Day.AddDays(3)).Refusal));
        var (left, _) = ClubRules.Cancel(Pets, member!, Day.AddDays(5));
        Assert.Equal(ClubStatus.Left, left!.Status);
        Assert.False(left.IsActive(Day.AddDays(5)));
        Assert.NotNull(ClubRules.Join(Pets, left, NoProfile, false, Day.AddDays(6)).Membership);
    }

    private static (string, string?) Refused(Refusal? refusal) => (refusal!.Code, refusal.Field);

    [Fact]
    public void Joining_a_paid_club_is_a_fee_purchase_for_the_first_term()
    {
        var (membership, fee, _) = ClubRules.Join(Paid(), null, NoProfile, false, Day);

        Assert.Equal(new DateOnly(2027, 1, 30), membership!.PaidUntil);
        Assert.Equal(new ClubFeePurchase("plus", "treue", 49m, Day, new DateOnly(2027, 1, 30)), fee);
        var basket = fee!.ToBasket(new DateTime(2026, 1, 31, 10, 0, 0));
        Assert.Equal(("treue", 49m, "club-fee:plus"), (basket.Partner, basket.Total, basket.Lines.Single().Sku));
    }

    [Fact]
    public void An_automatic_renewal_is_announced_then_renewed_with_its_fee()
    {
        var club = Paid();
        var (membership, _, _) = ClubRules.Join(club, null, NoProfile, false, Day);

        var (beforeNotice, none) = ClubRules.Advance(club, membership!, new DateOnly(2026, 12, 30));
        Assert.Empty(none);
        var (noticed, notice) = ClubRules.Advance(club, beforeNotice, new DateOnly(2026, 12, 31));
        Assert.Equal([new ClubEvent(ClubEventKind.RenewalNotice, new DateOnly(2026, 12, 31))], notice);
        Assert.Empty(ClubRules.Advance(club, noticed, new DateOnly(2027, 1, 15)).Events);

        var (renewed, events) = ClubRules.Advance(club, noticed, new DateOnly(2027, 1, 31));
        var renewal = Assert.Single(events);
        Assert.Equal(ClubEventKind.Renewed, renewal.Kind);
        Assert.Equal(new ClubFeePurchase("plus", "treue", 49m, new DateOnly(2027, 1, 31), new DateOnly(2028, 1, 30)), renewal.Fee);
        Assert.Equal((ClubStatus.Active, 2, new DateOnly(2028, 1, 30)), (renewed.Status, renewed.TermsPaid, renewed.PaidUntil));
    }

    [Fact]
    public void A_cancelled_membership_lasts_to_the_end_of_its_term_and_then_expires()
    {
        var club = Paid();
        var (membership, _, _) = ClubRules.Join(club, null, NoProfile, false, Day);
        var (cancelled, _) = ClubRules.Cancel(club, membership!, new DateOnly(2026, 6, 1));

        Assert.Equal(ClubStatus.Cancelled, cancelled!.Status);
        Assert.True(cancelled.IsActive(new DateOnly(2027, 1, 30)));
        var (expired, events) = ClubRules.Advance(club, cancelled, new DateOnly(2027, 2, 10));
        Assert.Equal([new ClubEvent(ClubEventKind.Expired, new DateOnly(2027, 1, 31))], events);
        Assert.Equal(ClubStatus.Expired, expired.Status);
        Assert.False(expired.IsActive(new DateOnly(2027, 1, 31)));
    }

    [Fact]
    public void A_manual_membership_expires_unless_renewed_by_hand_before_its_end()
    {
        var club = Paid(RenewalMode.Manual);
        var (membership, _, _) = ClubRules.Join(club, null, NoProfile, false, Day);

        var (expired, events) = ClubRules.Advance(club, membership!, new DateOnly(2027, 1, 31));
        Assert.Equal([new ClubEvent(ClubEventKind.Expired, new DateOnly(2027, 1, 31))], events);
        Assert.Equal("not_member", ClubRules.Renew(club, expired, new DateOnly(2027, 2, 1)).Refusal!.Code);

        var (renewed, fee, refusal) = ClubRules.Renew(club, membership!, new DateOnly(2027, 1, 20));
        Assert.Null(refusal);
        Assert.Equal(new DateOnly(2028, 1, 30), renewed!.PaidUntil);
        Assert.Equal(new DateOnly(2027, 1, 31), fee!.CoversFrom);
        Assert.Empty(ClubRules.Advance(club, renewed, new DateOnly(2027, 2, 1)).Events);
    }

    [Fact]
    public void Monthly_terms_are_counted_from_the_day_of_joining_and_a_late_run_catches_up()
    {
        var club = Paid(months: 1) with { Fee = Paid(months: 1).Fee! with { NoticeDays = 3 } };
        var (membership, _, _) = ClubRules.Join(club, null, NoProfile, false, Day);

        var (after, events) = ClubRules.Advance(club, membership!, new DateOnly(2026, 5, 1));

        Assert.Equal(3, events.Count(e => e.Kind == ClubEventKind.Renewed));
        Assert.Equal([new DateOnly(2026, 2, 28), new DateOnly(2026, 3, 31), new DateOnly(2026, 4, 30)],
            events.Where(e => e.Kind == ClubEventKind.Renewed).Select(e => e.Fee!.CoversFrom));
        Assert.Equal(new DateOnly(2026, 5, 30), after.PaidUntil);
        Assert.Equal(3, events.Count(e => e.Kind == ClubEventKind.RenewalNotice));
    }

    [Fact]
    public void Club_memberships_feed_the_campaigns_reserved_for_them()
    {
        var (pets, _, _) = ClubRules.Join(Pets, null, NoProfile, false, Day);
        var (left, _) = ClubRules.Cancel(Families, ClubRules.Join(Families, null, new Dictionary<string, string> { ["childrenBirthYears"] = "2020" }, true, Day).Membership!, Day);
        var codes = ClubRules.MembershipCodes("gold", [pets!, left!], Day.AddDays(1));
        Assert.Equal(["gold", "pets"], codes);

        var at = new DateTime(2026, 3, 4, 14, 30, 0, DateTimeKind.Utc);
        var campaign = new Campaign("pets-10", "10 % for pet owners", at.AddDays(-1), null, new PercentOffBasket(10), CodeKind.Automatic)
        {
            Conditions = new CampaignConditions { Memberships = ["pets"] },
        };
        var basket = new Basket("acme", null, Channel.Store, new DateTime(2026, 3, 4, 15, 30, 0), [new BasketLine(1, "food", "pet-food", 1, 20m, 0)]);
        var terms = new PromotionTerms { Campaigns = [campaign] };
        var member = Pricing.Price(new PricingRequest(basket, at, [], Guid.NewGuid(), false), terms, new PromotionSnapshot { Memberships = codes }, Currency.Find("EUR")!);
        var other = Pricing.Price(new PricingRequest(basket, at, [], Guid.NewGuid(), false), terms,
            new PromotionSnapshot { Memberships = ClubRules.MembershipCodes("gold", [left!], Day.AddDays(1)) }, Currency.Find("EUR")!);

        Assert.Equal(2m, member.Discount);
        Assert.Equal(0m, other.Discount);
    }

    [Fact]
    public void Club_rules_earn_for_the_clubs_members_only_on_top_of_the_programmes_rules()
    {
        var terms = new PurchaseTerms(Currency.Find("EUR")!, new EarningScheme(1m, RoundingPolicy.Down, []), 14, ExpiryPolicy.Never, new PayWithPointsPolicy(), 0.01m)
            .WithMembers(new MemberTerms(null, [Pets, Families]));
        var basket = new Basket("acme", null, Channel.Store, new DateTime(2026, 3, 4, 15, 30, 0),
            [new BasketLine(1, "food", "pet-food", 1, 20m, 0), new BasketLine(2, "bread", "bakery", 1, 5m, 0)]);
        var at = new DateTime(2026, 3, 4, 14, 30, 0, DateTimeKind.Utc);
        var id = Guid.NewGuid();

        var (member, _) = PurchaseDecider.Decide(new PurchaseInput(basket, at), new MemberSnapshot(id, 2, 0, 0) { Clubs = ["pets"] }, terms, at);
        var (other, _) = PurchaseDecider.Decide(new PurchaseInput(basket, at), new MemberSnapshot(id, 2, 0, 0) { Clubs = ["families"] }, terms, at);

        var club = member!.Benefits.OfType<ClubPoints>().Single();
        Assert.Equal(("pets", 20L), (club.Club, club.Points));
        Assert.Equal(["Double points on pet food (line 1)"], club.Contributions.Select(c => c.Name));
        Assert.Equal(25, member.Earned!.Points);
        Assert.Empty(other!.Benefits.OfType<ClubPoints>());
    }
}
