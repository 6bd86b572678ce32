using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;
using TokenAuth.Logging;
using TokenAuth.Tokens;

namespace TokenAuth.Providers
{
    /// <summary>
    /// Interprets a <see cref="ProviderDefinition"/>: builds the calls to its token, refresh and revoke endpoints
    /// (and which authentication each carries), reads its token and who-am-I answers and its errors, and says which
    /// refusal of a refresh token means "use the credentials instead". The only place that knows providers' wire
    /// formats; the Providers folder around it holds the definitions themselves, as data.
    /// </summary>
    internal static class TokenProtocol
    {
        /// <summary>Every request TokenAuth sends accepts JSON unless the caller says otherwise.</summary>
        internal static readonly MediaTypeWithQualityHeaderValue AcceptJson = new MediaTypeWithQualityHeaderValue("application/json");

        /// <summary>How much of a provider's error code or message is shown; the whole body stays in the error's ResponseBody.</summary>
        /// <summary>The longest lifetime a provider's answer may give a token, whatever the form of its expiry.</summary>
        private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(3650);

        /// <summary>The call that gets a token with the request's credentials.</summary>
        /// <param name="clock">The time a client assertion is issued at.</param>
        public static EndpointCall TokenCall(TokenRequest request, TimeProvider clock)
        {
            var token = request.Target.Definition.Token;
            return new EndpointCall(request.Target, ProviderOperation.Token, token, new TemplateValues(request.Credential, request.Scope, request.Lifetime),
                token.ClientAuthentication, authorization: null) { Signer = SignerFor(request, token.ClientAuthentication, clock) };
        }

        /// <summary>
        /// What signs the client assertions of a PrivateKeyJwt provider: the request's client certificate, which it must
        /// have; none when the request's assertions come from a source instead.
        /// </summary>
        private static AssertionSigner? SignerFor(TokenRequest request, ClientAuthentication authentication, TimeProvider clock)
        {
            if (authentication != ClientAuthentication.PrivateKeyJwt || request.AssertionSource != null)
            {
                return null;
            }

            var certificate = request.Connection?.ClientCertificate
                ?? throw new CredentialException(request.Target.ProviderName, "its client certificate",
                    "is missing: the provider takes a signed client assertion (PrivateKeyJwt) instead of a secret; name the certificate in the definition's clientCertificate, or pass -Certificate");
            var token = request.Target.Definition.Token;
            return new AssertionSigner(certificate, token.Assertion ?? new AssertionSpec(), clock);
        }

        /// <summary>The call that trades a refresh token for a new token, or null when the provider or the token has none.</summary>
        public static EndpointCall? RefreshCall(TokenRequest request, AccessToken? previous) =>
            previous?.RefreshToken != null && request.Target.Definition.Refresh is { } refresh
                ? new EndpointCall(request.Target, ProviderOperation.Refresh, refresh, new TemplateValues(request.Credential, refreshToken: previous.RefreshToken),
                    ClientAuthentication.Body, authorization: null)
                : null;

        /// <summary>
        /// The call that revokes a token, or null when the provider has no revoke endpoint. The token itself is the
        /// bearer credential, or the client authenticates as on the token endpoint (RFC 7009), as the definition says.
        /// </summary>
        public static EndpointCall? RevokeCall(AccessToken token, TimeProvider clock)
        {
            var target = token.Request.Target;
            if (target.Definition.Revoke is not { } revoke)
            {
                return null;
            }

            var bearer = revoke.Authentication == RevokeAuthentication.Bearer;
            var authentication = bearer ? ClientAuthentication.Body : target.Definition.Token.ClientAuthentication;
            return new EndpointCall(target, ProviderOperation.Revoke, revoke, new TemplateValues(token.Request.Credential, accessToken: token.Value),
                authentication, bearer ? token.AuthorizationHeaderValue : null) { Signer = SignerFor(token.Request, authentication, clock) };
        }

