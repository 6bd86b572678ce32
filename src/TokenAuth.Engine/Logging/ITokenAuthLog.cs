namespace TokenAuth.Logging
{
    public enum LogLevel
    {
        Debug,
        Verbose,
        Warning,
    }

    /// <summary>
    /// Where the engine reports what it does: the cmdlets map it to their Verbose, Debug and Warning streams.
    /// Messages are composed from non-secret parts only; callers need no filtering of their own.
    /// </summary>
    public interface ITokenAuthLog
    {
        bool IsEnabled(LogLevel level);

        void Write(LogLevel level, string message);
    }

    internal static class LogExtensions
    {
        public static void Verbose(this ITokenAuthLog? log, string message) => Write(log, LogLevel.Verbose, message);

        public static void Warning(this ITokenAuthLog? log, string message) => Write(log, LogLevel.Warning, message);

        private static void Write(ITokenAuthLog? log, LogLevel level, string message)
        {
            if (log != null && log.IsEnabled(level))
            {
                log.Write(level, message);
            }
        }
    }
}
