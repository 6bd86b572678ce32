using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace TokenAuth.Json
{
    /// <summary>
    /// The engine's one JWT reader: a compact JWT's shape, and its claims read without verifying anything, for display
    /// (who a token says it belongs to) and to refuse an assertion that has already expired before it is sent.
    /// </summary>
    internal static class Jwt
    {
        /// <summary>Whether the text has a signed JWT's shape: three non-empty base64url parts joined by dots.</summary>
        public static bool HasShape(string text)
        {
            var parts = text.Split('.');
            return parts.Length == 3 && parts.All(part => part.Length > 0 && part.All(IsBase64UrlCharacter));
        }

        /// <summary>The claims of a compact JWT (signed or not), unverified; false when its payload is not a JSON object.</summary>
        public static bool TryReadClaims(string compact, out Dictionary<string, object?> claims) => TryReadPart(compact, 1, out claims);

        /// <summary>The header of a compact JWT, unverified; false when it is not a JSON object.</summary>
        public static bool TryReadHeader(string compact, out Dictionary<string, object?> header) => TryReadPart(compact, 0, out header);

        /// <summary>The JWT's exp, when its payload is JSON with a numeric one; null: nothing to check against.</summary>
        public static DateTimeOffset? ExpiryOf(string compact) =>
            TryReadClaims(compact, out var claims) && claims.TryGetValue("exp", out var exp) && exp is long seconds && seconds > 0 && seconds < 253402300800
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;

        /// <summary>The bytes of a base64url part (a JWT's header or claims); a <see cref="FormatException"/> when it is not one.</summary>
        public static byte[] FromBase64Url(string part)
        {
            var base64 = part.Replace('-', '+').Replace('_', '/');
            return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
        }

        /// <summary>One part of a compact JWT as a JSON object; false when the JWT has not three parts or the part is not one.</summary>
        private static bool TryReadPart(string compact, int index, out Dictionary<string, object?> part)
        {
            part = new Dictionary<string, object?>();
            var parts = compact.Split('.');
            if (parts.Length != 3)
            {
                return false;
            }

            try
            {
                using var document = JsonDocument.Parse(FromBase64Url(parts[index]));
                if (JsonValues.ToObject(document.RootElement) is Dictionary<string, object?> map)
                {
                    part = map;
                    return true;
                }
            }
            catch (Exception ex) when (ex is FormatException || ex is JsonException)
            {
            }

            return false;
        }

        private static bool IsBase64UrlCharacter(char c) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }
}
