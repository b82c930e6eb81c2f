using CsCheck;
using Xunit;

namespace Treue.Domain.Tests;

public sealed class CardNumbersTests
{
    // Random valid card numbers: 12 random payload digits followed by their check digit.
    private static readonly Gen<string> ValidNumbers =
        Gen.Int[0, 9].Array[CardNumbers.Length - 1].Select(digits =>
        {
            var payload = string.Concat(digits);
            return payload + CardNumbers.CheckDigit(payload);
        });

    [Fact]
    public void Check_digit_of_the_published_example_572_is_4()
    {
        // Worked example from Damm's paper: 0→5 gives 9, 9→7 gives 7, 7→2 gives 4.
        Assert.Equal(4, CardNumbers.CheckDigit("572"));
        Assert.Equal(0, CardNumbers.CheckDigit("5724"));
    }

    [Fact]
    public void Check_digit_of_a_twelve_digit_payload_matches_a_hand_computation()
    {
        // Walked through the table by hand: 3,5,4,0,9,6,1,6,4,6,8,3.
        Assert.Equal(3, CardNumbers.CheckDigit("123456789012"));
        Assert.True(CardNumbers.IsValid("1234567890123"));
        Assert.False(CardNumbers.IsValid("1234567890124"));
    }

    [Fact]
    public void Check_digit_of_nothing_is_zero()
    {
        Assert.Equal(0, CardNumbers.CheckDigit(""));
    }

    [Theory]
    [InlineData("12a4")]
    [InlineData("12 4")]
    [InlineData("-1")]
    [InlineData("１２")] // full-width digits are not decimal digits for a card
    public void Check_digit_of_non_digits_throws(string input)
    {
        Assert.Throws<ArgumentException>(() => CardNumbers.CheckDigit(input));
    }

    [Fact]
    public void Created_numbers_have_the_fixed_length_only_digits_no_leading_zero_and_are_valid()
    {
        for (var i = 0; i < 5_000; i++)
        {
            var number = CardNumbers.Create();
            Assert.Equal(13, number.Length);
            Assert.All(number, c => Assert.InRange(c, '0', '9'));
            Assert.NotEqual('0', number[0]);
            Assert.True(CardNumbers.IsValid(number), number);
            Assert.Equal(0, CardNumbers.CheckDigit(number));
        }
    }

    [Fact]
    public void Created_numbers_are_not_all_the_same()
    {
        var numbers = Enumerable.Range(0, 1_000).Select(_ => CardNumbers.Create()).ToHashSet();
        // 9 × 10^11 possible numbers: a thousand draws colliding would mean the generator is broken.
        Assert.Equal(1_000, numbers.Count);
    }

    [Fact]
    public void Created_numbers_use_every_digit_in_every_payload_position()
    {
        var seen = new HashSet<char>[CardNumbers.Length];
        for (var p = 0; p < seen.Length; p++) seen[p] = [];
        for (var i = 0; i < 2_000; i++)
        {
            var number = CardNumbers.Create();
            for (var p = 0; p < number.Length; p++) seen[p].Add(number[p]);
        }
        Assert.Equal(9, seen[0].Count); // 1-9
        for (var p = 1; p < CardNumbers.Length; p++)
            Assert.Equal(10, seen[p].Count);
    }

    [Fact]
    public void Every_single_digit_substitution_of_a_valid_number_is_detected()
    {
        Check.Sample(ValidNumbers, number =>
        {
            Assert.True(CardNumbers.IsValid(number));
            var chars = number.ToCharArray();
            for (var p = 0; p < chars.Length; p++)
            {
                var original = chars[p];
                for (var d = '0'; d <= '9'; d++)
                {
                    if (d == original) continue;
                    chars[p] = d;
                    Assert.False(CardNumbers.IsValid(new string(chars)), $"{number}: position {p} {original}→{d} not detected");
                }
                chars[p] = original;
            }
        }, iter: 3_000);
    }

    [Fact]
    public void Every_transposition_of_adjacent_different_digits_of_a_valid_number_is_detected()
    {
        Check.Sample(ValidNumbers, number =>
        {
            var checkedSwaps = 0;
            for (var p = 0; p + 1 < number.Length; p++)
            {
                if (number[p] == number[p + 1]) continue;
                var chars = number.ToCharArray();
                (chars[p], chars[p + 1]) = (chars[p + 1], chars[p]);
                checkedSwaps++;
                Assert.False(CardNumbers.IsValid(new string(chars)), $"{number}: swap at {p} not detected");
            }
            Assert.True(checkedSwaps > 0 || number.Distinct().Count() == 1);
        }, iter: 3_000);
    }

