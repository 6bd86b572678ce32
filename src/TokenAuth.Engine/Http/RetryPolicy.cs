using System;

namespace TokenAuth.Http
{
    /// <summary>How hard to try when the provider throttles or fails for a moment.</summary>
    public sealed record RetryPolicy
    {
        /// <summary>Attempts after the first. 0 turns retrying off.</summary>
        public int MaxRetries { get; init; } = 3;

        /// <summary>The most time spent waiting between attempts, added up; a longer Retry-After ends the retries.</summary>
        public TimeSpan MaxTotalWait { get; init; } = TimeSpan.FromSeconds(60);

        /// <summary>First backoff step when the provider gives no Retry-After; doubled each attempt, with jitter.</summary>
        public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

        public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

        /// <summary>A fixed wait between attempts when the provider gives no Retry-After, instead of the backoff.</summary>
        public TimeSpan? Interval { get; init; }

        public RetryPolicy With(int? maxRetries, TimeSpan? interval) =>
            maxRetries == null && interval == null ? this : this with { MaxRetries = maxRetries ?? MaxRetries, Interval = interval ?? Interval };
    }
}
