using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;
using TokenAuth.Logging;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// A person's tokens: renewed silently with their refresh token (a rotated one replaces the old at once), else got
    /// by signing them in with a device code (RFC 8628) or in their browser with PKCE on a loopback redirect (RFC 7636,
    /// RFC 8252). A refused refresh ends in <see cref="SignInFailure.SignInAgain"/>: no flow starts by itself.
    /// </summary>
    internal sealed partial class TokenManager
    {
        /// <summary>
        /// A person's token (the rule is <see cref="People"/>'s): theirs from the cache while fresh or renewable with their
        /// refresh token; else a sign-in, shared by callers asking for the same person, whose token goes to the entry of
        /// whoever signed in, never to another person's.
        /// </summary>
        private ValueTask<TokenResult> GetForPersonAsync(TokenRequest request, bool forceNew, ITokenAuthLog? log, CallBudget? budget, CancellationToken cancellationToken)
        {
            if (!request.SignIn!.AsksThePerson && _people.AccountFor(request) is { } account)
            {
                var theirs = request.ForAccount(account);
                if (_cache.Current(theirs.Key) is { } current && (current.RefreshToken != null || (!forceNew && IsFresh(current))))
                {
                    return GetCachedAsync(theirs, forceNew, log, budget, cancellationToken);
                }
            }

            return new ValueTask<TokenResult>(GetForPersonThroughVaultAsync(request, forceNew, log, budget, cancellationToken));
        }

        /// <summary>Where tokens persist, the person's persisted entry (found through the vault's people index) before a sign-in.</summary>
        private async Task<TokenResult> GetForPersonThroughVaultAsync(TokenRequest request, bool forceNew, ITokenAuthLog? log, CallBudget? budget,
            CancellationToken cancellationToken)
        {
            if (!request.SignIn!.AsksThePerson && _persistence.VaultFor(request) != null && await AccountForAsync(request, log, cancellationToken).ConfigureAwait(false) is { } account)
            {
                var theirs = request.ForAccount(account);
                var entry = _cache.GetOrAdd(theirs.Key);
                if (entry.Current is { } current && (current.RefreshToken != null || (!forceNew && IsFresh(current))))
                {
                    return await GetCachedAsync(theirs, forceNew, log, budget, cancellationToken).ConfigureAwait(false);
                }

                if (entry.Current == null && await FromVaultAsync(entry, theirs, forceNew, log, cancellationToken).ConfigureAwait(false) is { } fromVault)
                {
                    return await RenewAsync(entry, theirs, forceNew, log, budget, cancellationToken, fromVault).ConfigureAwait(false);
                }
            }

            return await RenewAsync(_cache.SignIn(request.Key), request, forceNew, log, budget, cancellationToken,
                (_, abandoned) => SignInAsync(request, log, abandoned)).ConfigureAwait(false);
        }

        /// <summary>The request for the person the session knows it is for (revoking, forgetting); as asked when it knows none.</summary>
        private TokenRequest Whose(TokenRequest request) =>
            request.SignIn != null && _people.AccountFor(request) is { } account ? request.ForAccount(account) : request;

        /// <summary>Signs a person in; their token is kept in their own entry, and in the vault where tokens persist, with who they are in the vault's people index.</summary>
        private async Task<AccessToken> SignInAsync(TokenRequest request, ITokenAuthLog? log, CancellationToken abandoned)
        {
            var token = await FetchForPersonAsync(request, request.SignIn!, null, log, abandoned).ConfigureAwait(false);
            if (_persistence.VaultFor(token.Request) is { } vault)
            {
                await _persistence.WriteAsync(token, vault, log, abandoned).ConfigureAwait(false);
                await PersistedPeople.SaveAsync(token.Request, vault, log, abandoned).ConfigureAwait(false);
            }

            return token;
        }

        private async Task<AccessToken> FetchForPersonAsync(TokenRequest request, SignInRequest signIn, AccessToken? previous, ITokenAuthLog? log,
            CancellationToken abandoned)
        {
            var target = request.Target;
            var provider = target.ProviderName;
            var people = target.Definition.SignIn
                ?? throw new SignInException(provider, SignInFailure.NotSupported,
                    $"{provider} has no sign-in for people: register it with Register-TokenAuthProvider -Issuer, or give its definition a signIn section.");
            if (previous?.RefreshToken is { } refreshToken)
            {
                var refresh = new List<KeyValuePair<string, string>> { Pair("grant_type", "refresh_token"), Pair("refresh_token", refreshToken) };
                try
                {
                    log.Verbose($"{provider}: renewing {previous.Account ?? "the person"}'s token with its refresh token.");
                    return await RedeemAsync(request, ProviderOperation.Refresh, refresh, previous, log, abandoned).ConfigureAwait(false);
                }
                catch (ProviderErrorException ex) when (TokenAnswers.IsSpentRefreshToken(target.Definition.Refresh, ex))
                {
                    // The refresh token is spent: forget it, so that the next sign-in starts afresh rather than meeting the same refusal.
                    _cache.RemoveIfCurrent(previous);
                    throw new SignInException(provider, SignInFailure.SignInAgain,
                        $"{provider} refused the refresh token of {previous.Account ?? "the signed-in person"} ({ex.ProviderCode ?? ((int)ex.StatusCode).ToString()}): "
                        + "the sign-in has ended. Sign in again with -Interactive or -UseDeviceCode.", ex);
                }
            }

            if (signIn.Host.WhyNoPerson is { } why)
            {
                throw new SignInException(provider, SignInFailure.NotInteractive,
                    $"Signing in to {provider} needs a person, and {why}; nothing was started. Sign in from an interactive shell, or use a client credential in automation.");
            }

            return signIn.Flow == SignInFlow.DeviceCode
                ? await DeviceCodeAsync(request, signIn, people, log, abandoned).ConfigureAwait(false)
                : await BrowserAsync(request, signIn, people, log, abandoned).ConfigureAwait(false);
        }

        /// <summary>
        /// Posts a grant to the token endpoint as the client (<see cref="SignInClientAsync"/>) and reads the
        /// token, its refresh token and the ID token's account; every secret of the exchange is held by the call.
        /// </summary>
        private async Task<AccessToken> RedeemAsync(TokenRequest request, ProviderOperation operation, List<KeyValuePair<string, string>> grant, AccessToken? previous,
            ITokenAuthLog? log, CancellationToken abandoned)
        {
            var target = request.Target;
            var call = new TokenCallContext(request, operation, log, CallBudget.Starting(_clock, Options.TokenTimeout), abandoned) { Token = previous };
            foreach (var pair in grant)
            {
                if (pair.Key == "code" || pair.Key == "code_verifier" || pair.Key == "device_code")
                {
                    call.HoldAssertion(pair.Value);
                }
            }

            var client = await SignInClientAsync(call).ConfigureAwait(false);
            var endpoint = target.ServiceEndpoint(target.Definition.Token.Path);
            var sentAt = _clock.GetUtcNow();
            var body = await CallFormAsync(new SignInFormCall(endpoint, grant, client), call).ConfigureAwait(false);
            var answer = TokenAnswers.ReadToken(target, call, endpoint, body, sentAt);
            call.HoldAssertion(answer.Value);
            if (answer.RefreshToken != null)
            {
                call.HoldAssertion(answer.RefreshToken);
            }

            var person = PersonOf(body, call);
            var account = person?.Display ?? previous?.Account ?? request.SignIn?.LoginHint;
            if (operation != ProviderOperation.Refresh)
            {
                // A sign-in: the token is the person's who signed in, whoever was asked for (a hint is only a hint).
                request = request.ForAccount(People.AccountKey(person?.Subject, request.SignIn?.LoginHint));
            }

            var renewAfter = answer.ExpiresOn - Options.MarginFor(answer.ExpiresOn - sentAt);
            // A server that does not rotate refresh tokens sends none back: the one in hand stays good.
            var refreshToken = answer.RefreshToken ?? (operation == ProviderOperation.Refresh ? previous?.RefreshToken : null);
            var token = new AccessToken(request, answer.Value, answer.TokenType, answer.Scheme, refreshToken, answer.Scope ?? request.Scope, sentAt, answer.ExpiresOn,
                answer.ExpiryAssumed, renewAfter, account);
            log.Verbose($"{target.ProviderName}: {(operation == ProviderOperation.Refresh ? "renewed" : "signed in")} {account ?? "the person"}; the token expires "
                + $"{token.ExpiresOn.UtcDateTime:u}{(answer.RefreshToken != null && operation == ProviderOperation.Refresh ? ", and the refresh token was rotated" : "")}.");
            if (operation != ProviderOperation.Refresh && request.SignIn != null)
            {
                _cache.Put(token);
                _people.SignedIn(request, request.Key.Account, new[] { person?.PreferredUsername, person?.Email });
            }

            return token;
        }

        /// <summary>
        /// How the sign-in's client proves who it is at the token endpoint, redeeming a code or a refresh token: as the
        /// definition's token.clientAuthentication says, through the same credentials as the client's own token requests
        /// (a secret in Basic, a signed or a federated assertion); else its id, and its secret if it has one, in the body.
        /// </summary>
        private async Task<IClientCredential> SignInClientAsync(TokenCallContext call)
        {
            var request = call.Request;
            var clientId = ClientIdOf(request);
            var secret = request.Credential.Get(CredentialField.ClientSecret);
            var authentication = request.Target.Definition.Token.ClientAuthentication;
            return authentication is ClientAuthentication.PrivateKeyJwt or ClientAuthentication.FederatedAssertion || (authentication == ClientAuthentication.Basic && secret != null)
                ? await ClientCredentialAsync(authentication, call, renewing: null, clientId).ConfigureAwait(false)
                : new SecretInBody(clientId, secret);
        }

        /// <summary>Who the ID token in a token answer names, read unverified for display and the cache; the ID token is held as a secret.</summary>
        private static SignedInPerson? PersonOf(string body, TokenCallContext call)
        {
            try
            {
                using var answer = JsonDocument.Parse(body);
                if (Text(answer.RootElement, "id_token") is not { } idToken)
                {
                    return null;
                }

                call.HoldAssertion(idToken);
                if (!Jwt.TryReadClaims(idToken, out var claims))
                {
                    return null;
                }

                string? Claim(string name) => claims.TryGetValue(name, out var value) && value is string text && text.Length > 0 ? Redaction.Printable(text) : null;
                return new SignedInPerson(Claim("sub"), Claim("preferred_username"), Claim("email"), Claim("name"));
            }
            catch (JsonException)
            {
            }

            return null;
        }

        /// <summary>The ID token's names for the person: the subject keys their cache entry, the rest find it by -LoginHint and show it.</summary>
        private sealed class SignedInPerson
        {
            public SignedInPerson(string? subject, string? preferredUsername, string? email, string? name)
            {
                Subject = subject;
                PreferredUsername = preferredUsername;
                Email = email;
                Display = preferredUsername ?? email ?? name ?? subject;
            }

            public string? Subject { get; }

            public string? PreferredUsername { get; }

            public string? Email { get; }

            /// <summary>What Get-ProviderTokenCache shows as the account: preferred_username, e-mail, name or subject.</summary>
            public string? Display { get; }
        }

        /// <summary>One form call of a sign-in, its answer read within the session's bound; a refusal in the provider's terms.</summary>
        private async Task<string> CallFormAsync(SignInFormCall form, TokenCallContext call)
        {
            using var sent = await _sender.SendAsync(call, form, Options.Retry, bufferSuccessBody: false).ConfigureAwait(false);
            var response = sent.Response;
            call.Log.Verbose($"{call.Provider}: HTTP {(int)response.StatusCode} from {sent.DisplayEndpoint}.");
            if (!response.IsSuccessStatusCode)
            {
                throw ProviderErrors.Read(call.Request.Target, call, sent.DisplayEndpoint, response, await sent.ReadErrorBodyAsync().ConfigureAwait(false));
            }

            using var body = await sent.ReadAsync(static (sent, limit) => BoundedRead.ReadWithinAsync(sent.Response.Content, limit, sent.AttemptCancellation),
                    Options.MaxProviderAnswerBytes).ConfigureAwait(false)
                ?? throw BoundedRead.AnswerTooLarge(call, sent.DisplayEndpoint, Options.MaxProviderAnswerBytes);
            return BoundedRead.Decode(body, response.Content);
        }

        private static string ClientIdOf(TokenRequest request) =>
            request.Credential.ClientId ?? request.Target.Definition.SignIn?.ClientId ?? "";

        /// <summary>A sign-in endpoint of the definition: absolute, https unless on a loopback host.</summary>
        private static Uri SignInEndpoint(string provider, string? address, string what, string instead)
        {
            if (address == null)
            {
                throw new SignInException(provider, SignInFailure.NotSupported, $"{provider} has no {what} in its definition; try {instead}.");
            }

            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || !OpenIdDiscovery.IsHttpsOrLoopback(uri))
            {
                throw new SignInException(provider, SignInFailure.NotSupported, $"{provider}'s {what} is not an https address; it is not used.");
            }

            return uri;
        }

        /// <summary>An address the server gives the person to open: only https (or loopback http), never anything a terminal could misuse.</summary>
        private static Uri PersonFacing(string provider, string address, string field) =>
            Uri.TryCreate(address, UriKind.Absolute, out var uri) && OpenIdDiscovery.IsHttpsOrLoopback(uri) && address.IndexOfAny(new[] { '\u001b', '\r', '\n' }) < 0
                ? uri
                : throw new SignInException(provider, SignInFailure.NotSupported, $"{provider}'s {field} is not an https address; the sign-in was not started.");

        private static KeyValuePair<string, string> Pair(string name, string value) => new KeyValuePair<string, string>(name, value);

        private static string? Text(JsonElement root, string name) =>
            root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? JsonText.String(value) : null;

        private static long? Number(JsonElement root, string name) =>
            root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
                ? number
                : null;
    }
}