    [Fact]
    public void Substitutions_and_transpositions_are_detected_for_every_four_digit_string()
    {
        // Exhaustive over all 10^4 strings: every interim state of the algorithm meets every pair of digits.
        for (var n = 0; n < 10_000; n++)
        {
            var s = n.ToString("D4");
            var check = CardNumbers.CheckDigit(s);
            for (var p = 0; p < 4; p++)
            {
                var chars = s.ToCharArray();
                for (var d = '0'; d <= '9'; d++)
                {
                    if (d == s[p]) continue;
                    chars[p] = d;
                    Assert.NotEqual(check, CardNumbers.CheckDigit(chars));
                }
            }
            for (var p = 0; p < 3; p++)
            {
                if (s[p] == s[p + 1]) continue;
                var chars = s.ToCharArray();
                (chars[p], chars[p + 1]) = (chars[p + 1], chars[p]);
                Assert.NotEqual(check, CardNumbers.CheckDigit(chars));
            }
        }
    }

    [Fact]
    public void A_transposition_involving_the_check_digit_is_detected()
    {
        Check.Sample(ValidNumbers.Where(n => n[^1] != n[^2]), number =>
        {
            var swapped = number[..^2] + number[^1] + number[^2];
            Assert.False(CardNumbers.IsValid(swapped));
        }, iter: 2_000);
    }

    [Fact]
    public void The_twin_error_that_Luhn_misses_is_detected()
    {
        // Luhn cannot tell 09 from 90; Damm can.
        var number = "09" + "1234567890";
        var valid = number + CardNumbers.CheckDigit(number);
        var swapped = "90" + valid[2..];
        Assert.True(CardNumbers.IsValid(valid));
        Assert.False(CardNumbers.IsValid(swapped));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("572")]
    [InlineData("123456789012")] // 12 digits
    [InlineData("12345678901230")] // 14 digits
    [InlineData(" 1234567890123")]
    [InlineData("1234567890123 ")]
    [InlineData("123456789012a")]
    [InlineData("12345-7890123")]
    [InlineData("１２３４５６７８９０１２３")] // full-width digits
    [InlineData("١٢٣٤٥٦٧٨٩٠١٢٣")] // Arabic-Indic digits
    public void Strings_that_are_not_thirteen_decimal_digits_are_invalid(string? input)
    {
        Assert.False(CardNumbers.IsValid(input));
    }

    [Fact]
    public void A_valid_number_with_an_extra_or_missing_digit_is_invalid()
    {
        var number = CardNumbers.Create();
        Assert.False(CardNumbers.IsValid(number + "0"));
        Assert.False(CardNumbers.IsValid(number[1..]));
        Assert.False(CardNumbers.IsValid(number[..^1]));
    }

    [Fact]
    public void Only_one_check_digit_in_ten_makes_a_payload_valid()
    {
        var payload = "400000000001";
        var valid = Enumerable.Range(0, 10).Where(d => CardNumbers.IsValid(payload + d)).ToList();
        Assert.Single(valid);
    }

    [Fact]
    public void Digital_tokens_are_22_url_safe_characters()
    {
        for (var i = 0; i < 2_000; i++)
        {
            var token = CardNumbers.CreateDigitalToken();
            Assert.Equal(22, token.Length);
            Assert.All(token, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_', $"'{c}' in {token}"));
        }
    }

    [Fact]
    public void Digital_tokens_decode_to_128_bits()
    {
        var token = CardNumbers.CreateDigitalToken();
        var base64 = token.Replace('-', '+').Replace('_', '/') + "==";
        Assert.Equal(16, Convert.FromBase64String(base64).Length);
    }

    [Fact]
    public void Digital_tokens_are_distinct()
    {
        var tokens = Enumerable.Range(0, 10_000).Select(_ => CardNumbers.CreateDigitalToken()).ToHashSet();
        Assert.Equal(10_000, tokens.Count);
    }

    [Fact]
    public void Digital_tokens_use_the_whole_url_safe_alphabet()
    {
        var chars = new HashSet<char>();
        for (var i = 0; i < 2_000; i++) chars.UnionWith(CardNumbers.CreateDigitalToken());
        Assert.Contains('-', chars);
        Assert.Contains('_', chars);
        Assert.Equal(64, chars.Count);
    }
}
