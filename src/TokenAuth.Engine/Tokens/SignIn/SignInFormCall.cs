using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading.Tasks;
using TokenAuth.Http;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// One form POST of a person's sign-in (RFC 6749 §4.1.3, RFC 8628 §3.1 and §3.4, a refresh): the standard fields as
    /// they are, never through the definition's templates (a code or refresh token is the server's text, not a template).
    /// Not idempotent: an authorization code is redeemed once.
    /// </summary>
    internal sealed class SignInFormCall : IRequestFactory
    {
        private readonly IReadOnlyList<KeyValuePair<string, string>> _fields;
        private readonly string? _authorization;

        public SignInFormCall(Uri endpoint, IReadOnlyList<KeyValuePair<string, string>> fields, string? authorization)
        {
            Endpoint = endpoint;
            _fields = fields;
            _authorization = authorization;
        }

        public Uri Endpoint { get; }

        public bool Idempotent => false;

        public bool Replayable => true;

        public TimeSpan? HeadersTimeout => null;

        public TimeSpan? StallTimeout => null;

        public ValueTask BeforeRetryAsync() => default;

        public HttpRequestMessage Create()
        {
            var message = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = new FormUrlEncodedContent(_fields) };
            message.Headers.Accept.Add(TokenCalls.AcceptJson);
            if (_authorization != null)
            {
                message.Headers.TryAddWithoutValidation("Authorization", _authorization);
            }

            return message;
        }
    }
}
