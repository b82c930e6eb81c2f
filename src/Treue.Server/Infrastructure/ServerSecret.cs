using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Treue.Storage;

namespace Treue.Server.Infrastructure;

/// <summary>
/// The server's secret key, from which the keyed hashes of stored one-time secrets (sign-in codes and link tokens) are
/// made: <c>Treue:SecretKey</c> (base64, at least 32 bytes; every node of a cluster must have the same), or else a
/// random key generated once into <c>secret.key</c> in the data folder (0600).
/// A six-digit code hashed without a key is reversed by trying all million codes; with HMAC-SHA256 and a key that is
/// not in the database, a copy of the database alone reveals nothing.
/// </summary>
public sealed class ServerSecret
{
    /// <summary>The configuration setting that holds the key.</summary>
    public const string Setting = "Treue:SecretKey";

    /// <summary>The key file in the data folder, used when the setting is empty.</summary>
    public const string FileName = "secret.key";

    private const int MinKeyBytes = 32;
    private readonly byte[] _key;

    public ServerSecret(IConfiguration configuration, IOptions<TreueOptions> options)
    {
        var configured = configuration[Setting];
        _key = string.IsNullOrWhiteSpace(configured)
            ? FromFile(Path.Combine(Path.GetFullPath(options.Value.DataFolder), FileName))
            : Parse(configured, Setting);
    }

    /// <summary>True when the key comes from configuration rather than the data folder's key file.</summary>
    public static bool IsConfigured(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration[Setting]);

    /// <summary>
    /// The stored form of a secret: HMAC-SHA256 under a key derived for <paramref name="purpose"/>, so that a hash
    /// made for one purpose never matches another's.
    /// </summary>
    public string Hash(string purpose, string secret)
    {
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, 32, info: Encoding.UTF8.GetBytes("treue:" + purpose));
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(secret)));
    }

    private static byte[] Parse(string text, string source)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{source} must be base64 (for example from 'openssl rand -base64 32').");
        }
        if (key.Length < MinKeyBytes) throw new InvalidOperationException($"{source} must hold at least {MinKeyBytes} bytes, base64 encoded.");
        return key;
    }

    private static byte[] FromFile(string path)
    {
        if (File.Exists(path)) return ReadWritten(path);
        var key = RandomNumberGenerator.GetBytes(MinKeyBytes);
        PrivateFiles.CreateFolder(Path.GetDirectoryName(path)!);
        try
        {
            // CreateNew: when two processes start on the same folder at once, the first one's key wins and the other reads it.
            using var stream = PrivateFiles.Open(path, FileMode.CreateNew);
            using var writer = new StreamWriter(stream);
            writer.Write(Convert.ToBase64String(key));
            writer.Flush();
            stream.Flush(flushToDisk: true);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            return ReadWritten(path);
        }
    }

    /// <summary>
    /// Reads the key file, waiting while it is still being written: a process that created it a moment ago may not have
    /// written the key yet, and a partly written key must not be taken for a whole one (it would be another key).
    /// </summary>
    private static byte[] ReadWritten(string path)
    {
        var text = File.ReadAllText(path);
        for (var waited = 0; text.Trim().Length < KeyTextLength && waited < 100; waited++)
        {
            Thread.Sleep(50);
            text = File.ReadAllText(path);
        }
        return Parse(text, path);
    }

    /// <summary>The length of a generated key as base64.</summary>
    private static readonly int KeyTextLength = (MinKeyBytes + 2) / 3 * 4;
}
