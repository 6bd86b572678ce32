using System;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;

namespace TokenAuth.Http
{
    /// <summary>A response, with the time allowed for reading its body still running.</summary>
    internal sealed class SentResponse : IDisposable
    {
        private readonly CancellationTokenSource _attempt;
        private readonly ClientLease _client;
        private readonly TimeSpan _limit;
        private readonly bool _bodyBuffered;

        public SentResponse(CallContext call, Uri displayEndpoint, HttpResponseMessage response, CancellationTokenSource attempt, ClientLease client, TimeSpan limit,
            bool bodyBuffered)
        {
            Call = call;
            DisplayEndpoint = displayEndpoint;
            Response = response;
            _attempt = attempt;
            _client = client;
            _limit = limit;
            _bodyBuffered = bodyBuffered;
        }

        public CallContext Call { get; }

        /// <summary>The endpoint as it may be shown: query values removed.</summary>
        public Uri DisplayEndpoint { get; }

        public HttpResponseMessage Response { get; }

        /// <summary>Attempts before this one: counted by the steps that sent it again (<see cref="TransientRetry"/>, a 401's renewal).</summary>
        public int Retries { get; set; }

        /// <summary>Time spent waiting between attempts.</summary>
        public TimeSpan Waited { get; set; }

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
}
