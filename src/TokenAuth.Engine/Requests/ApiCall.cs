using System;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Providers;
using TokenAuth.Tokens;

namespace TokenAuth.Requests
{
    /// <summary>
    /// An API call: whose it is and how long it may take (<see cref="TokenCallContext"/>), the caller's request, and the
    /// token it carries. What goes on the wire, hop by hop, is its <see cref="Wire"/>.
    /// </summary>
    internal sealed class ApiCall : TokenCallContext
    {
        private readonly TokenManager _tokens;

        public ApiCall(TokenManager tokens, TokenRequest request, ProviderOperation operation, ApiRequest apiRequest, ITokenAuthLog? log, CallBudget? budget,
            CancellationToken cancellation)
            : base(request, operation, log, budget, cancellation)
        {
            _tokens = tokens;
            ApiRequest = apiRequest;
            Wire = new WireRequest(this);
            FirstHop = null!; // Set by Start, before anything is sent.
        }

        public ApiRequest ApiRequest { get; }

        public WireRequest Wire { get; }

        /// <summary>Where the caller's request goes before any redirect.</summary>
        public Uri FirstHop { get; private set; }

        /// <summary>
        /// A provider's own endpoint (who-am-I) is read only up to <see cref="TokenAuthOptions.MaxProviderAnswerBytes"/>,
        /// whatever its type; an API response is the caller's, and streams unbounded.
        /// </summary>
        public long? AnswerLimit(TokenAuthOptions options) => Operation == ProviderOperation.Request ? (long?)null : options.MaxProviderAnswerBytes;

        /// <summary>The request from its first hop, with the token (again, once renewed after a 401).</summary>
        public void Start(Uri uri, AccessToken token)
        {
            Token = token;
            FirstHop = uri;
            ConnectVia(Request.Connection, offProvider: false);
            Wire.Start(uri, token.AuthorizationHeaderValue);
        }

        /// <summary>
        /// The next hop. Off the provider's origin the token stays behind, for good, and so, for that hop, do the client
        /// certificate and the provider's own trusted CAs.
        /// </summary>
        /// <param name="engineSessionTrust">The engine's own session CAs (<see cref="ConnectionSettings.OffProvider"/>).</param>
        public void Redirect(Uri next, bool keepsMethod, bool staysWithProvider, TrustedCertificates? engineSessionTrust)
        {
            var providerConnection = Request.Connection;
            ConnectVia(staysWithProvider || providerConnection == null ? providerConnection : providerConnection.OffProvider(engineSessionTrust), !staysWithProvider);
            Wire.Redirect(next, keepsMethod, staysWithProvider);
        }

        /// <summary>
        /// A retry after a wait (Retry-After, a backoff) re-checks the token it carries: one that reached its renewal
        /// margin meanwhile is renewed first (one request, shared as always), so no attempt sends a token past its time.
        /// </summary>
        public async ValueTask RecheckTokenAsync()
        {
            var current = await _tokens.GetAsync(Request, false, Log, Budget, Cancellation).ConfigureAwait(false);
            if (!ReferenceEquals(current.Token, Token))
            {
                Log.Verbose($"{Provider}: the token reached its renewal time while the request waited to be retried; the retry carries a renewed one.");
                Token = current.Token;
                Wire.Renewed(current.Token.AuthorizationHeaderValue);
            }
        }
    }

    /// <summary>
    /// An API call's request as it goes on the wire, one hop at a time: method, URI, body and the Authorization header
    /// change as redirects are followed; a fresh message is made from it for each attempt.
    /// </summary>
    internal sealed class WireRequest : IRequestFactory
    {
        private readonly ApiCall _call;
        private string _method;
        private RequestBody? _body;
        private string? _authorization;

        public WireRequest(ApiCall call)
        {
            _call = call;
            _method = call.ApiRequest.Method;
            Endpoint = null!; // Set by Start, before anything is sent.
        }

        public Uri Endpoint { get; private set; }

        /// <summary>With -Resume, the length of the file already there: the range asked for starts after it.</summary>
        public long ResumeFrom { get; private set; }

