using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Requests;
using TokenAuth.Tokens;

namespace TokenAuth
{
    /// <summary>
    /// What the cmdlets call: one instance serves a whole PowerShell session, from any number of threads. A thin
    /// façade over two parts with one job each:
    /// <list type="bullet">
    /// <item><see cref="TokenManager"/> (Tokens/): caches, renews, refreshes and revokes tokens at the provider's own endpoints.</item>
    /// <item><see cref="ApiClient"/> and <see cref="Pager"/> (Requests/): send the caller's requests with those tokens, and follow pages.</item>
    /// </list>
    /// Both send through one <see cref="HttpSender"/> (Http/: retries, timeouts) on one clock, and read wire formats
    /// only through Providers/ (<see cref="Providers.TokenCalls"/>, <see cref="Providers.TokenAnswers"/>, <see cref="Providers.ProviderErrors"/>). Knows nothing of PowerShell: it reports through
    /// <see cref="ITokenAuthLog"/> and raises <see cref="TokenAuthException"/>s.
    /// </summary>
    public sealed class TokenAuthEngine
    {
        private readonly TimeProvider _clock;
        private readonly TokenManager _tokens;
        private readonly ApiClient _client;
        private readonly Pager _pager;

        public TokenAuthEngine(TokenAuthOptions? options = null, TimeProvider? clock = null)
            : this(options, clock, null)
        {
        }

        /// <summary>Every call goes through <paramref name="handler"/>: the benchmarks measure the pipeline's own cost with it.</summary>
        internal TokenAuthEngine(TokenAuthOptions? options, TimeProvider? clock, HttpMessageHandler? handler)
        {
            _options = options ?? new TokenAuthOptions();
            _clock = clock ?? TimeProvider.System;
            Func<TokenAuthOptions> current = () => _options;
            var sender = new HttpSender(handler == null ? null : new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }, _clock, current);
            var absent = new AbsentEndpoints();
            _sender = sender;
            _tokens = new TokenManager(current, _clock, sender, absent, () => _tokenStore);
            _client = new ApiClient(current, _clock, sender, _tokens, absent);
            _pager = new Pager(_client);
        }

        private volatile TokenAuthOptions _options;

        private readonly HttpSender _sender;

        /// <summary>
        /// A provider definition for people to sign in to, from the discovery document of the OpenID Connect or RFC 8414
        /// server at <paramref name="issuer"/>; refused when the document names another issuer. Not registered: the caller does that.
        /// </summary>
        /// <param name="apiBaseUri">The API the tokens are for (where requests go, and the only origin tokens are sent to); null: the issuer.</param>
        /// <param name="scope">The scope people are asked for by default; null: openid profile email offline_access.</param>
        public Task<Providers.ProviderDefinition> DiscoverProviderAsync(string name, Uri issuer, string clientId, ITokenAuthLog? log = null,
            CancellationToken cancellationToken = default, TimeSpan? timeout = null, Uri? apiBaseUri = null, string? scope = null) =>
            Providers.OpenIdDiscovery.DiscoverAsync(_sender, _options, _clock, name, issuer, clientId, apiBaseUri, scope, log, cancellationToken, timeout);

        /// <summary>
        /// The engine's settings. Replacing them (Set-TokenAuthOption) takes effect from the next call; calls under way
        /// finish with the settings they started with. Cached tokens are kept.
        /// </summary>
        public TokenAuthOptions Options
        {
            get => _options;
            set => _options = value ?? throw new ArgumentNullException(nameof(value));
        }

        private volatile ITokenStore? _tokenStore;

        /// <summary>
        /// Where tokens persist beyond the session, for the requests whose vault <see cref="TokenAuthOptions.TokenCacheVault"/>
        /// or their provider's definition names; null: nowhere, whatever they name.
        /// </summary>
        public ITokenStore? TokenStore
        {
            get => _tokenStore;
            set => _tokenStore = value;
        }

        /// <summary>How many tokens the session holds.</summary>
        public int CachedTokenCount => _tokens.Count;

        public IReadOnlyList<AccessToken> CachedTokens() => _tokens.Tokens();

