using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using TokenAuth.Http;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// One form POST of a person's sign-in (RFC 6749 §4.1.3, RFC 8628 §3.1 and §3.4, a refresh): the standard fields as
    /// they are, never through the definition's templates (a code or refresh token is the server's text, not a template).
    /// Not idempotent: an authorization code is redeemed once. The client proves who it is as its definition says, by
    /// the same <see cref="IClientCredential"/> as its own token requests, asked once per attempt.
    /// </summary>
    internal sealed class SignInFormCall : IRequestFactory
    {
        private readonly IReadOnlyList<KeyValuePair<string, string>> _fields;
        private readonly IClientCredential? _client;

        /// <param name="client">How the client proves who it is; null: the fields alone (a device authorization request).</param>
        public SignInFormCall(Uri endpoint, IReadOnlyList<KeyValuePair<string, string>> fields, IClientCredential? client)
        {
            Endpoint = endpoint;
            _fields = fields;
            _client = client;
        }

        public Uri Endpoint { get; }

        public bool Idempotent => false;

        public bool Replayable => true;

        public TimeSpan? HeadersTimeout => null;

        public TimeSpan? StallTimeout => null;

        public ValueTask BeforeRetryAsync() => default;

        public HttpRequestMessage Create()
        {
            var proof = _client?.ForAttempt() ?? default;
            var fields = proof.Fields == null ? _fields : _fields.Concat(proof.Fields);
            var message = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = new FormUrlEncodedContent(fields) };
            message.Headers.Accept.Add(TokenCalls.AcceptJson);
            if (proof.Authorization != null)
            {
                message.Headers.TryAddWithoutValidation("Authorization", proof.Authorization);
            }

            return message;
        }
    }
}
