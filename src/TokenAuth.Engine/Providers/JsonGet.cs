using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading.Tasks;
using TokenAuth.Http;

namespace TokenAuth.Providers
{
    /// <summary>
    /// One GET that accepts JSON, with the given headers and nothing else of ours: a discovery document, a managed
    /// identity endpoint's token.
    /// </summary>
    internal sealed class JsonGet : IRequestFactory
    {
        private readonly IReadOnlyList<KeyValuePair<string, string>> _headers;

        public JsonGet(Uri endpoint, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
        {
            Endpoint = endpoint;
            _headers = headers ?? Array.Empty<KeyValuePair<string, string>>();
        }

        public Uri Endpoint { get; }

        public bool Idempotent => true;

        public bool Replayable => true;

        public TimeSpan? HeadersTimeout => null;

        public TimeSpan? StallTimeout => null;

        public ValueTask BeforeRetryAsync() => default;

        public HttpRequestMessage Create()
        {
            var message = new HttpRequestMessage(HttpMethod.Get, Endpoint);
            message.Headers.Accept.Add(TokenCalls.AcceptJson);
            foreach (var header in _headers)
            {
                message.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            return message;
        }
    }
}
