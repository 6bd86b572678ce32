using System;
using System.Collections.Concurrent;
using System.Net;
using TokenAuth.Errors;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// Refresh, revoke and who-am-I endpoints a provider turned out not to have, remembered for the session so that they
    /// are not asked again. A definition may name a call the real service lacks (APIMW's three are TokenAuth's reading of
    /// its document); the caller then does without: new tokens from the credentials, a revoke that only forgets, the
    /// token's own claims.
    /// </summary>
    internal sealed class AbsentEndpoints
    {
        // Keyed by the endpoint's absolute URI: another base URI, or a definition with another path, is asked afresh.
        private readonly ConcurrentDictionary<string, string> _evidence = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);

        /// <summary>What showed the endpoint absent earlier in this session ("HTTP 404"); null while it is not known to be.</summary>
        public string? EvidenceFor(Uri endpoint) => _evidence.TryGetValue(endpoint.AbsoluteUri, out var evidence) ? evidence : null;

        public void Remember(Uri endpoint, string evidence) => _evidence[endpoint.AbsoluteUri] = evidence;

        /// <summary>
        /// Whether an error says there is no such call at that address: a 404, 405 or 501, or an HTML page where JSON was
        /// expected. Returns what showed it, or null. Never a network error or another 5xx, which may pass.
        /// </summary>
        public static string? Evidence(TokenAuthException error) => error switch
        {
            ErrorResponseException { StatusCode: HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented } refused
                => $"it answered HTTP {(int)refused.StatusCode}",
            MalformedResponseException { HtmlPage: true } => "it answered with an HTML page instead of JSON",
            _ => null,
        };
    }
}
