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
    /// <summary>Revoking: the session forgets the token first, always, removes its persisted entry, then tells the provider where it can be told.</summary>
    internal sealed partial class TokenManager
    {
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
            AccessToken? newer = null;
            if (vault != null)
            {
                if (await _persistence.ReadAsync(request, vault, log, cancellationToken).ConfigureAwait(false) is { Token: { } persisted })
                {
                    if (token == null)
                    {
                        token = persisted;
                    }
                    else if (persisted.Value != token.Value)
                    {
                        // Another process renewed since: its token is as much this credential's, and a revoke may be for a leak.
                        newer = persisted;
                    }
                }

                removed = await _persistence.RemoveAsync(request, vault, log, cancellationToken).ConfigureAwait(false);
            }

            var result = token == null
                ? new RevokeResult(request.Target.ProviderName, false, false,
                    $"No {request.Target.ProviderName} token is cached for {request.Credential.DisplayIdentity} at {request.Target.BaseUri}; nothing to revoke.")
                : await RevokeAtProviderAsync(token, forgotten, request.Connection, log, request.Host, cancellationToken, timeout).ConfigureAwait(false);
            if (newer != null)
            {
                result = result.And(await RevokeAtProviderAsync(newer, false, request.Connection, log, request.Host, cancellationToken, timeout,
                    $"The newer token another process persisted in the vault '{vault}'").ConfigureAwait(false));
            }

            return removed ? result.WithVaultEntryRemoved(vault!) : result;
        }

        /// <param name="connection">How this revoke call goes; null: as the token was got, but with the server's certificate checked.</param>
        /// <param name="host">The revoking caller's host, never the one the token was got for.</param>
        public async Task<RevokeResult> RevokeAsync(AccessToken token, ConnectionSettings? connection, ITokenAuthLog? log, IClientAssertionHost? host,
            CancellationToken cancellationToken, TimeSpan? timeout)
        {
            var forgotten = _cache.RemoveIfCurrent(token);
            var vault = _persistence.VaultFor(token.Request);
            // As in memory, the entry goes only while it holds this token: a newer one another process persisted since is not
            // the token handed over here, stays good at the provider, and removing it would only send the next process asking.
            var removed = vault != null
                && (await _persistence.ReadAsync(token.Request, vault, log, cancellationToken).ConfigureAwait(false) is not { Token: { } persisted } || persisted.Value == token.Value)
                && await _persistence.RemoveAsync(token.Request, vault, log, cancellationToken).ConfigureAwait(false);
            var result = await RevokeAtProviderAsync(token, forgotten, connection ?? Checked(token.Request.Connection), log, host, cancellationToken, timeout).ConfigureAwait(false);
            return removed ? result.WithVaultEntryRemoved(vault!) : result;
        }

        /// <summary>-SkipCertificateCheck is for the call it was given to, not for every later call with the token it got.</summary>
        private static ConnectionSettings? Checked(ConnectionSettings? connection) =>
            connection is { SkipCertificateCheck: true } ? connection with { SkipCertificateCheck = false } : connection;

        /// <summary>
        /// Revokes the token's refresh token where the definition says how (revoke.refreshTokenFields); the provider's refusal
        /// is returned, not thrown. An endpoint found absent is thrown: the access token's revoke would meet it too.
        /// </summary>
        private async Task<TokenAuthException?> RevokeRefreshTokenAsync(AccessToken token, RevokeSpec revokeSpec, IClientCredential client, TokenCallContext call)
        {
            var target = token.Request.Target;
            if (TokenCalls.RefreshRevokeCall(target, revokeSpec, token.Request.Credential, token.RefreshToken, client, token.Request.Parameters) is not { } revokeRefresh)
            {
                return null;
            }

            try
            {
                call.Log.Verbose($"{target.ProviderName}: revoking the token's refresh token at {revokeRefresh.Endpoint}.");
                await CallProviderAsync(revokeRefresh, call).ConfigureAwait(false);
                return null;
            }
            catch (TokenAuthException ex) when (AbsentEndpoints.Evidence(ex) == null)
            {
                return ex;
            }
        }

        /// <param name="connection">The connection of the call that asks for the revocation, never the one the token was got over; null: the engine's.</param>
        /// <param name="which">The token, as the result's message names it; by default the session's.</param>
        private async Task<RevokeResult> RevokeAtProviderAsync(AccessToken token, bool forgotten, ConnectionSettings? connection, ITokenAuthLog? log,
            IClientAssertionHost? host, CancellationToken cancellationToken, TimeSpan? timeout, string? which = null)
        {
            var target = token.Request.Target;
            var forgot = which ?? (forgotten ? "The session forgot the token" : "The session no longer held this token");
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
                var budget = CallBudget.Starting(_clock, Options.ProviderCallLimit(timeout));
                var call = new TokenCallContext(token.Request.WithHost(host), ProviderOperation.Revoke, log, budget, cancellationToken) { Token = token, Connection = connection };
                // The token itself is the bearer credential, or the client authenticates as on the token endpoint (RFC 7009).
                var client = revokeSpec.Authentication == RevokeAuthentication.Bearer
                    ? new TokenAsBearer(token.AuthorizationHeaderValue)
                    : await ClientCredentialAsync(target.Definition.Token.ClientAuthentication, call, renewing: null).ConfigureAwait(false);
                // The refresh token first, while the access token still vouches for a bearer revoke: it outlives the access
                // token, so a copy left in a vault would go on making new ones. Its failure does not keep the access token from being revoked.
                var refreshFailure = await RevokeRefreshTokenAsync(token, revokeSpec, client, call).ConfigureAwait(false);
                log.Verbose($"{target.ProviderName}: revoking the token at {revokeEndpoint}.");
                var revoke = TokenCalls.RevokeCall(target, revokeSpec, token.Request.Credential, token.Value, client, token.Request.Parameters);
                await CallProviderAsync(revoke, call).ConfigureAwait(false);
                if (refreshFailure != null)
                {
                    var message = $"{forgot}; {target.ProviderName} revoked it, but could not be told to revoke its refresh token: {refreshFailure.Message}";
                    log.Verbose(message);
                    // The error a console shows says which of the two calls failed.
                    var failure = refreshFailure is ErrorResponseException refused
                        ? refused.WithHint("That was its refresh token's revocation; the access token's went through.") : refreshFailure;
                    return new RevokeResult(target.ProviderName, forgotten, false, message, failure);
                }

                var revokedRefresh = token.HasRefreshToken && revokeSpec.RefreshTokenFields != null;
                return new RevokeResult(target.ProviderName, forgotten, true, $"{forgot}; {target.ProviderName} revoked it{(revokedRefresh ? " and its refresh token" : "")}.");
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
    }
}
