using CsCheck;
using Xunit;
using Treue.Domain.Triggers;

namespace Treue.Domain.Tests.Triggers;

public sealed class TriggerPropertyTests
{
    private static readonly DateOnly Start = new(2024, 1, 1);

    private static readonly Gen<TriggerDefinition> Triggers = Gen.Select(Gen.Int[0, 7], Gen.Int[0, 40], Gen.Int[1, 12], Gen.Int[1, 31], Gen.Bool)
        .Select(t =>
        {
            var (kind, days, month, day, repeat) = t;
            return new TriggerDefinition("t", (TriggerKind)kind, new AwardPoints(10))
            {
                DaysBefore = days,
                Days = days + 1,
                N = days % 5 + 1,
                Repeat = repeat,
                Month = month,
                Day = Math.Min(day, DateTime.DaysInMonth(2000, month)),
            };
        });

    // A member enrolled some time in 2023 to 2025, with a birthday (sometimes 29 February), purchases, upgrades and expiring points.
    private static readonly Gen<MemberFacts> Members =
        Gen.Select(Gen.Int[0, 3 * 365], Gen.Int[0, 365], Gen.Bool, Gen.Int[0, 3 * 365].Array[0, 15], Gen.Int[0, 3 * 365].Array[0, 3], Gen.Int[0, 3 * 365].Array[0, 4])
            .Select(t =>
            {
                var (enrolled, birthday, leap, purchases, upgrades, expiring) = t;
                var enrolledOn = new DateOnly(2023, 1, 1).AddDays(enrolled);
                return new MemberFacts(Guid.NewGuid(), enrolledOn)
                {
                    Birthday = leap ? new DateOnly(1992, 2, 29) : new DateOnly(1991, 1, 1).AddDays(birthday),
                    PurchaseDays = purchases.Select(p => enrolledOn.AddDays(p)).Order().ToList(),
                    Upgrades = upgrades.Select((u, i) => (enrolledOn.AddDays(u), i % 2 == 0 ? "silver" : "gold")).Distinct().ToList(),
                    Expiring = expiring.Select(e => (Start.AddDays(e), 5L)).ToList(),
                };
            });

    [Fact]
    public void Any_split_of_the_days_into_runs_lists_each_occasion_once_and_the_same_as_one_run()
    {
        // Short ranges cut often put occasions on the days runs meet, where a double listing would show.
        Check.Sample(Gen.Select(Triggers, Members, Gen.Int[1, 4 * 365].Array[0, 40], Gen.OneOf(Gen.Int[1, 90], Gen.Int[1, 4 * 365])), t =>
        {
            var (trigger, member, cuts, length) = t;
            var end = Start.AddDays(length);
            Assert.Empty(TriggerRules.Due(trigger, member, end, end));
            var runs = cuts.Select(c => Start.AddDays(c % length)).Append(end).Distinct().Order().ToList();
            var all = new List<Occasion>();
            var last = Start;
            foreach (var today in runs)
            {
                all.AddRange(TriggerRules.Due(trigger, member, last, today));
                last = today;
            }
            var once = TriggerRules.Due(trigger, member, Start, end);
            Assert.Equal(all.Count, all.Select(o => o.Key).Distinct().Count());
            Assert.Equal(once.Select(o => o.Key).Order(), all.Select(o => o.Key).Order());
            Assert.All(all, o => Assert.True(o.Day > Start && o.Day <= end && o.Day >= member.EnrolledOn));
        });
    }

    [Fact]
    public void A_birthday_is_due_exactly_once_in_every_year()
    {
        Check.Sample(Gen.Select(Gen.Int[1901, 2199], Gen.Int[0, 365], Gen.Bool, Gen.Int[0, 60]), t =>
        {
            var (year, offset, leap, daysBefore) = t;
            var birthday = leap ? new DateOnly(1988, 2, 29) : new DateOnly(1987, 1, 1).AddDays(offset);
            var member = new MemberFacts(Guid.NewGuid(), new DateOnly(1899, 1, 1)) { Birthday = birthday };
            var trigger = new TriggerDefinition("b", TriggerKind.Birthday, new AwardPoints(1)) { DaysBefore = daysBefore };

            var occasions = TriggerRules.Due(trigger, member, new DateOnly(year - 1, 1, 1), new DateOnly(year + 1, 12, 31));
            var inYear = occasions.Where(o => o.Name == $"birthday:{year}").ToList();

            var occasion = Assert.Single(inYear);
            var on = occasion.Day.AddDays(daysBefore);
            Assert.Equal(year, on.Year);
            Assert.Equal(birthday.Month, on.Month);
            Assert.Equal(birthday.Month == 2 && birthday.Day == 29 && !DateTime.IsLeapYear(year) ? 28 : birthday.Day, on.Day);
        });
    }
}
