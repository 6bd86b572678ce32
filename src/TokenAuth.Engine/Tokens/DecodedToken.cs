using System;
using System.Collections.Generic;
using System.Linq;
using TokenAuth.Json;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// What a person wants to see of a JWT access token: its header and claims, read from the token itself and not
    /// verified; exp and iat as times, aud, and the scopes (scp or scope) and roles. Never its signature or the token.
    /// </summary>
    public sealed class DecodedToken
    {
        private DecodedToken(IReadOnlyDictionary<string, object?> header, IReadOnlyDictionary<string, object?> claims)
        {
            Header = header;
            Claims = claims;
        }

        public IReadOnlyDictionary<string, object?> Header { get; }

        public IReadOnlyDictionary<string, object?> Claims { get; }

        public DateTimeOffset? ExpiresOn => Time("exp");

        public DateTimeOffset? IssuedAt => Time("iat");

        public string[] Audience => Texts("aud");

        /// <summary>scp (Entra ID, Okta) as a list or a space-separated text, else OAuth's scope text.</summary>
        public string[] Scopes => Claims.ContainsKey("scp") ? Texts("scp") : Texts("scope");

        public string[] Roles => Texts("roles");

        /// <summary>The token's header and claims; false when it is not a JWT (an opaque token).</summary>
        public static bool TryDecode(string token, out DecodedToken? decoded)
        {
            decoded = null;
            if (!Jwt.HasShape(token) || !Jwt.TryReadHeader(token, out var header) || !Jwt.TryReadClaims(token, out var claims))
            {
                return false;
            }

            decoded = new DecodedToken(header, claims);
            return true;
        }

        private DateTimeOffset? Time(string claim) =>
            Claims.TryGetValue(claim, out var value) && value is long seconds && seconds > 0 && seconds < 253402300800 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

        private string[] Texts(string claim) => !Claims.TryGetValue(claim, out var value) ? Array.Empty<string>()
            : value is string text ? text.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries)
            : value is IEnumerable<object?> items ? items.OfType<string>().ToArray()
            : Array.Empty<string>();
    }
}
