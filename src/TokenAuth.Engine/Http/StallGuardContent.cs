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
    /// An answer's body that may not go longer than <see cref="Limit"/> without a byte (Invoke-RestMethod's
    /// -OperationTimeoutSeconds): every read restarts the timer; when it runs out the attempt is cancelled, which ends
    /// the read, and <see cref="Stalled"/> tells the timeout from the attempt's own.
    /// </summary>
    internal sealed class StallGuardContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly ITimer _timer;
        private int _stalled;

        public StallGuardContent(HttpContent inner, TimeProvider clock, TimeSpan limit, CancellationTokenSource attempt)
        {
            _inner = inner;
            Limit = limit;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            _timer = clock.CreateTimer(static state =>
            {
                var (guard, source) = ((StallGuardContent, CancellationTokenSource))state!;
                Interlocked.Exchange(ref guard._stalled, 1);
                try
                {
                    source.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The attempt was over already.
                }
            }, (this, attempt), limit, Timeout.InfiniteTimeSpan);
        }

        public TimeSpan Limit { get; }

        public bool Stalled => Volatile.Read(ref _stalled) == 1;

        /// <summary>The timeout error of an attempt that ran out: naming the stall when this guard ended it, else the attempt's limit.</summary>
        public static ProviderUnreachableException TimeoutError(CallContext call, Uri display, HttpContent? content, TimeSpan attemptLimit) =>
            content is StallGuardContent { Stalled: true } guard
                ? new ProviderUnreachableException(call.Provider, display, true, guard.Limit, null, "no byte of the answer arrived for")
                : new ProviderUnreachableException(call.Provider, display, true, attemptLimit, null);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            using var source = await CreateContentReadStreamAsync().ConfigureAwait(false);
            await source.CopyToAsync(stream).ConfigureAwait(false);
        }

        protected override async Task<Stream> CreateContentReadStreamAsync() => new GuardedStream(await _inner.ReadAsStreamAsync().ConfigureAwait(false), this);

        protected override bool TryComputeLength(out long length)
        {
            length = _inner.Headers.ContentLength ?? -1;
            return length >= 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _timer.Dispose();
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }

        /// <summary>Bytes arrived: the limit starts again; the body's end stops the timer.</summary>
        private void Progressed(bool ended) => _timer.Change(ended ? Timeout.InfiniteTimeSpan : Limit, Timeout.InfiniteTimeSpan);

        /// <summary>Restarts the guard's timer whenever bytes arrive.</summary>
        private sealed class GuardedStream : Stream
        {
            private readonly Stream _inner;
            private readonly StallGuardContent _guard;

            public GuardedStream(Stream inner, StallGuardContent guard)
            {
                _inner = inner;
                _guard = guard;
            }

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => throw new NotSupportedException();

            public override long Position
            {
                get => throw new NotSupportedException();
                set => throw new NotSupportedException();
            }

            public override int Read(byte[] buffer, int offset, int count) => Progress(_inner.Read(buffer, offset, count));

            public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                Progress(await _inner.ReadAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false));

#if NET8_0_OR_GREATER
            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
                Progress(await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));
#endif

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    _inner.Dispose();
                }

                base.Dispose(disposing);
            }

            private int Progress(int read)
            {
                _guard.Progressed(ended: read == 0);
                return read;
            }
        }
    }
}