        /// <summary>
        /// Whether a refused refresh means "this refresh token is no good" (then the credentials are used instead)
        /// rather than a failure to report: a 400 or 401, or one of the definition's own codes.
        /// </summary>
        public static bool IsRefusedRefresh(RefreshSpec refresh, ProviderErrorException error) =>
            error.StatusCode == HttpStatusCode.BadRequest
            || error.StatusCode == HttpStatusCode.Unauthorized
            || (error.ProviderCode != null && refresh.InvalidRefreshTokenCodes.Contains(error.ProviderCode, StringComparer.OrdinalIgnoreCase));

        /// <summary>The identity in a who-am-I answer: the object at the definition's result path, or the whole body.</summary>
        public static IdentityInfo ReadIdentity(ProviderDefinition definition, WhoAmISpec whoAmI, Uri endpoint, object? answer)
        {
            var identity = string.IsNullOrEmpty(whoAmI.ResultPath) ? answer : JsonFieldPath.Find(answer, whoAmI.ResultPath!);
            if (identity is not Dictionary<string, object?> claims)
            {
                throw new MalformedResponseException(definition.Name, ProviderOperation.WhoAmI, endpoint, whoAmI.ResultPath,
                    string.IsNullOrEmpty(whoAmI.ResultPath) ? "is not a JSON object" : "is missing or not a JSON object");
            }

            return new IdentityInfo(definition.Name, true, endpoint.ToString(), claims);
        }

        internal static HttpRequestMessage CreateMessage(EndpointCall call)
        {
            var target = call.Target;
            var spec = call.Spec;
            var values = call.Values;
            var request = new HttpRequestMessage(HttpMethods.For(spec.Method), call.Endpoint);
            request.Headers.Accept.Add(AcceptJson);
            foreach (var header in spec.Headers)
            {
                if (FieldTemplates.Render(header.Value, values) is { } value)
                {
                    HeaderValues.AddUnparsed(request.Headers, header.Key, value.Text, target.ProviderName);
                }
            }

            if (call.Authorization != null)
            {
                HeaderValues.AddUnparsed(request.Headers, "Authorization", call.Authorization, target.ProviderName);
            }
            else if (call.ClientAuthentication == ClientAuthentication.Basic)
            {
                // RFC 6749 2.3.1: form-encode each part before joining them.
                var pair = Uri.EscapeDataString(values.Credential.ClientId ?? "") + ":" + Uri.EscapeDataString(values.Credential.ClientSecret ?? "");
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
            }

            if (spec.Fields.Count > 0 || call.TakesClientAssertion || !string.Equals(spec.Method, "GET", StringComparison.OrdinalIgnoreCase))
            {
                request.Content = spec.Encoding == BodyEncoding.Form ? FormBody(spec, values, Assertion(call)) : JsonBody(spec, values);
            }

            return request;
        }

        /// <summary>RFC 7523 2.2: the client's id and an assertion, signed for this attempt or fetched for this token request.</summary>
        private static List<KeyValuePair<string, string>>? Assertion(EndpointCall call)
        {
            if (!call.TakesClientAssertion)
            {
                return null;
            }

            var clientId = call.Values.Credential.ClientId ?? "";
            var assertion = call.FederatedAssertion
                ?? call.Signer?.Sign(call.Target.ProviderName, clientId, call.Signer.Spec.Audience ?? call.Target.ServiceEndpoint(call.Target.Definition.Token.Path).AbsoluteUri)
                ?? throw new InvalidOperationException("A client assertion call was sent before its assertion was fetched.");
            if (call.FederatedAssertion == null)
            {
                call.AssertionSigned?.Invoke(assertion);
            }

            return new List<KeyValuePair<string, string>>
            {
                new KeyValuePair<string, string>("client_id", clientId),
                new KeyValuePair<string, string>("client_assertion_type", ClientAssertion.Type),
                new KeyValuePair<string, string>("client_assertion", assertion),
            };
        }

