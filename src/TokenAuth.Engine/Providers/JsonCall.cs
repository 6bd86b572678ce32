using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using TokenAuth.Http;

namespace TokenAuth.Providers
{
    /// <summary>
    /// One call that accepts JSON, with the given headers and nothing else of ours (a POST sends an empty JSON object):
    /// a discovery document, a managed identity endpoint's token, a pipeline's OIDC token.
    /// </summary>
    internal sealed class JsonCall : IRequestFactory
    {
        private readonly HttpMethod _method;
        private readonly IReadOnlyList<KeyValuePair<string, string>> _headers;

        public JsonCall(HttpMethod method, Uri endpoint, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
        {
            _method = method;
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
            var message = new HttpRequestMessage(_method, Endpoint);
            message.Headers.Accept.Add(TokenCalls.AcceptJson);
            foreach (var header in _headers)
            {
                message.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            if (_method == HttpMethod.Post)
            {
                message.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }

            return message;
        }
    }
}
