using System;
using System.IO;
using System.Net.Http;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Logging;

namespace TokenAuth.Http
{
    /// <summary>
    /// The retry step: sends again what failed for a passing reason. 429 and 503 always, 502, 504 and a lost connection
    /// when the call is idempotent; never a body that can be sent only once. Waits what Retry-After says (seconds or a
    /// date), else backs off exponentially with jitter, within the policy's attempts and total wait and the call's budget.
    /// Between the wait and the next attempt the request brings itself up to date (<see cref="IRequestFactory.BeforeRetryAsync"/>).
    /// </summary>
    internal sealed class TransientRetry : ISendStep
    {
        private static readonly Random Jitter = new Random();

        private readonly TimeProvider _clock;
        private readonly ISendStep _next;

        public TransientRetry(TimeProvider clock, ISendStep next)
        {
            _clock = clock;
            _next = next;
        }

#if NET8_0_OR_GREATER
        // Pooled: a step that waits on the network would otherwise allocate its state on every request.
        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
#endif
        public async ValueTask<SentResponse> SendAsync(Exchange exchange)
        {
            var call = exchange.Call;
            var request = exchange.Request;
            var retry = exchange.Retry;
            var display = exchange.Display;
            var waited = TimeSpan.Zero;
            for (var attempt = 0; ; attempt++)
            {
                if (attempt > 0)
                {
                    await request.BeforeRetryAsync().ConfigureAwait(false);
                }

                SentResponse sent;
                TimeSpan? delay;
                try
                {
                    sent = await _next.SendAsync(exchange).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is HttpRequestException || ex is IOException)
                {
                    delay = request.Replayable && request.Idempotent ? NextDelay(retry, attempt, waited, null) : null;
                    if (delay == null)
                    {
                        throw ConnectionRefusal.Unreachable(call, display, exchange.Connection, ex);
                    }

                    call.Log.Verbose($"Connection to {display} failed; retrying in {delay.Value.TotalSeconds:0.###} s (attempt {attempt + 2} of {retry.MaxRetries + 1}).");
                    await WaitBeforeRetryAsync(call, display, delay.Value).ConfigureAwait(false);
                    waited += delay.Value;
                    continue;
                }

                var status = (int)sent.Response.StatusCode;
                var retryable = status == 429 || status == 503 || (request.Idempotent && (status == 502 || status == 504));
                delay = retryable && request.Replayable ? NextDelay(retry, attempt, waited, RetryAfter(sent.Response)) : null;
                if (delay == null)
                {
                    if (retryable && retry.MaxRetries > 0)
                    {
                        call.Log.Verbose(request.Replayable
                            ? $"HTTP {status} from {display}: no retry left within {retry.MaxRetries} retries and {retry.MaxTotalWait.TotalSeconds:0.###} s of waiting."
                            : $"HTTP {status} from {display}: not retried, because the request body cannot be sent again.");
                    }

                    sent.Retries = attempt;
                    sent.Waited = waited;
                    return sent;
                }

                sent.Dispose();
                call.Log.Verbose($"HTTP {status} from {display}; retrying in {delay.Value.TotalSeconds:0.###} s (attempt {attempt + 2} of {retry.MaxRetries + 1}).");
                await WaitBeforeRetryAsync(call, display, delay.Value).ConfigureAwait(false);
                waited += delay.Value;
            }
        }

        /// <summary>A wait the call's budget cannot cover ends the call at once, rather than at its deadline.</summary>
        private Task WaitBeforeRetryAsync(CallContext call, Uri display, TimeSpan delay)
        {
            if (call.Budget is { } budget && delay >= budget.Remaining)
            {
                call.Log.Verbose($"Waiting {delay.TotalSeconds:0.###} s to retry {display} would pass the call's {budget.Limit.TotalSeconds:0.###} s limit.");
                throw new ProviderUnreachableException(call.Provider, display, true, budget.Limit, null);
            }

            return _clock.Delay(delay, call.Cancellation);
        }

        /// <summary>The wait before the next attempt, or null when no attempt or wait budget is left.</summary>
        private static TimeSpan? NextDelay(RetryPolicy policy, int attempt, TimeSpan waited, TimeSpan? retryAfter)
        {
            if (attempt >= policy.MaxRetries)
            {
                return null;
            }

            var delay = retryAfter ?? policy.Interval ?? Backoff(policy, attempt);
            return waited + delay > policy.MaxTotalWait ? (TimeSpan?)null : delay;
        }

        private static TimeSpan Backoff(RetryPolicy policy, int attempt)
        {
            var ceiling = Math.Min(policy.MaxDelay.TotalMilliseconds, policy.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt));
            double fraction;
            lock (Jitter)
            {
                fraction = 0.5 + (Jitter.NextDouble() * 0.5);
            }

            return TimeSpan.FromMilliseconds(ceiling * fraction);
        }

        private TimeSpan? RetryAfter(HttpResponseMessage response)
        {
            var header = response.Headers.RetryAfter;
            if (header?.Delta is { } delta)
            {
                return delta;
            }

            if (header?.Date is { } date)
            {
                var wait = date - _clock.GetUtcNow();
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }

            return null;
        }
    }
}