        /// <summary>False once a redirect led away from the provider's origin and the token was withheld.</summary>
        public bool CarriesToken => _authorization != null;

        /// <summary>The origin (as it may be shown) where a redirect first led off the provider's and the token stayed behind; null while it goes along.</summary>
        public string? TokenWithheldAt { get; private set; }

        public bool Idempotent => _method is "GET" or "HEAD" or "PUT" or "DELETE" or "OPTIONS" or "TRACE";

        public bool Replayable => _body?.Replayable ?? true;

        public TimeSpan? HeadersTimeout => _call.ApiRequest.ConnectionTimeout;

        public TimeSpan? StallTimeout => _call.ApiRequest.OperationTimeout;

        public ValueTask BeforeRetryAsync() => CarriesToken ? _call.RecheckTokenAsync() : default;

        public void Start(Uri uri, string authorization)
        {
            var apiRequest = _call.ApiRequest;
            _method = apiRequest.Method;
            _body = apiRequest.Body;
            Endpoint = uri;
            _authorization = authorization;
            TokenWithheldAt = null;
            ResumeFrom = apiRequest.Resume && apiRequest.OutFile is { } outFile && File.Exists(outFile) ? new FileInfo(outFile).Length : 0;
        }

        /// <summary>
        /// The token it carries was renewed between attempts. A request whose token a redirect left behind stays without
        /// one: the renewed token is the provider's, never for the origin the request went on to.
        /// </summary>
        public void Renewed(string authorization)
        {
            if (_authorization != null)
            {
                _authorization = authorization;
            }
        }

        /// <summary>301, 302 and 303 turn a request with a body into a GET; off the provider's origin the token stays behind.</summary>
        public void Redirect(Uri next, bool keepsMethod, bool staysWithProvider)
        {
            if (!keepsMethod && _method != "GET" && _method != "HEAD")
            {
                _method = "GET";
                _body = null;
            }

            if (!staysWithProvider && _authorization != null)
            {
                _authorization = null;
                TokenWithheldAt = _call.Shown(next).GetLeftPart(UriPartial.Authority);
            }

            Endpoint = next;
        }

        public HttpRequestMessage Create()
        {
            var apiRequest = _call.ApiRequest;
            var message = new HttpRequestMessage(HttpMethods.For(_method), Endpoint);
            if (apiRequest.HttpVersion is { } version)
            {
                message.Version = version;
#if NET8_0_OR_GREATER
                // HTTP/2 where the server offers it (TLS with ALPN), else what it speaks.
                message.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
#endif
            }

            if (ResumeFrom > 0)
            {
                message.Headers.Range = new RangeHeaderValue(ResumeFrom, null);
            }

            if (_body != null)
            {
                message.Content = _body.CreateContent();
            }

            foreach (var header in apiRequest.Headers)
            {
                // Off the provider's origin, no header that might carry a credential goes along.
                if (_authorization == null && Redaction.IsSensitiveName(header.Key))
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
                message.Headers.Accept.Add(TokenCalls.AcceptJson);
            }

            if (_authorization != null)
            {
                // A definition may name another header, which carries the token alone (Vault's X-Vault-Token).
                if (_call.Request.Target.Definition.Authorization.Header is { } tokenHeader)
                {
                    message.Headers.TryAddWithoutValidation(tokenHeader, TokenAnswers.WithoutScheme(_authorization, _call.Token!.AuthorizationScheme));
                }
                else
                {
                    message.Headers.TryAddWithoutValidation("Authorization", _authorization);
                }
            }

            var log = _call.Log;
            if (log != null && log.IsEnabled(LogLevel.Debug))
            {
                var headers = message.Content == null ? message.Headers : message.Headers.Concat(message.Content.Headers);
                log.Write(LogLevel.Debug, $"{_method} {_call.Shown(Endpoint)} headers: {Redaction.DescribeHeaders(headers)}");
                if (_body != null)
                {
                    log.Write(LogLevel.Debug, "request body: " + _body.DescribeForLog());
                }
            }

            return message;
        }
    }
}
