using System;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// What a token is wanted for: a provider at a base URI, a credential and the request options.
    /// Build it once and reuse it: its cache key is computed once.
    /// </summary>
    public sealed partial class TokenRequest
    {
        /// <param name="connection">How this request's calls reach the provider; null: the engine's <see cref="TokenAuthOptions.Connection"/>.</param>
        /// <param name="assertionSource">
        /// Where this request's client assertions come from (FederatedAssertion), or instead of the certificate it signs
        /// with (PrivateKeyJwt); null: none. A definition's own source is used only when the caller passes it here.
        /// </param>
        /// <param name="host">
        /// The caller's host, passed with the request: it runs a script block source on the caller's thread and hides each
        /// assertion from a CI's log. Not part of the cached token's identity.
        /// </param>
        /// <param name="parameters">
        /// This call's own token parameters (tenant, resources, audience, other fields); part of the cached token's
        /// identity. Refused here, before anything is read or sent, when the definition cannot take them.
        /// </param>
        public TokenRequest(ProviderTarget target, ProviderCredential credential, string? scope = null, TimeSpan? lifetime = null, ConnectionSettings? connection = null,
            ClientAssertionSource? assertionSource = null, IClientAssertionHost? host = null, TokenParameters? parameters = null, SignInRequest? signIn = null)
        {
            Target = target ?? throw new ArgumentNullException(nameof(target));
            Credential = credential ?? throw new ArgumentNullException(nameof(credential));
            if (lifetime is { } requested && requested <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(lifetime), "The requested lifetime must be positive.");
            }

            var token = target.Definition.Token;
            if (assertionSource != null && !token.TakesAssertion && !token.TakesSubject)
            {
                throw new InvalidRequestException(target.ProviderName,
                    $"{target.ProviderName} authenticates with {token.ClientAuthentication}, not a client assertion: a client assertion source goes only to a provider whose "
                    + "definition says PrivateKeyJwt or FederatedAssertion, or whose grant takes a subject token (token.subject); nothing was sent.");
            }

            Scope = string.IsNullOrWhiteSpace(scope) ? token.DefaultScope : scope;
            Lifetime = lifetime;
            Connection = connection;
            // Never the definition's own token.assertion.source: anyone's JSON may name one (AmbientIdentity), and only the caller chooses.
            AssertionSource = assertionSource;
            Host = host;
            Parameters = TokenParameterFields.Check(target, parameters);
            SignIn = signIn;
            if (signIn != null && target.Definition.SignIn is { } people && string.IsNullOrWhiteSpace(scope))
            {
                Scope = people.DefaultScope;
            }

            // A token got with one client certificate, assertion source or set of token parameters, or for one person, is never handed to a call presenting another.
            Key = new TokenCacheKey(target.ProviderName, target.BaseUri.AbsoluteUri, credential.Identity, credential.SecretFingerprint,
                Scope ?? "", lifetime.HasValue ? (long)lifetime.Value.TotalSeconds : 0, connection?.ClientCertificateThumbprint ?? "", AssertionSource?.Identity ?? "",
                Parameters.Canonical, signIn?.AccountKey ?? "");
        }

        private TokenRequest(TokenRequest request, ConnectionSettings? connection, IClientAssertionHost? host, SignInRequest? signIn = null)
        {
            Target = request.Target;
            Credential = request.Credential;
            Scope = request.Scope;
            Lifetime = request.Lifetime;
            Connection = connection;
            AssertionSource = request.AssertionSource;
            ActorSource = request.ActorSource;
            Claims = request.Claims;
            Host = host;
            Parameters = request.Parameters;
            SignIn = signIn ?? request.SignIn;
            Key = ReferenceEquals(connection, request.Connection) ? request.Key : request.Key.WithCertificate(connection?.ClientCertificateThumbprint ?? "");
        }

        /// <summary>The same request with an actor token's source, or the claims a challenge asked for (see TokenRequest.Grant.cs).</summary>
        private TokenRequest(TokenRequest request, ClientAssertionSource? actor, string? claims, TokenCacheKey key)
        {
            Target = request.Target;
            Credential = request.Credential;
            Scope = request.Scope;
            Lifetime = request.Lifetime;
            Connection = request.Connection;
            AssertionSource = request.AssertionSource;
            ActorSource = actor;
            Claims = claims;
            Host = request.Host;
            Parameters = request.Parameters;
            SignIn = request.SignIn;
            Key = key;
        }

        public ProviderTarget Target { get; }

        public ProviderCredential Credential { get; }

        /// <summary>The scope asked for (the provider's default scope when none was given).</summary>
        public string? Scope { get; }

        /// <summary>The lifetime asked of providers that let the client choose one.</summary>
        public TimeSpan? Lifetime { get; }

        /// <summary>How the calls for this token go (proxy, trust, client certificate); null: the engine's default.</summary>
        public ConnectionSettings? Connection { get; }

        /// <summary>Where the client assertions come from, when not signed with the client certificate; null: none.</summary>
        public ClientAssertionSource? AssertionSource { get; }

        /// <summary>The caller's host: runs a script block source on the caller's thread and masks assertions in a CI's log; null: none.</summary>
        public IClientAssertionHost? Host { get; }

        /// <summary>This call's own token parameters (-TenantId, -Resource, -Audience, -TokenParameter); <see cref="TokenParameters.None"/> without any.</summary>
        public TokenParameters Parameters { get; }

        /// <summary>A person's sign-in, when the token is for a person rather than the client itself; null: the client's own token.</summary>
        public SignInRequest? SignIn { get; }

        internal TokenCacheKey Key { get; }

        /// <summary>The same request over another connection: the same cached token, unless the client certificate differs.</summary>
        public TokenRequest WithConnection(ConnectionSettings connection) => Equals(connection, Connection) ? this : new TokenRequest(this, connection, Host);

        /// <summary>
        /// The same request from another caller (a held token piped to, or revoked by, a later command): that caller's
        /// host, never the one of a command that has ended (its script blocks would never run, its CI masking is gone).
        /// </summary>
        public TokenRequest WithHost(IClientAssertionHost? host) => ReferenceEquals(host, Host) ? this : new TokenRequest(this, Connection, host);

        /// <summary>
        /// The same person's request from another caller (a held token piped on): that caller's host shows any sign-in,
        /// never the host of a command that has ended, where a device code would be shown to nobody.
        /// </summary>
        public TokenRequest WithSignInHost(ISignInHost host) =>
            SignIn == null || ReferenceEquals(SignIn.Host, host) ? this : new TokenRequest(this, Connection, Host, SignIn.WithHost(host));

        /// <summary>The same request for one signed-in person: their own cache entry (see <see cref="People"/>).</summary>
        internal TokenRequest ForAccount(string account) => account == Key.Account ? this : new TokenRequest(this, ActorSource, Claims, Key.WithAccount(account));

        public override string ToString() => $"{Target} as {Credential.DisplayIdentity}";
    }

    /// <summary>
    /// Identifies one cached token: provider, base URI, credential identity, a one-way fingerprint of the secret
    /// (never the secret) and the request options.
    /// </summary>
    internal readonly struct TokenCacheKey : IEquatable<TokenCacheKey>
    {
        private readonly int _hash;

        public TokenCacheKey(string provider, string baseUri, string identity, string secretFingerprint, string scope, long lifetimeSeconds, string certificateThumbprint,
            string assertionSource, string tokenParameters = "", string account = "")
        {
            Provider = provider;
            BaseUri = baseUri;
            Identity = identity;
            SecretFingerprint = secretFingerprint;
            Scope = scope;
            LifetimeSeconds = lifetimeSeconds;
            CertificateThumbprint = certificateThumbprint;
            AssertionSource = assertionSource;
            TokenParameters = tokenParameters;
            Account = account;
            unchecked
            {
                var hash = ProviderDefinition.NameComparer.GetHashCode(provider);
                hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(baseUri);
                hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(identity);
                hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(secretFingerprint);
                hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(scope);
                hash = (hash * 397) ^ lifetimeSeconds.GetHashCode();
                hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(certificateThumbprint);
                hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(assertionSource);
                hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(tokenParameters);
                _hash = (hash * 397) ^ StringComparer.Ordinal.GetHashCode(account);
            }
        }

        public string Provider { get; }

        public string BaseUri { get; }

        public string Identity { get; }

        public string SecretFingerprint { get; }

        public string Scope { get; }

        public long LifetimeSeconds { get; }

        /// <summary>The client certificate's thumbprint; empty without one.</summary>
        public string CertificateThumbprint { get; }

        /// <summary>The client assertion source's identity; empty without one.</summary>
        public string AssertionSource { get; }

        /// <summary>The per-call token parameters, canonical (<see cref="Providers.TokenParameters.Canonical"/>); empty without any.</summary>
        public string TokenParameters { get; }

        /// <summary>
        /// Whose token it is when a person signed in ("person:sub=" and the ID token's subject, else "person:hint=" and the
        /// login hint); "person?..." while a sign-in runs and nobody knows yet who signs in; empty for the client's own token.
        /// </summary>
        public string Account { get; }

        /// <summary>
        /// Every identity field, in a fixed order and each length-prefixed, so that no two different keys give the same
        /// text: what a token kept outside the session (a vault entry's name and check) is derived from. A field added to
        /// the key is added here too. Holds the secret's fingerprint: derive from it, never show or store it.
        /// </summary>
        public string CanonicalIdentity()
        {
            var text = new System.Text.StringBuilder("TokenCacheKey/1\n");
            void Field(string name, string value) => text.Append(name).Append('=').Append(value.Length).Append(':').Append(value).Append('\n');
            Field("provider", Provider.ToUpperInvariant());
            Field("baseUri", BaseUri);
            Field("identity", Identity);
            Field("secretFingerprint", SecretFingerprint);
            Field("scope", Scope);
            Field("lifetimeSeconds", LifetimeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Field("certificateThumbprint", CertificateThumbprint);
            Field("assertionSource", AssertionSource);
            Field("tokenParameters", TokenParameters);
            Field("account", Account);
            return text.ToString();
        }

        public TokenCacheKey WithCertificate(string thumbprint) =>
            new TokenCacheKey(Provider, BaseUri, Identity, SecretFingerprint, Scope, LifetimeSeconds, thumbprint, AssertionSource, TokenParameters, Account);

        /// <summary>The same key for tokens got with other assertion sources (an actor token's besides the subject's).</summary>
        public TokenCacheKey WithAssertionSource(string assertionSource) =>
            new TokenCacheKey(Provider, BaseUri, Identity, SecretFingerprint, Scope, LifetimeSeconds, CertificateThumbprint, assertionSource, TokenParameters, Account);

        /// <summary>The same key for another person's token.</summary>
        public TokenCacheKey WithAccount(string account) =>
            new TokenCacheKey(Provider, BaseUri, Identity, SecretFingerprint, Scope, LifetimeSeconds, CertificateThumbprint, AssertionSource, TokenParameters, account);

        public bool Equals(TokenCacheKey other) =>
            _hash == other._hash
            && ProviderDefinition.NameComparer.Equals(Provider, other.Provider)
            && string.Equals(BaseUri, other.BaseUri, StringComparison.Ordinal)
            && string.Equals(Identity, other.Identity, StringComparison.Ordinal)
            && string.Equals(SecretFingerprint, other.SecretFingerprint, StringComparison.Ordinal)
            && string.Equals(Scope, other.Scope, StringComparison.Ordinal)
            && LifetimeSeconds == other.LifetimeSeconds
            && string.Equals(CertificateThumbprint, other.CertificateThumbprint, StringComparison.Ordinal)
            && string.Equals(AssertionSource, other.AssertionSource, StringComparison.Ordinal)
            && string.Equals(TokenParameters, other.TokenParameters, StringComparison.Ordinal)
            && string.Equals(Account, other.Account, StringComparison.Ordinal);

        public override bool Equals(object? obj) => obj is TokenCacheKey other && Equals(other);

        public override int GetHashCode() => _hash;
    }
}
