using System;
using System.Net;

namespace TokenAuth.Http
{
    /// <summary>How hard to try when the provider throttles or fails for a moment.</summary>
    public sealed class RetryPolicy
    {
        /// <summary>Attempts after the first. 0 turns retrying off.</summary>
        public int MaxRetries { get; set; } = 3;

        /// <summary>The most time spent waiting between attempts, added up; a longer Retry-After ends the retries.</summary>
        public TimeSpan MaxTotalWait { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>First backoff step when the provider gives no Retry-After; doubled each attempt, with jitter.</summary>
        public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

        public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

        public RetryPolicy With(int? maxRetries) => maxRetries == null ? this : new RetryPolicy
        {
            MaxRetries = maxRetries.Value,
            MaxTotalWait = MaxTotalWait,
            BaseDelay = BaseDelay,
            MaxDelay = MaxDelay,
        };
    }

    /// <summary>A proxy other than the system's.</summary>
    public sealed class ProxySettings
    {
        public ProxySettings(Uri address, ICredentials? credentials = null)
        {
            Address = address ?? throw new ArgumentNullException(nameof(address));
            Credentials = credentials;
        }

        public Uri Address { get; }

        public ICredentials? Credentials { get; }
    }

    public sealed class TokenAuthOptions
    {
        /// <summary>
        /// How long before expiry a cached token is renewed. Null (the default) means the smaller of
        /// 60 s and a tenth of the token's lifetime.
        /// </summary>
        public TimeSpan? RenewalMargin { get; set; }

        /// <summary>Time allowed for one HTTP exchange (an attempt), body included: 100 s, as Invoke-RestMethod's default.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

        /// <summary>
        /// Time allowed for a whole call to a provider's own endpoints: getting a token (a refresh and the fallback to
        /// the credentials, retries and their waits included), revoking it, asking who-am-I. A shared token request
        /// ends within it however many callers wait on it; a caller's own limit may end its wait sooner.
        /// </summary>
        public TimeSpan TokenTimeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>
        /// The largest answer read from a token, refresh, revoke or who-am-I endpoint; a larger one is refused unread
        /// (Content-Length) or as soon as it passes the limit. API responses are not limited: they stream.
        /// </summary>
        public long MaxProviderAnswerBytes { get; set; } = 1 << 20;

        public RetryPolicy Retry { get; set; } = new RetryPolicy();

        /// <summary>Null: the system proxy.</summary>
        public ProxySettings? Proxy { get; set; }

        public int MaxRedirects { get; set; } = 10;

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
