using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using TokenAuth.Json;
using TokenAuth.Logging;
using TokenAuth.Providers;

namespace TokenAuth.Requests
{
    public enum ResponseKind
    {
        Empty,
        Json,
        Text,
        Bytes,
        File,
    }

    /// <summary>A provider's answer: status, headers and the body in the form the request asked for.</summary>
    public sealed class ApiResponse
    {
        private readonly HttpResponseHeaders _responseHeaders;
        private readonly HttpContentHeaders _contentHeaders;
        private IReadOnlyDictionary<string, string[]>? _headers;
        private readonly JsonElement? _json;
        private object? _content;
        private bool _contentFromJson;

        internal ApiResponse(int statusCode, string? reasonPhrase, HttpResponseHeaders responseHeaders, HttpContentHeaders contentHeaders,
            ResponseKind kind, object? content, long contentLength, bool tokenFromCache, int retries, TimeSpan elapsed, Uri displayEndpoint, Uri answeredUri)
        {
            AnsweredUri = answeredUri;
            StatusCode = statusCode;
            // The server's own words, shown in Verbose and to scripts: printable, as every other provider text is.
            ReasonPhrase = reasonPhrase == null ? null : Redaction.Printable(reasonPhrase);
            _responseHeaders = responseHeaders;
            _contentHeaders = contentHeaders;
            ContentType = contentHeaders.ContentType?.ToString();
            Kind = kind;
            if (content is JsonElement json)
            {
                _json = json;
            }
            else
            {
                _content = content;
            }

            ContentLength = contentLength;
            TokenFromCache = tokenFromCache;
            Retries = retries;
            Elapsed = elapsed;
            DisplayEndpoint = displayEndpoint;
        }

        public int StatusCode { get; }

        public string? ReasonPhrase { get; }

        public bool IsSuccess => StatusCode >= 200 && StatusCode < 300;

        /// <summary>Response and content headers, copied on first use (most callers never look).</summary>
        public IReadOnlyDictionary<string, string[]> Headers => _headers ??= CollectHeaders();

        public string? ContentType { get; }

        public ResponseKind Kind { get; }

        /// <summary>
        /// Json: dictionaries, lists and scalars (see <see cref="JsonValues"/>), made on first use; Text: a string;
        /// Bytes: a byte array; File: the full path written; Empty: null.
        /// </summary>
        public object? Content
        {
            get
            {
                if (_json is { } json && !_contentFromJson)
                {
                    _content = JsonValues.ToObject(json);
                    _contentFromJson = true;
                }

                return _content;
            }
        }

        /// <summary>A JSON answer made into the caller's own objects straight from the parsed JSON, rather than from <see cref="Content"/>'s dictionaries.</summary>
        public bool TryBuildJson(IJsonObjectBuilder builder, out object? content)
        {
            content = _json is { } json ? JsonValues.Build(json, builder) : null;
            return _json.HasValue;
        }

        /// <summary>Bytes received.</summary>
        public long ContentLength { get; }

        public bool TokenFromCache { get; }

        public int Retries { get; }

        public TimeSpan Elapsed { get; }

        /// <summary>The URI finally answered (after redirects) as messages show it: query values removed. Never requested.</summary>
        public Uri DisplayEndpoint { get; }

        /// <summary>The same, query included: what a relative next link resolves against. Never shown.</summary>
        internal Uri AnsweredUri { get; }

        /// <summary>
        /// The file an -OutFile request wrote, read back as the answer would have been returned without it (-PassThru),
        /// by the same rule (<see cref="ResponseContent.KindFor"/>): JSON parsed, other text as a string, anything else as bytes.
        /// </summary>
        /// <param name="mode">The form asked for, as <see cref="ApiRequest.ResponseMode"/> asks it of an answer read whole.</param>
        public (ResponseKind Kind, object? Content) ReadOutFile(ResponseMode mode = ResponseMode.Auto)
        {
            if (Kind != ResponseKind.File)
            {
                throw new InvalidOperationException("The answer was not written to a file.");
            }

            var path = (string)Content!;
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length == 0)
            {
                return (ResponseKind.Empty, null);
            }

            switch (ResponseContent.KindFor(mode, _contentHeaders.ContentType?.MediaType))
            {
                case ResponseKind.Bytes:
                    return (ResponseKind.Bytes, bytes);
                case ResponseKind.Json:
                    try
                    {
                        using (var document = JsonDocument.Parse(bytes))
                        {
                            return (ResponseKind.Json, JsonValues.ToObject(document.RootElement));
                        }
                    }
                    catch (JsonException)
                    {
                        // A server's word for its type is not proof: as for an answer read whole, JSON that is not is text.
                        return (ResponseKind.Text, Decode(bytes));
                    }

                default:
                    return (ResponseKind.Text, Decode(bytes));
            }
        }

        /// <summary>Text as HttpContent reads an answer whole: a byte order mark first, else the charset named, else UTF-8.</summary>
        private string Decode(byte[] bytes)
        {
            var encoding = Encoding.UTF8;
            var charset = _contentHeaders.ContentType?.CharSet?.Trim('"');
            if (!string.IsNullOrEmpty(charset))
            {
                try
                {
                    encoding = Encoding.GetEncoding(charset);
                }
                catch (ArgumentException)
                {
                    // A charset .NET does not know: UTF-8, what most text on the web is in.
                }
            }

            using var reader = new StreamReader(new MemoryStream(bytes), encoding, detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }

        /// <summary>A page's items (JSON) in place of the page.</summary>
        internal ApiResponse WithItems(List<object?> items) =>
            new ApiResponse(StatusCode, ReasonPhrase, _responseHeaders, _contentHeaders, ResponseKind.Json, items, ContentLength, TokenFromCache, Retries, Elapsed,
                DisplayEndpoint, AnsweredUri) { _headers = _headers };

        private IReadOnlyDictionary<string, string[]> CollectHeaders()
        {
            var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
            foreach (var header in _responseHeaders.Concat<KeyValuePair<string, IEnumerable<string>>>(_contentHeaders))
            {
                headers[header.Key] = header.Value.ToArray();
            }

            return headers;
        }
    }
}
