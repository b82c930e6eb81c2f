using System.Security.Cryptography;
using Xunit;
using Treue.Domain.Promotions;

namespace Treue.Domain.Tests.Promotions;

public sealed class CouponCodeTests
{
    private const string Pattern = "CAFE-#####-#####";

    /// <summary>A repeatable stand-in for the system's generator, so a test sees the same codes every run.</summary>
    private sealed class SeededRandom(int seed) : RandomNumberGenerator
    {
        private readonly Random _random = new(seed);

        public override void GetBytes(byte[] data) => _random.NextBytes(data);

        public override void GetBytes(Span<byte> data) => _random.NextBytes(data);
    }

    [Fact]
    public void A_code_follows_its_pattern_with_a_check_character_and_no_lookalikes()
    {
        using var random = new SeededRandom(1);
        var code = CouponCodes.Generate(Pattern, random);

        Assert.Matches("^CAFE-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{6}$", code);
        Assert.DoesNotMatch("[01OIL]", code[5..]);
        Assert.True(CouponCodes.IsValid(Pattern, code));
        Assert.True(CouponCodes.IsValid(Pattern, " " + code.ToLowerInvariant()));
    }

    [Fact]
    public void The_same_seed_gives_the_same_codes_and_a_batch_has_no_duplicates()
    {
        using var a = new SeededRandom(42);
        using var b = new SeededRandom(42);

        var first = CouponCodes.GenerateBatch(Pattern, 2_000, a);
        var second = CouponCodes.GenerateBatch(Pattern, 2_000, b);

        Assert.Equal(first, second);
        Assert.Equal(2_000, first.Distinct().Count());
        Assert.All(first, c => Assert.True(CouponCodes.IsValid(Pattern, c)));
    }

    [Fact]
    public void Every_character_of_the_alphabet_is_drawn()
    {
        using var random = RandomNumberGenerator.Create();
        var seen = CouponCodes.GenerateBatch(Pattern, 500, random).SelectMany(c => c[5..].Replace("-", "")).ToHashSet();

        Assert.Equal(CouponCodes.Alphabet.ToHashSet(), seen);
        Assert.Equal(31, CouponCodes.Alphabet.Length);
        Assert.DoesNotContain(CouponCodes.Alphabet, c => "01OIL".Contains(c));
    }

    [Theory]
    [InlineData("CAFE-####-####")] // 8 random characters: 39.6 bits
    [InlineData("#####")]
    [InlineData("")]
    [InlineData("CAFE_#####-#####")]
    [InlineData("#####-#####-?-?")]
    public void A_pattern_below_40_bits_or_with_odd_characters_is_refused(string pattern)
    {
        using var random = new SeededRandom(1);

        Assert.NotNull(CouponCodes.Problem(pattern));
        Assert.Throws<ArgumentException>(() => CouponCodes.Generate(pattern, random));
    }

    [Fact]
    public void Nine_random_characters_give_at_least_40_bits()
    {
        Assert.Null(CouponCodes.Problem("#########"));
        Assert.True(CouponCodes.Bits("#########") >= 40);
        Assert.True(CouponCodes.Bits("CAFE-####-####") < 40);
    }

    [Fact]
    public void The_check_character_can_stand_where_the_pattern_puts_it()
    {
        using var random = new SeededRandom(7);
        var code = CouponCodes.Generate("?-#####-#####", random);

        Assert.Equal('-', code[1]);
        Assert.True(CouponCodes.IsValid("?-#####-#####", code));
    }

    [Fact]
    public void Every_single_mistyped_character_and_every_swap_of_neighbours_is_caught()
    {
        using var random = new SeededRandom(3);
        foreach (var code in CouponCodes.GenerateBatch(Pattern, 50, random))
        {
            var positions = Enumerable.Range(0, code.Length).Where(i => i >= 5 && code[i] != '-').ToArray();
            foreach (var i in positions)
            {
                foreach (var c in CouponCodes.Alphabet.Where(c => c != code[i]))
                    Assert.False(CouponCodes.IsValid(Pattern, code[..i] + c + code[(i + 1)..]), $"{code}: {c} at {i}");
            }
            for (var k = 0; k + 1 < positions.Length; k++)
            {
                var (i, j) = (positions[k], positions[k + 1]);
                if (code[i] == code[j]) continue;
                var swapped = code.ToCharArray();
                (swapped[i], swapped[j]) = (swapped[j], swapped[i]);
                Assert.False(CouponCodes.IsValid(Pattern, new string(swapped)), $"{code}: swap {i} and {j}");
            }
        }
    }

    [Fact]
    public void A_code_of_another_pattern_or_with_a_lookalike_is_not_valid()
    {
        using var random = new SeededRandom(5);
        var code = CouponCodes.Generate(Pattern, random);

        Assert.False(CouponCodes.IsValid("SHOP-#####-#####", code));
        Assert.False(CouponCodes.IsValid(Pattern, code[..^1]));
        Assert.False(CouponCodes.IsValid(Pattern, code[..6] + "0" + code[7..]));
        Assert.False(CouponCodes.IsValid(Pattern, null));
    }
}
