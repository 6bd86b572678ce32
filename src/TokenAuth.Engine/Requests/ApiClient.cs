using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;
using TokenAuth.Logging;
using TokenAuth.Providers;
using TokenAuth.Tokens;

namespace TokenAuth.Requests
{
    /// <summary>
    /// Sends a caller's request with the session's token: where it may go (<see cref="RequestGuards"/>), a 401 renewing
    /// the token once, redirects that keep the token on the provider's origin, the answer read into what the caller asked
    /// for (<see cref="ResponseContent"/>). Asks <see cref="TokenManager"/> for tokens; the token manager never calls back.
    /// </summary>
    internal sealed class ApiClient
    {
        private readonly Func<TokenAuthOptions> _options;
        private readonly TimeProvider _clock;
        private readonly HttpSender _sender;
        private readonly TokenManager _tokens;
        private readonly AbsentEndpoints _absent;

        public ApiClient(Func<TokenAuthOptions> options, TimeProvider clock, HttpSender sender, TokenManager tokens, AbsentEndpoints absent)
        {
            _options = options;
            _clock = clock;
            _sender = sender;
            _tokens = tokens;
            _absent = absent;
        }

        /// <summary>The session's options as they are now.</summary>
        private TokenAuthOptions Options => _options();

        public Task<ApiResponse> SendAsync(TokenRequest request, ApiRequest apiRequest, ITokenAuthLog? log, CancellationToken cancellationToken) =>
            SendAsync(new ApiCall(_tokens, request, ProviderOperation.Request, apiRequest, log, CallBudget.Starting(_clock, apiRequest.Timeout), cancellationToken));

        /// <summary>
        /// Who the token belongs to: from the provider's who-am-I endpoint where it has one (a provider's own answer,
        /// read only up to <see cref="TokenAuthOptions.MaxProviderAnswerBytes"/>); else, or where that endpoint turns out
        /// not to be there, a JWT's own claims, marked as not verified by the provider.
        /// </summary>
        public async Task<IdentityInfo> WhoAmIAsync(TokenRequest request, ITokenAuthLog? log, CancellationToken cancellationToken, TimeSpan? timeout)
        {
            var definition = request.Target.Definition;
            var without = "has no who-am-I endpoint";
            if (definition.WhoAmI is { } whoAmI)
            {
                var endpoint = request.Target.Endpoint(whoAmI.Path);
                var evidence = _absent.EvidenceFor(endpoint);
                if (evidence == null)
                {
                    var budget = CallBudget.Starting(_clock, Options.ProviderCallLimit(timeout));
                    var answer = await AskWhoAmIAsync(new ApiCall(_tokens, request, ProviderOperation.WhoAmI, new ApiRequest("GET", whoAmI.Path), log, budget, cancellationToken))
                        .ConfigureAwait(false);
                    if (answer.Absence == null)
                    {
                        return new IdentityInfo(definition.Name, true, endpoint.ToString(), TokenAnswers.ReadIdentityClaims(definition, whoAmI, endpoint, answer.Content));
                    }

                    evidence = answer.Absence;
                    _absent.Remember(endpoint, evidence);
                }

                without = $"has no who-am-I call at {Redaction.RedactUri(endpoint)} ({evidence})";
            }

            var token = (await _tokens.GetAsync(request, false, log, CallBudget.Starting(_clock, timeout), cancellationToken).ConfigureAwait(false)).Token;
            if (Jwt.TryReadClaims(TokenAnswers.WithoutScheme(token.Value, token.AuthorizationScheme), out var jwtClaims))
            {
                log.Verbose($"{definition.Name} {without}; showing the token's own claims, which the provider did not verify.");
                return new IdentityInfo(definition.Name, false, "token claims (not verified by the provider)", jwtClaims);
            }

            throw new NotSupportedByProviderException(definition.Name, $"Who-am-I ({definition.Name} {without}, and its tokens are not JWTs whose claims could be read)");
        }

        /// <summary>The who-am-I answer, or what showed that there is no such call there (a 404, 405 or 501, an HTML page).</summary>
        private async Task<(object? Content, string? Absence)> AskWhoAmIAsync(ApiCall call)
        {
            ApiResponse response;
            try
            {
                response = await SendAsync(call).ConfigureAwait(false);
            }
            catch (TokenAuthException ex) when (AbsentEndpoints.Evidence(ex) is { } evidence)
            {
                return (null, evidence);
            }

            return response.Content is string text && text.TrimStart().StartsWith("<", StringComparison.Ordinal)
                ? (null, "it answered with an HTML page instead of JSON")
                : (response.Content, null);
        }

