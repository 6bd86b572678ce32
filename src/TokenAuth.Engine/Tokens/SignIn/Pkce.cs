using System;
using System.Security.Cryptography;
using System.Text;

namespace TokenAuth.Tokens
{
    /// <summary>Proof Key for Code Exchange (RFC 7636), S256 only, and the random values a sign-in needs.</summary>
    internal static class Pkce
    {
        /// <summary>A high-entropy random text in base64url (43 characters for 32 bytes): a verifier, a state, a nonce.</summary>
        public static string RandomText(int bytes = 32)
        {
            var buffer = new byte[bytes];
            using (var random = RandomNumberGenerator.Create())
            {
                random.GetBytes(buffer);
            }

            return Base64Url(buffer);
        }

        /// <summary>The S256 challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))).</summary>
        public static string ChallengeOf(string verifier)
        {
            using var sha = SHA256.Create();
            return Base64Url(sha.ComputeHash(Encoding.ASCII.GetBytes(verifier)));
        }

        private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
