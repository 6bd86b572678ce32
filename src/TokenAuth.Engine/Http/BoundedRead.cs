using System;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;

namespace TokenAuth.Http
{
    /// <summary>Reads a provider's answer only up to a limit, so that a misbehaving provider cannot make the session hold what it sends.</summary>
    internal static class BoundedRead
    {
        /// <summary>How much of a body that is not the caller's result (an error page) is read: its first 64 KiB, after decompression.</summary>
        public const int MaxErrorBodyBytes = 64 * 1024;

        /// <summary>
        /// The first <see cref="MaxErrorBodyBytes"/> of a body, as text, and whether that was all of it. The rest is never
        /// read, so neither a huge (or highly compressed) error page nor one that stalls past the cap costs memory or time.
        /// </summary>
        public static async Task<BodyPrefix> ReadPrefixAsync(HttpContent content, CancellationToken cancellationToken)
        {
            var (buffer, complete) = await ReadUpToAsync(content, MaxErrorBodyBytes, cancellationToken).ConfigureAwait(false);
            return new BodyPrefix(Decode(buffer, content), complete);
        }

        /// <summary>
        /// The body, or null when it is larger than <paramref name="limit"/> bytes: refused unread when Content-Length
        /// says so, else as soon as the bytes read pass the limit.
        /// </summary>
        /// <param name="cancellationToken">
        /// The attempt's time: on .NET 8 a read stops at once when it is up (disposing the response alone would first
        /// try for 2 s to drain the connection).
        /// </param>
        public static async Task<MemoryStream?> ReadWithinAsync(HttpContent content, long limit, CancellationToken cancellationToken)
        {
            if (content.Headers.ContentLength > limit)
            {
                return null;
            }

            var (buffer, complete) = await ReadUpToAsync(content, limit, cancellationToken).ConfigureAwait(false);
            return complete ? buffer : null;
        }

        /// <summary>At most <paramref name="limit"/> bytes of the body, and whether the body ended within them; nothing past the limit is kept.</summary>
        private static async Task<(MemoryStream Buffer, bool Complete)> ReadUpToAsync(HttpContent content, long limit, CancellationToken cancellationToken)
        {
            var buffer = new MemoryStream();
            var chunk = new byte[16384];
            using (var body = await content.ReadAsStreamAsync().ConfigureAwait(false))
            {
                int read;
                while ((read = await body.ReadAsync(chunk, 0, chunk.Length, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (buffer.Length + read > limit)
                    {
                        buffer.Write(chunk, 0, (int)(limit - buffer.Length));
                        buffer.Position = 0;
                        return (buffer, false);
                    }

                    buffer.Write(chunk, 0, read);
                }
            }

            buffer.Position = 0;
            return (buffer, true);
        }

        /// <summary>The error for an answer from a provider's own endpoint that passed the limit, naming the call it answered.</summary>
        public static MalformedResponseException AnswerTooLarge(CallContext call, Uri endpoint, long limit) =>
            new MalformedResponseException(call.Provider, call.Operation, endpoint, null,
                $"it is larger than the {limit.ToString("N0", CultureInfo.InvariantCulture)} bytes TokenAuth reads from a provider's own endpoints "
                + "(TokenAuthOptions.MaxProviderAnswerBytes), so it was not read past that");

        /// <summary>The body as text, in the charset its Content-Type names (UTF-8 otherwise), without a byte order mark.</summary>
        public static string Decode(MemoryStream body, HttpContent content)
        {
            var encoding = Encoding.UTF8;
            var charset = content.Headers.ContentType?.CharSet?.Trim('"');
            if (!string.IsNullOrEmpty(charset))
            {
                try
                {
                    encoding = Encoding.GetEncoding(charset);
                }
                catch (ArgumentException)
                {
                    // An unknown charset: UTF-8 is what JSON is meant to be in.
                }
            }

            var bytes = body.GetBuffer();
            var length = (int)body.Length;
            var preamble = encoding.GetPreamble();
            var start = preamble.Length > 0 && length >= preamble.Length && bytes.AsSpan(0, preamble.Length).SequenceEqual(preamble) ? preamble.Length : 0;
            return encoding.GetString(bytes, start, length - start);
        }
    }

    /// <summary>The start of a body read up to a cap, and whether it was the whole body.</summary>
    internal readonly struct BodyPrefix
    {
        public BodyPrefix(string text, bool complete)
        {
            Text = text;
            Complete = complete;
        }

        public string Text { get; }

        public bool Complete { get; }
    }
}
