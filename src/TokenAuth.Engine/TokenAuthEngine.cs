using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Providers;
using TokenAuth.Requests;
using TokenAuth.Tokens;

namespace TokenAuth
{
    /// <summary>
    /// Obtains, caches, renews, refreshes and revokes tokens, and sends requests with them. One instance serves a
    /// whole PowerShell session, from any number of threads. Knows nothing of PowerShell: it reports through
    /// <see cref="ITokenAuthLog"/> and raises <see cref="TokenAuthException"/>s.
    /// </summary>
    public sealed partial class TokenAuthEngine
    {
        private readonly TokenCache _cache = new TokenCache();
        private readonly TimeProvider _clock;
        private readonly HttpSender _sender;

        public TokenAuthEngine(TokenAuthOptions? options = null, TimeProvider? clock = null)
            : this(options, clock, null)
        {
        }

        /// <summary>Every call goes through <paramref name="handler"/>: the benchmarks measure the pipeline's own cost with it.</summary>
        internal TokenAuthEngine(TokenAuthOptions? options, TimeProvider? clock, HttpMessageHandler? handler)
        {
            Options = options ?? new TokenAuthOptions();
            _clock = clock ?? TimeProvider.System;
            var client = handler == null ? SharedHttpClients.For(Options.Proxy) : new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            _sender = new HttpSender(client, _clock);
        }

        public TokenAuthOptions Options { get; }

        /// <summary>How many tokens the session holds.</summary>
        public int CachedTokenCount => _cache.Count;

        public IReadOnlyList<AccessToken> CachedTokens() => _cache.Tokens();

        /// <summary>
        /// A token for the request: the cached one while it is outside its renewal margin, else a renewed one
        /// (refreshed where the provider allows, else from the credentials). Concurrent callers share one request.
        /// </summary>
        /// <param name="forceNew">Ignore the cached token and get a new one.</param>
        /// <param name="timeout">The most this call may take, waiting on a token request already under way included.</param>
        public ValueTask<TokenResult> GetTokenAsync(TokenRequest request, bool forceNew = false, ITokenAuthLog? log = null, CancellationToken cancellationToken = default,
            TimeSpan? timeout = null) =>
            GetTokenAsync(request, forceNew, log, cancellationToken, CallBudget.Starting(timeout));

        private ValueTask<TokenResult> GetTokenAsync(TokenRequest request, bool forceNew, ITokenAuthLog? log, CancellationToken cancellationToken, CallBudget? budget)
        {
            var entry = _cache.GetOrAdd(request.Key);
            var current = entry.Current;
            if (!forceNew && current != null && IsFresh(current))
            {
                if (log != null && log.IsEnabled(LogLevel.Verbose))
                {
                    log.Write(LogLevel.Verbose, $"{request.Target.ProviderName}: cached token used (expires {current.ExpiresOn.UtcDateTime:u}).");
                }

                return new ValueTask<TokenResult>(new TokenResult(current, fromCache: true));
            }

            return new ValueTask<TokenResult>(RenewAsync(entry, request, forceNew, log, cancellationToken, budget));
        }

