using System;
using TokenAuth.Http;

namespace TokenAuth
{
    /// <summary>The engine's settings: immutable once made, so that one options object can serve every call; vary one with <c>with</c>.</summary>
    public sealed record TokenAuthOptions : ISendDefaults
    {
        /// <summary>
        /// How long before expiry a cached token is renewed. Null (the default) means the smaller of
        /// 60 s and a tenth of the token's lifetime.
        /// </summary>
        public TimeSpan? RenewalMargin { get; init; }

        /// <summary>Time allowed for one HTTP exchange (an attempt), body included: 100 s, as Invoke-RestMethod's default.</summary>
        public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

        /// <summary>
        /// Time allowed for a whole call to a provider's own endpoints: getting a token (a refresh and the fallback to
        /// the credentials, retries and their waits included), revoking it, asking who-am-I. A shared token request
        /// ends within it however many callers wait on it; a caller's own limit may end its wait sooner.
        /// </summary>
        public TimeSpan TokenTimeout { get; init; } = TimeSpan.FromSeconds(30);

        /// <summary>
        /// The largest answer read from a token, refresh, revoke or who-am-I endpoint; a larger one is refused unread
        /// (Content-Length) or as soon as it passes the limit. API responses are not limited: they stream.
        /// </summary>
        public long MaxProviderAnswerBytes { get; init; } = 1 << 20;

        public RetryPolicy Retry { get; init; } = new RetryPolicy();

        /// <summary>
        /// The vault tokens persist in beyond the session (Set-TokenAuthOption -TokenCacheVault), through the engine's
        /// token store; null (the default): tokens live in the session's memory only, and nothing is written anywhere.
        /// </summary>
        public string? TokenCacheVault { get; init; }

        /// <summary>How calls reach providers (proxy, trusted CAs) unless a request says otherwise: the session's settings.</summary>
        public ConnectionSettings Connection { get; init; } = ConnectionSettings.Default;

        public int MaxRedirects { get; init; } = 10;

        /// <summary>
        /// The folder an Azure Arc challenge's key file must be directly in; null (the default): the agent's own
        /// (/var/opt/azcmagent/tokens, or the Tokens folder of AzureConnectedMachineAgent under ProgramData). Set only by
        /// the caller's code (Set-TokenAuthOption -ArcKeyFolder), never from the environment, which steers the endpoint.
        /// </summary>
        public string? ArcKeyFolder { get; init; }

        /// <summary>Sent with every call whose request names no other: TokenAuth and its version, and whoever hosts it.</summary>
        public string UserAgent { get; init; } = DefaultUserAgent;

        public static string DefaultUserAgent { get; } = "TokenAuth/" + typeof(TokenAuthOptions).Assembly.GetName().Version!.ToString(3);

        /// <summary>The time a call to a provider's own endpoint may take: the caller's limit or TokenTimeout, whichever is less.</summary>
        internal TimeSpan ProviderCallLimit(TimeSpan? callerLimit) => callerLimit < TokenTimeout ? callerLimit.Value : TokenTimeout;

        internal TimeSpan MarginFor(TimeSpan lifetime)
        {
            if (RenewalMargin is { } fixedMargin)
            {
                return fixedMargin < lifetime ? fixedMargin : TimeSpan.Zero;
            }

            var tenth = TimeSpan.FromTicks(lifetime.Ticks / 10);
            return tenth < TimeSpan.FromSeconds(60) ? tenth : TimeSpan.FromSeconds(60);
        }
    }
}
