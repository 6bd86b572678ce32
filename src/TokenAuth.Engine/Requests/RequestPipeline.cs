using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Providers;
using TokenAuth.Requests;
using TokenAuth.Tokens;

namespace TokenAuth
{
    /// <summary>The authenticated request pipeline: where a request may go, its token, 401 renewal, redirects, bodies.</summary>
    public sealed partial class TokenAuthEngine
    {
        private const int DownloadChunkBytes = 81920;
        private const long MaxPreallocationBytes = 8 << 20;

        /// <summary>
        /// Sends a request with the session's token for <paramref name="request"/>. The token goes only to the
        /// provider's own origin; a 401 renews the token and sends the request once more; throttling and transient
        /// faults are retried per <see cref="TokenAuthOptions.Retry"/>. Non-success answers raise a
        /// <see cref="ProviderErrorException"/> unless <see cref="ApiRequest.SkipHttpErrorCheck"/> is set.
        /// </summary>
        public Task<ApiResponse> SendAsync(TokenRequest request, ApiRequest apiRequest, ITokenAuthLog? log = null, CancellationToken cancellationToken = default) =>
            SendAsync(request, apiRequest, log, cancellationToken, ProviderOperation.Request);

        private async Task<ApiResponse> SendAsync(TokenRequest request, ApiRequest apiRequest, ITokenAuthLog? log, CancellationToken cancellationToken, ProviderOperation operation)
        {
            var target = request.Target;
            var uri = ResolveUri(target, apiRequest.Uri);
            CheckCallerHeaders(target, apiRequest);

            var started = Stopwatch.GetTimestamp();
            var budget = CallBudget.Starting(apiRequest.Timeout);
            var tokenResult = await GetTokenAsync(request, false, log, cancellationToken, budget).ConfigureAwait(false);
            var token = tokenResult.Token;
            var exchange = await SendFollowingRedirectsAsync(target, apiRequest, uri, token, log, budget, cancellationToken).ConfigureAwait(false);
            var retries = exchange.Sent.Retries;
            if (exchange.Sent.Response.StatusCode == HttpStatusCode.Unauthorized && exchange.AuthorizationSent)
            {
                if (apiRequest.Body?.Replayable == false)
                {
                    log.Verbose($"HTTP 401 from {exchange.DisplayUri}: the token was refused, and the request body cannot be sent again, so it is not retried.");
                }
                else
                {
                    log.Verbose($"HTTP 401 from {exchange.DisplayUri}: the token was refused; forgetting it and sending the request once more with a new one.");
                    exchange.Sent.Dispose();
                    _cache.RemoveIfCurrent(token);
                    token = (await GetTokenAsync(request, false, log, cancellationToken, budget).ConfigureAwait(false)).Token;
                    exchange = await SendFollowingRedirectsAsync(target, apiRequest, uri, token, log, budget, cancellationToken).ConfigureAwait(false);
                    retries += 1 + exchange.Sent.Retries;
                }
            }

            using (exchange.Sent)
            {
                var response = exchange.Sent.Response;
                var status = (int)response.StatusCode;
                if (!response.IsSuccessStatusCode && !apiRequest.SkipHttpErrorCheck)
                {
                    var errorBody = await exchange.Sent.ReadAsync(ReadErrorBodyAsync, exchange.Sent.Token).ConfigureAwait(false);
                    log.Verbose($"{apiRequest.Method} {exchange.DisplayUri}: HTTP {status} in {HttpMethods.Since(started).TotalMilliseconds:0} ms after {retries} retries.");
                    throw TokenProtocol.ReadError(target, operation, exchange.DisplayUri, response.StatusCode,
                        response.Content.Headers.ContentType?.MediaType, errorBody, SensitiveValues(request, token));
                }

                var (kind, content, length) = await ReadContentAsync(apiRequest, exchange, log).ConfigureAwait(false);
                var elapsed = HttpMethods.Since(started);
                if (log != null && log.IsEnabled(LogLevel.Verbose))
                {
                    log.Write(LogLevel.Verbose, $"{apiRequest.Method} {exchange.DisplayUri}: HTTP {status} {response.ReasonPhrase} in {elapsed.TotalMilliseconds:0} ms, "
                        + $"{length} bytes, {retries} retries, {exchange.Sent.Waited.TotalSeconds:0.###} s waited, token {(tokenResult.FromCache ? "from the cache" : "newly obtained")}.");
                }

                return new ApiResponse(status, response.ReasonPhrase, response.Headers, response.Content.Headers,
                    kind, content, length, tokenResult.FromCache, retries, elapsed, exchange.DisplayUri, response.RequestMessage?.RequestUri ?? uri);
            }
        }