        private async Task<ApiResponse> SendAsync(ApiCall call)
        {
            var apiRequest = call.ApiRequest;
            var target = call.Request.Target;
            var uri = RequestGuards.ResolveUri(target, apiRequest.Uri);
            RequestGuards.CheckCallerHeaders(target, apiRequest);

            var started = _clock.GetTimestamp();
            var tokenResult = await _tokens.GetAsync(call.Request, false, call.Log, call.Budget, call.Cancellation).ConfigureAwait(false);
            call.Token = tokenResult.Token;
            call.Start(uri, call.Token.AuthorizationHeaderValue);
            var sent = await SendFollowingRedirectsAsync(call).ConfigureAwait(false);
            var retries = sent.Retries;
            if (sent.Response.StatusCode == HttpStatusCode.Unauthorized && call.CarriesToken)
            {
                if (apiRequest.Body?.Replayable == false)
                {
                    call.Log.Verbose($"HTTP 401 from {sent.DisplayEndpoint}: the token was refused, and the request body cannot be sent again, so it is not retried.");
                }
                else
                {
                    call.Log.Verbose($"HTTP 401 from {sent.DisplayEndpoint}: the token was refused; forgetting it and sending the request once more with a new one.");
                    sent.Dispose();
                    _tokens.ForgetIfCurrent(call.Token);
                    call.Token = (await _tokens.GetAsync(call.Request, false, call.Log, call.Budget, call.Cancellation).ConfigureAwait(false)).Token;
                    call.Start(uri, call.Token.AuthorizationHeaderValue);
                    sent = await SendFollowingRedirectsAsync(call).ConfigureAwait(false);
                    retries += 1 + sent.Retries;
                }
            }

            using (sent)
            {
                var response = sent.Response;
                var status = (int)response.StatusCode;
                if (status == 416 && call.ResumeFrom > 0 && response.Content.Headers.ContentRange?.Length == call.ResumeFrom)
                {
                    call.Log.Verbose($"{apiRequest.OutFile} is complete already ({call.ResumeFrom} bytes, as {sent.DisplayEndpoint} says): nothing to resume.");
                    return new ApiResponse(status, response.ReasonPhrase, response.Headers, response.Content.Headers, ResponseKind.File, Path.GetFullPath(apiRequest.OutFile!), 0,
                        tokenResult.FromCache, retries, _clock.GetElapsedTime(started), sent.DisplayEndpoint, response.RequestMessage?.RequestUri ?? uri);
                }

                if (!response.IsSuccessStatusCode && !apiRequest.SkipHttpErrorCheck)
                {
                    var errorBody = await sent.ReadErrorBodyAsync().ConfigureAwait(false);
                    call.Log.Verbose($"{apiRequest.Method} {sent.DisplayEndpoint}: HTTP {status} in {_clock.GetElapsedTime(started).TotalMilliseconds:0} ms after {retries} retries.");
                    var error = ProviderErrors.Read(call.Request.Target, call, sent.DisplayEndpoint, response, errorBody);
                    throw status == 401 && call.TokenWithheldAt is { } foreign ? error.WithHint(TokenWithheldHint(target, foreign)) : error;
                }

                var (kind, content, length) = await sent.ReadAsync(static (sent, limit) =>
                        ResponseContent.ReadAsync(sent, ((ApiCall)sent.Call).ApiRequest, limit, ((ApiCall)sent.Call).ResumeFrom),
                    AnswerLimitFor(call)).ConfigureAwait(false);
                var elapsed = _clock.GetElapsedTime(started);
                var answer = new ApiResponse(status, response.ReasonPhrase, response.Headers, response.Content.Headers,
                    kind, content, length, tokenResult.FromCache, retries, elapsed, sent.DisplayEndpoint, response.RequestMessage?.RequestUri ?? uri);
                if (call.Log != null && call.Log.IsEnabled(LogLevel.Verbose))
                {
                    call.Log.Write(LogLevel.Verbose, $"{apiRequest.Method} {sent.DisplayEndpoint}: HTTP {status} {answer.ReasonPhrase} in {elapsed.TotalMilliseconds:0} ms, "
                        + $"{length} bytes, {retries} retries, {sent.Waited.TotalSeconds:0.###} s waited, token {(tokenResult.FromCache ? "from the cache" : "newly obtained")}.");
                }

                return answer;
            }
        }

