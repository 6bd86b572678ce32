using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text.Json;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;
using TokenAuth.Logging;

namespace TokenAuth.Providers
{
    /// <summary>
    /// Reads the answers of a provider's own endpoints as its definition describes them: a token (and its expiry), a
    /// who-am-I identity, and whether a refused refresh means "use the credentials instead".
    /// </summary>
    internal static class TokenAnswers
    {
        /// <summary>The longest lifetime a provider's answer may give a token, whatever the form of its expiry.</summary>
        private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(3650);

        /// <summary>
        /// Whether a refused refresh means "this refresh token is no good" (then the credentials are used instead)
        /// rather than a failure to report: a 400 or 401, or one of the definition's own codes.
        /// </summary>
        public static bool IsRefusedRefresh(RefreshSpec refresh, ProviderErrorException error) =>
            error.StatusCode == HttpStatusCode.BadRequest
            || error.StatusCode == HttpStatusCode.Unauthorized
            || (error.ProviderCode != null && refresh.InvalidRefreshTokenCodes.Contains(error.ProviderCode, StringComparer.OrdinalIgnoreCase));

        /// <summary>
        /// The narrower rule for a person's refresh, which has no credentials to fall back on: only a refusal that says the
        /// refresh token itself is no good, RFC 6749 §5.2's invalid_grant (GitHub's bad_refresh_token, a definition's own
        /// codes). Any other (invalid_client, invalid_request, a 401 for the client's authentication, a server error)
        /// says nothing of the refresh token: it is the provider's error, and the token is kept for the next try.
        /// </summary>
        public static bool IsSpentRefreshToken(RefreshSpec? refresh, ProviderErrorException error) =>
            error.ProviderCode is { } code
            && (code == "invalid_grant" || code == "bad_refresh_token"
                || (refresh?.InvalidRefreshTokenCodes.Contains(code, StringComparer.OrdinalIgnoreCase) ?? false));

        /// <summary>The identity's claims in a who-am-I answer: the object at the definition's result path, or the whole body.</summary>
        public static Dictionary<string, object?> ReadIdentityClaims(ProviderDefinition definition, WhoAmISpec whoAmI, Uri endpoint, object? answer)
        {
            var identity = string.IsNullOrEmpty(whoAmI.ResultPath) ? answer : JsonFieldPath.Find(answer, whoAmI.ResultPath!);
            if (identity is not Dictionary<string, object?> claims)
            {
                throw new MalformedResponseException(definition.Name, ProviderOperation.WhoAmI, endpoint, whoAmI.ResultPath,
                    string.IsNullOrEmpty(whoAmI.ResultPath) ? "is not a JSON object" : "is missing or not a JSON object");
            }

            return claims;
        }

        /// <summary>
        /// Reads a successful token response into a token, or explains precisely what is wrong with it. Every value that
        /// will travel in a header (the token, the scheme, the refresh token) is checked here, as it arrives, and a bad
        /// one is named by its field, never shown.
        /// </summary>
        /// <param name="sentAt">When the request was sent: a token's lifetime counts from then, not from when a slow answer ended.</param>
        public static TokenAnswer ReadToken(ProviderTarget target, CallContext call, Uri endpoint, string body, DateTimeOffset sentAt)
        {
            var operation = call.Operation;
            var definition = target.Definition;
            var spec = definition.TokenResponse;
            using var document = ParseJsonObject(definition.Name, operation, endpoint, body);
            var root = document.RootElement;

            if (!JsonFieldPath.TryGet(root, spec.AccessToken, out var tokenElement))
            {
                // A "success" status carrying an error object ({success:false, error:{...}}) is the provider refusing.
                var (code, message) = ProviderErrors.ReadCodeAndMessage(definition, root);
                if (message != null && code != null)
                {
                    var scrub = Redaction.ScrubberFor(call.SensitiveValues());
                    code = ProviderErrors.AsShown(scrub, code);
                    message = ProviderErrors.AsShown(scrub, message);
                    throw new ProviderErrorException(definition.Name, operation, endpoint, HttpStatusCode.OK,
                        code, message, ProviderErrors.HintFor(target, operation, HttpStatusCode.OK, code, message));
                }

                throw new MalformedResponseException(definition.Name, operation, endpoint, spec.AccessToken, "is missing");
            }

            var value = tokenElement.ValueKind == JsonValueKind.String ? JsonText.String(tokenElement) : null;
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new MalformedResponseException(definition.Name, operation, endpoint, spec.AccessToken, "is not a non-empty string");
            }

            var tokenType = spec.TokenType == null ? null : JsonFieldPath.GetScalarText(root, spec.TokenType);
            // The definition's own scheme was checked when it was registered; one taken from the answer is checked here.
            var scheme = SchemeFor(definition, tokenType);
            if (definition.Authorization.SchemeFromTokenType && !HeaderValues.IsToken(scheme))
            {
                throw new MalformedResponseException(definition.Name, operation, endpoint, spec.TokenType, "is not an authorization scheme (an RFC 9110 token: letters, digits and !#$%&'*+-.^_`|~)");
            }

            if (!HeaderValues.IsVisible(WithoutScheme(value!, scheme)))
            {
                throw new MalformedResponseException(definition.Name, operation, endpoint, spec.AccessToken,
                    "is not a token TokenAuth can send: it must be visible ASCII characters without spaces or line breaks (RFC 6750)");
            }

            var refreshToken = spec.RefreshToken == null ? null : JsonFieldPath.GetScalarText(root, spec.RefreshToken);
            if (HeaderValues.HasControlCharacter(refreshToken))
            {
                throw new MalformedResponseException(definition.Name, operation, endpoint, spec.RefreshToken, "holds a line break or another control character");
            }

            var scope = spec.Scope == null ? null : JsonFieldPath.GetScalarText(root, spec.Scope);
            var expiresOn = ReadExpiry(definition, spec, root, operation, endpoint, sentAt);
            var assumed = expiresOn == null;
            if (assumed)
            {
                call.Log.Verbose($"{definition.Name} gave no expiry; assuming the definition's default lifetime of {spec.DefaultLifetimeSeconds} s.");
            }

            return new TokenAnswer(value!, tokenType, scheme, refreshToken, scope, expiresOn ?? sentAt.AddSeconds(spec.DefaultLifetimeSeconds), assumed);
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

                var text = element.ValueKind == JsonValueKind.String ? JsonText.String(element) : element.ValueKind == JsonValueKind.Number ? element.GetRawText() : null;
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

        /// <summary>The scheme a token of this definition is sent with: the answer's token type where the definition says so and there is one.</summary>
        internal static string SchemeFor(ProviderDefinition definition, string? tokenType) =>
            definition.Authorization.SchemeFromTokenType && !string.IsNullOrWhiteSpace(tokenType) ? tokenType! : definition.Authorization.Scheme;

        /// <summary>The token as sent after the scheme: a token that already starts with its scheme ("JWT eyJ…") loses it.</summary>
        internal static string WithoutScheme(string value, string scheme) => CarriesScheme(value, scheme) ? value.Substring(scheme.Length + 1) : value;

        internal static bool CarriesScheme(string value, string scheme) => value.StartsWith(scheme + " ", StringComparison.OrdinalIgnoreCase);
    }
}