        private static HttpContent FormBody(EndpointSpec spec, TemplateValues values, List<KeyValuePair<string, string>>? assertion)
        {
            var pairs = assertion ?? new List<KeyValuePair<string, string>>();
            foreach (var field in spec.Fields)
            {
                if (FieldTemplates.Render(field.Value, values) is { } value)
                {
                    pairs.Add(new KeyValuePair<string, string>(field.Key, value.Text));
                }
            }

            return new FormUrlEncodedContent(pairs);
        }

        private static HttpContent JsonBody(EndpointSpec spec, TemplateValues values)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                foreach (var field in spec.Fields)
                {
                    if (FieldTemplates.Render(field.Value, values) is not { } value)
                    {
                        continue;
                    }

                    if (value.IsNumber)
                    {
                        writer.WriteNumber(field.Key, long.Parse(value.Text, CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        writer.WriteString(field.Key, value.Text);
                    }
                }

                writer.WriteEndObject();
            }

            var content = new ByteArrayContent(buffer.ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            return content;
        }

        /// <summary>
        /// Reads a successful token response into a token, or explains precisely what is wrong with it. Every value that
        /// will travel in a header (the token, the scheme, the refresh token) is checked here, as it arrives, and a bad
        /// one is named by its field, never shown.
        /// </summary>
        /// <param name="sentAt">When the request was sent: a token's lifetime counts from then, not from when a slow answer ended.</param>
        public static AccessToken ReadToken(CallContext call, Uri endpoint, string body, DateTimeOffset sentAt, TokenAuthOptions options)
        {
            var request = call.Request;
            var operation = call.Operation;
            var definition = request.Target.Definition;
            var spec = definition.TokenResponse;
            using var document = ParseJsonObject(definition.Name, operation, endpoint, body);
            var root = document.RootElement;

            if (!JsonFieldPath.TryGet(root, spec.AccessToken, out var tokenElement))
            {
                // A "success" status carrying an error object ({success:false, error:{...}}) is the provider refusing.
                var (code, message) = ReadCodeAndMessage(definition, root);
                if (message != null && code != null)
                {
                    var scrub = Redaction.ScrubberFor(call.SensitiveValues());
                    code = AsShown(scrub, code);
                    message = AsShown(scrub, message);
                    throw new ProviderErrorException(definition.Name, operation, endpoint, HttpStatusCode.OK,
                        code, message, HintFor(request.Target, operation, HttpStatusCode.OK, code, message));
                }

                throw new MalformedResponseException(definition.Name, operation, endpoint, spec.AccessToken, "is missing");
            }

            var value = tokenElement.ValueKind == JsonValueKind.String ? tokenElement.GetString() : null;
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new MalformedResponseException(definition.Name, operation, endpoint, spec.AccessToken, "is not a non-empty string");
            }

            var tokenType = spec.TokenType == null ? null : JsonFieldPath.GetScalarText(root, spec.TokenType);
            // The definition's own scheme was checked when it was registered; one taken from the answer is checked here.
            var schemeFromAnswer = definition.Authorization.SchemeFromTokenType && !string.IsNullOrWhiteSpace(tokenType);
            var scheme = schemeFromAnswer ? tokenType! : definition.Authorization.Scheme;
            if (schemeFromAnswer && !HeaderValues.IsToken(scheme))
            {
                throw new MalformedResponseException(definition.Name, operation, endpoint, spec.TokenType, "is not an authorization scheme (an RFC 9110 token: letters, digits and !#$%&'*+-.^_`|~)");
            }

            if (!HeaderValues.IsVisible(AccessToken.WithoutScheme(value!, scheme)))
            {
                throw new MalformedResponseException(definition.Name, operation, endpoint, spec.AccessToken,
                    "is not a token TokenAuth can send: it must be visible ASCII characters without spaces or line breaks (RFC 6750)");
            }

            var refreshToken = spec.RefreshToken == null ? null : JsonFieldPath.GetScalarText(root, spec.RefreshToken);
            if (HeaderValues.HasControlCharacter(refreshToken))
            {
                throw new MalformedResponseException(definition.Name, operation, endpoint, spec.RefreshToken, "holds a line break or another control character");
            }

            var scope = (spec.Scope == null ? null : JsonFieldPath.GetScalarText(root, spec.Scope)) ?? request.Scope;
            var expiresOn = ReadExpiry(definition, spec, root, operation, endpoint, sentAt);
            var assumed = expiresOn == null;
            if (assumed)
            {
                call.Log.Verbose($"{definition.Name} gave no expiry; assuming the definition's default lifetime of {spec.DefaultLifetimeSeconds} s.");
            }

            var expires = expiresOn ?? sentAt.AddSeconds(spec.DefaultLifetimeSeconds);
            var renewAfter = expires - options.MarginFor(expires - sentAt);
            return new AccessToken(request, value!, tokenType, scheme, refreshToken, scope, sentAt, expires, assumed, renewAfter);
        }