        /// <summary>
        /// A token for the request: the cached one while it is outside its renewal margin, else a renewed one
        /// (refreshed where the provider allows, else from the credentials). Concurrent callers share one request.
        /// </summary>
        /// <param name="forceNew">Ignore the cached token and get a new one.</param>
        /// <param name="timeout">The most this call may take, waiting on a token request already under way included.</param>
        public ValueTask<TokenResult> GetTokenAsync(TokenRequest request, bool forceNew = false, ITokenAuthLog? log = null, CancellationToken cancellationToken = default,
            TimeSpan? timeout = null) =>
            _tokens.GetAsync(request, forceNew, log, CallBudget.Starting(_clock, timeout), cancellationToken);

        /// <summary>Forgets the cached token for the request; true when there was one.</summary>
        public bool Forget(TokenRequest request) => _tokens.Forget(request);

        /// <summary>Forgets every cached token; returns how many there were.</summary>
        public int ForgetAll() => _tokens.ForgetAll();

        /// <summary>Removes every TokenAuth token entry persisted in the vault, whoever wrote it; returns how many there were.</summary>
        public Task<int> ClearPersistedTokensAsync(string vault, ITokenAuthLog? log = null, CancellationToken cancellationToken = default) =>
            _tokens.ClearPersistedAsync(vault, log, cancellationToken);

        /// <summary>Every TokenAuth token entry persisted in the vault, whoever wrote it, described without its tokens; unreadable entries are warned of and left out.</summary>
        public Task<IReadOnlyList<PersistedTokenSummary>> ListPersistedTokensAsync(string vault, ITokenAuthLog? log = null, CancellationToken cancellationToken = default) =>
            _tokens.ListPersistedAsync(vault, log, cancellationToken);

        /// <summary>
        /// Revokes the session's token for the request: forgotten first, always, and its persisted entry removed; then the
        /// provider is told where it can be.
        /// </summary>
        /// <param name="timeout">The most the call to the provider may take; <see cref="TokenAuthOptions.TokenTimeout"/> when that is less.</param>
        public Task<RevokeResult> RevokeAsync(TokenRequest request, ITokenAuthLog? log = null, CancellationToken cancellationToken = default, TimeSpan? timeout = null) =>
            _tokens.RevokeAsync(request, log, cancellationToken, timeout);

        /// <summary>Revokes this token at the provider and forgets it, if the session still holds it.</summary>
        /// <param name="connection">
        /// How the revoke call goes; null: as the token was got, except that the server's certificate is checked even if
        /// it was not then (-SkipCertificateCheck holds for its own call only).
        /// </param>
        public Task<RevokeResult> RevokeAsync(AccessToken token, ITokenAuthLog? log = null, CancellationToken cancellationToken = default, TimeSpan? timeout = null,
            ConnectionSettings? connection = null, IClientAssertionHost? host = null) =>
            _tokens.RevokeAsync(token, connection, log, host, cancellationToken, timeout);

        /// <summary>
        /// Who the token belongs to: from the provider's who-am-I endpoint where it has one; else a JWT's own claims,
        /// marked as not verified by the provider.
        /// </summary>
        /// <param name="timeout">The most the call may take; <see cref="TokenAuthOptions.TokenTimeout"/> when that is less.</param>
        public Task<IdentityInfo> WhoAmIAsync(TokenRequest request, ITokenAuthLog? log = null, CancellationToken cancellationToken = default, TimeSpan? timeout = null) =>
            _client.WhoAmIAsync(request, log, cancellationToken, timeout);

        /// <summary>
        /// Sends a request with the session's token for <paramref name="request"/>. The token goes only to the
        /// provider's own origin; a 401 renews the token and sends the request once more; throttling and transient
        /// faults are retried per <see cref="TokenAuthOptions.Retry"/>. Non-success answers raise a
        /// <see cref="ApiErrorException"/> unless <see cref="ApiRequest.SkipHttpErrorCheck"/> is set.
        /// </summary>
        public Task<ApiResponse> SendAsync(TokenRequest request, ApiRequest apiRequest, ITokenAuthLog? log = null, CancellationToken cancellationToken = default) =>
            _client.SendAsync(request, apiRequest, log, cancellationToken);

        /// <summary>
        /// Sends the request and follows its next links, yielding each page as it arrives (only its items when an
        /// items path applies); a caller that stops early stops the paging. See <see cref="Pager"/>.
        /// </summary>
        public IAsyncEnumerable<ApiResponse> SendPagesAsync(TokenRequest request, ApiRequest apiRequest, PagingOptions paging, ITokenAuthLog? log = null,
            CancellationToken cancellationToken = default) =>
            _pager.SendPagesAsync(request, apiRequest, paging, log, cancellationToken);
    }
}