        /// <summary>A 401 from where the token was not sent says so, and how to send it there, rather than blaming the token.</summary>
        private static string TokenWithheldHint(ProviderTarget target, string foreign) =>
            $"{target.BaseUri.GetLeftPart(UriPartial.Authority)} redirected the request to {foreign}, another origin, and the token was withheld there: "
            + $"this 401 is no sign of a bad token. If {foreign} belongs to {target.ProviderName}, name it in the provider definition's trustedOrigins "
            + $"(\"trustedOrigins\": [\"{foreign}\"]), and the token will follow redirects there.";

        /// <summary>
        /// Sends and follows redirects. Within the provider's origin the token goes along; a redirect to another
        /// origin is followed without the Authorization header (or the caller's sensitive headers); a redirect from
        /// https to plain http outside loopback is refused.
        /// </summary>
        private async Task<SentResponse> SendFollowingRedirectsAsync(ApiCall call)
        {
            var target = call.Request.Target;
            var retry = Options.Retry.With(call.ApiRequest.MaxRetries, call.ApiRequest.RetryInterval);
            var maxRedirects = call.ApiRequest.MaxRedirects ?? Options.MaxRedirects;
            // A body that is returned whole is read within the attempt, where a body that breaks off is retried like a
            // lost connection; one streamed to a file, or read only up to a limit, is read afterwards.
            var bufferSuccessBody = call.ApiRequest.OutFile == null && AnswerLimitFor(call) == null;
            for (var redirects = 0; ; redirects++)
            {
                var sent = await _sender.SendAsync(call, call, retry, bufferSuccessBody).ConfigureAwait(false);
                var status = (int)sent.Response.StatusCode;
                var location = sent.Response.Headers.Location;
                if (status < 300 || status > 399 || status == 304 || location == null)
                {
                    return sent;
                }

                var next = location.IsAbsoluteUri ? location : new Uri(call.Endpoint, location);
                var keepsMethod = status == 307 || status == 308 || (call.ApiRequest.PreserveMethodOnRedirect && status != 303);
                if (redirects >= maxRedirects)
                {
                    call.Log.Verbose($"HTTP {status} from {sent.DisplayEndpoint} not followed: {maxRedirects} redirect(s) allowed.");
                    if (!call.ApiRequest.SkipHttpErrorCheck)
                    {
                        sent.Dispose();
                        throw new InvalidRequestException(target.ProviderName,
                            $"{sent.DisplayEndpoint} answered HTTP {status}, a redirect to {call.Shown(next)}, which was not followed: {maxRedirects} redirect(s) allowed "
                            + "(-MaximumRedirection). Allow more, or add -SkipHttpErrorCheck to get the redirect itself.");
                    }

                    return sent;
                }

                if (keepsMethod && !call.Replayable)
                {
                    call.Log.Verbose($"HTTP {status} from {sent.DisplayEndpoint} not followed: the body cannot be sent again.");
                    return sent;
                }

                sent.Dispose();
                var shownNext = call.Shown(next);
                RequestGuards.CheckRedirect(target, sent.DisplayEndpoint, next, shownNext);
                var staysWithProvider = target.IsProviderOrigin(next);
                if (call.CarriesToken && !staysWithProvider)
                {
                    call.Log.Verbose($"{sent.DisplayEndpoint} redirected to another origin ({shownNext.GetLeftPart(UriPartial.Authority)}); following it without the Authorization header.");
                }
                else
                {
                    call.Log.Verbose($"HTTP {status}: following the redirect to {shownNext}.");
                }

                call.Redirect(next, keepsMethod, staysWithProvider, Options.Connection.TrustedCertificates);
            }
        }

        /// <summary>A URI the provider gave (a next link) as it may be shown: see <see cref="TokenCallContext.Shown(Uri, AccessToken)"/>.</summary>
        public Uri Shown(TokenRequest request, Uri uri) => TokenCallContext.Shown(uri, _tokens.Current(request));

        /// <summary>
        /// A provider's own endpoint (who-am-I) is read only up to <see cref="TokenAuthOptions.MaxProviderAnswerBytes"/>,
        /// whatever its type; an API response is the caller's, and streams unbounded.
        /// </summary>
        private long? AnswerLimitFor(CallContext call) => call.Operation == ProviderOperation.Request ? (long?)null : Options.MaxProviderAnswerBytes;

        /// <summary>
        /// An API call: its context, and the request as it goes on the wire, one hop at a time. Method, URI, body and
        /// the Authorization header change as redirects are followed; a fresh message is made from it for each attempt.
        /// One object for both, since every request allocates it.
        /// </summary>
        private sealed class ApiCall : TokenCallContext, IRequestFactory
        {
            private string _method;
            private RequestBody? _body;
            private readonly TokenManager _tokens;
            private string? _authorization;

