using System.Collections.Generic;

namespace TokenAuth.Tokens
{
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
}
