using System.Linq;
using TokenAuth.Http;

namespace TokenAuth.Commands
{
    /// <summary>The session's settings, in Set-TokenAuthOption's terms. The proxy's password is never shown.</summary>
    public sealed class TokenAuthOptionInfo
    {
        internal TokenAuthOptionInfo(TokenAuthOptions options, RunspaceSettings settings)
        {
            Settings = settings;
            RequestTimeoutSec = options.Timeout.TotalSeconds;
            TokenTimeoutSec = options.TokenTimeout.TotalSeconds;
            RenewalMarginSec = options.RenewalMargin?.TotalSeconds;
            MaxProviderAnswerBytes = options.MaxProviderAnswerBytes;
            MaximumRetryCount = options.Retry.MaxRetries;
            MaximumRetryWaitSec = options.Retry.MaxTotalWait.TotalSeconds;
            MaximumRedirection = options.MaxRedirects;
            var proxy = settings.Connection.Proxy;
            Proxy = proxy.Direct ? "None" : proxy.Address?.AbsoluteUri ?? "System";
            ProxyUser = proxy.Credential?.UserName;
            ProxyUseDefaultCredentials = proxy.UseDefaultCredentials;
            CertificateBundle = settings.Connection.TrustedCertificates?.Source;
            TrustedCertificates = settings.Connection.TrustedCertificates?.Certificates.Count ?? 0;
            TokenCacheVault = options.TokenCacheVault;
            ArcKeyFolder = options.ArcKeyFolder;
            ClientAssertion = settings.ClientAssertions.Entries.Select(entry => $"{entry.Key}={entry.Value.Description}").ToArray();
        }

        /// <summary>The runspace's trust and identity settings as read, for handing over to another runspace of this process.</summary>
        internal RunspaceSettings Settings { get; }

        public double RequestTimeoutSec { get; }

        public double TokenTimeoutSec { get; }

        /// <summary>Null: automatic, the smaller of 60 s and a tenth of the token's lifetime.</summary>
        public double? RenewalMarginSec { get; }

        public long MaxProviderAnswerBytes { get; }

        public int MaximumRetryCount { get; }

        public double MaximumRetryWaitSec { get; }

        public int MaximumRedirection { get; }

        /// <summary>System, None, or the proxy's address.</summary>
        public string Proxy { get; }

        public string? ProxyUser { get; }

        public bool ProxyUseDefaultCredentials { get; }

        /// <summary>The PEM bundle trusted beside the system's store, if any.</summary>
        public string? CertificateBundle { get; }

        /// <summary>How many certificates the bundle holds.</summary>
        public int TrustedCertificates { get; }

        /// <summary>The vault tokens persist in beyond the session; null: the session's memory only.</summary>
        public string? TokenCacheVault { get; }

        /// <summary>The folder an Azure Arc challenge's key file may be in, when code named one; null: the agent's own folder.</summary>
        public string? ArcKeyFolder { get; }

        /// <summary>The session's client assertion sources, as Provider=Source, each for the provider it was named for.</summary>
        public string[] ClientAssertion { get; }
    }
}
