using System;
using TokenAuth.Credentials;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// What a token is wanted for: a provider at a base URI, a credential and the request options.
    /// Build it once and reuse it: its cache key is computed once.
    /// </summary>
    public sealed class TokenRequest
    {
        public TokenRequest(ProviderTarget target, ProviderCredential credential, string? scope = null, TimeSpan? lifetime = null)
        {
            Target = target ?? throw new ArgumentNullException(nameof(target));
            Credential = credential ?? throw new ArgumentNullException(nameof(credential));
            if (lifetime is { } requested && requested <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(lifetime), "The requested lifetime must be positive.");
            }

            Scope = string.IsNullOrWhiteSpace(scope) ? target.Definition.Token.DefaultScope : scope;
            Lifetime = lifetime;
            Key = new TokenCacheKey(target.ProviderName, target.BaseUri.AbsoluteUri, credential.Identity, credential.SecretFingerprint,
                Scope ?? "", lifetime.HasValue ? (long)lifetime.Value.TotalSeconds : 0);
        }

        public ProviderTarget Target { get; }

        public ProviderCredential Credential { get; }

        /// <summary>The scope asked for (the provider's default scope when none was given).</summary>
        public string? Scope { get; }

        /// <summary>The lifetime asked of providers that let the client choose one.</summary>
        public TimeSpan? Lifetime { get; }

        internal TokenCacheKey Key { get; }

        public override string ToString() => $"{Target} as {Credential.DisplayIdentity}";
    }

    /// <summary>
    /// Identifies one cached token: provider, base URI, credential identity, a one-way fingerprint of the secret
    /// (never the secret) and the request options.
    /// </summary>
    internal readonly struct TokenCacheKey : IEquatable<TokenCacheKey>
    {
        private readonly int _hash;

        public TokenCacheKey(string provider, string baseUri, string identity, string secretFingerprint, string scope, long lifetimeSeconds)
        {
            Provider = provider;
            BaseUri = baseUri;
            Identity = identity;
            SecretFingerprint = secretFingerprint;
            Scope = scope;
            LifetimeSeconds = lifetimeSeconds;
            unchecked
            {
                var hash = ProviderDefinition.NameComparer.GetHashCode(provider);
                hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(baseUri);
                hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(identity);
                hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(secretFingerprint);
                hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(scope);
                _hash = (hash * 397) ^ lifetimeSeconds.GetHashCode();
            }
        }

        public string Provider { get; }

        public string BaseUri { get; }

        public string Identity { get; }

        public string SecretFingerprint { get; }

        public string Scope { get; }

        public long LifetimeSeconds { get; }

        public bool Equals(TokenCacheKey other) =>
            _hash == other._hash
            && ProviderDefinition.NameComparer.Equals(Provider, other.Provider)
            && string.Equals(BaseUri, other.BaseUri, StringComparison.Ordinal)
            && string.Equals(Identity, other.Identity, StringComparison.Ordinal)
            && string.Equals(SecretFingerprint, other.SecretFingerprint, StringComparison.Ordinal)
            && string.Equals(Scope, other.Scope, StringComparison.Ordinal)
            && LifetimeSeconds == other.LifetimeSeconds;

        public override bool Equals(object? obj) => obj is TokenCacheKey other && Equals(other);

        public override int GetHashCode() => _hash;
    }
}
