using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using TokenAuth.Errors;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// RFC 7523 client assertions (OpenID Connect's private_key_jwt): a short-lived JWT the client signs with its
    /// certificate's private key, sent in place of a client secret. Built with the framework's own RSA and ECDsa, on
    /// both of the engine's frameworks; a JWT library would add a dependency to ship to Windows PowerShell for one
    /// header, six claims and a signature.
    /// </summary>
    public static class ClientAssertion
    {
        public const string Type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

        /// <summary>How long an assertion is good for: long enough for one token request and its retries, no longer.</summary>
        public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

        /// <summary>
        /// A fresh assertion: iss and sub the client id, aud the token endpoint (or the audience the provider names),
        /// a unique jti, iat and nbf now, exp <see cref="Lifetime"/> later; the header names the certificate by its
        /// thumbprint (x5t#S256, x5t or both, as <paramref name="thumbprint"/> says) and, when asked, carries it (x5c).
        /// </summary>
        public static string Create(string provider, string clientId, string audience, X509Certificate2 certificate, AssertionAlgorithm algorithm, bool includeCertificate,
            DateTimeOffset now, AssertionThumbprint thumbprint = AssertionThumbprint.Sha256)
        {
            var header = Json(writer =>
            {
                writer.WriteString("alg", algorithm.ToString());
                writer.WriteString("typ", "JWT");
                if (thumbprint != AssertionThumbprint.Sha1)
                {
                    writer.WriteString("x5t#S256", Base64Url(Sha256(certificate.RawData)));
                }

                if (thumbprint != AssertionThumbprint.Sha256)
                {
                    // A name for the certificate, not a signature: SHA-1's weakness to collisions does not reach it here.
                    writer.WriteString("x5t", Base64Url(certificate.GetCertHash()));
                }

                if (includeCertificate)
                {
                    writer.WriteStartArray("x5c");
                    writer.WriteStringValue(Convert.ToBase64String(certificate.RawData));
                    writer.WriteEndArray();
                }
            });
            var issuedAt = now.ToUnixTimeSeconds();
            var payload = Json(writer =>
            {
                writer.WriteString("iss", clientId);
                writer.WriteString("sub", clientId);
                writer.WriteString("aud", audience);
                writer.WriteString("jti", Guid.NewGuid().ToString("N"));
                writer.WriteNumber("iat", issuedAt);
                writer.WriteNumber("nbf", issuedAt);
                writer.WriteNumber("exp", issuedAt + (long)Lifetime.TotalSeconds);
            });
            var signingInput = Base64Url(header) + "." + Base64Url(payload);
            return signingInput + "." + Base64Url(Sign(provider, Encoding.ASCII.GetBytes(signingInput), certificate, algorithm));
        }

        /// <summary>RFC 7523 2.2: the client's id and an assertion, as the form fields that carry them.</summary>
        internal static IReadOnlyList<KeyValuePair<string, string>> FormFields(string clientId, string assertion) => new[]
        {
            new KeyValuePair<string, string>("client_id", clientId),
            new KeyValuePair<string, string>("client_assertion_type", Type),
            new KeyValuePair<string, string>("client_assertion", assertion),
        };

        /// <summary>JWT's base64url: no padding, '-' and '_' for '+' and '/'.</summary>
        public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        private static byte[] Sign(string provider, byte[] input, X509Certificate2 certificate, AssertionAlgorithm algorithm)
        {
            try
            {
                if (algorithm == AssertionAlgorithm.ES256)
                {
                    using var ec = certificate.GetECDsaPrivateKey() ?? throw WrongKey(provider, certificate, algorithm, "an EC (P-256) private key");
                    // IEEE P1363 (r and s side by side), the form JWS asks for, is what SignData gives on both frameworks.
                    return ec.SignData(input, HashAlgorithmName.SHA256);
                }

                using var rsa = certificate.GetRSAPrivateKey() ?? throw WrongKey(provider, certificate, algorithm, "an RSA private key");
                return rsa.SignData(input, HashAlgorithmName.SHA256, algorithm == AssertionAlgorithm.PS256 ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
            }
            catch (Exception ex) when (ex is CryptographicException || ex is NotSupportedException || ex is NotImplementedException || ex is PlatformNotSupportedException)
            {
                // The key cannot do it (a CAPI key and PSS), or this runtime cannot (Mono and EC keys).
                throw new CertificateException(CertificateProblem.ClientCertificateUnusable, provider,
                    $"The client certificate '{certificate.Subject}' (thumbprint {certificate.Thumbprint}) could not sign the client assertion with {algorithm}: {ex.Message}", ex);
            }
        }

        private static CertificateException WrongKey(string provider, X509Certificate2 certificate, AssertionAlgorithm algorithm, string needed) =>
            new CertificateException(CertificateProblem.ClientCertificateUnusable, provider,
                $"{algorithm} needs {needed}, and the client certificate '{certificate.Subject}' (thumbprint {certificate.Thumbprint}) has none: "
                + "choose the algorithm that fits its key in the definition's token.assertion.algorithm (RS256 or PS256 for RSA, ES256 for EC).");

        private static byte[] Sha256(byte[] data)
        {
            using var sha = SHA256.Create();
            return sha.ComputeHash(data);
        }

        private static byte[] Json(Action<Utf8JsonWriter> write)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                write(writer);
                writer.WriteEndObject();
            }

            return buffer.ToArray();
        }
    }
}
