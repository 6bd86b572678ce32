using System;
using System.Threading;
using System.Threading.Tasks;

namespace TokenAuth.Http
{
    /// <summary>
    /// Waits and deadlines on the engine's one clock (<see cref="TimeProvider"/>): retry waits, attempt timeouts and
    /// call budgets all run on it, so a test that fakes the clock controls every one of them.
    /// </summary>
    internal static class ClockWaits
    {
        public static Task Delay(this TimeProvider clock, TimeSpan delay, CancellationToken cancellationToken) =>
#if NET8_0_OR_GREATER
            Task.Delay(delay, clock, cancellationToken);
#else
            TimeProviderTaskExtensions.Delay(clock, delay, cancellationToken);
#endif

        /// <summary>Cancels <paramref name="source"/> once <paramref name="delay"/> has passed on the clock.</summary>
        public static void CancelAfter(this TimeProvider clock, CancellationTokenSource source, TimeSpan delay)
        {
            if (clock == TimeProvider.System)
            {
                // The framework's own timer: no timer object of ours on the hot path.
                source.CancelAfter(delay);
                return;
            }

            var timer = clock.CreateTimer(static state => CancelQuietly((CancellationTokenSource)state!), source, delay, Timeout.InfiniteTimeSpan);
            source.Token.Register(static state => ((ITimer)state!).Dispose(), timer);
        }

        private static void CancelQuietly(CancellationTokenSource source)
        {
            try
            {
                source.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The attempt ended before its time was up.
            }
        }
    }
}
