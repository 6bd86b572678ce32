using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Logging;

// The Http folder is where a request is sent, retried and timed: HttpSender below, one CallContext per call, and
// every wait, timeout and budget on the engine's one clock (ClockWaits, CallBudget).
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

    /// <summary>A response, with the time allowed for reading its body still running.</summary>
    internal sealed class SentResponse : IDisposable
    {
        private readonly CancellationTokenSource _attempt;
        private readonly ClientLease _client;
        private readonly TimeSpan _limit;
        private readonly bool _bodyBuffered;

        public SentResponse(CallContext call, Uri displayEndpoint, HttpResponseMessage response, CancellationTokenSource attempt, ClientLease client, TimeSpan limit,
            bool bodyBuffered, int retries, TimeSpan waited)
        {
            Call = call;
            DisplayEndpoint = displayEndpoint;
            Response = response;
            _attempt = attempt;
            _client = client;
            _limit = limit;
            _bodyBuffered = bodyBuffered;
            Retries = retries;
            Waited = waited;
        }

        public CallContext Call { get; }

        /// <summary>The endpoint as it may be shown: query values removed.</summary>
        public Uri DisplayEndpoint { get; }

        public HttpResponseMessage Response { get; }

        public int Retries { get; }

        /// <summary>Time spent waiting between attempts.</summary>
        public TimeSpan Waited { get; }

        /// <summary>Cancelled by the caller or when the attempt's time is up: what a body read passes on.</summary>
        public CancellationToken AttemptCancellation => _attempt.Token;

        /// <summary>
        /// Reads the body within the attempt's time. Body reads do not all take a cancellation token (and none do on
        /// .NET Framework), so the response is disposed when the time is up or the caller cancels: a body that stalls
        /// ends in a timeout naming the endpoint, a Ctrl+C in a cancellation. A body that breaks off is the provider's
        /// failure (ProviderUnreachable); <paramref name="read"/> reports failures of its own (a file) as TokenAuth errors.
        /// A body already buffered within the attempt's time has nothing left to wait for.
        /// </summary>
        /// <param name="state">What <paramref name="read"/> needs, passed in rather than captured: nothing allocated per call.</param>
        public Task<T> ReadAsync<TState, T>(Func<SentResponse, TState, Task<T>> read, TState state) =>
            _bodyBuffered ? read(this, state) : ReadWithinAttemptAsync(read, state);

        private async Task<T> ReadWithinAttemptAsync<TState, T>(Func<SentResponse, TState, Task<T>> read, TState state)
        {
            using (_attempt.Token.Register(static response => ((HttpResponseMessage)response!).Dispose(), Response))
            {
                try
                {
                    var result = await read(this, state).ConfigureAwait(false);
                    // A read ended by disposing the response may end quietly, as if the body were over: it was cut short.
                    if (_attempt.IsCancellationRequested)
                    {
                        Call.Cancellation.ThrowIfCancellationRequested();
                        throw TimeoutError();
                    }

                    return result;
                }
                catch (Exception ex) when (_attempt.IsCancellationRequested && !(ex is TokenAuthException))
                {
                    Call.Cancellation.ThrowIfCancellationRequested();
                    throw TimeoutError();
                }
                catch (Exception ex) when (ex is IOException || ex is HttpRequestException)
                {
                    throw ProviderUnreachableException.BrokenOff(Call.Provider, DisplayEndpoint, ex);
                }
            }
        }

        /// <summary>An error body for parsing and inspection: only its start, since an error page may be huge or never end.</summary>
        public Task<BodyPrefix> ReadErrorBodyAsync() =>
            ReadAsync(static (sent, _) => BoundedRead.ReadPrefixAsync(sent.Response.Content, sent.AttemptCancellation), (object?)null);

        public ProviderUnreachableException TimeoutError() => StallGuardContent.TimeoutError(Call, DisplayEndpoint, Response.Content, _limit);

        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Response.Dispose();
                _attempt.Dispose();
                _client.Dispose();
            }
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

        private readonly ClientLease? _ownClient;
        private readonly TimeProvider _clock;
        private readonly Func<ISendDefaults> _options;

        /// <param name="ownClient">Every call through this client, whatever its connection settings; null: the <see cref="HttpClientPool"/>.</param>
        /// <param name="options">The session's options as they are now: Set-TokenAuthOption takes effect on the next call.</param>
        public HttpSender(HttpClient? ownClient, TimeProvider clock, Func<ISendDefaults> options)
        {
            _ownClient = ownClient == null ? null : new ClientLease(ownClient);
            _clock = clock;
            _options = options;
        }

        /// <param name="bufferSuccessBody">
        /// Read a successful answer's body within the attempt, where one that breaks off is retried like a lost
        /// connection. Other bodies (errors, redirects) are never buffered here: their readers take only what they need.
        /// </param>
        public async Task<SentResponse> SendAsync(CallContext call, IRequestFactory request, RetryPolicy retry, bool bufferSuccessBody)
        {
            var display = call.Shown(request.Endpoint);
            var cancellationToken = call.Cancellation;
            var waited = TimeSpan.Zero;
            var options = _options();
            var attemptTimeout = options.Timeout;
            var connection = call.Connection ?? options.Connection;
            if (call.Log != null && call.Log.IsEnabled(LogLevel.Debug))
            {
                call.Log.Write(LogLevel.Debug, $"{display}: {connection}.");
            }

            for (var attempt = 0; ; attempt++)
            {
                if (attempt > 0)
                {
                    await request.BeforeRetryAsync().ConfigureAwait(false);
                }

                // The attempt's own time, or what is left of the call's when that is less; a timeout names whichever ran out.
                var budgetLeft = call.Budget?.Remaining;
                var budgetBound = budgetLeft != null && budgetLeft.Value <= attemptTimeout;
                var allowed = budgetBound ? budgetLeft!.Value : attemptTimeout;
                var limit = budgetBound ? call.Budget!.Limit : attemptTimeout;
                if (allowed <= TimeSpan.Zero)
                {
                    throw new ProviderUnreachableException(call.Provider, display, true, limit, null);
                }

                // Linked to the caller only when the caller can cancel; either way the attempt's own timer ends it.
                var attemptTime = cancellationToken.CanBeCanceled
                    ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
                    : new CancellationTokenSource();
                _clock.CancelAfter(attemptTime, allowed);
                var lease = _ownClient ?? HttpClientPool.Acquire(connection);
                HttpResponseMessage? response = null;
                var buffered = false;
                TimeSpan? delay;
                Uri? sentTo = null;
                try
                {
                    using (var headersTime = request.HeadersTimeout is { } headersLimit && headersLimit < allowed
                               ? CancellationTokenSource.CreateLinkedTokenSource(attemptTime.Token) : null)
                    using (var message = request.Create())
                    {
                        if (headersTime != null)
                        {
                            _clock.CancelAfter(headersTime, request.HeadersTimeout!.Value);
                        }

                        sentTo = message.RequestUri!;
                        KeepConnectionsFresh(sentTo);
                        // Contains, not UserAgent.Count: that parses the header on every send.
                        if (!message.Headers.Contains("User-Agent"))
                        {
                            message.Headers.TryAddWithoutValidation("User-Agent", options.UserAgent);
                        }

                        try
                        {
                            response = await lease.Client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, (headersTime ?? attemptTime).Token)
                                .ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (headersTime != null && headersTime.IsCancellationRequested && !attemptTime.IsCancellationRequested)
                        {
                            throw new ProviderUnreachableException(call.Provider, display, true, request.HeadersTimeout!.Value, null, "no answer arrived for");
                        }
                    }

                    if (request.StallTimeout is { } stallLimit)
                    {
                        response.Content = new StallGuardContent(response.Content, _clock, stallLimit, attemptTime);
                    }

                    if (ConnectionRefusal.Of(call, display, connection, response) is { } refusal)
                    {
                        throw refusal;
                    }

                    if (bufferSuccessBody && response.IsSuccessStatusCode)
                    {
                        await BufferAsync(response, attemptTime.Token).ConfigureAwait(false);
                        buffered = true;
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    var timeout = StallGuardContent.TimeoutError(call, display, response?.Content, limit);
                    Release(response, attemptTime, lease);
                    throw timeout;
                }
                catch (Exception ex) when (ex is OperationCanceledException || ex is TokenAuthException)
                {
                    Release(response, attemptTime, lease);
                    throw;
                }
                catch (Exception ex) when (ex is HttpRequestException || ex is IOException)
                {
                    Release(response, attemptTime, lease);
                    if (ConnectionRefusal.Of(call, display, connection, lease.Validator, sentTo, ex) is { } refusal)
                    {
                        throw refusal;
                    }

                    delay = request.Replayable && request.Idempotent ? NextDelay(retry, attempt, waited, null) : null;
                    if (delay == null)
                    {
                        throw ConnectionRefusal.Unreachable(call, display, connection, ex);
                    }

                    call.Log.Verbose($"Connection to {display} failed; retrying in {delay.Value.TotalSeconds:0.###} s (attempt {attempt + 2} of {retry.MaxRetries + 1}).");
                    await WaitBeforeRetryAsync(call, display, delay.Value).ConfigureAwait(false);
                    waited += delay.Value;
                    continue;
                }

                var status = (int)response.StatusCode;
                var retryable = status == 429 || status == 503 || (request.Idempotent && (status == 502 || status == 504));
                delay = retryable && request.Replayable ? NextDelay(retry, attempt, waited, RetryAfter(response)) : null;
                if (delay == null)
                {
                    if (retryable && retry.MaxRetries > 0)
                    {
                        call.Log.Verbose(request.Replayable
                            ? $"HTTP {status} from {display}: no retry left within {retry.MaxRetries} retries and {retry.MaxTotalWait.TotalSeconds:0.###} s of waiting."
                            : $"HTTP {status} from {display}: not retried, because the request body cannot be sent again.");
                    }

                    return new SentResponse(call, display, response, attemptTime, lease, limit, buffered, attempt, waited);
                }

                Release(response, attemptTime, lease);
                call.Log.Verbose($"HTTP {status} from {display}; retrying in {delay.Value.TotalSeconds:0.###} s (attempt {attempt + 2} of {retry.MaxRetries + 1}).");
                await WaitBeforeRetryAsync(call, display, delay.Value).ConfigureAwait(false);
                waited += delay.Value;
            }
        }

        private static void Release(HttpResponseMessage? response, CancellationTokenSource attemptTime, ClientLease lease)
        {
            response?.Dispose();
            attemptTime.Dispose();
            lease.Dispose();
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

                // Disposing the response may end the read quietly, as if the body were over: what was buffered is cut short.
                attempt.ThrowIfCancellationRequested();
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
                ServicePointManager.FindServicePoint(uri).ConnectionLeaseTimeout = (int)HttpClientPool.ConnectionLifetime.TotalMilliseconds;
            }
        }
#endif
    }
}
