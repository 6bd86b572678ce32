using System;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// A persisted entry's name and its check, both derived from <see cref="TokenCacheKey.CanonicalIdentity"/> by a
    /// salted, stretched hash (PBKDF2-HMAC-SHA256): the name reveals neither provider nor client, and neither it nor
    /// the check can be turned back into the credential's fingerprint, let alone the credential, short of guessing the
    /// secret at the price of the stretching for each guess. Two credentials never share a name; a credential changed in
    /// any field gets another name, so an entry written with the old one is never read.
    /// </summary>
    internal sealed class PersistedTokenName
    {
        /// <summary>Every entry's name starts with it: what -All clears, and nothing else.</summary>
        public const string Prefix = "TokenAuth.Token.";

        /// <summary>Enough stretching to make each guess of a secret cost, cheap beside a token request (a few milliseconds, once per key and process).</summary>
        internal const int Iterations = 10_000;

        private static readonly byte[] Salt = Encoding.UTF8.GetBytes("TokenAuth persisted token name, format 1");

        private PersistedTokenName(string name, string check)
        {
            Name = name;
            Check = check;
        }

        /// <summary>The secret's name in the vault.</summary>
        public string Name { get; }

        /// <summary>Stored in the entry and compared on reading: an entry under this name written for anything else is foreign.</summary>
        public string Check { get; }

        // Derived once per key in the process: the stretching is paid once, not on every call.
        private static readonly ConcurrentDictionary<TokenCacheKey, PersistedTokenName> Derived = new ConcurrentDictionary<TokenCacheKey, PersistedTokenName>();

        public static PersistedTokenName For(TokenRequest request) => For(request.Key);

        public static PersistedTokenName For(TokenCacheKey key) => Derived.GetOrAdd(key, Of);

        internal static PersistedTokenName Of(TokenCacheKey key)
        {
            var derived = Pbkdf2Sha256(Encoding.UTF8.GetBytes(key.CanonicalIdentity()), Salt, Iterations);
            return new PersistedTokenName(Prefix + Hex(derived, 0, 16), Hex(derived, 16, 16));
        }

        /// <summary>
        /// PBKDF2 (RFC 8018) with HMAC-SHA256, one 32-byte block. On .NET 8 the runtime's own (native) derivation: a fresh
        /// process pays about a millisecond for it rather than the 15-20 ms of this loop before the JIT has tiered it up.
        /// netstandard2.0 (.NET Framework, for Windows PowerShell 5.1) has no SHA-256 PBKDF2, so the loop stays there; both
        /// give the same bytes, so entries written by either keep their names.
        /// </summary>
        internal static byte[] Pbkdf2Sha256(byte[] password, byte[] salt, int iterations)
        {
#if NET8_0_OR_GREATER
            return Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, 32);
#else
            using var hmac = new HMACSHA256(password);
            var first = new byte[salt.Length + 4];
            Buffer.BlockCopy(salt, 0, first, 0, salt.Length);
            first[first.Length - 1] = 1;
            var u = hmac.ComputeHash(first);
            var result = (byte[])u.Clone();
            for (var i = 1; i < iterations; i++)
            {
                u = hmac.ComputeHash(u);
                for (var j = 0; j < result.Length; j++)
                {
                    result[j] ^= u[j];
                }
            }

            return result;
#endif
        }

        private static string Hex(byte[] bytes, int start, int count)
        {
            var hex = new StringBuilder(count * 2);
            for (var i = start; i < start + count; i++)
            {
                hex.Append(bytes[i].ToString("x2"));
            }

            return hex.ToString();
        }
    }
}
