using System.Security.Cryptography;

namespace Treue.Domain;

/// <summary>
/// Physical card numbers: a fixed number of decimal digits whose last digit is a Damm check digit.
/// The Damm algorithm detects every single-digit error and every transposition of adjacent digits,
/// which the Luhn check used on payment cards does not (Luhn misses 09 ↔ 90).
/// </summary>
public static class CardNumbers
{
    /// <summary>Digits of a physical card number, including the check digit.</summary>
    public const int Length = 13;

    // The weakly totally anti-symmetric quasigroup of order 10 published by H. Michael Damm (2004).
    private static readonly byte[,] Table =
    {
        { 0, 3, 1, 7, 5, 9, 8, 6, 4, 2 },
        { 7, 0, 9, 2, 1, 5, 4, 8, 6, 3 },
        { 4, 2, 0, 6, 8, 7, 1, 3, 5, 9 },
        { 1, 7, 5, 0, 9, 8, 3, 4, 2, 6 },
        { 6, 1, 2, 3, 0, 4, 5, 9, 7, 8 },
        { 3, 6, 7, 4, 2, 0, 9, 5, 8, 1 },
        { 5, 8, 6, 9, 7, 2, 0, 1, 3, 4 },
        { 8, 9, 4, 5, 3, 6, 2, 0, 1, 7 },
        { 9, 4, 3, 8, 6, 1, 7, 2, 0, 5 },
        { 2, 5, 8, 1, 4, 3, 6, 7, 9, 0 },
    };

    /// <summary>Computes the Damm check digit of a string of decimal digits.</summary>
    public static int CheckDigit(ReadOnlySpan<char> digits)
    {
        var interim = 0;
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
                throw new ArgumentException("Only decimal digits are allowed.", nameof(digits));
            interim = Table[interim, c - '0'];
        }
        return interim;
    }

    /// <summary>True when <paramref name="number"/> has the card length, only digits and a valid check digit.</summary>
    public static bool IsValid(string? number)
    {
        if (number is null || number.Length != Length) return false;
        foreach (var c in number)
            if (c is < '0' or > '9') return false;
        return CheckDigit(number) == 0;
    }

    /// <summary>Creates a random card number with a valid check digit, never starting with 0.</summary>
    public static string Create()
    {
        Span<char> buffer = stackalloc char[Length];
        buffer[0] = (char)('1' + RandomNumberGenerator.GetInt32(9));
        for (var i = 1; i < Length - 1; i++)
            buffer[i] = (char)('0' + RandomNumberGenerator.GetInt32(10));
        buffer[Length - 1] = (char)('0' + CheckDigit(buffer[..(Length - 1)]));
        return new string(buffer);
    }

    /// <summary>Creates an unguessable token (128 random bits, URL-safe) for a digital card's QR code.</summary>
    public static string CreateDigitalToken()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
