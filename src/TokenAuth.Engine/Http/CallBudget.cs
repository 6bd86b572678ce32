using System;

namespace TokenAuth.Http
{
    /// <summary>
    /// The time one whole call may take from when it began: every attempt, every wait between attempts, redirects and
    /// the token the call needs. Attempts get what is left of it (or less, per <see cref="TokenAuthOptions.Timeout"/>).
    /// Measured on the engine's clock, so a test's fake clock decides when it runs out.
    /// </summary>
    internal sealed class CallBudget
    {
        private readonly TimeProvider _clock;
        private readonly long _started;

        private CallBudget(TimeProvider clock, TimeSpan limit)
        {
            _clock = clock;
            _started = clock.GetTimestamp();
            Limit = limit;
        }

        /// <summary>The whole allowance, as it is reported in a timeout.</summary>
        public TimeSpan Limit { get; }

        public TimeSpan Remaining
        {
            get
            {
                var left = Limit - _clock.GetElapsedTime(_started);
                return left > TimeSpan.Zero ? left : TimeSpan.Zero;
            }
        }

        public static CallBudget Starting(TimeProvider clock, TimeSpan limit) => new CallBudget(clock, limit);

        public static CallBudget? Starting(TimeProvider clock, TimeSpan? limit) => limit is { } value ? new CallBudget(clock, value) : null;
    }
}
