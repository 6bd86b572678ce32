using System;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using TokenAuth.Http;
using TokenAuth.Json;
using TokenAuth.Logging;

namespace TokenAuth.Requests
{
    /// <summary>
    /// What an API's WWW-Authenticate says of the token it refused (RFC 6750 3, RFC 9470 3, Microsoft's claims
    /// challenge): the challenge of the token's own scheme (or Bearer), its error and the values that go with it.
    /// Every value is foreign text: shown only made printable and scrubbed of the call's secrets.
    /// </summary>
    internal sealed class ApiChallenge
    {
        /// <summary>The longest claims parameter read: a claims request is a few hundred bytes.</summary>
        private const int MaxClaimsLength = 8 * 1024;

        private readonly AuthenticationChallenge _challenge;

        private ApiChallenge(AuthenticationChallenge challenge)
        {
            _challenge = challenge;
        }

        /// <summary>The error code, as the challenge gives it; null when it gives none.</summary>
        public string? Error => _challenge["error"];

        /// <summary>The challenge of the response for a token sent with <paramref name="scheme"/>; null when there is none.</summary>
        public static ApiChallenge? Read(HttpResponseMessage response, string scheme)
        {
            var challenges = AuthenticationChallenges.Of(response)
                .Where(challenge => challenge.Scheme.Equals(scheme, StringComparison.OrdinalIgnoreCase) || challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
                .ToList();
            var chosen = challenges.FirstOrDefault(challenge => challenge["error"] != null) ?? challenges.FirstOrDefault();
            return chosen == null ? null : new ApiChallenge(chosen);
        }

        /// <summary>A parameter as it may be shown in a message: printable, without the call's secrets; null when absent or empty.</summary>
        public string? Shown(string name, CallContext call)
        {
            var value = _challenge[name];
            return string.IsNullOrWhiteSpace(value) ? null : Redaction.Printable(Redaction.Scrub(value, call.SensitiveValues()) ?? "");
        }

        /// <summary>max_age as a number of seconds; null when absent or not a non-negative whole number.</summary>
        public long? MaxAge => long.TryParse(_challenge["max_age"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? seconds : (long?)null;

        /// <summary>
        /// The claims request of an insufficient_claims challenge (base64 of a JSON object, as Entra ID sends it), as JSON
        /// text; null when it is missing, too long, not base64 or not a JSON object, so that nothing else rides on it.
        /// </summary>
        public string? Claims()
        {
            var encoded = _challenge["claims"];
            if (string.IsNullOrEmpty(encoded) || encoded!.Length > MaxClaimsLength)
            {
                return null;
            }

            try
            {
                // Base64 or base64url, padded or not: Entra ID sends the former, other servers the latter.
                var json = new UTF8Encoding(false, true).GetString(Jwt.FromBase64Url(encoded));
                using var document = JsonDocument.Parse(json);
                return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.GetRawText() : null;
            }
            catch (Exception ex) when (ex is FormatException || ex is ArgumentException || ex is JsonException)
            {
                return null;
            }
        }
    }
}
