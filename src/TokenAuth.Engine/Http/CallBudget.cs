using System;
using System.Diagnostics;

namespace TokenAuth.Http
{
    /// <summary>
    /// The time one whole call may take from when it began: every attempt, every wait between attempts, redirects and
    /// the token the call needs. Attempts get what is left of it (or less, per <see cref="TokenAuthOptions.Timeout"/>).
    /// </summary>
    internal sealed class CallBudget
    {
        private readonly long _deadline;

        private CallBudget(TimeSpan limit, long deadline)
        {
            Limit = limit;
            _deadline = deadline;
        }

        /// <summary>The whole allowance, as it is reported in a timeout.</summary>
        public TimeSpan Limit { get; }

        public TimeSpan Remaining
        {
            get
            {
                var ticks = _deadline - Stopwatch.GetTimestamp();
                return ticks <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency);
            }
        }

        public static CallBudget Starting(TimeSpan limit) =>
            new CallBudget(limit, Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency));

        public static CallBudget? Starting(TimeSpan? limit) => limit is { } value ? Starting(value) : null;

        /// <summary>The budget that ends first; either may be null (unbounded).</summary>
        public static CallBudget? Earlier(CallBudget? first, CallBudget? second) =>
            first == null ? second : second == null ? first : first._deadline <= second._deadline ? first : second;
    }
}
