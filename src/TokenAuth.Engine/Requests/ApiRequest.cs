using System;
using System.Collections.Generic;

namespace TokenAuth.Requests
{
    public enum ResponseMode
    {
        /// <summary>JSON parsed, other text as a string, anything else as bytes.</summary>
        Auto,

        /// <summary>The body as a string, whatever its type.</summary>
        Text,

        /// <summary>The body as bytes.</summary>
        Bytes,
    }

    /// <summary>A call to a provider's API, authorised with the session's token.</summary>
    public sealed class ApiRequest
    {
        /// <param name="method">GET, POST... or any other method that is an HTTP token (REPORT, PROPFIND).</param>
        public ApiRequest(string method, string uri)
        {
            if (!Http.HeaderValues.IsToken(method))
            {
                throw new Errors.InvalidRequestException(null, $"'{method}' is not an HTTP method: a method is one word of letters, digits and !#$%&'*+-.^_`|~.");
            }

            if (string.IsNullOrWhiteSpace(uri)) throw new ArgumentException("A URI is required.", nameof(uri));
            Method = method.ToUpperInvariant();
            Uri = uri;
        }

        public string Method { get; }

        /// <summary>A path relative to the provider's base URI, or an absolute URI on the provider's own origin.</summary>
        public string Uri { get; }

        public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        public RequestBody? Body { get; set; }

        /// <summary>Return non-success responses instead of raising an error.</summary>
        public bool SkipHttpErrorCheck { get; set; }

        /// <summary>Overrides the engine's retry count for this request.</summary>
        public int? MaxRetries { get; set; }

        /// <summary>The wait between attempts when the server sends no Retry-After, instead of the engine's backoff.</summary>
        public TimeSpan? RetryInterval { get; set; }

        /// <summary>Overrides the engine's redirect limit; 0 follows none.</summary>
        public int? MaxRedirects { get; set; }

        /// <summary>Keep the method and body through a 301 or 302 (303 always turns into GET).</summary>
        public bool PreserveMethodOnRedirect { get; set; }

        /// <summary>The HTTP version asked for; a lower one is accepted where the server offers no more. Null: HTTP/1.1.</summary>
        public Version? HttpVersion { get; set; }

        /// <summary>How long each attempt may wait for the answer's headers (connecting included), within the call's limit.</summary>
        public TimeSpan? ConnectionTimeout { get; set; }

        /// <summary>How long the answer's body may go without a byte arriving, within the call's limit.</summary>
        public TimeSpan? OperationTimeout { get; set; }

        /// <summary>
        /// The most the whole call may take: the token it needs, every attempt, the waits between them, redirects and
        /// reading the response. Null: each attempt has <see cref="TokenAuthOptions.Timeout"/>, a token request
        /// <see cref="TokenAuthOptions.TokenTimeout"/>.
        /// </summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>The request for the next page: a GET of <paramref name="next"/> with this request's headers and limits.</summary>
        internal ApiRequest ForNextPage(Uri next)
        {
            var page = new ApiRequest("GET", next.AbsoluteUri)
            {
                SkipHttpErrorCheck = SkipHttpErrorCheck,
                MaxRetries = MaxRetries,
                RetryInterval = RetryInterval,
                MaxRedirects = MaxRedirects,
                HttpVersion = HttpVersion,
                ConnectionTimeout = ConnectionTimeout,
                OperationTimeout = OperationTimeout,
                Timeout = Timeout,
                ResponseMode = ResponseMode,
            };
            foreach (var header in Headers)
            {
                page.Headers[header.Key] = header.Value;
            }

            return page;
        }

        /// <summary>Stream the response body to this file instead of returning it.</summary>
        public string? OutFile { get; set; }

        /// <summary>
        /// Continue a download into <see cref="OutFile"/> from where an earlier one stopped: a range request for the
        /// bytes after the file's end, appended to it. Without it a download replaces the file only once complete;
        /// with it, bytes are written to the file as they arrive, so that a download that breaks off can be resumed.
        /// </summary>
        public bool Resume { get; set; }

        public ResponseMode ResponseMode { get; set; } = ResponseMode.Auto;
    }
}