        private static DateTimeOffset? ReadExpiry(ProviderDefinition definition, TokenResponseSpec spec, JsonElement root,
            ProviderOperation operation, Uri endpoint, DateTimeOffset sentAt)
        {
            foreach (var source in spec.Expiry)
            {
                if (!JsonFieldPath.TryGet(root, source.Path, out var element))
                {
                    continue;
                }

                var text = element.ValueKind == JsonValueKind.String ? element.GetString() : element.ValueKind == JsonValueKind.Number ? element.GetRawText() : null;
                DateTimeOffset expires;
                if (source.Format == ExpiryFormat.DateTime)
                {
                    if (text == null || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out expires))
                    {
                        throw new MalformedResponseException(definition.Name, operation, endpoint, source.Path, "is not a date and time");
                    }
                }
                else
                {
                    if (text == null || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || double.IsNaN(number) || double.IsInfinity(number))
                    {
                        throw new MalformedResponseException(definition.Name, operation, endpoint, source.Path,
                            source.Format == ExpiryFormat.UnixTime ? "is not a Unix time" : "is not a number of seconds");
                    }

                    if (source.Format == ExpiryFormat.SecondsFromNow)
                    {
                        if (number <= 0 || number > MaxLifetime.TotalSeconds)
                        {
                            throw new MalformedResponseException(definition.Name, operation, endpoint, source.Path,
                                $"is {text}, not a usable lifetime in seconds");
                        }

                        expires = sentAt.AddSeconds(number);
                    }
                    else
                    {
                        // Seconds and milliseconds are told apart by magnitude: 1e11 s is the year 5138, 1e11 ms is 1973.
                        var milliseconds = number >= 1e11 ? number : number * 1000;
                        if (milliseconds <= 0 || milliseconds > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
                        {
                            throw new MalformedResponseException(definition.Name, operation, endpoint, source.Path, "is not a Unix time");
                        }

                        expires = DateTimeOffset.FromUnixTimeMilliseconds((long)milliseconds);
                    }
                }

                if (expires <= sentAt)
                {
                    throw new MalformedResponseException(definition.Name, operation, endpoint, source.Path,
                        $"says the token expired at {expires.UtcDateTime:u}, before it was asked for ({sentAt.UtcDateTime:u}); if the provider is right, this machine's clock is wrong");
                }

                if (expires - sentAt > MaxLifetime)
                {
                    throw new MalformedResponseException(definition.Name, operation, endpoint, source.Path,
                        $"says the token expires at {expires.UtcDateTime:u}, more than 10 years away: not a usable expiry");
                }

                return expires;
            }

            return null;
        }

        private static JsonDocument ParseJsonObject(string provider, ProviderOperation operation, Uri endpoint, string body)
        {
            var trimmed = body.TrimStart();
            if (trimmed.Length == 0)
            {
                throw new MalformedResponseException(provider, operation, endpoint, null, "the body is empty");
            }

            if (trimmed[0] == '<')
            {
                throw new MalformedResponseException(provider, operation, endpoint, null,
                    "the body is an HTML or XML page, not JSON (does the base URI point at a web site rather than the API?)") { HtmlPage = true };
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(body);
            }
            catch (JsonException)
            {
                // The parser's message quotes the body, which may hold a token: name only the problem.
                throw new MalformedResponseException(provider, operation, endpoint, null, "the body is not valid JSON");
            }

            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new MalformedResponseException(provider, operation, endpoint, null, "the body is JSON but not an object");
            }

