using System;
using System.Net.Http;
using System.Threading.Tasks;
using TokenAuth.Logging;

// The Http folder is where a request is sent, retried and timed: HttpSender below and the steps it chains, one
// CallContext per call, and every wait, timeout and budget on the engine's one clock (ClockWaits, CallBudget).
namespace TokenAuth.Http
{
    /// <summary>Makes a fresh request message for each attempt, and says whether the call may be sent again.</summary>
    internal interface IRequestFactory
    {
        /// <summary>Where the request goes, for messages (shown with its query values removed).</summary>
        Uri Endpoint { get; }

        /// <summary>Whether 502 and 504 may be retried, and connection failures.</summary>
        bool Idempotent { get; }

        /// <summary>False when the body can be sent only once: then nothing is retried.</summary>
        bool Replayable { get; }

        /// <summary>How long an attempt may wait for the answer's headers; null: the attempt's whole time.</summary>
        TimeSpan? HeadersTimeout { get; }

        /// <summary>How long the answer's body may go without a byte; null: no limit but the attempt's.</summary>
        TimeSpan? StallTimeout { get; }

        /// <summary>
        /// Runs after a retry's wait and before its attempt: what a wait may have made stale (a token that reached its
        /// renewal margin meanwhile) is brought up to date here, so that no attempt sends what is known to be expired.
        /// </summary>
        ValueTask BeforeRetryAsync();

        HttpRequestMessage Create();
    }

    /// <summary>
    /// Sends one hop of a call through its steps, each with one job: <see cref="TransientRetry"/> (429, 503 and, when the
    /// call is idempotent, 502, 504 and lost connections, after Retry-After or a backoff), <see cref="TimedAttempt"/>
    /// (the call's budget and the attempt's timeout) and <see cref="HeaderTimeoutAndStallGuard"/> (how long the headers
    /// and each stretch of the body may take). The caller's cancellation ends every wait at once.
    /// </summary>
    internal sealed class HttpSender : ISendStep
    {
        private readonly Func<ISendDefaults> _options;
        private readonly ISendStep _steps;

        /// <param name="ownClient">Every call through this client, whatever its connection settings; null: the <see cref="HttpClientPool"/>.</param>
        /// <param name="options">The session's options as they are now: Set-TokenAuthOption takes effect on the next call.</param>
        public HttpSender(HttpClient? ownClient, TimeProvider clock, Func<ISendDefaults> options)
        {
            _options = options;
            _steps = new TransientRetry(clock, new TimedAttempt(ownClient, clock));
        }

        /// <summary>A call that is its own single hop (a token, refresh or revoke endpoint), with the session's options as they are now.</summary>
        public ValueTask<SentResponse> SendAsync(CallContext call, IRequestFactory request, RetryPolicy retry, bool bufferSuccessBody) =>
            SendAsync(new Exchange(call, request, _options(), retry, bufferSuccessBody));

        public ValueTask<SentResponse> SendAsync(Exchange exchange)
        {
            var log = exchange.Call.Log;
            if (log != null && log.IsEnabled(LogLevel.Debug))
            {
                log.Write(LogLevel.Debug, $"{exchange.Display}: {exchange.Connection}.");
            }

            return _steps.SendAsync(exchange);
        }
    }
}
