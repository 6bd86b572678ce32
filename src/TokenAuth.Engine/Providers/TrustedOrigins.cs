using System;
using System.Collections.Generic;
using System.Linq;

namespace TokenAuth.Providers
{
    /// <summary>
    /// A definition's trustedOrigins: other origins that belong to the provider, where the token follows a redirect
    /// (Ankorstore's documentation has Postman users keep the Authorization header across hosts). Each is an exact
    /// https origin, never a wildcard, so that a definition can widen where the token goes only by naming each host.
    /// </summary>
    internal static class TrustedOrigins
    {
        /// <summary>Why <paramref name="text"/> is no trusted origin; null when it is one.</summary>
        public static string? Problem(string text)
        {
            if (text.IndexOf('*') >= 0)
            {
                return "must name one exact origin, such as https://api.example.com: a wildcard would send the token to hosts nobody named";
            }

            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            {
                return "must be an https origin, such as https://api.example.com: the token crosses to it";
            }

            return uri.UserInfo.Length > 0 || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0
                ? "must be an origin alone (https://host or https://host:port), without a path, query or user"
                : null;
        }

        /// <summary>Whether <paramref name="uri"/> is on one of the origins (https, host and port all equal).</summary>
        public static bool Include(IReadOnlyList<string> origins, Uri uri) =>
            uri.IsAbsoluteUri && uri.Scheme == Uri.UriSchemeHttps && origins.Any(origin => Uri.TryCreate(origin, UriKind.Absolute, out var trusted)
                && string.Equals(trusted.IdnHost, uri.IdnHost, StringComparison.OrdinalIgnoreCase) && trusted.Port == uri.Port);
    }
}