            return document;
        }

        /// <summary>Turns a non-success response (its body's first 64 KiB) into the provider's own code and message, plus a hint.</summary>
        public static ProviderErrorException ReadError(CallContext call, Uri endpoint, HttpResponseMessage response, BodyPrefix errorBody)
        {
            var target = call.Request.Target;
            var operation = call.Operation;
            var status = response.StatusCode;
            var contentType = response.Content.Headers.ContentType?.MediaType;
            var definition = target.Definition;
            var body = errorBody.Text;
            string? code = null;
            string? message = null;
            var trimmed = body.TrimStart();
            if (trimmed.StartsWith("{", StringComparison.Ordinal) || trimmed.StartsWith("[", StringComparison.Ordinal))
            {
                try
                {
                    using var document = JsonDocument.Parse(body);
                    var root = document.RootElement;
                    (code, message) = ReadCodeAndMessage(definition, root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 ? root[0] : root);
                }
                catch (JsonException)
                {
                    message = errorBody.Complete ? "(the error body is not valid JSON)" : "(the error body is over 64 KiB and was not read past that)";
                }
            }
            else if (trimmed.StartsWith("<", StringComparison.Ordinal))
            {
                message = "(the error body is an HTML page)";
            }
            else if (trimmed.Length > 0 && trimmed.Length <= 300 && contentType != null && contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
            {
                message = trimmed.Trim();
            }

            var scrub = Redaction.ScrubberFor(call.SensitiveValues());
            code = AsShown(scrub, code);
            message = AsShown(scrub, message);
            return new ProviderErrorException(definition.Name, operation, endpoint, status, code, message,
                HintFor(target, operation, status, code, message), scrub(body));
        }

        /// <summary>The provider's error code and message in an error object: the definition's paths first, then the common shapes.</summary>
        private static (string? Code, string? Message) ReadCodeAndMessage(ProviderDefinition definition, JsonElement error) =>
            (JsonFieldPath.FirstScalarText(error, definition.Errors.CodePaths.Concat(BuiltInProviders.CommonCodePaths)),
                JsonFieldPath.FirstScalarText(error, definition.Errors.MessagePaths.Concat(BuiltInProviders.CommonMessagePaths)));

        /// <summary>A provider's words as they may be shown at a console: known secrets scrubbed, then <see cref="Redaction.Printable"/>.</summary>
        private static string? AsShown(Func<string?, string?> scrub, string? text) => scrub(text) is { } scrubbed ? Redaction.Printable(scrubbed) : null;

        private static string? HintFor(ProviderTarget target, ProviderOperation operation, HttpStatusCode status, string? code, string? message)
        {
            var text = ((code ?? "") + " " + (message ?? "")).ToLowerInvariant();
            if (text.Contains("expired") || text.Contains("not yet valid") || text.Contains("clock") || text.Contains("skew"))
            {
                // The machine's own clock, not the engine's: it is what the user is asked to check.
                return $"The provider finds the token expired or not yet valid; if that happens to a fresh token, check this machine's clock (it reads {DateTimeOffset.UtcNow:u}).";
            }

            var tokenCall = operation == ProviderOperation.Token || operation == ProviderOperation.Refresh;
            var code401or403 = status == HttpStatusCode.Unauthorized || status == HttpStatusCode.Forbidden;
            if (tokenCall && (code401or403 || status == HttpStatusCode.BadRequest || status == HttpStatusCode.OK) && target.Definition.Token.TakesAssertion)
            {
                return target.Definition.Token.ClientAuthentication == ClientAuthentication.PrivateKeyJwt
                    ? $"Check that the certificate that signs the assertion is the one registered for the client at {target.BaseUri}, and that this machine's clock is right."
                    : $"Check that the client at {target.BaseUri} has a federated credential matching the assertion's issuer, subject and audience.";
            }

            if (tokenCall && (code401or403 || status == HttpStatusCode.BadRequest || status == HttpStatusCode.OK))
            {
                return $"Check the credential, and that it belongs to the '{target.Environment}' environment at {target.BaseUri}: live and sandbox credentials differ.";
            }

            if (tokenCall && (status == HttpStatusCode.NotFound || status == HttpStatusCode.MethodNotAllowed))
            {
                return "No token endpoint answers at this address: check the environment or base URI (a path prefix such as /api may be missing).";
            }

            if ((int)status == 429)
            {
                return "The provider is throttling requests and the retries allowed are used up; wait, or allow more retries.";
            }

            if ((int)status >= 500)
            {
                return "The provider failed on its side; try again later.";
            }

            if (status == HttpStatusCode.Forbidden)
            {
                return "The token was accepted but does not allow this; check the scope or the account's permissions.";
            }

            return null;
        }
    }

