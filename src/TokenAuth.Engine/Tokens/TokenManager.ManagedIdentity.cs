using System;
using System.Linq;
using System.Threading.Tasks;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>Tokens and assertions from the machine's managed identity: how the token manager reaches its endpoint.</summary>
    internal sealed partial class TokenManager
    {
        /// <summary>Where a managed identity's token is read from: the process's environment (tests point it at the emulator).</summary>
        internal Func<string, string?> Environment { get; set; } = System.Environment.GetEnvironmentVariable;

        /// <summary>One token request's fetch of an assertion: a pipeline's OIDC endpoint, or this machine's managed identity endpoint.</summary>
        private AssertionFetch NewFetch(TokenCallContext call) =>
            new AssertionFetch(call.Provider, call.Request.Host, call.Cancellation, (method, uri, bearer) => CallAssertionEndpointAsync(call, method, uri, bearer))
            {
                SendToPlatform = request => CallManagedIdentityAsync(call, request),
                HoldSecret = call.HoldAssertion,
                ArcKeyFolder = Options.ArcKeyFolder,
            };

        /// <summary>
        /// The built-in AzureManagedIdentity's token: for -Resource, else -Scope less its /.default, else the base URI's origin
        /// (the API the token is for); of the user-assigned identity -ClientId names, else the system-assigned one.
        /// </summary>
        private async Task<AccessToken> ManagedIdentityTokenAsync(TokenCallContext call)
        {
            var request = call.Request;
            var provider = call.Provider;
            var resource = ResourceFor(request);
            ManagedIdentityId? identity;
            try
            {
                identity = request.Credential.ClientId is { Length: > 0 } id ? ManagedIdentityId.Parse(id) : null;
            }
            catch (ArgumentException ex)
            {
                throw new CredentialException(provider, "ClientId", ex.Message);
            }

            call.Log.Verbose($"{provider}: requesting a token for {resource} from this machine's managed identity"
                + (identity == null ? "." : $" (user-assigned {identity})."));
            var sentAt = _clock.GetUtcNow();
            var fetched = await ManagedIdentityClient.GetTokenAsync(NewFetch(call), resource, identity, Environment).ConfigureAwait(false);
            var expiresOn = fetched.ExpiresOn ?? Json.Jwt.ExpiryOf(fetched.Value);
            var assumed = expiresOn == null;
            var expires = expiresOn ?? sentAt.AddSeconds(request.Target.Definition.TokenResponse.DefaultLifetimeSeconds);
            var token = new AccessToken(request, fetched.Value, fetched.TokenType ?? "Bearer", "Bearer", null, resource, sentAt, expires, assumed,
                expires - Options.MarginFor(expires - sentAt));
            call.Log.Verbose($"{provider}: new token, expires {token.ExpiresOn.UtcDateTime:u}, renewed after {token.RenewAfter.UtcDateTime:u}.");
            return token;
        }

        private static string ResourceFor(TokenRequest request)
        {
            var provider = request.Target.ProviderName;
            if (request.Parameters.SingleResource(provider, "a managed identity's token") is { } resource)
            {
                return resource;
            }

            if (request.Scope is { Length: > 0 } scope)
            {
                var scopes = scope.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                if (scopes.Length != 1)
                {
                    throw new TokenParameterException(provider, "-Scope", "names several scopes, but a managed identity's token is for one resource");
                }

                const string suffix = "/.default";
                return scopes[0].EndsWith(suffix, StringComparison.Ordinal) ? scopes[0].Substring(0, scopes[0].Length - suffix.Length) : scopes[0];
            }

            return request.Target.BaseUri.GetLeftPart(UriPartial.Authority);
        }

        /// <summary>
        /// One call to this machine's managed identity endpoint, within the token request's time and retries, never through
        /// a proxy (the endpoint is this machine's own or the link-local metadata service, and the token must not pass a
        /// proxy), and with none of the provider's trust or client certificate.
        /// </summary>
        private async Task<ManagedIdentityAnswer> CallManagedIdentityAsync(TokenCallContext tokenCall, JsonCall request)
        {
            var call = new TokenCallContext(tokenCall.Request, tokenCall.Operation, tokenCall.Log, tokenCall.Budget, tokenCall.Cancellation)
            {
                Connection = (tokenCall.Request.Connection ?? Options.Connection).ForPipelineEndpoint(Options.Connection.TrustedCertificates) with { Proxy = ProxySettings.None },
                Token = tokenCall.Token,
            };
            foreach (var secret in tokenCall.HeldAssertions)
            {
                call.HoldAssertion(secret);
            }

            using var sent = await _sender.SendAsync(call, request, Options.Retry, bufferSuccessBody: false).ConfigureAwait(false);
            var response = sent.Response;
            call.Log.Verbose($"{call.Provider}: HTTP {(int)response.StatusCode} from {sent.DisplayEndpoint}.");
            if (!response.IsSuccessStatusCode)
            {
                var error = await sent.ReadErrorBodyAsync().ConfigureAwait(false);
                var challenge = response.Headers.WwwAuthenticate.Select(value => value.ToString()).FirstOrDefault();
                return new ManagedIdentityAnswer((int)response.StatusCode, Redaction.Scrub(error.Text, call.SensitiveValues()) ?? "", challenge);
            }

            using var body = await sent.ReadAsync(static (sent, limit) => BoundedRead.ReadWithinAsync(sent.Response.Content, limit, sent.AttemptCancellation),
                    Options.MaxProviderAnswerBytes).ConfigureAwait(false)
                ?? throw BoundedRead.AnswerTooLarge(call, sent.DisplayEndpoint, Options.MaxProviderAnswerBytes);
            return new ManagedIdentityAnswer((int)response.StatusCode, BoundedRead.Decode(body, response.Content), null);
        }
    }
}
