using System;
using System.Linq;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Providers;

namespace TokenAuth.Requests
{
    /// <summary>Where an authenticated request may go, and what of the caller's may go with it: checked before anything is sent.</summary>
    internal static class RequestGuards
    {
        /// <summary>
        /// A relative path goes below the base URI (prefix kept), and may not climb out of it with "..": a piped path
        /// must not reach the provider's other services on the same host. An absolute URI must be on the provider's own origin.
        /// </summary>
        public static Uri ResolveUri(ProviderTarget target, string uri)
        {
            if (Uri.TryCreate(uri, UriKind.Absolute, out var absolute) && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps))
            {
                if (!target.IsSameOrigin(absolute))
                {
                    throw new UnsafeRequestException(target.ProviderName,
                        $"{Redaction.RedactUri(absolute)} is not on {target.ProviderName}'s origin ({target.BaseUri.GetLeftPart(UriPartial.Authority)}): "
                        + "the token would leave the provider, so the request was not sent. Use a path relative to the base URI, or the provider's own address.");
                }

                return absolute;
            }

            if (uri.StartsWith("//", StringComparison.Ordinal) || uri.Contains("://") || uri.StartsWith("\\", StringComparison.Ordinal))
            {
                throw new UnsafeRequestException(target.ProviderName, $"'{Redaction.WithoutUserInfo(PathOf(uri))}' is not a path below {target.ProviderName}'s base URI nor one of its own absolute URIs; the request was not sent.");
            }

            // Without a '.' written plainly or as %2e, no segment can be "..": the common path costs one scan.
            var resolved = target.Endpoint(uri);
            if ((uri.IndexOf('.') >= 0 || uri.IndexOf("%2e", StringComparison.OrdinalIgnoreCase) >= 0) && (ClimbsOut(PathOf(uri)) || !target.IsBelowBase(resolved)))
            {
                throw new UnsafeRequestException(target.ProviderName,
                    $"'{PathOf(uri)}' climbs out of {target.ProviderName}'s base URI ({target.BaseUri}) with '..'; the request was not sent. Give the provider's own absolute URI to reach another path.");
            }

            return resolved;
        }

        /// <summary>
        /// The caller's headers are added unparsed, so each is checked once here: a line break in a value would start
        /// another header on the wire.
        /// </summary>
        public static void CheckCallerHeaders(ProviderTarget target, ApiRequest apiRequest)
        {
            foreach (var header in apiRequest.Headers)
            {
                if (string.Equals(header.Key, "Authorization", StringComparison.OrdinalIgnoreCase)
                    || string.Equals(header.Key, target.Definition.Authorization.Header, StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidRequestException(target.ProviderName, $"The {header.Key} header is set by TokenAuth from the session's token; remove it from the request's headers.");
                }

                if (HeaderValues.Refusal(header.Key, header.Value) is { } refusal)
                {
                    throw new InvalidRequestException(target.ProviderName, refusal);
                }
            }
        }

        /// <summary>A redirect is followed only where a token could go at all: https, or plain http on loopback.</summary>
        /// <param name="shownNext">The redirect's target as it may be shown (<see cref="CallContext.Shown(Uri)"/>).</param>
        public static void CheckRedirect(ProviderTarget target, Uri from, Uri next, Uri shownNext)
        {
            if (!ProviderTarget.IsTokenSafe(next))
            {
                throw new UnsafeRequestException(target.ProviderName, $"{from} redirected to {shownNext}, which is not https; the redirect was not followed.");
            }
        }

        private static string PathOf(string uri) => uri.Split('?', '#')[0];

        /// <summary>
        /// True when a segment of the path, once percent-decoded, is "..": decoded first, so that %2e%2e and an encoded
        /// separator (..%2f) are caught too, whichever of them a server behind the provider would decode.
        /// </summary>
        private static bool ClimbsOut(string path) => Uri.UnescapeDataString(path).Split('/', '\\').Contains("..");
    }
}
