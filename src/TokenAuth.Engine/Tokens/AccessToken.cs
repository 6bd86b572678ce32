using System;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// A token as the engine caches it. <see cref="ToString"/> never shows the value; <see cref="Value"/> is for
    /// the callers that must hand it on.
    /// </summary>
    public sealed class AccessToken
    {
        // The token is kept once, inside its header value: tokens dominate the cache's size, and the header is what
        // every request needs.
        private readonly string _authorizationHeaderValue;
        private readonly int _valueStart;

        internal AccessToken(TokenRequest request, string value, string? tokenType, string authorizationScheme, string? refreshToken,
            string? scope, DateTimeOffset issuedOn, DateTimeOffset expiresOn, bool expiryAssumed, DateTimeOffset renewAfter, string? account = null)
        {
            Account = account;
            Request = request;
            TokenType = tokenType;
            AuthorizationScheme = authorizationScheme;
            RefreshToken = refreshToken;
            Scope = scope;
            IssuedOn = issuedOn;
            ExpiresOn = expiresOn;
            ExpiryAssumed = expiryAssumed;
            RenewAfterTicks = renewAfter.UtcTicks;
            var carriesScheme = TokenAnswers.CarriesScheme(value, authorizationScheme);
            _authorizationHeaderValue = carriesScheme ? value : authorizationScheme + " " + value;
            _valueStart = carriesScheme ? 0 : authorizationScheme.Length + 1;
        }

        /// <summary>What the token was obtained for: provider, base URI, credential identity and options.</summary>
        public TokenRequest Request { get; }

        public string Provider => Request.Target.ProviderName;

        public string Environment => Request.Target.Environment;

        public Uri BaseUri => Request.Target.BaseUri;

        public string Value => _valueStart == 0 ? _authorizationHeaderValue : _authorizationHeaderValue.Substring(_valueStart);

        /// <summary>The token type the provider reported, if any.</summary>
        public string? TokenType { get; }

        /// <summary>The scheme sent in the Authorization header.</summary>
        public string AuthorizationScheme { get; }

        /// <summary>The complete Authorization header value; a token that already carries its scheme is not prefixed twice.</summary>
        public string AuthorizationHeaderValue => _authorizationHeaderValue;

        internal string? RefreshToken { get; }

        /// <summary>The token as it travels after the scheme, without a copy: the part no message may show.</summary>
        internal ReadOnlySpan<char> SentValue => _authorizationHeaderValue.AsSpan(AuthorizationScheme.Length + 1);

        public bool HasRefreshToken => RefreshToken != null;

        /// <summary>Who the token is for when a person signed in (the ID token's name, e-mail or subject, else the login hint); null for a client's own token.</summary>
        public string? Account { get; internal init; }

        /// <summary>The vault the token is persisted in (written there, or read from there); null: the session's memory only.</summary>
        public string? PersistedIn
        {
            get => _persistedIn;
            internal set => _persistedIn = value;
        }

        private volatile string? _persistedIn;

        /// <summary>Whether the token is an entry another process persisted, read from the vault, rather than the provider's answer to this one.</summary>
        internal bool ReadFromVault { get; set; }

        public string? Scope { get; }

        public DateTimeOffset IssuedOn { get; }

        /// <summary>When the token expires, in UTC.</summary>
        public DateTimeOffset ExpiresOn { get; }

        /// <summary>True when the provider gave no expiry and the definition's default lifetime was assumed.</summary>
        public bool ExpiryAssumed { get; }

        /// <summary>From this instant the cache renews the token instead of handing it out.</summary>
        public DateTimeOffset RenewAfter => new DateTimeOffset(RenewAfterTicks, TimeSpan.Zero);

        internal long RenewAfterTicks { get; }

        public override string ToString() => $"{Provider} token (expires {ExpiresOn:u})";
    }
}
