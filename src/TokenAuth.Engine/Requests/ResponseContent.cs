using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;
using TokenAuth.Logging;
using TokenAuth.Providers;

namespace TokenAuth.Requests
{
    /// <summary>An answer's body read into what the caller asked for: parsed JSON, text, bytes, or a file written safely.</summary>
    internal static class ResponseContent
    {
        private const int DownloadChunkBytes = 81920;
        private const long MaxPreallocationBytes = 8 << 20;

        /// <summary>
        /// How a body is returned: the one rule for an answer read whole and for a file read back
        /// (<see cref="ApiResponse.ReadOutFile"/>). The form asked for (<see cref="ResponseMode.Text"/>, <see cref="ResponseMode.Bytes"/>)
        /// wins; else the media type says. Json: a JSON type, or none at all, parsed (text if it is not JSON). Text: text/*,
        /// XML, a form, a script. Bytes: any other type.
        /// </summary>
        internal static ResponseKind KindFor(ResponseMode mode, string? mediaType)
        {
            if (mode != ResponseMode.Auto)
            {
                return mode == ResponseMode.Bytes ? ResponseKind.Bytes : ResponseKind.Text;
            }

            if (string.IsNullOrEmpty(mediaType) || EndsWithEither(mediaType!, "/json", "+json"))
            {
                return ResponseKind.Json;
            }

            return mediaType!.StartsWith("text/", StringComparison.OrdinalIgnoreCase) || EndsWithEither(mediaType, "/xml", "+xml")
                || mediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
                || mediaType.Equals("application/javascript", StringComparison.OrdinalIgnoreCase)
                ? ResponseKind.Text
                : ResponseKind.Bytes;
        }

