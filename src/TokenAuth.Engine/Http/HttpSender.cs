using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Logging;

namespace TokenAuth.Http
{
    /// <summary>What one logical call needs to know to be sent, retried and reported.</summary>
    internal sealed class SendContext
    {
        public SendContext(string provider, Uri endpoint, TimeSpan timeout, RetryPolicy retry, bool idempotent, ITokenAuthLog? log, CallBudget? budget)
        {
            Provider = provider;
            DisplayEndpoint = Redaction.RedactUri(endpoint);
            Timeout = timeout;
            Retry = retry;
            Idempotent = idempotent;
            Log = log;
            Budget = budget;
        }

        public string Provider { get; }

        /// <summary>The endpoint as it may be shown: query values removed.</summary>
        public Uri DisplayEndpoint { get; }

        public TimeSpan Timeout { get; }

        public RetryPolicy Retry { get; }

        /// <summary>Whether 502 and 504 may be retried, and connection failures.</summary>
        public bool Idempotent { get; }

        public ITokenAuthLog? Log { get; }

        /// <summary>The whole call's time, shared by its attempts and waits; null: only the per-attempt timeout applies.</summary>
        public CallBudget? Budget { get; }

        /// <summary>The time the next attempt may take: the per-attempt timeout, or what is left of the budget when that is less.</summary>
        public TimeSpan AttemptTime(out bool budgetBound)
        {
            var left = Budget?.Remaining;
            budgetBound = left != null && left.Value <= Timeout;
            return budgetBound ? left!.Value : Timeout;
        }

        /// <summary>The timeout error, naming the endpoint and the limit that ran out.</summary>
        public ProviderUnreachableException TimeoutError(bool budgetBound) =>
            new ProviderUnreachableException(Provider, DisplayEndpoint, true, budgetBound ? Budget!.Limit : Timeout, null);
    }

    /// <summary>A response, with the time allowed for reading its body still running.</summary>
    internal sealed class SentResponse : IDisposable
    {
        private readonly CancellationTokenSource _attempt;
        private readonly CancellationToken _caller;
        private readonly bool _budgetBound;
        private readonly bool _bodyBuffered;

        public SentResponse(SendContext context, HttpResponseMessage response, CancellationTokenSource attempt, bool budgetBound, CancellationToken caller,
            bool bodyBuffered, int retries, TimeSpan waited, TimeSpan elapsed)
        {
            Context = context;
            Response = response;
            _attempt = attempt;
            _budgetBound = budgetBound;
            _caller = caller;
            _bodyBuffered = bodyBuffered;
            Retries = retries;
            Waited = waited;
            Elapsed = elapsed;
        }

        public SendContext Context { get; }

        public HttpResponseMessage Response { get; }

        public int Retries { get; }

        /// <summary>Time spent waiting between attempts.</summary>
        public TimeSpan Waited { get; }

        /// <summary>Time until the response headers arrived, waits included.</summary>
        public TimeSpan Elapsed { get; }

        /// <summary>Cancelled by the caller or when the attempt's time is up.</summary>
        public CancellationToken Token => _attempt.Token;

        /// <summary>
        /// Reads the body within the attempt's time. Body reads do not all take a cancellation token (and none do on
        /// .NET Framework), so the response is disposed when the time is up or the caller cancels: a body that stalls
        /// ends in a timeout naming the endpoint, a Ctrl+C in a cancellation. A body that breaks off is the provider's
        /// failure (ProviderUnreachable); <paramref name="read"/> reports failures of its own (a file) as TokenAuth errors.
        /// A body already buffered within the attempt's time has nothing left to wait for.
        /// </summary>
        public Task<T> ReadAsync<T>(Func<HttpContent, Task<T>> read) => ReadAsync(static (content, read) => read(content), read);

        /// <summary>The same, with what <paramref name="read"/> needs passed in rather than captured: nothing allocated per call.</summary>
        public Task<T> ReadAsync<TState, T>(Func<HttpContent, TState, Task<T>> read, TState state) =>
            _bodyBuffered ? read(Response.Content, state) : ReadWithinAttemptAsync(read, state);