            public ApiCall(TokenManager tokens, TokenRequest request, ProviderOperation operation, ApiRequest apiRequest, ITokenAuthLog? log, CallBudget? budget,
                CancellationToken cancellation)
                : base(request, operation, log, budget, cancellation)
            {
                _tokens = tokens;
                ApiRequest = apiRequest;
                _method = apiRequest.Method;
                Endpoint = null!; // Set by Start, before anything is sent.
            }

            public ApiRequest ApiRequest { get; }

            public Uri Endpoint { get; private set; }

            /// <summary>With -Resume, the length of the file already there: the range asked for starts after it.</summary>
            public long ResumeFrom { get; private set; }

            /// <summary>False once a redirect led away from the provider's origin and the token was withheld.</summary>
            public bool CarriesToken => _authorization != null;

            /// <summary>The origin (as it may be shown) where a redirect first led off the provider's and the token stayed behind; null while it goes along.</summary>
            public string? TokenWithheldAt { get; private set; }

            public bool Idempotent => _method is "GET" or "HEAD" or "PUT" or "DELETE" or "OPTIONS" or "TRACE";

            public bool Replayable => _body?.Replayable ?? true;

            public TimeSpan? HeadersTimeout => ApiRequest.ConnectionTimeout;

            public TimeSpan? StallTimeout => ApiRequest.OperationTimeout;

            /// <summary>
            /// A retry after a wait (Retry-After, a backoff) re-checks the token it carries: one that reached its renewal
            /// margin meanwhile is renewed first (one request, shared as always), so no attempt sends a token past its time.
            /// </summary>
            public ValueTask BeforeRetryAsync() => CarriesToken ? RecheckTokenAsync() : default;

            private async ValueTask RecheckTokenAsync()
            {
                var current = await _tokens.GetAsync(Request, false, Log, Budget, Cancellation).ConfigureAwait(false);
                if (!ReferenceEquals(current.Token, Token))
                {
                    Log.Verbose($"{Provider}: the token reached its renewal time while the request waited to be retried; the retry carries a renewed one.");
                    Token = current.Token;
                    _authorization = current.Token.AuthorizationHeaderValue;
                }
            }

            /// <summary>
            /// The next hop. 301, 302 and 303 turn a request with a body into a GET; off the provider's origin the token
            /// stays behind, for good, and so, for that hop, do the client certificate and the provider's own trusted CAs.
            /// </summary>
            /// <param name="engineSessionTrust">The engine's own session CAs (<see cref="ConnectionSettings.OffProvider"/>).</param>
            public void Redirect(Uri next, bool keepsMethod, bool staysWithProvider, TrustedCertificates? engineSessionTrust)
            {
                var providerConnection = Request.Connection;
                ConnectVia(staysWithProvider || providerConnection == null ? providerConnection : providerConnection.OffProvider(engineSessionTrust), !staysWithProvider);
                if (!keepsMethod && _method != "GET" && _method != "HEAD")
                {
                    _method = "GET";
                    _body = null;
                }

                if (!staysWithProvider && _authorization != null)
                {
                    _authorization = null;
                    TokenWithheldAt = Shown(next).GetLeftPart(UriPartial.Authority);
                }

                Endpoint = next;
            }

            /// <summary>The request from its first hop, with the token (again, once renewed after a 401).</summary>
            public void Start(Uri uri, string authorization)
            {
                _method = ApiRequest.Method;
                _body = ApiRequest.Body;
                Endpoint = uri;
                _authorization = authorization;
                TokenWithheldAt = null;
                ConnectVia(Request.Connection, offProvider: false);
                ResumeFrom = ApiRequest.Resume && ApiRequest.OutFile is { } outFile && File.Exists(outFile) ? new FileInfo(outFile).Length : 0;
            }

            public HttpRequestMessage Create()
            {
                var message = new HttpRequestMessage(HttpMethods.For(_method), Endpoint);
                if (ApiRequest.HttpVersion is { } version)
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

                foreach (var header in ApiRequest.Headers)
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
                    message.Headers.TryAddWithoutValidation("Authorization", _authorization);
                }

                if (Log != null && Log.IsEnabled(LogLevel.Debug))
                {
                    var headers = message.Content == null ? message.Headers : message.Headers.Concat(message.Content.Headers);
                    Log.Write(LogLevel.Debug, $"{_method} {Shown(Endpoint)} headers: {Redaction.DescribeHeaders(headers)}");
                    if (_body != null)
                    {
                        Log.Write(LogLevel.Debug, "request body: " + _body.DescribeForLog());
                    }
                }

                return message;
            }
        }
    }
}