    /// <summary>
    /// One call to a provider's own token, refresh or revoke endpoint, as its definition describes it: built afresh
    /// for each attempt. Idempotent for retries: a token request asked again only yields another token.
    /// </summary>
    internal sealed class EndpointCall : IRequestFactory
    {
        public EndpointCall(ProviderTarget target, ProviderOperation operation, EndpointSpec spec, TemplateValues values,
            ClientAuthentication clientAuthentication, string? authorization)
        {
            Target = target;
            Operation = operation;
            Spec = spec;
            Values = values;
            ClientAuthentication = clientAuthentication;
            Authorization = authorization;
            Endpoint = target.ServiceEndpoint(spec.Path);
        }

        public ProviderTarget Target { get; }

        public ProviderOperation Operation { get; }

        public EndpointSpec Spec { get; }

        public TemplateValues Values { get; }

        public ClientAuthentication ClientAuthentication { get; }

        /// <summary>Whether the client proves itself with a client assertion on this call: the token call, or a revoke authenticated as it.</summary>
        public bool TakesClientAssertion => ClientAuthentication == ClientAuthentication.PrivateKeyJwt || ClientAuthentication == ClientAuthentication.FederatedAssertion;

        /// <summary>Signs a client assertion for each attempt, for a PrivateKeyJwt provider.</summary>
        public AssertionSigner? Signer { get; init; }

        /// <summary>The assertion fetched from the request's source for this token request, sent by each of its attempts.</summary>
        public string? FederatedAssertion { get; set; }

        /// <summary>Told of each assertion the signer makes, before it is sent: from then on it is a credential of the call.</summary>
        public Action<string>? AssertionSigned { get; set; }

        /// <summary>The Authorization header's value when the call carries a token (a bearer revoke).</summary>
        public string? Authorization { get; }

        public Uri Endpoint { get; }

        public bool Idempotent => true;

        public bool Replayable => true;

        public TimeSpan? HeadersTimeout => null;

        public TimeSpan? StallTimeout => null;

        /// <summary>Nothing to bring up to date: the call's credentials and assertion hold for all its attempts.</summary>
        public ValueTask BeforeRetryAsync() => default;

        public HttpRequestMessage Create() => TokenProtocol.CreateMessage(this);
    }

    /// <summary>The client certificate and the definition's assertion settings, on the engine's clock.</summary>
    internal sealed class AssertionSigner
    {
        private readonly X509Certificate2 _certificate;
        private readonly TimeProvider _clock;

        public AssertionSigner(X509Certificate2 certificate, AssertionSpec spec, TimeProvider clock)
        {
            _certificate = certificate;
            Spec = spec;
            _clock = clock;
        }

        public AssertionSpec Spec { get; }

        public string Sign(string provider, string clientId, string audience) =>
            ClientAssertion.Create(provider, clientId, audience, _certificate, Spec.Algorithm, Spec.IncludeCertificate, _clock.GetUtcNow(), Spec.Thumbprint);
    }
}
