using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;

namespace TokenAuth.Http
{
    /// <summary>
    /// The attempt step: one attempt within its time. The attempt's own timeout, or what is left of the call's budget
    /// when that is less; a timeout names whichever ran out. The time keeps running through the body's read
    /// (<see cref="SentResponse"/>). Takes a client for the hop's connection settings, and reports a refusal in the
    /// connection's terms (a proxy, a certificate); a connection that fails otherwise is passed on as it came, for the
    /// retry step to judge.
    /// </summary>
    internal sealed class TimedAttempt : ISendStep
    {
        private readonly ClientLease? _ownClient;
        private readonly TimeProvider _clock;

        /// <param name="ownClient">Every attempt through this client, whatever its connection settings; null: the <see cref="HttpClientPool"/>.</param>
        public TimedAttempt(HttpClient? ownClient, TimeProvider clock)
        {
            _ownClient = ownClient == null ? null : new ClientLease(ownClient);
            _clock = clock;
        }

#if NET8_0_OR_GREATER
        // Pooled: a step that waits on the network would otherwise allocate its state on every request.
        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
#endif
        public async ValueTask<SentResponse> SendAsync(Exchange exchange)
        {
            var call = exchange.Call;
            var display = exchange.Display;
            var attemptTimeout = exchange.Options.Timeout;
            var budgetLeft = call.Budget?.Remaining;
            var budgetBound = budgetLeft != null && budgetLeft.Value <= attemptTimeout;
            var allowed = budgetBound ? budgetLeft!.Value : attemptTimeout;
            var limit = budgetBound ? call.Budget!.Limit : attemptTimeout;
            if (allowed <= TimeSpan.Zero)
            {
                throw new ProviderUnreachableException(call.Provider, display, true, limit, null);
            }

            // Linked to the caller only when the caller can cancel; either way the attempt's own timer ends it.
            var attemptTime = call.Cancellation.CanBeCanceled
                ? CancellationTokenSource.CreateLinkedTokenSource(call.Cancellation)
                : new CancellationTokenSource();
            _clock.CancelAfter(attemptTime, allowed);
            var lease = _ownClient ?? HttpClientPool.Acquire(exchange.Connection);
            HttpResponseMessage? response = null;
            var buffered = false;
            Uri? sentTo = null;
            try
            {
                using (var message = exchange.Request.Create())
                {
                    sentTo = message.RequestUri!;
                    KeepConnectionsFresh(sentTo);
                    // Contains, not UserAgent.Count: that parses the header on every send.
                    if (!message.Headers.Contains("User-Agent"))
                    {
                        message.Headers.TryAddWithoutValidation("User-Agent", exchange.Options.UserAgent);
                    }

                    response = await HeaderTimeoutAndStallGuard.SendAsync(lease.Client, message, exchange, attemptTime, allowed, _clock).ConfigureAwait(false);
                }

                if (ConnectionRefusal.Of(call, display, exchange.Connection, response) is { } refusal)
                {
                    throw refusal;
                }

                if (exchange.BufferSuccessBody && response.IsSuccessStatusCode)
                {
                    await BufferAsync(response, attemptTime.Token).ConfigureAwait(false);
                    buffered = true;
                }
            }
            catch (OperationCanceledException) when (!call.Cancellation.IsCancellationRequested)
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
                if (ConnectionRefusal.Of(call, display, exchange.Connection, lease.Validator, sentTo, ex) is { } refusal)
                {
                    throw refusal;
                }

                throw;
            }

            return new SentResponse(call, display, response, attemptTime, lease, limit, buffered);
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