        private static bool EndsWithEither(string mediaType, string first, string second) =>
            mediaType.EndsWith(first, StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith(second, StringComparison.OrdinalIgnoreCase);

        /// <param name="answerLimit">Read only up to this many bytes, whatever the type (a provider's own answer); null: no limit.</param>
        /// <param name="resumeFrom">With -Resume, the length of the file already there (the range asked for starts after it).</param>
        public static async Task<(ResponseKind Kind, object? Content, long Length)> ReadAsync(SentResponse sent, ApiRequest apiRequest, long? answerLimit, long resumeFrom)
        {
            var content = sent.Response.Content;
            var mediaType = content.Headers.ContentType?.MediaType;
            if (apiRequest.OutFile != null)
            {
                var fullPath = Path.GetFullPath(apiRequest.OutFile);
                var length = apiRequest.Resume && sent.Response.IsSuccessStatusCode
                    ? await ResumeAsync(sent, fullPath, resumeFrom).ConfigureAwait(false)
                    : await DownloadAsync(content, fullPath, sent.Call.Provider, sent.AttemptCancellation).ConfigureAwait(false);
                return (ResponseKind.File, fullPath, length);
            }

            if (apiRequest.Method == "HEAD" || sent.Response.StatusCode == HttpStatusCode.NoContent)
            {
                return (ResponseKind.Empty, null, 0);
            }

            var kind = KindFor(apiRequest.ResponseMode, mediaType);
            // A provider's own answer (who-am-I) is read only up to its limit, whatever its type; an API response as
            // JSON is parsed from the bytes buffered within the attempt: no intermediate string, no copy, and the
            // buffer is still there for text.
            MemoryStream? bounded = null;
            if (answerLimit is { } limit)
            {
                bounded = await BoundedRead.ReadWithinAsync(content, limit, sent.AttemptCancellation).ConfigureAwait(false)
                    ?? throw BoundedRead.AnswerTooLarge(sent.Call, sent.DisplayEndpoint, limit);
            }
            else if (kind == ResponseKind.Bytes)
            {
                var bytes = await content.ReadAsByteArrayAsync().ConfigureAwait(false);
                return (bytes.Length == 0 ? ResponseKind.Empty : ResponseKind.Bytes, bytes.Length == 0 ? null : bytes, bytes.Length);
            }
            else if (kind == ResponseKind.Text)
            {
                var text = await content.ReadAsStringAsync().ConfigureAwait(false);
                return text.Length == 0 ? (ResponseKind.Empty, null, 0) : (ResponseKind.Text, text, text.Length);
            }

            if (bounded == null)
            {
                // Buffered within the attempt already, unless it is an error body the caller asked for (SkipHttpErrorCheck).
                await content.LoadIntoBufferAsync().ConfigureAwait(false);
            }

            using var body = bounded ?? await content.ReadAsStreamAsync().ConfigureAwait(false);
            if (body.Length == 0)
            {
                return (ResponseKind.Empty, null, 0);
            }

            try
            {
                // Kept as parsed, not turned into objects here: a caller that wants its own objects (PowerShell's)
                // builds them straight from the element (ApiResponse.TryBuildJson), and one that reads Content pays then.
                // Read synchronously: the body is in memory already, and the async read's machinery cost more than the read.
                using var document = JsonDocument.Parse(body);
                return (ResponseKind.Json, document.RootElement.Clone(), body.Length);
            }
            catch (JsonException)
            {
                sent.Call.Log.Verbose($"The response from {sent.DisplayEndpoint} is not valid JSON; returning it as text.");
                var raw = bounded != null ? BoundedRead.Decode(bounded, content) : await content.ReadAsStringAsync().ConfigureAwait(false);
                return (ResponseKind.Text, raw, body.Length);
            }
        }

        /// <summary>
        /// Streams the body to a temporary file beside the target and moves it into place once complete, so a failed
        /// download never leaves a truncated file. The temporary file has a name of its own, created exclusively (a
        /// file or link already there is never opened), and only it is removed on failure. Failures on the file's side
        /// are <see cref="OutFileException"/>; the body's own read failures are left to <see cref="SentResponse.ReadAsync{TState, T}"/>.
        /// </summary>
        private static async Task<long> DownloadAsync(HttpContent content, string fullPath, string provider, CancellationToken cancellationToken)
        {
            var partial = $"{fullPath}.{Guid.NewGuid():N}.partial";
            var created = false;
            try
            {
                long length = 0;
                using (var source = await content.ReadAsStreamAsync().ConfigureAwait(false))
                {
                    FileStream file;
                    try
                    {
                        file = CreateDownloadFile(partial, content.Headers.ContentLength);
                        created = true;
                    }
                    catch (Exception ex) when (IsFileFailure(ex))
                    {
                        throw new OutFileException(provider, fullPath, ex);
                    }

                    using (file)
                    {
                        length = await PumpAsync(source, file, provider, fullPath, cancellationToken).ConfigureAwait(false);
                    }
                }

                try
                {
                    ReplaceWith(partial, fullPath);
                }
                catch (Exception ex) when (IsFileFailure(ex))
                {
                    throw new OutFileException(provider, fullPath, ex);
                }

                return length;
            }
            finally
            {
                if (created && File.Exists(partial))
                {
                    File.Delete(partial);
                }
            }
        }

        /// <summary>
        /// -Resume: bytes go straight into the file as they arrive, so that a download that breaks off leaves what it
        /// got, for the next -Resume. A 206 must start where the file ends, or the file is left as it was; a server
        /// that ignores the range (200) sends the whole file, which then replaces the file once complete, with a warning.
        /// </summary>
        private static async Task<long> ResumeAsync(SentResponse sent, string fullPath, long resumeFrom)
        {
            var content = sent.Response.Content;
            var provider = sent.Call.Provider;
            if (sent.Response.StatusCode != HttpStatusCode.PartialContent)
            {
                if (resumeFrom > 0)
                {
                    sent.Call.Log.Warning($"{sent.DisplayEndpoint} ignored the range asked for (bytes from {resumeFrom}, HTTP {(int)sent.Response.StatusCode} instead of 206): "
                        + $"the whole file was downloaded again, and replaces {fullPath} once complete.");
                    return await DownloadAsync(content, fullPath, provider, sent.AttemptCancellation).ConfigureAwait(false);
                }

                // CreateNew: a file (or link) that appeared since the request was made is never written through.
                return await CopyAsync(content, fullPath, FileMode.CreateNew, provider, sent.AttemptCancellation).ConfigureAwait(false);
            }

            var start = content.Headers.ContentRange?.From;
            if (start != resumeFrom)
            {
                throw new OutFileException(provider, fullPath, new IOException(
                    $"{sent.DisplayEndpoint} sent the bytes from {(start?.ToString() ?? "an unstated position")}, not from {resumeFrom} where the file ends."));
            }

            if (resumeFrom == 0)
            {
                // No file yet, and no range was asked for: a range from the start is the file's beginning, written as new.
                return await CopyAsync(content, fullPath, FileMode.CreateNew, provider, sent.AttemptCancellation).ConfigureAwait(false);
            }

            if ((File.GetAttributes(fullPath) & FileAttributes.ReparsePoint) != 0)
            {
                throw new OutFileException(provider, fullPath, new IOException("it is a link, and -Resume appends only to a file of its own."));
            }

            return await CopyAsync(content, fullPath, FileMode.Append, provider, sent.AttemptCancellation).ConfigureAwait(false);
        }

        private static async Task<long> CopyAsync(HttpContent content, string fullPath, FileMode mode, string provider, CancellationToken cancellationToken)
        {
            using var source = await content.ReadAsStreamAsync().ConfigureAwait(false);
            FileStream file;
            try
            {
                file = new FileStream(fullPath, mode, FileAccess.Write, FileShare.None, 1, useAsync: true);
            }
            catch (Exception ex) when (IsFileFailure(ex))
            {
                throw new OutFileException(provider, fullPath, ex);
            }

            using (file)
            {
                return await PumpAsync(source, file, provider, fullPath, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>The body into the file, chunk by chunk; a failure on the file's side is an <see cref="OutFileException"/>.</summary>
        private static async Task<long> PumpAsync(Stream source, FileStream file, string provider, string fullPath, CancellationToken cancellationToken)
        {
            var buffer = new byte[DownloadChunkBytes];
            long length = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false)) > 0)
            {
                try
                {
                    await file.WriteAsync(buffer, 0, read, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsFileFailure(ex))
                {
                    throw new OutFileException(provider, fullPath, ex);
                }

                length += read;
            }

            return length;
        }

        private static bool IsFileFailure(Exception ex) => ex is IOException || ex is UnauthorizedAccessException;

        private static void ReplaceWith(string partial, string fullPath)
        {
#if NET8_0_OR_GREATER
            // One rename that replaces the old file: no moment without a file at fullPath.
            File.Move(partial, fullPath, overwrite: true);
#else
            if (File.Exists(fullPath))
            {
                File.Delete(fullPath);
            }

            File.Move(partial, fullPath);
#endif
        }

        /// <summary>
        /// The file a download is written to, created new (CreateNew fails on anything already at the path, a link
        /// included). Where the length is announced, up to <see cref="MaxPreallocationBytes"/> of it is reserved up front:
        /// on ext4 that made a 1 MiB download's writes 4x cheaper (measured: 0.29 against 1.15 ms); more would let a
        /// server's Content-Length claim disk that no data ever fills.
        /// </summary>
        private static FileStream CreateDownloadFile(string path, long? announcedLength)
        {
#if NET8_0_OR_GREATER
            return new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
                PreallocationSize = Math.Min(announcedLength ?? 0, MaxPreallocationBytes),
            });
#else
            // A buffer of 1 byte is none: every write is a whole chunk, and closing the file has nothing left to fail on.
            return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, useAsync: true);
#endif
        }
    }
}
