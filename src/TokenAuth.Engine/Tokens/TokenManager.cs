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

        /// <summary>
        /// Forgets the session's token for the request and removes its persisted entry, then tells the provider. A process
        /// that holds no token in memory revokes the one persisted for the request.
        /// </summary>
        public async Task<RevokeResult> RevokeAsync(TokenRequest request, ITokenAuthLog? log, CancellationToken cancellationToken, TimeSpan? timeout)
        {
            request = await WhoseAsync(request, log, cancellationToken).ConfigureAwait(false);
            var token = _cache.Remove(request.Key);
            var forgotten = token != null;
            var vault = _persistence.VaultFor(request);
            var removed = false;
            if (vault != null)
            {
                if (token == null && await _persistence.ReadAsync(request, vault, log, cancellationToken).ConfigureAwait(false) is { Token: { } persisted })
                {
                    token = persisted;
                }

                removed = await _persistence.RemoveAsync(request, vault, log, request.Host, cancellationToken).ConfigureAwait(false);
            }

            var result = token == null
                ? new RevokeResult(request.Target.ProviderName, false, false,
                    $"No {request.Target.ProviderName} token is cached for {request.Credential.DisplayIdentity} at {request.Target.BaseUri}; nothing to revoke.")
                : await RevokeAtProviderAsync(token, forgotten, request.Connection, log, request.Host, cancellationToken, timeout).ConfigureAwait(false);
            return removed ? result.WithVaultEntryRemoved(vault!) : result;
        }

        /// <param name="connection">How this revoke call goes; null: as the token was got, but with the server's certificate checked.</param>
        /// <param name="host">The revoking caller's host, never the one the token was got for.</param>
        public async Task<RevokeResult> RevokeAsync(AccessToken token, ConnectionSettings? connection, ITokenAuthLog? log, IClientAssertionHost? host,
            CancellationToken cancellationToken, TimeSpan? timeout)
        {
            var forgotten = _cache.RemoveIfCurrent(token);
            var vault = _persistence.VaultFor(token.Request);
            var removed = vault != null && await _persistence.RemoveAsync(token.Request, vault, log, host, cancellationToken).ConfigureAwait(false);
            var result = await RevokeAtProviderAsync(token, forgotten, connection ?? Checked(token.Request.Connection), log, host, cancellationToken, timeout).ConfigureAwait(false);
            return removed ? result.WithVaultEntryRemoved(vault!) : result;
        }

        /// <summary>Removes every TokenAuth token entry persisted in the vault; returns how many there were.</summary>
        public Task<int> ClearPersistedAsync(string vault, ITokenAuthLog? log, IClientAssertionHost? host, CancellationToken cancellationToken) =>
            _persistence.ClearAsync(vault, log, host, cancellationToken);

        public Task<IReadOnlyList<PersistedTokenSummary>> ListPersistedAsync(string vault, ITokenAuthLog? log, IClientAssertionHost? host, CancellationToken cancellationToken) =>
            _persistence.ListAsync(vault, log, host, cancellationToken);

        /// <summary>-SkipCertificateCheck is for the call it was given to, not for every later call with the token it got.</summary>
        private static ConnectionSettings? Checked(ConnectionSettings? connection) =>
            connection is { SkipCertificateCheck: true } ? connection with { SkipCertificateCheck = false } : connection;

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

        /// <summary>
        /// Where the request's tokens persist: the vault's entry while it is fresh (another process may have renewed it),
        /// else a token from the provider (refreshed with the entry's refresh token where it has one), written back.
        /// Without a vault for the request, the provider alone, as always.
        /// </summary>
        private async Task<AccessToken> FetchThroughVaultAsync(TokenCache.Entry entry, TokenRequest request, AccessToken? previous, bool forceNew, ITokenAuthLog? log,
            CancellationToken abandoned)
        {
            if (_persistence.VaultFor(request) is not { } vault)
            {
                return await FetchAsync(entry, request, previous, log, abandoned).ConfigureAwait(false);
            }

            // The token renewed from: the session's, or the vault's where another process left a newer one.
            var renewFrom = previous;
            if (!forceNew && await _persistence.ReadAsync(request, vault, log, abandoned).ConfigureAwait(false) is { Token: { } persisted } read)
            {
                if (_refused.TryGetValue(request.Key, out var refused) && refused == persisted.Value)
                {
                    log.Verbose($"{request.Target.ProviderName}: the token persisted in the vault '{vault}' is the one just refused; renewing it.");
                }
                else if (read.State == PersistedEntryState.Usable)
                {
                    return persisted;
                }

                // Another process's newer token carries the refresh token still good: a provider that rotates them has spent the
                // session's own. The vault holds the last token written, so a tie goes to it.
                if (renewFrom == null || persisted.IssuedOn >= renewFrom.IssuedOn)
                {
                    renewFrom = persisted;
                }
            }

            AccessToken token;
            try
            {
                token = await FetchAsync(entry, request, renewFrom, log, abandoned).ConfigureAwait(false);
            }
            catch (SignInException ex) when (ex.Failure == SignInFailure.SignInAgain && renewFrom?.RefreshToken is { } spent)
            {
                // Whether the session's token or the vault's was renewed, a spent refresh token stays spent: no later process may meet the same refusal.
                await RemoveSpentAsync(request, vault, spent, log, abandoned).ConfigureAwait(false);
                throw;
            }

            _refused.TryRemove(request.Key, out _);
            if (entry.Outrun(previous, token))
            {
                // A sign-in put a newer token in the entry (and the vault) while this renewal ran: it is not overwritten with an older one.
                return token;
            }

            await _persistence.WriteAsync(token, vault, log, abandoned).ConfigureAwait(false);
            return token;
        }

        /// <summary>Removes the request's persisted entry while it holds the spent refresh token; one another process has renewed meanwhile stays.</summary>
        private async Task RemoveSpentAsync(TokenRequest request, string vault, string spentRefreshToken, ITokenAuthLog? log, CancellationToken abandoned)
        {
            if (await _persistence.ReadAsync(request, vault, log, abandoned).ConfigureAwait(false) is { Token: { } persisted }
                && persisted.RefreshToken != spentRefreshToken)
            {
                return;
            }

            await _persistence.RemoveAsync(request, vault, log, request.Host, abandoned).ConfigureAwait(false);
        }

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

        /// <summary>
        /// How the client proves who it is on this call, as the definition says: a secret in the body or in Basic, an
        /// assertion signed with the request's client certificate for each attempt, or one fetched from the request's
        /// source for this token request alone. Held, an assertion is hidden from the call's errors on every answer path
        /// and handed to the caller's host for CI log masking.
        /// </summary>
        /// <param name="renewing">The cache entry a token request renews, which tells its callers what it waits on; null for a revocation.</param>
        /// <param name="clientId">The client an assertion is for; null: the credential's (a person's sign-in may name its own).</param>
        private async Task<IClientCredential> ClientCredentialAsync(ClientAuthentication authentication, TokenCallContext call, TokenCache.Entry? renewing,
            string? clientId = null)
        {
            var request = call.Request;
            clientId ??= request.Credential.ClientId ?? "";
            switch (authentication)
            {
                case ClientAuthentication.Basic:
                    return new SecretInBasic(request.Credential);
                case ClientAuthentication.PrivateKeyJwt when request.AssertionSource == null:
                    var certificate = request.Connection?.ClientCertificate
                        ?? throw new CredentialException(call.Provider, "its client certificate",
                            "is missing: the provider takes a signed client assertion (PrivateKeyJwt) instead of a secret; name the certificate in the definition's clientCertificate, or pass -Certificate");
                    var token = request.Target.Definition.Token;
                    var spec = token.Assertion ?? new AssertionSpec();
                    return new SignedAssertion(call.Provider, clientId, spec.Audience ?? CallEndpoints.For(request.Target, token.Path, request.Parameters).AbsoluteUri,
                        certificate, spec, _clock, call.HoldAssertion);
                case ClientAuthentication.PrivateKeyJwt:
                case ClientAuthentication.FederatedAssertion:
                    return new FederatedAssertion(clientId, await FetchAssertionAsync(call, renewing, RequiredSource(call)).ConfigureAwait(false));
                default:
                    return SecretInBody.Instance;
            }
        }

        /// <summary>The request's client assertion source, or the error that says how to give one.</summary>
        private static ClientAssertionSource RequiredSource(TokenCallContext call) =>
            call.Request.AssertionSource
                ?? throw new CredentialException(call.Provider, "its client assertion",
                    $"has no source: the provider takes a federated assertion (FederatedAssertion); pass -ClientAssertion, or give the session's source to this provider "
                    + $"(Set-TokenAuthOption -ClientAssertion SOURCE -ClientAssertionProvider {call.Provider}), which goes to it only when -Provider names it on the command line"
                    + (AmbientIdentity.Of(call.Request.Target.Definition) is { } named
                        ? $". Its definition names {named.Source.Description}, which is read only when you name it yourself"
                        : ""));

        /// <summary>A fresh assertion from <paramref name="source"/>, fetched for this token request alone and held by the call at once.</summary>
        private async Task<string> FetchAssertionAsync(TokenCallContext call, TokenCache.Entry? renewing, ClientAssertionSource source)
        {
            call.Log.Verbose($"{call.Provider}: getting a client assertion from {source.Description}.");
            string fetched;
            if (renewing != null)
            {
                renewing.AwaitedSource = source.Description;
            }

            try
            {
                // Within the token request's time: a script block left waiting for a command that was stopped ends with it.
                var timeLeft = call.Budget?.Remaining is { } left ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : Timeout.InfiniteTimeSpan;
                fetched = await source.FetchAsync(NewFetch(call))
                    .WaitAsync(timeLeft, _clock, call.Cancellation).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new ClientAssertionException(call.Provider, source.Description, $"none came within the token request's {call.Budget!.Limit.TotalSeconds:0.###} s");
            }
            catch (Exception ex) when (!(ex is TokenAuthException || ex is OperationCanceledException))
            {
                // The caller's own code failed (a script block that threw): its words, as it chose them, less any of the
                // call's credentials it echoed.
                throw new ClientAssertionException(call.Provider, source.Description, Redaction.Printable(Redaction.Scrub(ex.Message, call.SensitiveValues()) ?? ""), ex);
            }
            finally
            {
                if (renewing != null)
                {
                    renewing.AwaitedSource = null;
                }
            }

            var assertion = ClientAssertionSource.Checked(fetched, call.Provider, source.Description, _clock.GetUtcNow());
            call.HoldAssertion(assertion);
            return assertion;
        }

        /// <summary>
        /// One call to a pipeline's OIDC endpoint, within the token request's time and retries, through the request's
        /// proxy but with the pipeline's own trust (<see cref="ConnectionSettings.ForPipelineEndpoint"/>): the
        /// pipeline's bearer token is checked into no connection the provider's settings loosened.
        /// </summary>
        private async Task<AssertionAnswer> CallAssertionEndpointAsync(TokenCallContext tokenCall, HttpMethod method, Uri endpoint, string bearer)
        {
            var call = new TokenCallContext(tokenCall.Request, tokenCall.Operation, tokenCall.Log, tokenCall.Budget, tokenCall.Cancellation)
            {
                Connection = (tokenCall.Request.Connection ?? Options.Connection).ForPipelineEndpoint(Options.Connection.TrustedCertificates),
                EndpointBearer = bearer,
            };
            using var sent = await _sender.SendAsync(call, new JsonCall(method, endpoint, new[] { new KeyValuePair<string, string>("Authorization", "Bearer " + bearer) }), Options.Retry, bufferSuccessBody: false).ConfigureAwait(false);
            var response = sent.Response;
            call.Log.Verbose($"{call.Provider}: HTTP {(int)response.StatusCode} from {sent.DisplayEndpoint}.");
            if (!response.IsSuccessStatusCode)
            {
                var error = await sent.ReadErrorBodyAsync().ConfigureAwait(false);
                return new AssertionAnswer((int)response.StatusCode, Redaction.Scrub(error.Text, call.SensitiveValues()) ?? "");
            }

            using var body = await sent.ReadAsync(static (sent, limit) => BoundedRead.ReadWithinAsync(sent.Response.Content, limit, sent.AttemptCancellation),
                    Options.MaxProviderAnswerBytes).ConfigureAwait(false)
                ?? throw BoundedRead.AnswerTooLarge(call, sent.DisplayEndpoint, Options.MaxProviderAnswerBytes);
            return new AssertionAnswer((int)response.StatusCode, BoundedRead.Decode(body, response.Content));
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

        /// <param name="connection">The connection of the call that asks for the revocation, never the one the token was got over; null: the engine's.</param>
        private async Task<RevokeResult> RevokeAtProviderAsync(AccessToken token, bool forgotten, ConnectionSettings? connection, ITokenAuthLog? log,
            IClientAssertionHost? host, CancellationToken cancellationToken, TimeSpan? timeout)
        {
            var target = token.Request.Target;
            var forgot = forgotten ? "The session forgot the token" : "The session no longer held this token";
            if (target.Definition.Revoke is not { } revokeSpec)
            {
                return NotToldResult("has no revoke endpoint");
            }

            var revokeEndpoint = CallEndpoints.For(target, revokeSpec.Path, token.Request.Parameters);
            if (_absent.EvidenceFor(revokeEndpoint) is { } known)
            {
                return NotToldResult($"has no revoke endpoint at {Redaction.RedactUri(revokeEndpoint)} ({known} earlier in this session)");
            }

            try
            {
                log.Verbose($"{target.ProviderName}: revoking the token at {revokeEndpoint}.");
                var budget = CallBudget.Starting(_clock, Options.ProviderCallLimit(timeout));
                var call = new TokenCallContext(token.Request.WithHost(host), ProviderOperation.Revoke, log, budget, cancellationToken) { Token = token, Connection = connection };
                // The token itself is the bearer credential, or the client authenticates as on the token endpoint (RFC 7009).
                var client = revokeSpec.Authentication == RevokeAuthentication.Bearer
                    ? new TokenAsBearer(token.AuthorizationHeaderValue)
                    : await ClientCredentialAsync(target.Definition.Token.ClientAuthentication, call, renewing: null).ConfigureAwait(false);
                var revoke = TokenCalls.RevokeCall(target, revokeSpec, token.Request.Credential, token.Value, client, token.Request.Parameters);
                await CallProviderAsync(revoke, call).ConfigureAwait(false);
                return new RevokeResult(target.ProviderName, forgotten, true, $"{forgot}; {target.ProviderName} revoked it.");
            }
            catch (TokenAuthException ex) when (AbsentEndpoints.Evidence(ex) is { } evidence)
            {
                _absent.Remember(revokeEndpoint, evidence);
                return NotToldResult($"has no revoke endpoint at {Redaction.RedactUri(revokeEndpoint)} ({evidence})");
            }
            catch (TokenAuthException ex)
            {
                // Verbose, not Warning: the failure goes back in the result, and the caller reports it (the cmdlet as an error).
                var message = $"{forgot}, but {target.ProviderName} could not be told: {ex.Message}";
                log.Verbose(message);
                return new RevokeResult(target.ProviderName, forgotten, false, message, ex);
            }

            // Not a failure: there is nothing at the provider to tell, and the result says so.
            RevokeResult NotToldResult(string why)
            {
                var message = $"{forgot}; {target.ProviderName} {why}, so the provider was not told and the token stays valid there until {token.ExpiresOn.UtcDateTime:u}.";
                log.Verbose(message);
                return new RevokeResult(target.ProviderName, forgotten, false, message);
            }
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