        private async Task<T> ReadWithinAttemptAsync<TState, T>(Func<HttpContent, TState, Task<T>> read, TState state)
        {
            using (_attempt.Token.Register(response => ((HttpResponseMessage)response!).Dispose(), Response))
            {
                try
                {
                    return await read(Response.Content, state).ConfigureAwait(false);
                }
                catch (Exception ex) when (_attempt.IsCancellationRequested && !(ex is TokenAuthException))
                {
                    _caller.ThrowIfCancellationRequested();
                    throw TimeoutError();
                }
                catch (Exception ex) when (ex is IOException || ex is HttpRequestException)
                {
                    throw ProviderUnreachableException.BrokenOff(Context.Provider, Context.DisplayEndpoint, ex);
                }
            }
        }

        public ProviderUnreachableException TimeoutError() => Context.TimeoutError(_budgetBound);

        public void Dispose()
        {
            Response.Dispose();
            _attempt.Dispose();
        }
    }

    /// <summary>
    /// Sends one logical call: retries 429 and 503 (and 502, 504 and connection failures when the call is idempotent),
    /// honours Retry-After in both its forms, otherwise backs off exponentially with jitter, within a cap on attempts
    /// and on the total wait. A timeout applies to each attempt; the caller's cancellation ends every wait at once.
    /// </summary>
    internal sealed class HttpSender
    {
        private static readonly Random Jitter = new Random();

        private readonly HttpClient _client;
        private readonly TimeProvider _clock;

        public HttpSender(HttpClient client, TimeProvider clock)
        {
            _client = client;
            _clock = clock;
        }

        /// <param name="createRequest">Makes a fresh request message for each attempt from <paramref name="parts"/>.</param>
        /// <param name="replayable">False when the body can be sent only once: then nothing is retried.</param>
        /// <param name="bufferSuccessBody">
        /// Read a successful answer's body within the attempt, where one that breaks off is retried like a lost
        /// connection. Other bodies (errors, redirects) are never buffered here: their readers take only what they need.
        /// </param>
        public async Task<SentResponse> SendAsync<TParts>(SendContext context, Func<TParts, HttpRequestMessage> createRequest, TParts parts, bool replayable,
            bool bufferSuccessBody, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            var waited = TimeSpan.Zero;
            for (var attempt = 0; ; attempt++)
            {
                // Linked to the caller only when the caller can cancel; either way the attempt's own timer ends it.
                var allowed = context.AttemptTime(out var budgetBound);
                if (allowed <= TimeSpan.Zero)
                {
                    throw context.TimeoutError(budgetBound);
                }

                var attemptTime = cancellationToken.CanBeCanceled
                    ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
                    : new CancellationTokenSource();
                attemptTime.CancelAfter(allowed);
                HttpResponseMessage? response = null;
                var buffered = false;
                TimeSpan? delay;
                try
                {
                    using (var request = createRequest(parts))
                    {
                        KeepConnectionsFresh(request.RequestUri!);
                        response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptTime.Token).ConfigureAwait(false);
                    }

                    if (bufferSuccessBody && response.IsSuccessStatusCode)
                    {
                        await BufferAsync(response, attemptTime.Token).ConfigureAwait(false);
                        buffered = true;
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    response?.Dispose();
                    attemptTime.Dispose();
                    throw context.TimeoutError(budgetBound);
                }
                catch (OperationCanceledException)
                {
                    response?.Dispose();
                    attemptTime.Dispose();
                    throw;
                }
                catch (Exception ex) when (ex is HttpRequestException || ex is IOException)
                {
                    response?.Dispose();
                    attemptTime.Dispose();
                    delay = replayable && context.Idempotent ? NextDelay(context.Retry, attempt, waited, null) : null;
                    if (delay == null)
                    {
                        throw new ProviderUnreachableException(context.Provider, context.DisplayEndpoint, false, null, ex);
                    }

                    context.Log.Verbose($"Connection to {context.DisplayEndpoint} failed; retrying in {delay.Value.TotalSeconds:0.###} s (attempt {attempt + 2} of {context.Retry.MaxRetries + 1}).");
                    await WaitBeforeRetryAsync(context, delay.Value, cancellationToken).ConfigureAwait(false);
                    waited += delay.Value;
                    continue;
                }

                var status = (int)response.StatusCode;
                var retryable = status == 429 || status == 503 || (context.Idempotent && (status == 502 || status == 504));
                delay = retryable && replayable ? NextDelay(context.Retry, attempt, waited, RetryAfter(response)) : null;
                if (delay == null)
                {
                    if (retryable && context.Retry.MaxRetries > 0)
                    {
                        context.Log.Verbose(replayable
                            ? $"HTTP {status} from {context.DisplayEndpoint}: no retry left within {context.Retry.MaxRetries} retries and {context.Retry.MaxTotalWait.TotalSeconds:0.###} s of waiting."
                            : $"HTTP {status} from {context.DisplayEndpoint}: not retried, because the request body cannot be sent again.");
                    }

                    return new SentResponse(context, response, attemptTime, budgetBound, cancellationToken, buffered, attempt, waited, HttpMethods.Since(started));
                }

                response.Dispose();
                attemptTime.Dispose();
                context.Log.Verbose($"HTTP {status} from {context.DisplayEndpoint}; retrying in {delay.Value.TotalSeconds:0.###} s (attempt {attempt + 2} of {context.Retry.MaxRetries + 1}).");
                await WaitBeforeRetryAsync(context, delay.Value, cancellationToken).ConfigureAwait(false);
                waited += delay.Value;
            }
        }