        /// <summary>
        /// The caller's headers are added unparsed, so each is checked once here: a line break in a value would start
        /// another header on the wire.
        /// </summary>
        private static void CheckCallerHeaders(ProviderTarget target, ApiRequest apiRequest)
        {
            foreach (var header in apiRequest.Headers)
            {
                if (string.Equals(header.Key, "Authorization", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidRequestException(target.ProviderName, "The Authorization header is set by TokenAuth from the session's token; remove it from the request's headers.");
                }

                if (HeaderValues.Refusal(header.Key, header.Value) is { } refusal)
                {
                    throw new InvalidRequestException(target.ProviderName, refusal);
                }
            }
        }

        /// <summary>
        /// A relative path goes below the base URI (prefix kept), and may not climb out of it with "..": a piped path
        /// must not reach the provider's other services on the same host. An absolute URI must be on the provider's own origin.
        /// </summary>
        private static Uri ResolveUri(ProviderTarget target, string uri)
        {
            if (Uri.TryCreate(uri, UriKind.Absolute, out var absolute) && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps))
            {
                if (!target.IsSameOrigin(absolute))
                {
                    throw new UnsafeRequestException(target.ProviderName,
                        $"{Redaction.RedactUri(absolute)} is not on {target.ProviderName}'s origin ({target.BaseUri.GetLeftPart(UriPartial.Authority)}): "
                        + "the token would leave the provider, so the request was not sent. Use a path relative to the base URI, or the provider's own address.");
                }

                return absolute;
            }

            if (uri.StartsWith("//", StringComparison.Ordinal) || uri.Contains("://") || uri.StartsWith("\\", StringComparison.Ordinal))
            {
                throw new UnsafeRequestException(target.ProviderName, $"'{Redaction.WithoutUserInfo(PathOf(uri))}' is not a path below {target.ProviderName}'s base URI nor one of its own absolute URIs; the request was not sent.");
            }

            // Without a '.' written plainly or as %2e, no segment can be "..": the common path costs one scan.
            var resolved = target.Endpoint(uri);
            if ((uri.IndexOf('.') >= 0 || uri.IndexOf("%2e", StringComparison.OrdinalIgnoreCase) >= 0) && (ClimbsOut(PathOf(uri)) || !target.IsBelowBase(resolved)))
            {
                throw new UnsafeRequestException(target.ProviderName,
                    $"'{PathOf(uri)}' climbs out of {target.ProviderName}'s base URI ({target.BaseUri}) with '..'; the request was not sent. Give the provider's own absolute URI to reach another path.");
            }

            return resolved;
        }

        private static string PathOf(string uri) => uri.Split('?', '#')[0];

        /// <summary>
        /// True when a segment of the path, once percent-decoded, is "..": decoded first, so that %2e%2e and an encoded
        /// separator (..%2f) are caught too, whichever of them a server behind the provider would decode.
        /// </summary>
        private static bool ClimbsOut(string path) => Uri.UnescapeDataString(path).Split('/', '\\').Contains("..");

        private sealed class Exchange
        {
            public Exchange(SentResponse sent, bool authorizationSent)
            {
                Sent = sent;
                AuthorizationSent = authorizationSent;
            }

            public SentResponse Sent { get; }

            public Uri DisplayUri => Sent.Context.DisplayEndpoint;

            /// <summary>False once a redirect led away from the provider's origin and the token was withheld.</summary>
            public bool AuthorizationSent { get; }
        }

