using TokenAuth.Errors;

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
}