        private async Task<TokenResult> RenewAsync(TokenCache.Entry entry, TokenRequest request, bool forceNew, ITokenAuthLog? log, CancellationToken cancellationToken,
            CallBudget? budget)
        {
            request.Credential.Validate(request.Target.Definition);
            log.Verbose(forceNew
                ? $"{request.Target.ProviderName}: a new token was asked for; the cache is bypassed."
                : $"{request.Target.ProviderName}: no usable cached token for {request.Credential.DisplayIdentity} at {request.Target.BaseUri}.");

            // The shared request runs on while any caller waits on it, so the others (and the cache) still get its
            // token; this caller stops waiting at once on Ctrl+C or when its own time is up. The request itself ends
            // within TokenTimeout, or as soon as the last caller waiting on it gives up.
            var renewal = entry.Renew((previous, abandoned) => FetchAsync(request, previous, log, abandoned), IsFresh, forceNew, out var started);
            if (!started && !renewal.Task.IsCompleted)
            {
                log.Verbose($"{request.Target.ProviderName}: joining the token request already under way.");
            }

            AccessToken token;
            try
            {
                token = await WaitAsync(renewal.Task, request, budget, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!renewal.Task.IsCompleted)
            {
                entry.GiveUp(renewal);
                throw;
            }

            return new TokenResult(token, fromCache: !started);
        }

        private bool IsFresh(AccessToken token) => _clock.GetUtcNow().UtcTicks < token.RenewAfterTicks;

        private async Task<AccessToken> FetchAsync(TokenRequest request, AccessToken? previous, ITokenAuthLog? log, CancellationToken abandoned)
        {
            var definition = request.Target.Definition;
            var budget = CallBudget.Starting(Options.TokenTimeout);
            if (previous?.RefreshToken != null && definition.Refresh is { } refresh)
            {
                try
                {
                    return await CallTokenEndpointAsync(request, refresh, ProviderOperation.Refresh, ClientAuthentication.Body,
                        new TemplateValues(request.Credential, refreshToken: previous.RefreshToken), previous, log, budget, abandoned).ConfigureAwait(false);
                }
                catch (ProviderErrorException ex) when (IsRefusedRefresh(refresh, ex))
                {
                    log.Verbose($"{definition.Name} refused the refresh token ({ex.ProviderCode ?? ((int)ex.StatusCode).ToString()}); getting a new token with the credentials.");
                }
            }

            return await CallTokenEndpointAsync(request, definition.Token, ProviderOperation.Token, definition.Token.ClientAuthentication,
                new TemplateValues(request.Credential, request.Scope, request.Lifetime), previous, log, budget, abandoned).ConfigureAwait(false);
        }

        private static bool IsRefusedRefresh(RefreshSpec refresh, ProviderErrorException error) =>
            error.StatusCode == HttpStatusCode.BadRequest
            || error.StatusCode == HttpStatusCode.Unauthorized
            || (error.ProviderCode != null && refresh.InvalidRefreshTokenCodes.Contains(error.ProviderCode, StringComparer.OrdinalIgnoreCase));

        private async Task<AccessToken> CallTokenEndpointAsync(TokenRequest request, EndpointSpec spec, ProviderOperation operation,
            ClientAuthentication clientAuthentication, TemplateValues values, AccessToken? previous, ITokenAuthLog? log, CallBudget budget, CancellationToken abandoned)
        {
            var target = request.Target;
            var endpoint = target.Endpoint(spec.Path);
            var sensitive = SensitiveValues(request, previous);
            log.Verbose($"{target.ProviderName}: {(operation == ProviderOperation.Refresh ? "refreshing the token" : "requesting a token")} at {endpoint} for {request.Credential.DisplayIdentity}.");
            var sentAt = _clock.GetUtcNow();
            var body = await CallProviderAsync(target, spec, values, clientAuthentication, authorization: null, operation, sensitive, log, budget, abandoned).ConfigureAwait(false);
            var token = TokenProtocol.ReadToken(request, operation, endpoint, body, sentAt, Options, sensitive, log);
            log.Verbose($"{target.ProviderName}: new token, expires {token.ExpiresOn.UtcDateTime:u}, renewed after {token.RenewAfter.UtcDateTime:u}.");
            return token;
        }

        /// <summary>
        /// One call to a token, refresh or revoke endpoint, within <paramref name="budget"/>: sent with retries, its body
        /// read up to <see cref="TokenAuthOptions.MaxProviderAnswerBytes"/>, a refusal raised in the provider's terms.
        /// </summary>
        private async Task<string> CallProviderAsync(ProviderTarget target, EndpointSpec spec, TemplateValues values, ClientAuthentication clientAuthentication,
            string? authorization, ProviderOperation operation, IEnumerable<string?> sensitive, ITokenAuthLog? log, CallBudget budget, CancellationToken cancellationToken)
        {
            var context = new SendContext(target.ProviderName, target.Endpoint(spec.Path), Options.Timeout, Options.Retry, idempotent: true, log, budget);
            using var sent = await _sender.SendAsync(context, static parts => TokenProtocol.BuildRequest(parts.target, parts.spec, parts.values, parts.clientAuthentication, parts.authorization),
                (target, spec, values, clientAuthentication, authorization), replayable: true, bufferSuccessBody: false, cancellationToken).ConfigureAwait(false);
            var status = sent.Response.StatusCode;
            log.Verbose($"{target.ProviderName}: HTTP {(int)status} from {context.DisplayEndpoint} in {sent.Elapsed.TotalMilliseconds:0} ms.");
            if (!sent.Response.IsSuccessStatusCode)
            {
                var errorBody = await sent.ReadAsync(ReadErrorBodyAsync, sent.Token).ConfigureAwait(false);
                throw TokenProtocol.ReadError(target, operation, context.DisplayEndpoint, status, sent.Response.Content.Headers.ContentType?.MediaType, errorBody, sensitive);
            }

            var limit = Options.MaxProviderAnswerBytes;
            using var body = await sent.ReadAsync(content => BoundedRead.ReadWithinAsync(content, limit, sent.Token)).ConfigureAwait(false)
                ?? throw AnswerTooLarge(target.ProviderName, operation, context.DisplayEndpoint, limit);
            return BoundedRead.Decode(body, sent.Response.Content);
        }

        private static MalformedResponseException AnswerTooLarge(string provider, ProviderOperation operation, Uri endpoint, long limit) =>
            new MalformedResponseException(provider, operation, endpoint, null,
                $"it is larger than the {limit.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes TokenAuth reads from a provider's own endpoints "
                + "(TokenAuthOptions.MaxProviderAnswerBytes), so it was not read past that");

        /// <summary>Forgets the cached token for the request; true when there was one.</summary>
        public bool Forget(TokenRequest request) => _cache.Remove(request.Key) != null;

        /// <summary>Forgets every cached token; returns how many there were.</summary>
        public int ForgetAll() => _cache.Clear();

        /// <summary>Revokes the session's token for the request: forgotten first, always; then the provider is told where it can be.</summary>
        /// <param name="timeout">The most the call to the provider may take; <see cref="TokenAuthOptions.TokenTimeout"/> when that is less.</param>
        public Task<RevokeResult> RevokeAsync(TokenRequest request, ITokenAuthLog? log = null, CancellationToken cancellationToken = default, TimeSpan? timeout = null)
        {
            var token = _cache.Remove(request.Key);
            if (token == null)
            {
                return Task.FromResult(new RevokeResult(request.Target.ProviderName, false, false,
                    $"No {request.Target.ProviderName} token is cached for {request.Credential.DisplayIdentity} at {request.Target.BaseUri}; nothing to revoke."));
            }

            return RevokeAtProviderAsync(token, forgotten: true, log, cancellationToken, timeout);
        }

        /// <summary>Revokes this token at the provider and forgets it, if the session still holds it.</summary>
        public Task<RevokeResult> RevokeAsync(AccessToken token, ITokenAuthLog? log = null, CancellationToken cancellationToken = default, TimeSpan? timeout = null) =>
            RevokeAtProviderAsync(token, _cache.RemoveIfCurrent(token), log, cancellationToken, timeout);

        private async Task<RevokeResult> RevokeAtProviderAsync(AccessToken token, bool forgotten, ITokenAuthLog? log, CancellationToken cancellationToken, TimeSpan? timeout)
        {
            var target = token.Request.Target;
            var forgot = forgotten ? "The session forgot the token" : "The session no longer held this token";
            if (target.Definition.Revoke is not { } revoke)
            {
                var message = $"{forgot}; {target.ProviderName} has no revoke endpoint, so the provider was not told and the token stays valid there until {token.ExpiresOn.UtcDateTime:u}.";
                log.Verbose(message);
                return new RevokeResult(target.ProviderName, forgotten, false, message);
            }

            var values = new TemplateValues(token.Request.Credential, accessToken: token.Value);
            var authorization = revoke.Authentication == RevokeAuthentication.Bearer ? token.AuthorizationHeaderValue : null;
            var clientAuthentication = revoke.Authentication == RevokeAuthentication.Client ? target.Definition.Token.ClientAuthentication : ClientAuthentication.Body;
            try
            {
                log.Verbose($"{target.ProviderName}: revoking the token at {target.Endpoint(revoke.Path)}.");
                await CallProviderAsync(target, revoke, values, clientAuthentication, authorization, ProviderOperation.Revoke,
                    SensitiveValues(token.Request, token), log, CallBudget.Starting(ProviderCallLimit(timeout)), cancellationToken).ConfigureAwait(false);
                return new RevokeResult(target.ProviderName, forgotten, true, $"{forgot}; {target.ProviderName} revoked it.");
            }
            catch (TokenAuthException ex)
            {
                // Verbose, not Warning: the failure goes back in the result, and the caller reports it (the cmdlet as an error).
                var message = $"{forgot}, but {target.ProviderName} could not be told: {ex.Message}";
                log.Verbose(message);
                return new RevokeResult(target.ProviderName, forgotten, false, message, ex);
            }
        }

        /// <summary>
        /// Who the token belongs to: from the provider's who-am-I endpoint where it has one; else a JWT's own claims,
        /// marked as not verified by the provider.
        /// </summary>
        /// <param name="timeout">The most the call may take; <see cref="TokenAuthOptions.TokenTimeout"/> when that is less.</param>
        public async Task<IdentityInfo> WhoAmIAsync(TokenRequest request, ITokenAuthLog? log = null, CancellationToken cancellationToken = default, TimeSpan? timeout = null)
        {
            var definition = request.Target.Definition;
            if (definition.WhoAmI is { } whoAmI)
            {
                var ask = new ApiRequest("GET", whoAmI.Path) { Timeout = ProviderCallLimit(timeout), AnswerLimit = Options.MaxProviderAnswerBytes };
                var response = await SendAsync(request, ask, log, cancellationToken, ProviderOperation.WhoAmI).ConfigureAwait(false);
                var endpoint = request.Target.Endpoint(whoAmI.Path);
                var identity = string.IsNullOrEmpty(whoAmI.ResultPath) ? response.Content : JsonValues.Find(response.Content, whoAmI.ResultPath!);

                if (identity is not Dictionary<string, object?> claims)
                {
                    throw new MalformedResponseException(definition.Name, ProviderOperation.WhoAmI, endpoint, whoAmI.ResultPath,
                        string.IsNullOrEmpty(whoAmI.ResultPath) ? "is not a JSON object" : "is missing or not a JSON object");
                }

                return new IdentityInfo(definition.Name, true, endpoint.ToString(), claims);
            }

            var token = (await GetTokenAsync(request, false, log, cancellationToken, timeout).ConfigureAwait(false)).Token;
            if (JwtClaims.TryRead(token.Value, token.AuthorizationScheme, out var jwtClaims))
            {
                log.Verbose($"{definition.Name} has no who-am-I endpoint; showing the token's own claims, which the provider did not verify.");
                return new IdentityInfo(definition.Name, false, "token claims (not verified by the provider)", jwtClaims);
            }

            throw new NotSupportedByProviderException(definition.Name, "Who-am-I (it has no who-am-I endpoint and its tokens are not JWTs whose claims could be read)");
        }

        private static List<string?> SensitiveValues(TokenRequest request, AccessToken? token)
        {
            var values = new List<string?>(request.Credential.SensitiveValues());
            if (token != null)
            {
                values.Add(token.Value);
                values.Add(token.RefreshToken);
            }

            return values;
        }

        /// <summary>The time a call to a provider's own endpoint may take: the caller's limit or TokenTimeout, whichever is less.</summary>
        private TimeSpan ProviderCallLimit(TimeSpan? callerLimit) => callerLimit < Options.TokenTimeout ? callerLimit.Value : Options.TokenTimeout;

        /// <summary>Waits for a token request, until the caller cancels or its budget runs out (a timeout naming the token endpoint).</summary>
        private static async Task<AccessToken> WaitAsync(Task<AccessToken> task, TokenRequest request, CallBudget? budget, CancellationToken cancellationToken)
        {
            if (task.IsCompleted || (!cancellationToken.CanBeCanceled && budget == null))
            {
                return await task.ConfigureAwait(false);
            }

            var allowed = budget?.Remaining ?? Timeout.InfiniteTimeSpan;
#if NET8_0_OR_GREATER
            try
            {
                return await task.WaitAsync(allowed, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw TokenWaitTimedOut(request, budget!);
            }
#else
            var stopped = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (var timer = new CancellationTokenSource(allowed))
            using (cancellationToken.Register(() => stopped.TrySetResult(true)))
            using (timer.Token.Register(() => stopped.TrySetResult(false)))
            {
                if (await Task.WhenAny(task, stopped.Task).ConfigureAwait(false) != task)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    throw TokenWaitTimedOut(request, budget!);
                }
            }

            return await task.ConfigureAwait(false);
#endif
        }

        private static ProviderUnreachableException TokenWaitTimedOut(TokenRequest request, CallBudget budget) =>
            new ProviderUnreachableException(request.Target.ProviderName, Redaction.RedactUri(request.Target.Endpoint(request.Target.Definition.Token.Path)),
                true, budget.Limit, null);
    }
}