        /// <summary>
        /// Sends and follows redirects. Within the provider's origin the token goes along; a redirect to another
        /// origin is followed without the Authorization header (or the caller's sensitive headers); a redirect from
        /// https to plain http outside loopback is refused.
        /// </summary>
        private async Task<Exchange> SendFollowingRedirectsAsync(ProviderTarget target, ApiRequest apiRequest, Uri uri, AccessToken token,
            ITokenAuthLog? log, CallBudget? budget, CancellationToken cancellationToken)
        {
            var method = apiRequest.Method;
            var body = apiRequest.Body;
            var withToken = true;
            var retry = Options.Retry.With(apiRequest.MaxRetries);
            // A body that is returned whole is read within the attempt, where a body that breaks off is retried like a
            // lost connection; one streamed to a file, or read only up to a limit, is read afterwards.
            var bufferSuccessBody = apiRequest.OutFile == null && apiRequest.AnswerLimit == null;
            for (var redirects = 0; ; redirects++)
            {
                var context = new SendContext(target.ProviderName, uri, Options.Timeout, retry, IsIdempotent(method), log, budget);
                var authorization = withToken ? token.AuthorizationHeaderValue : null;
                var sent = await _sender.SendAsync(context, static parts => BuildMessage(parts.apiRequest, parts.method, parts.uri, parts.body, parts.authorization, parts.log),
                    (apiRequest, method, uri, body, authorization, log), body?.Replayable ?? true, bufferSuccessBody, cancellationToken).ConfigureAwait(false);

                var status = (int)sent.Response.StatusCode;
                var location = sent.Response.Headers.Location;
                if (status < 300 || status > 399 || status == 304 || location == null)
                {
                    return new Exchange(sent, withToken);
                }

                var next = location.IsAbsoluteUri ? location : new Uri(uri, location);
                var keepsMethod = status == 307 || status == 308;
                if (redirects >= Options.MaxRedirects || (keepsMethod && body?.Replayable == false))
                {
                    log.Verbose($"HTTP {status} from {context.DisplayEndpoint} not followed ({(redirects >= Options.MaxRedirects ? "too many redirects" : "the body cannot be sent again")}).");
                    return new Exchange(sent, withToken);
                }

                sent.Dispose();
                if ((next.Scheme != Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttp) || (next.Scheme == Uri.UriSchemeHttp && !ProviderTarget.IsLoopback(next)))
                {
                    throw new UnsafeRequestException(target.ProviderName,
                        $"{context.DisplayEndpoint} redirected to {Redaction.RedactUri(next)}, which is not https; the redirect was not followed.");
                }

                if (withToken && !target.IsSameOrigin(next))
                {
                    withToken = false;
                    log.Verbose($"{context.DisplayEndpoint} redirected to another origin ({next.GetLeftPart(UriPartial.Authority)}); following it without the Authorization header.");
                }
                else
                {
                    log.Verbose($"HTTP {status}: following the redirect to {Redaction.RedactUri(next)}.");
                }

                if (!keepsMethod && method != "GET" && method != "HEAD")
                {
                    method = "GET";
                    body = null;
                }

                uri = next;
            }
        }

        private static bool IsIdempotent(string method) => method is "GET" or "HEAD" or "PUT" or "DELETE" or "OPTIONS" or "TRACE";

