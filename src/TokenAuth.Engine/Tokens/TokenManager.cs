using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// Where a token is cached, renewed, refreshed and revoked. It alone calls the provider's own token, refresh and
    /// revoke endpoints, reads their answers within <see cref="TokenAuthOptions.MaxProviderAnswerBytes"/> and turns their
    /// refusals into errors; <see cref="TokenCalls"/> and <see cref="TokenAnswers"/> know what those calls and answers look like on the wire.
    /// </summary>
    internal sealed partial class TokenManager
    {
        private readonly TokenCache _cache = new TokenCache();
        private readonly People _people = new People();
        private readonly Func<TokenAuthOptions> _options;
        private readonly TimeProvider _clock;
        private readonly HttpSender _sender;
        private readonly AbsentEndpoints _absent;
        private readonly TokenPersistence _persistence;

        /// <summary>Per key, the last token an API refused, while tokens persist: a vault entry holding it is renewed, not used.</summary>
        private readonly System.Collections.Concurrent.ConcurrentDictionary<TokenCacheKey, string> _refused =
            new System.Collections.Concurrent.ConcurrentDictionary<TokenCacheKey, string>();

        public TokenManager(Func<TokenAuthOptions> options, TimeProvider clock, HttpSender sender, AbsentEndpoints absent, Func<ITokenStore?>? store = null)
        {
            _options = options;
            _clock = clock;
            _sender = sender;
            _absent = absent;
            _persistence = new TokenPersistence(options, store ?? (() => null), clock);
        }

        /// <summary>The session's options as they are now.</summary>
        private TokenAuthOptions Options => _options();

        public int Count => _cache.Count;

        public IReadOnlyList<AccessToken> Tokens() => _cache.Tokens();

        /// <summary>
        /// The cached token while it is outside its renewal margin, else a renewed one (refreshed where the provider
        /// allows, else from the credentials). Concurrent callers share one request.
        /// </summary>
        /// <param name="budget">The caller's whole time, waiting on a token request already under way included; null: unbounded.</param>
        public ValueTask<TokenResult> GetAsync(TokenRequest request, bool forceNew, ITokenAuthLog? log, CallBudget? budget, CancellationToken cancellationToken) =>
            request.SignIn != null ? GetForPersonAsync(request, forceNew, log, budget, cancellationToken) : GetCachedAsync(request, forceNew, log, budget, cancellationToken);

        private ValueTask<TokenResult> GetCachedAsync(TokenRequest request, bool forceNew, ITokenAuthLog? log, CallBudget? budget, CancellationToken cancellationToken)
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

            return new ValueTask<TokenResult>(RenewAsync(entry, request, forceNew, log, budget, cancellationToken));
        }

        /// <summary>The token the session holds for the request now, fresh or not; null when it holds none.</summary>
        public AccessToken? Current(TokenRequest request) => _cache.Current(Whose(request).Key);

        /// <summary>
        /// Forgets this very token, if the session still holds it (a newer one is kept): the API refused it. Where tokens
        /// persist, the vault's entry may hold the same token, which must not come back from there either.
        /// </summary>
        public bool ForgetIfCurrent(AccessToken token)
        {
            if (_persistence.VaultFor(token.Request) != null)
            {
                _refused[token.Request.Key] = token.Value;
            }

            return _cache.RemoveIfCurrent(token);
        }

        public bool Forget(TokenRequest request) => _cache.Remove(Whose(request).Key) != null;

        public int ForgetAll()
        {
            _people.Clear();
            return _cache.Clear();
        }

        /// <param name="fetch">What gets the token; null: the cache entry's own renewal (through the vault where tokens persist).</param>
        private async Task<TokenResult> RenewAsync(TokenCache.Entry entry, TokenRequest request, bool forceNew, ITokenAuthLog? log, CallBudget? budget,
            CancellationToken cancellationToken, Func<AccessToken?, CancellationToken, Task<AccessToken>>? fetch = null)
        {
            request.Credential.Validate(request.Target.Definition);
            log.Verbose(forceNew
                ? $"{request.Target.ProviderName}: a new token was asked for; the cache is bypassed."
                : $"{request.Target.ProviderName}: no usable cached token for {request.Credential.DisplayIdentity} at {request.Target.BaseUri}.");

            // The shared request runs on while any caller waits on it, so the others (and the cache) still get its
            // token; this caller stops waiting at once on Ctrl+C or when its own time is up. The request itself ends
            // within TokenTimeout, or as soon as the last caller waiting on it gives up.
            var renewal = entry.Renew(fetch ?? ((previous, abandoned) => FetchThroughVaultAsync(entry, request, previous, forceNew, log, abandoned)), IsFresh, forceNew,
                out var started);
            if (!started && !renewal.Task.IsCompleted)
            {
                log.Verbose($"{request.Target.ProviderName}: joining the token request already under way.");
            }

            AccessToken token;
            try
            {
                token = await WaitAsync(renewal.Task, entry, request, budget, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!renewal.Task.IsCompleted)
            {
                entry.GiveUp(renewal);
                throw;
            }

            return new TokenResult(token, fromCache: !started);
        }

        private bool IsFresh(AccessToken token) => _clock.GetUtcNow().UtcTicks < token.RenewAfterTicks;

        private async Task<AccessToken> FetchAsync(TokenCache.Entry entry, TokenRequest request, AccessToken? previous, ITokenAuthLog? log, CancellationToken abandoned)
        {
            if (request.SignIn is { } signIn)
            {
                return await FetchForPersonAsync(request, signIn, previous, log, abandoned).ConfigureAwait(false);
            }

            var budget = CallBudget.Starting(_clock, Options.TokenTimeout);
            var target = request.Target;
            // A challenge's claims are for a new token: a refresh would bring back one without them.
            if (request.Claims == null
                && TokenCalls.RefreshCall(target, request.Credential, previous?.RefreshToken, SecretInBody.Instance, request.Parameters) is { } refresh && _absent.EvidenceFor(refresh.Endpoint) == null)
            {
                try
                {
                    return await CallTokenEndpointAsync(refresh, new TokenCallContext(request, ProviderOperation.Refresh, log, budget, abandoned) { Token = previous })
                        .ConfigureAwait(false);
                }
                catch (ProviderErrorException ex) when (TokenAnswers.IsRefusedRefresh(target.Definition.Refresh!, ex))
                {
                    log.Verbose($"{target.ProviderName} refused the refresh token ({ex.ProviderCode ?? ((int)ex.StatusCode).ToString()}); getting a new token with the credentials.");
                }
                catch (TokenAuthException ex) when (AbsentEndpoints.Evidence(ex) is { } evidence)
                {
                    _absent.Remember(refresh.Endpoint, evidence);
                    log.Verbose($"{target.ProviderName} has no refresh endpoint at {Redaction.RedactUri(refresh.Endpoint)} ({evidence}); "
                        + "getting new tokens with the credentials instead, without asking there again in this session.");
                }
            }

            var call = new TokenCallContext(request, ProviderOperation.Token, log, budget, abandoned) { Token = previous };
            if (target.Definition.Token.FromManagedIdentity)
            {
                return await ManagedIdentityTokenAsync(call).ConfigureAwait(false);
            }

            var client = await ClientCredentialAsync(target.Definition.Token.ClientAuthentication, call, entry).ConfigureAwait(false);
            var grant = await GrantTokensAsync(call, entry).ConfigureAwait(false);
            var tokenCall = TokenCalls.TokenCall(target, request.Credential, request.Scope, request.Lifetime, client, grant, request.Parameters);
            try
            {
                return await CallTokenEndpointAsync(tokenCall, call).ConfigureAwait(false);
            }
            catch (ProviderErrorException ex) when (target.Definition.Token.PathAssumed
                && (ex.StatusCode == HttpStatusCode.NotFound || ex.StatusCode == HttpStatusCode.MethodNotAllowed))
            {
                throw new AssumedTokenPathException(target.ProviderName, target.Definition.Token.Path, ex);
            }
        }

        private async Task<AccessToken> CallTokenEndpointAsync(EndpointCall endpoint, TokenCallContext call)
        {
            var provider = call.Provider;
            call.Log.Verbose($"{provider}: {(call.Operation == ProviderOperation.Refresh ? "refreshing the token" : "requesting a token")} at {endpoint.Endpoint} "
                + $"for {call.Request.Credential.DisplayIdentity}.");
            var sentAt = _clock.GetUtcNow();
            var body = await CallProviderAsync(endpoint, call).ConfigureAwait(false);
            var answer = TokenAnswers.ReadToken(endpoint.Target, call, endpoint.Endpoint, body, sentAt);
            var renewAfter = answer.ExpiresOn - Options.MarginFor(answer.ExpiresOn - sentAt);
            var token = new AccessToken(call.Request, answer.Value, answer.TokenType, answer.Scheme, answer.RefreshToken, answer.Scope ?? call.Request.Scope, sentAt,
                answer.ExpiresOn, answer.ExpiryAssumed, renewAfter);
            call.Log.Verbose($"{provider}: new token, expires {token.ExpiresOn.UtcDateTime:u}, renewed after {token.RenewAfter.UtcDateTime:u}.");
            return token;
        }

        /// <summary>
        /// One call to a token, refresh or revoke endpoint, within the call's budget: sent with retries, its body read up
        /// to <see cref="TokenAuthOptions.MaxProviderAnswerBytes"/>, a refusal raised in the provider's terms.
        /// </summary>
        private async Task<string> CallProviderAsync(EndpointCall endpoint, TokenCallContext call)
        {
            var started = _clock.GetTimestamp();
            using var sent = await _sender.SendAsync(call, endpoint, Options.Retry, bufferSuccessBody: false).ConfigureAwait(false);
            var response = sent.Response;
            call.Log.Verbose($"{call.Provider}: HTTP {(int)response.StatusCode} from {sent.DisplayEndpoint} in {_clock.GetElapsedTime(started).TotalMilliseconds:0} ms.");
            if (!response.IsSuccessStatusCode)
            {
                throw ProviderErrors.Read(endpoint.Target, call, sent.DisplayEndpoint, response, await sent.ReadErrorBodyAsync().ConfigureAwait(false));
            }

            using var body = await sent.ReadAsync(static (sent, limit) => BoundedRead.ReadWithinAsync(sent.Response.Content, limit, sent.AttemptCancellation),
                    Options.MaxProviderAnswerBytes).ConfigureAwait(false)
                ?? throw BoundedRead.AnswerTooLarge(call, sent.DisplayEndpoint, Options.MaxProviderAnswerBytes);
            return BoundedRead.Decode(body, response.Content);
        }

        /// <summary>
        /// Waits for a token request, until the caller cancels or its budget runs out: a timeout naming the client assertion
        /// source the request still waits on (a FIFO nobody writes), else the token endpoint.
        /// </summary>
        private async Task<AccessToken> WaitAsync(Task<AccessToken> task, TokenCache.Entry entry, TokenRequest request, CallBudget? budget, CancellationToken cancellationToken)
        {
            if (task.IsCompleted || (!cancellationToken.CanBeCanceled && budget == null))
            {
                return await task.ConfigureAwait(false);
            }

            try
            {
                return await task.WaitAsync(budget?.Remaining ?? Timeout.InfiniteTimeSpan, _clock, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw request.SignIn != null
                    ? new SignInException(request.Target.ProviderName, SignInFailure.TimedOut,
                        $"The sign-in to {request.Target.ProviderName} was not completed within the call's {budget!.Limit.TotalSeconds:0.###} s.")
                    : entry.AwaitedSource is { } source
                    ? new ClientAssertionException(request.Target.ProviderName, source, $"none came within the call's {budget!.Limit.TotalSeconds:0.###} s")
                    : new ProviderUnreachableException(request.Target.ProviderName, Redaction.RedactUri(request.Target.ServiceEndpoint(request.Target.Definition.Token.Path)),
                        true, budget!.Limit, null);
            }
        }
    }
}
