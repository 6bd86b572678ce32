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

        /// <summary>The vault the token's persisted entry was removed from; null when none was.</summary>
        public string? RemovedFromVault { get; private set; }

        /// <summary>This result and another token's for the same key (one another process persisted): told only if both were.</summary>
        internal RevokeResult And(RevokeResult other) =>
            new RevokeResult(Provider, Forgotten, ProviderNotified && other.ProviderNotified, $"{Message} {other.Message}", ProviderFailure ?? other.ProviderFailure);

        /// <summary>The same result, saying that the persisted entry was removed from the vault as well.</summary>
        internal RevokeResult WithVaultEntryRemoved(string vault) =>
            new RevokeResult(Provider, Forgotten, ProviderNotified, $"{Message} Its entry persisted in the vault '{vault}' was removed.", ProviderFailure)
            {
                RemovedFromVault = vault,
            };
    }
}
