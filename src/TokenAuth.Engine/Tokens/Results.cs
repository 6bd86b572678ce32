using System;
using System.Collections.Generic;
using System.Text.Json;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Json;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>What revoking did: the session always forgets the token; the provider is told only where it can be.</summary>
    public sealed class RevokeResult
    {
        internal RevokeResult(string provider, bool forgotten, bool providerNotified, string message, TokenAuthException? providerFailure = null)
        {
            Provider = provider;
            Forgotten = forgotten;
            ProviderNotified = providerNotified;
            Message = message;
            ProviderFailure = providerFailure;
        }

        public string Provider { get; }

        /// <summary>True when a cached token was removed from the session.</summary>
        public bool Forgotten { get; }

        /// <summary>True when the provider confirmed the revocation.</summary>
        public bool ProviderNotified { get; }

        public string Message { get; }

        /// <summary>Why the provider could not be told, when it has a revoke endpoint and the call failed.</summary>
        public TokenAuthException? ProviderFailure { get; }
    }

    /// <summary>Who a token belongs to: from the provider's endpoint, or read locally from a JWT.</summary>
    public sealed class IdentityInfo
    {
        internal IdentityInfo(string provider, bool verifiedByProvider, string source, IReadOnlyDictionary<string, object?> claims)
        {
            Provider = provider;
            VerifiedByProvider = verifiedByProvider;
            Source = source;
            Claims = claims;
        }

        public string Provider { get; }

        /// <summary>False for claims read from the token itself: nothing checked them.</summary>
        public bool VerifiedByProvider { get; }

        /// <summary>The endpoint that answered, or "token claims (not verified by the provider)".</summary>
        public string Source { get; }

        public IReadOnlyDictionary<string, object?> Claims { get; }
    }

    /// <summary>Reads the claims of a JWT without verifying it: for display only.</summary>
    internal static class JwtClaims
    {
        public static bool TryRead(string token, string scheme, out IReadOnlyDictionary<string, object?> claims)
        {
            claims = new Dictionary<string, object?>();
            var compact = token.StartsWith(scheme + " ", StringComparison.OrdinalIgnoreCase) ? token.Substring(scheme.Length + 1) : token;
            var parts = compact.Split('.');
            if (parts.Length != 3)
            {
                return false;
            }

            try
            {
                using var document = JsonDocument.Parse(ClientAssertion.FromBase64Url(parts[1]));
                if (JsonValues.ToObject(document.RootElement) is Dictionary<string, object?> map)
                {
                    claims = map;
                    return true;
                }
            }
            catch (FormatException)
            {
            }
            catch (JsonException)
            {
            }

            return false;
        }
    }
}
