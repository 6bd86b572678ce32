using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using TokenAuth.Credentials;
using TokenAuth.Http;

namespace TokenAuth.Commands
{
    /// <summary>
    /// The trust and identity settings of one runspace: the proxy, the CAs trusted beside the machine's store, and the
    /// client assertion sources. They decide where credentials may go and who vouches for the other end, so they never
    /// cross unseen into another runspace of the process (a host or runspace pool serving unrelated scripts): a new
    /// runspace, a ForEach-Object -Parallel one included, starts from the defaults, and gets another's settings only
    /// when they are handed over (Get-TokenAuthOption piped to Set-TokenAuthOption). Timeouts, retries and limits are
    /// the process's, in the engine's options: they bound work rather than steer credentials, and a token request
    /// shared by several runspaces needs one token timeout.
    /// </summary>
    internal sealed class RunspaceSettings
    {
        public static readonly RunspaceSettings Default = new RunspaceSettings(ConnectionSettings.Default, SessionAssertionSources.None);

        private static readonly ConditionalWeakTable<Runspace, Holder> ByRunspace = new ConditionalWeakTable<Runspace, Holder>();

        /// <summary>For a thread with no runspace of its own: none of TokenAuth's cmdlets runs there.</summary>
        private static readonly Holder NoRunspace = new Holder();

        public RunspaceSettings(ConnectionSettings connection, SessionAssertionSources clientAssertions)
        {
            // The runspace's CAs are the session's: they hold off a provider's origin too, where its own do not.
            Connection = connection.AsSession();
            ClientAssertions = clientAssertions;
        }

        /// <summary>The proxy and trusted CAs of this runspace's calls (Set-TokenAuthOption -Proxy, -CertificateBundle).</summary>
        public ConnectionSettings Connection { get; }

        /// <summary>This runspace's client assertion sources, each for the providers named for it.</summary>
        public SessionAssertionSources ClientAssertions { get; }

        /// <summary>The settings of the runspace running on this thread: a cmdlet reads them on its pipeline thread.</summary>
        public static RunspaceSettings Current
        {
            get => HolderHere().Settings;
            set => HolderHere().Settings = value;
        }

        private static Holder HolderHere() =>
            Runspace.DefaultRunspace is { } runspace ? ByRunspace.GetValue(runspace, _ => new Holder()) : NoRunspace;

        private sealed class Holder
        {
            private volatile RunspaceSettings _settings = Default;

            public RunspaceSettings Settings
            {
                get => _settings;
                set => _settings = value;
            }
        }
    }
}
