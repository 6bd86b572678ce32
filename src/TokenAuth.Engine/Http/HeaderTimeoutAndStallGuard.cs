using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;

namespace TokenAuth.Http
{
    /// <summary>
    /// The step at the wire: sends the attempt's message, and holds the answer to the request's own limits within the
    /// attempt's time. Its headers must arrive within <see cref="IRequestFactory.HeadersTimeout"/> (a timeout that says
    /// no answer arrived), and its body may go no longer than <see cref="IRequestFactory.StallTimeout"/> without a byte
    /// (<see cref="StallGuardContent"/>). A request with neither limit goes straight to the client: no state, no timer.
    /// </summary>
    internal static class HeaderTimeoutAndStallGuard
    {
        /// <param name="attempt">The attempt's time, which the headers' limit shortens and the stall guard ends.</param>
        /// <param name="allowed">What is left of the attempt: a headers' limit as long as that changes nothing.</param>
        public static ValueTask<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage message, Exchange exchange, CancellationTokenSource attempt,
            TimeSpan allowed, TimeProvider clock)
        {
            var request = exchange.Request;
            var headersLimit = request.HeadersTimeout is { } headers && headers < allowed ? headers : (TimeSpan?)null;
            if (headersLimit == null && request.StallTimeout == null)
            {
                return new ValueTask<HttpResponseMessage>(client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, attempt.Token));
            }

            return SendGuardedAsync(client, message, exchange, attempt, headersLimit, clock);
        }

#if NET8_0_OR_GREATER
        // Pooled, as the other steps: a request with a header or stall limit would otherwise allocate its state.
        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
#endif
        private static async ValueTask<HttpResponseMessage> SendGuardedAsync(HttpClient client, HttpRequestMessage message, Exchange exchange, CancellationTokenSource attempt,
            TimeSpan? headersLimit, TimeProvider clock)
        {
            HttpResponseMessage response;
            using (var headersTime = headersLimit != null ? CancellationTokenSource.CreateLinkedTokenSource(attempt.Token) : null)
            {
                if (headersTime != null)
                {
                    clock.CancelAfter(headersTime, headersLimit!.Value);
                }

                try
                {
                    response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, (headersTime ?? attempt).Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (headersTime != null && headersTime.IsCancellationRequested && !attempt.IsCancellationRequested)
                {
                    throw new ProviderUnreachableException(exchange.Call.Provider, exchange.Display, true, headersLimit!.Value, null, "no answer arrived for");
                }
            }

            if (exchange.Request.StallTimeout is { } stallLimit)
            {
                response.Content = new StallGuardContent(response.Content, clock, stallLimit, attempt);
            }

            return response;
        }
    }
}
