using System.Net;
using System.Threading.Tasks;
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
            if (sent.Response.StatusCode != HttpStatusCode.Unauthorized || !call.Wire.CarriesToken)
            {
                return sent;
            }

            if (call.ApiRequest.Body?.Replayable == false)
            {
                call.Log.Verbose($"HTTP 401 from {sent.DisplayEndpoint}: the token was refused, and the request body cannot be sent again, so it is not retried.");
                return sent;
            }

            call.Log.Verbose($"HTTP 401 from {sent.DisplayEndpoint}: the token was refused; forgetting it and sending the request once more with a new one.");
            var refusedRetries = sent.Retries;
            sent.Dispose();
            _tokens.ForgetIfCurrent(call.Token!);
            var renewed = await _tokens.GetAsync(call.Request, false, call.Log, call.Budget, call.Cancellation).ConfigureAwait(false);
            call.Start(call.FirstHop, renewed.Token);
            var again = await _next.SendAsync(call).ConfigureAwait(false);
            again.Retries += refusedRetries + 1;
            return again;
        }
    }
}