        /// <summary>
        /// Buffers the body as HttpClient's ResponseContentRead would. LoadIntoBufferAsync takes no cancellation token
        /// before .NET 9, so the attempt's end disposes the response, and the failure that follows is reported as that end.
        /// </summary>
        private static async Task BufferAsync(HttpResponseMessage response, CancellationToken attempt)
        {
            using (attempt.Register(static message => ((HttpResponseMessage)message!).Dispose(), response))
            {
                try
                {
                    await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);
                }
                catch (Exception) when (attempt.IsCancellationRequested)
                {
                    throw new OperationCanceledException(attempt);
                }
            }
        }

        /// <summary>A wait the call's budget cannot cover ends the call at once, rather than at its deadline.</summary>
        private static Task WaitBeforeRetryAsync(SendContext context, TimeSpan delay, CancellationToken cancellationToken)
        {
            if (context.Budget is { } budget && delay >= budget.Remaining)
            {
                context.Log.Verbose($"Waiting {delay.TotalSeconds:0.###} s to retry {context.DisplayEndpoint} would pass the call's {budget.Limit.TotalSeconds:0.###} s limit.");
                throw context.TimeoutError(budgetBound: true);
            }

            return Task.Delay(delay, cancellationToken);
        }

        /// <summary>The wait before the next attempt, or null when no attempt or wait budget is left.</summary>
        private static TimeSpan? NextDelay(RetryPolicy policy, int attempt, TimeSpan waited, TimeSpan? retryAfter)
        {
            if (attempt >= policy.MaxRetries)
            {
                return null;
            }

            var delay = retryAfter ?? Backoff(policy, attempt);
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

#if NET8_0_OR_GREATER
        private static void KeepConnectionsFresh(Uri uri)
        {
            // SocketsHttpHandler recycles pooled connections itself (PooledConnectionLifetime).
        }
#else
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> RecycledOrigins =
            new System.Collections.Concurrent.ConcurrentDictionary<string, bool>(StringComparer.OrdinalIgnoreCase);

        /// <summary>On .NET Framework, connections live on ServicePoints: give each origin a lease so DNS changes are seen.</summary>
        private static void KeepConnectionsFresh(Uri uri)
        {
            if (RecycledOrigins.TryAdd(uri.GetLeftPart(UriPartial.Authority), true))
            {
                ServicePointManager.FindServicePoint(uri).ConnectionLeaseTimeout = (int)SharedHttpClients.ConnectionLifetime.TotalMilliseconds;
            }
        }
#endif
    }
}
