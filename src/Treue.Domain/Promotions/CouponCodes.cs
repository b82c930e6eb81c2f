using System.Security.Cryptography;
using System.Text;

namespace Treue.Domain.Promotions;

/// <summary>
/// Unique coupon codes generated from a pattern. In a pattern, <c>#</c> is a random character and <c>?</c> the check
/// character (appended at the end when the pattern has none); every other character is kept as written
/// (<c>CAFE-#####-#####</c> gives <c>CAFE-7KQ2M-XH4PT</c> plus its check character). The alphabet leaves out the lookalikes
/// 0, O, 1, I and L, so a code read aloud or typed from paper comes out right. The check character catches every single
/// mistyped character and every swap of two neighbours, so a typo is told apart from a guess before any look-up.
/// </summary>
public static class CouponCodes
{
    /// <summary>The characters of the random part: digits 2–9 and the letters without I, L and O (31 characters).</summary>
    public const string Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

    /// <summary>The least entropy a pattern's random part must have, in bits.</summary>
    public const double MinimumBits = 40;

    /// <summary>The bits of entropy of a pattern's random part.</summary>
    public static double Bits(string pattern) => pattern.Count(c => c == '#') * Math.Log2(Alphabet.Length);

    /// <summary>
    /// Why a pattern cannot make codes, or null when it can: it needs enough random characters for
    /// <see cref="MinimumBits"/> (9 or more), at most one check character, fewer than 30 random characters, and its fixed
    /// characters must not be taken for code characters by a typist (only letters, digits and '-').
    /// </summary>
    public static string? Problem(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern)) return "The pattern is empty.";
        if (pattern.Length > 64) return "The pattern is longer than 64 characters.";
        if (pattern.Count(c => c == '?') > 1) return "The pattern has more than one check character '?'.";
        var random = pattern.Count(c => c == '#');
        if (random >= Alphabet.Length - 1) return $"The pattern has {random} random characters; at most {Alphabet.Length - 2} are allowed.";
        if (Bits(pattern) < MinimumBits)
            return $"The pattern's {random} random characters give {Bits(pattern):0.#} bits; at least {MinimumBits} bits (9 characters) are needed.";
        if (pattern.Any(c => c is not ('#' or '?' or '-') && !char.IsAsciiLetterOrDigit(c)))
            return "The pattern may hold only letters, digits, '-', '#' and '?'.";
        return null;
    }

    /// <summary>Generates one code from a pattern with the given cryptographic random number generator.</summary>
    /// <exception cref="ArgumentException">The pattern cannot make codes (see <see cref="Problem"/>).</exception>
    public static string Generate(string pattern, RandomNumberGenerator random)
    {
        if (Problem(pattern) is { } problem) throw new ArgumentException(problem, nameof(pattern));
        var withCheck = pattern.Contains('?', StringComparison.Ordinal) ? pattern : pattern + "?";
        var code = new StringBuilder(withCheck.Length);
        Span<byte> one = stackalloc byte[1];
        foreach (var c in withCheck)
        {
            if (c != '#')
            {
                code.Append(char.ToUpperInvariant(c));
                continue;
            }
            // Rejection sampling keeps every character equally likely: bytes at or above 248 (8 × 31) are drawn again.
            do random.GetBytes(one); while (one[0] >= 248);
            code.Append(Alphabet[one[0] % Alphabet.Length]);
        }
        var checkAt = withCheck.IndexOf('?', StringComparison.Ordinal);
        code[checkAt] = Alphabet[CheckValue(code.ToString(), withCheck)];
        return code.ToString();
    }

    /// <summary>Generates <paramref name="count"/> distinct codes.</summary>
    public static IReadOnlyList<string> GenerateBatch(string pattern, int count, RandomNumberGenerator random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var codes = new HashSet<string>(StringComparer.Ordinal);
        var ordered = new List<string>(count);
        while (ordered.Count < count)
        {
            var code = Generate(pattern, random);
            if (codes.Add(code)) ordered.Add(code);
        }
        return ordered;
    }

    /// <summary>A code as typed, made comparable: trimmed, upper case, spaces dropped.</summary>
    public static string Normalise(string code) => code.Trim().Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();

    /// <summary>True when <paramref name="code"/> (normalised) fits the pattern and its check character is right.</summary>
    public static bool IsValid(string pattern, string? code)
    {
        if (code is null || Problem(pattern) is not null) return false;
        code = Normalise(code);
        var withCheck = pattern.Contains('?', StringComparison.Ordinal) ? pattern : pattern + "?";
        if (code.Length != withCheck.Length) return false;
        for (var i = 0; i < code.Length; i++)
        {
            var p = withCheck[i];
            if (p is '#' or '?') { if (!Alphabet.Contains(code[i], StringComparison.Ordinal)) return false; }
            else if (char.ToUpperInvariant(p) != code[i]) return false;
        }
        var checkAt = withCheck.IndexOf('?', StringComparison.Ordinal);
        return Alphabet[CheckValue(code, withCheck)] == code[checkAt];
    }

    // Weighted sum modulo 31 (a prime) over the random characters with weights 2, 3, ... and the check character with
    // weight 1: the sum is 0 for a valid code. Distinct non-zero weights below 31 make every single substitution and every
    // swap of neighbouring random characters change the sum.
    private static int CheckValue(string code, string pattern)
    {
        var sum = 0;
        var weight = 2;
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] != '#') continue;
            sum = (sum + weight * Alphabet.IndexOf(code[i], StringComparison.Ordinal)) % Alphabet.Length;
            weight++;
        }
        return (Alphabet.Length - sum) % Alphabet.Length;
    }
}
