using System;
using System.IO;
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
    /// Sends a caller's request with the session's token: where it may go (<see cref="RequestGuards"/>), then its steps
    /// (<see cref="RenewOnUnauthorized"/> around <see cref="FollowRedirects"/> around the sender's), then the answer read
    /// into what the caller asked for (<see cref="ResponseContent"/>). Asks <see cref="TokenManager"/> for tokens; the
    /// token manager never calls back.
    /// </summary>
    internal sealed class ApiClient
    {
        private readonly Func<TokenAuthOptions> _options;
        private readonly TimeProvider _clock;
        private readonly TokenManager _tokens;
        private readonly AbsentEndpoints _absent;
        private readonly IApiStep _steps;

        /// <param name="sender">Sends each hop (retries, timeouts); this client's own steps go around it: a 401 renews the token, redirects are followed.</param>
        public ApiClient(Func<TokenAuthOptions> options, TimeProvider clock, ISendStep sender, TokenManager tokens, AbsentEndpoints absent)
        {
            _options = options;
            _clock = clock;
            _tokens = tokens;
            _absent = absent;
            _steps = new RenewOnUnauthorized(tokens, new FollowRedirects(options, sender));
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
            call.Start(uri, tokenResult.Token);
            var sent = await _steps.SendAsync(call).ConfigureAwait(false);
            var retries = sent.Retries;
            using (sent)
            {
                var response = sent.Response;
                var status = (int)response.StatusCode;
                var resumeFrom = call.Wire.ResumeFrom;
                if (status == 416 && resumeFrom > 0 && response.Content.Headers.ContentRange?.Length == resumeFrom)
                {
                    call.Log.Verbose($"{apiRequest.OutFile} is complete already ({resumeFrom} bytes, as {sent.DisplayEndpoint} says): nothing to resume.");
                    return new ApiResponse(status, response.ReasonPhrase, response.Headers, response.Content.Headers, ResponseKind.File, Path.GetFullPath(apiRequest.OutFile!), 0,
                        tokenResult.FromCache, retries, _clock.GetElapsedTime(started), sent.DisplayEndpoint, response.RequestMessage?.RequestUri ?? uri);
                }

                if (!response.IsSuccessStatusCode && !apiRequest.SkipHttpErrorCheck)
                {
                    var errorBody = await sent.ReadErrorBodyAsync().ConfigureAwait(false);
                    call.Log.Verbose($"{apiRequest.Method} {sent.DisplayEndpoint}: HTTP {status} in {_clock.GetElapsedTime(started).TotalMilliseconds:0} ms after {retries} retries.");
                    var error = ProviderErrors.Read(call.Request.Target, call, sent.DisplayEndpoint, response, errorBody);
                    throw status == 401 && call.Wire.TokenWithheldAt is { } foreign ? error.WithHint(TokenWithheldHint(target, foreign)) : error;
                }

                var (kind, content, length) = await sent.ReadAsync(static (sent, read) => ResponseContent.ReadAsync(sent, read.ApiRequest, read.Limit, read.ResumeFrom),
                    (ApiRequest: apiRequest, Limit: call.AnswerLimit(Options), ResumeFrom: resumeFrom)).ConfigureAwait(false);
                var elapsed = _clock.GetElapsedTime(started);
                var answer = new ApiResponse(status, response.ReasonPhrase, response.Headers, response.Content.Headers,
                    kind, content, length, tokenResult.FromCache, retries, elapsed, sent.DisplayEndpoint, response.RequestMessage?.RequestUri ?? uri);
                if (call.Log != null && call.Log.IsEnabled(LogLevel.Verbose))
                {
                    call.Log.Write(LogLevel.Verbose, $"{apiRequest.Method} {sent.DisplayEndpoint}: HTTP {status} {answer.ReasonPhrase} in {elapsed.TotalMilliseconds:0} ms, "
                        + $"{length} bytes, {retries} retries, {sent.Waited.TotalSeconds:0.###} s waited, token {Origin(tokenResult)}.");
                }

                return answer;
            }
        }

        /// <summary>A 401 from where the token was not sent says so, and how to send it there, rather than blaming the token.</summary>
        private static string TokenWithheldHint(ProviderTarget target, string foreign) =>
            $"{target.BaseUri.GetLeftPart(UriPartial.Authority)} redirected the request to {foreign}, another origin, and the token was withheld there: "
            + $"this 401 is no sign of a bad token. If {foreign} belongs to {target.ProviderName}, name it in the provider definition's trustedOrigins "
            + $"(\"trustedOrigins\": [\"{foreign}\"]), and the token will follow redirects there.";

        /// <summary>A URI the provider gave (a next link) as it may be shown: see <see cref="TokenCallContext.Shown(Uri, AccessToken)"/>.</summary>
        public Uri Shown(TokenRequest request, Uri uri) => TokenCallContext.Shown(uri, _tokens.Current(request));

        /// <summary>Where the call's token came from, for its summary line: a token another process persisted was not newly obtained.</summary>
        private static string Origin(TokenResult token) =>
            token.FromCache ? "from the cache" : token.Token.ReadFromVault ? $"read from the vault '{token.Token.PersistedIn}'" : "newly obtained";
    }
}