        private static HttpRequestMessage BuildMessage(ApiRequest apiRequest, string method, Uri uri, RequestBody? body, string? authorization, ITokenAuthLog? log)
        {
            var message = new HttpRequestMessage(HttpMethods.For(method), uri);
            if (body != null)
            {
                message.Content = body.CreateContent();
            }

            foreach (var header in apiRequest.Headers)
            {
                // Off the provider's origin, no header that might carry a credential goes along.
                if (authorization == null && Redaction.IsSensitiveName(header.Key))
                {
                    continue;
                }

                if (!message.Headers.TryAddWithoutValidation(header.Key, header.Value) && message.Content != null)
                {
                    message.Content.Headers.Remove(header.Key);
                    message.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }

            if (message.Headers.Accept.Count == 0)
            {
                message.Headers.Accept.Add(TokenProtocol.AcceptJson);
            }

            if (authorization != null)
            {
                message.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            if (log != null && log.IsEnabled(LogLevel.Debug))
            {
                var headers = message.Content == null ? message.Headers : message.Headers.Concat(message.Content.Headers);
                log.Write(LogLevel.Debug, $"{method} {Redaction.RedactUri(uri)} headers: {Redaction.DescribeHeaders(headers)}");
                if (body != null)
                {
                    log.Write(LogLevel.Debug, "request body: " + body.DescribeForLog());
                }
            }

            return message;
        }

        /// <summary>An error body for parsing and inspection: only its start, since an error page may be huge or never end.</summary>
        private static readonly Func<HttpContent, CancellationToken, Task<BodyPrefix>> ReadErrorBodyAsync = BoundedRead.ReadPrefixAsync;

        private static Task<(ResponseKind Kind, object? Content, long Length)> ReadContentAsync(ApiRequest apiRequest, Exchange exchange, ITokenAuthLog? log) =>
            exchange.Sent.ReadAsync(static (content, parts) => ReadContentAsync(content, parts.apiRequest, parts.exchange, parts.log), (apiRequest, exchange, log));

        private static async Task<(ResponseKind Kind, object? Content, long Length)> ReadContentAsync(HttpContent content, ApiRequest apiRequest, Exchange exchange, ITokenAuthLog? log)
        {
            var sent = exchange.Sent;
            var mediaType = content.Headers.ContentType?.MediaType ?? "";
            if (apiRequest.OutFile != null)
            {
                var fullPath = Path.GetFullPath(apiRequest.OutFile);
                return (ResponseKind.File, fullPath, await DownloadAsync(content, fullPath, sent.Context.Provider, sent.Token).ConfigureAwait(false));
            }

            if (apiRequest.Method == "HEAD" || sent.Response.StatusCode == HttpStatusCode.NoContent)
            {
                return (ResponseKind.Empty, null, 0);
            }

            var isJson = mediaType.EndsWith("/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
            var isText = isJson || mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("/xml", StringComparison.OrdinalIgnoreCase)
                || mediaType.EndsWith("+xml", StringComparison.OrdinalIgnoreCase) || mediaType == "application/x-www-form-urlencoded" || mediaType == "application/javascript";
            // A provider's own answer (who-am-I) is read only up to its limit, whatever its type; an API response as
            // JSON is parsed from the bytes buffered within the attempt: no intermediate string, no copy, and the
            // buffer is still there for text.
            MemoryStream? bounded = null;
            if (apiRequest.AnswerLimit is { } limit)
            {
                bounded = await BoundedRead.ReadWithinAsync(content, limit, sent.Token).ConfigureAwait(false)
                    ?? throw AnswerTooLarge(sent.Context.Provider, ProviderOperation.WhoAmI, exchange.DisplayUri, limit);
            }
            else if (apiRequest.ResponseMode == ResponseMode.Bytes || (apiRequest.ResponseMode == ResponseMode.Auto && !isText && mediaType.Length > 0))
            {
                var bytes = await content.ReadAsByteArrayAsync().ConfigureAwait(false);
                return (bytes.Length == 0 ? ResponseKind.Empty : ResponseKind.Bytes, bytes.Length == 0 ? null : bytes, bytes.Length);
            }
            else if (apiRequest.ResponseMode != ResponseMode.Auto || !(isJson || mediaType.Length == 0))
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
                using var document = await JsonDocument.ParseAsync(body).ConfigureAwait(false);
                return (ResponseKind.Json, JsonValues.ToObject(document.RootElement), body.Length);
            }
            catch (JsonException)
            {
                log.Verbose($"The response from {exchange.DisplayUri} is not valid JSON; returning it as text.");
                var raw = bounded != null ? BoundedRead.Decode(bounded, content) : await content.ReadAsStringAsync().ConfigureAwait(false);
                return (ResponseKind.Text, raw, body.Length);
            }
        }

        /// <summary>
        /// Streams the body to a temporary file beside the target and moves it into place once complete, so a failed
        /// download never leaves a truncated file. The temporary file has a name of its own, created exclusively (a
        /// file or link already there is never opened), and only it is removed on failure. Failures on the file's side
        /// are <see cref="OutFileException"/>; the body's own read failures are left to <see cref="SentResponse.ReadAsync{T}"/>.
        /// </summary>
        private static async Task<long> DownloadAsync(HttpContent content, string fullPath, string provider, CancellationToken cancellationToken)
        {
            var partial = $"{fullPath}.{Guid.NewGuid():N}.partial";
            var created = false;
            var buffer = new byte[DownloadChunkBytes];
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
