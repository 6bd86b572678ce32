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
    /// <summary>How the client proves itself on a token, refresh or revoke call: the credential its definition names, a signed assertion, or one fetched from a federated source.</summary>
    internal sealed partial class TokenManager
    {
        /// <summary>
        /// How the client proves who it is on this call, as the definition says: a secret in the body or in Basic, an
        /// assertion signed with the request's client certificate for each attempt, or one fetched from the request's
        /// source for this token request alone. Held, an assertion is hidden from the call's errors on every answer path
        /// and handed to the caller's host for CI log masking.
        /// </summary>
        /// <param name="renewing">The cache entry a token request renews, which tells its callers what it waits on; null for a revocation.</param>
        /// <param name="clientId">The client it proves itself as; null: the credential's (a person's sign-in may name its own).</param>
        private async Task<IClientCredential> ClientCredentialAsync(ClientAuthentication authentication, TokenCallContext call, TokenCache.Entry? renewing,
            string? clientId = null)
        {
            var request = call.Request;
            clientId ??= request.Credential.ClientId ?? "";
            switch (authentication)
            {
                case ClientAuthentication.Basic when clientId == (request.Credential.ClientId ?? ""):
                    return new SecretInBasic(request.Credential);
                case ClientAuthentication.Basic:
                    // Another client id than the credential's (a person's sign-in names its own): this Basic value is not
                    // among the credential's masked values, so the call holds it.
                    var basic = SecretInBasic.Of(clientId, request.Credential.ClientSecret ?? "");
                    call.HoldAssertion(basic.ForAttempt().Authorization!);
                    return basic;
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
    }
}
