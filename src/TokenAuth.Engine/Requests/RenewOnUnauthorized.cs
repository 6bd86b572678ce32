using System.Net;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Tokens;

namespace TokenAuth.Requests
{
    /// <summary>
    /// The renewal step: a 401 to a request that carried the token means the provider no longer takes it (revoked,
    /// rotated), whatever its expiry said. The token is forgotten, a new one got, and the request sent once more from
    /// its first hop; a second 401 is the answer. A body that can be sent only once is not sent again, nor is a
    /// request whose token a redirect left behind: that 401 says nothing of the token.
    /// A 401 or 403 whose WWW-Authenticate names what is wrong is read first (<see cref="ApiChallenge"/>): a missing
    /// scope or a step-up is a named error, at once; a claims challenge from the provider's base origin gets a new token
    /// asking for those claims and the request sent once more. One retry per call, whichever the reason.
    /// </summary>
    internal sealed class RenewOnUnauthorized : IApiStep
    {
        private readonly TokenManager _tokens;
        private readonly IApiStep _next;

        public RenewOnUnauthorized(TokenManager tokens, IApiStep next)
        {
            _tokens = tokens;
            _next = next;
        }

#if NET8_0_OR_GREATER
        // Pooled: a step that waits on the network would otherwise allocate its state on every request.
        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
#endif
        public async ValueTask<SentResponse> SendAsync(ApiCall call)
        {
            var sent = await _next.SendAsync(call).ConfigureAwait(false);
            var status = sent.Response.StatusCode;
            if ((status != HttpStatusCode.Unauthorized && status != HttpStatusCode.Forbidden) || !call.Wire.CarriesToken)
            {
                return sent;
            }

            var challenge = ApiChallenge.Read(sent.Response, call.Token!.AuthorizationScheme);
            switch (challenge?.Error)
            {
                case "insufficient_scope":
                    sent.Dispose();
                    throw new InsufficientScopeException(call.Provider, sent.DisplayEndpoint, status, challenge.Shown("scope", call), challenge.Shown("error_description", call));
                case "insufficient_user_authentication":
                    sent.Dispose();
                    throw new UserAuthenticationRequiredException(call.Provider, sent.DisplayEndpoint, status, challenge.Shown("acr_values", call), challenge.MaxAge,
                        challenge.Shown("error_description", call));
                // Only the API itself, on the provider's base origin, may shape the next token request: another origin the
                // token may go to (a definition's trustedOrigins) gets a plain 401's renewal.
                case "insufficient_claims" when challenge.Claims() is { } claims && call.Request.Target.IsSameOrigin(call.Wire.Endpoint):
                    return await RetryAsync(call, sent, call.Request.WithClaims(claims), forceNew: true,
                        "the API asked for claims the token lacks (insufficient_claims); getting a token with them and sending the request once more").ConfigureAwait(false);
            }

            if (status != HttpStatusCode.Unauthorized)
            {
                return sent;
            }

            _tokens.ForgetIfCurrent(call.Token!);
            return await RetryAsync(call, sent, call.Request, forceNew: false, "the token was refused; forgetting it and sending the request once more with a new one")
                .ConfigureAwait(false);
        }

        private async ValueTask<SentResponse> RetryAsync(ApiCall call, SentResponse sent, TokenRequest request, bool forceNew, string why)
        {
            var status = (int)sent.Response.StatusCode;
            if (call.ApiRequest.Body?.Replayable == false)
            {
                call.Log.Verbose($"HTTP {status} from {sent.DisplayEndpoint}: {why.Split(';')[0]}, and the request body cannot be sent again, so it is not retried.");
                return sent;
            }

            call.Log.Verbose($"HTTP {status} from {sent.DisplayEndpoint}: {why}.");
            var refusedRetries = sent.Retries;
            sent.Dispose();
            var renewed = await _tokens.GetAsync(request, forceNew, call.Log, call.Budget, call.Cancellation).ConfigureAwait(false);
            call.Start(call.FirstHop, renewed.Token);
            // The answer to the one retry is the answer, whatever it says: never a second retry.
            var again = await _next.SendAsync(call).ConfigureAwait(false);
            again.Retries += refusedRetries + 1;
            return again;
        }
    }
}
