using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Tasks;
using TokenAuth.Http;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>A call to a pipeline's OIDC endpoint: GET, or POST with an empty JSON object; its bearer token and nothing else of ours.</summary>
    internal sealed class AssertionEndpointCall : IRequestFactory
    {
        private readonly HttpMethod _method;
        private readonly string _bearer;

        public AssertionEndpointCall(HttpMethod method, Uri endpoint, string bearer)
        {
            _method = method;
            Endpoint = endpoint;
            _bearer = bearer;
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
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _bearer);
            if (_method == HttpMethod.Post)
            {
                message.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }

            return message;
        }
    }
}
