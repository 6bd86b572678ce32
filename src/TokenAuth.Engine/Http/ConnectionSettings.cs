using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using TokenAuth.Errors;

namespace TokenAuth.Http
{
    /// <summary>
    /// Which proxy a call goes through: the system's (HTTPS_PROXY, HTTP_PROXY and NO_PROXY on Linux and macOS, the
    /// Windows settings on Windows), none, or an explicit one. Equal settings share one HttpClient and its connections:
    /// the same address with the same credentials, compared by user, domain and password.
    /// </summary>
    public sealed class ProxySettings : IEquatable<ProxySettings>
    {
        public static ProxySettings System { get; } = new ProxySettings(null, null, false, false);

        /// <summary>The system proxy, answering its challenges with the logged-on user's credentials (Kerberos, NTLM).</summary>
        public static ProxySettings SystemWithDefaultCredentials { get; } = new ProxySettings(null, null, true, false);

        /// <summary>Straight to the provider, whatever the system says.</summary>
        public static ProxySettings None { get; } = new ProxySettings(null, null, false, true);

        /// <summary>
        /// An explicit proxy. User information in <paramref name="address"/> (http://user:pass@host:port) becomes the
        /// credential and is taken out of the address, so that the address can be shown.
        /// </summary>
        public ProxySettings(Uri address, NetworkCredential? credential = null, bool useDefaultCredentials = false)
            : this(WithoutUserInfo(address ?? throw new ArgumentNullException(nameof(address))), credential ?? CredentialIn(address), useDefaultCredentials, false)
        {
            if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
            {
                // Not the address itself: "user:pass@proxy:3128", without its scheme, parses as a URI whose scheme is the user.
                throw new ArgumentException("The proxy address is not an absolute http:// or https:// URI, such as http://proxy.example:3128.", nameof(address));
            }

            if (Credential != null && useDefaultCredentials)
            {
                throw new ArgumentException("A proxy takes either a credential or the default credentials, not both.", nameof(useDefaultCredentials));
            }
        }

        private ProxySettings(Uri? address, NetworkCredential? credential, bool useDefaultCredentials, bool direct)
        {
            Address = address;
            Credential = credential;
            UseDefaultCredentials = useDefaultCredentials;
            Direct = direct;
            _hash = (address?.GetHashCode() ?? 0) ^ (direct ? 1 : 0) ^ (useDefaultCredentials ? 2 : 0);
        }

        /// <summary>Computed once: every send looks its connection's client up by these settings.</summary>
        private readonly int _hash;

        /// <summary>The explicit proxy's address (never with credentials in it); null for the system proxy or none.</summary>
        public Uri? Address { get; }

        public NetworkCredential? Credential { get; }

        public bool UseDefaultCredentials { get; }

        /// <summary>No proxy at all.</summary>
        public bool Direct { get; }

        /// <summary>For messages: the address and the user, never the password.</summary>
        public override string ToString() =>
            Direct ? "none (direct)"
            : Address == null ? (UseDefaultCredentials ? "the system proxy, with the default credentials" : "the system proxy")
            : Address.AbsoluteUri + (Credential != null ? $" as '{Credential.UserName}'" : UseDefaultCredentials ? " with the default credentials" : "");

        public bool Equals(ProxySettings? other) =>
            other != null && Address == other.Address && Direct == other.Direct && UseDefaultCredentials == other.UseDefaultCredentials
            && (ReferenceEquals(Credential, other.Credential)
                || (Credential != null && other.Credential != null && Credential.UserName == other.Credential.UserName
                    && Credential.Domain == other.Credential.Domain && Credential.Password == other.Credential.Password));

        public override bool Equals(object? obj) => Equals(obj as ProxySettings);

        public override int GetHashCode() => _hash;

        private static Uri WithoutUserInfo(Uri address) =>
            address.IsAbsoluteUri && address.UserInfo.Length > 0 ? new UriBuilder(address) { UserName = "", Password = "" }.Uri : address;

        private static NetworkCredential? CredentialIn(Uri address)
        {
            if (!address.IsAbsoluteUri || address.UserInfo.Length == 0)
            {
                return null;
            }

            var colon = address.UserInfo.IndexOf(':');
            return colon < 0
                ? new NetworkCredential(Uri.UnescapeDataString(address.UserInfo), "")
                : new NetworkCredential(Uri.UnescapeDataString(address.UserInfo.Substring(0, colon)), Uri.UnescapeDataString(address.UserInfo.Substring(colon + 1)));
        }
    }

    /// <summary>
    /// Certificate authorities trusted by TokenAuth alone, beside the operating system's store: a corporate CA that
    /// inspects TLS, say. Read from a PEM bundle once per file version; equal when they hold the same certificates.
    /// </summary>
    public sealed class TrustedCertificates : IEquatable<TrustedCertificates>
    {
        private static readonly ConcurrentDictionary<(string Path, DateTime Written), TrustedCertificates> Loaded =
            new ConcurrentDictionary<(string, DateTime), TrustedCertificates>();

        private readonly string _thumbprints;
        private readonly int _hash;

        public TrustedCertificates(string source, IReadOnlyList<X509Certificate2> certificates)
        {
            Source = source;
            Certificates = certificates;
            _thumbprints = string.Join(",", certificates.Select(certificate => certificate.Thumbprint).OrderBy(thumbprint => thumbprint, StringComparer.Ordinal));
            _hash = StringComparer.Ordinal.GetHashCode(_thumbprints);
        }

        /// <summary>Where the certificates came from (the bundle's path), for messages.</summary>
        public string Source { get; }

        public IReadOnlyList<X509Certificate2> Certificates { get; }

        /// <summary>
        /// The certificates of a PEM bundle (one or more BEGIN CERTIFICATE blocks, as curl and git take them). Anything
        /// else in the file (comments, keys) is ignored; a file with no certificate is an error naming the file.
        /// </summary>
        public static TrustedCertificates FromPemFile(string path)
        {
            string full;
            DateTime written;
            string text;
            try
            {
                full = Path.GetFullPath(path);
                written = File.GetLastWriteTimeUtc(full);
                if (Loaded.TryGetValue((full, written), out var known))
                {
                    return known;
                }

                text = File.ReadAllText(full);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ArgumentException || ex is NotSupportedException)
            {
                throw new CertificateException(CertificateProblem.BundleUnusable, null, $"Cannot read the certificate bundle '{path}': {ex.Message}");
            }

            var certificates = new List<X509Certificate2>();
            foreach (var block in CertificateBlocks(text, path))
            {
                try
                {
                    certificates.Add(new X509Certificate2(block));
                }
                catch (Exception ex) when (ex is FormatException || ex is System.Security.Cryptography.CryptographicException)
                {
                    throw new CertificateException(CertificateProblem.BundleUnusable, null, $"The certificate bundle '{path}' holds a certificate block that is not a certificate: {ex.Message}");
                }
            }

            if (certificates.Count == 0)
            {
                throw new CertificateException(CertificateProblem.BundleUnusable, null,
                    $"The certificate bundle '{path}' holds no PEM certificate (a '-----BEGIN CERTIFICATE-----' block): export the CA certificate as Base64 (PEM).");
            }

            return Loaded.GetOrAdd((full, written), new TrustedCertificates(full, certificates));
        }

        /// <summary>The DER bytes of each CERTIFICATE block of a PEM bundle.</summary>
        private static IEnumerable<byte[]> CertificateBlocks(string pem, string path)
        {
            const string Begin = "-----BEGIN CERTIFICATE-----";
            const string End = "-----END CERTIFICATE-----";
            for (var start = pem.IndexOf(Begin, StringComparison.Ordinal); start >= 0; start = pem.IndexOf(Begin, start, StringComparison.Ordinal))
            {
                start += Begin.Length;
                var stop = pem.IndexOf(End, start, StringComparison.Ordinal);
                if (stop < 0)
                {
                    yield break;
                }

                byte[] der;
                try
                {
                    der = Convert.FromBase64String(pem.Substring(start, stop - start).Trim());
                }
                catch (FormatException)
                {
                    throw new CertificateException(CertificateProblem.BundleUnusable, null, $"The certificate bundle '{path}' holds a '{Begin}' block that is not valid Base64.");
                }

                yield return der;
                start = stop + End.Length;
            }
        }

        /// <summary>Both sets trusted: a session's corporate CA and a provider's private one, say.</summary>
        public TrustedCertificates With(TrustedCertificates other) =>
            Equals(other) ? this : new TrustedCertificates(Source + "; " + other.Source, Certificates.Concat(other.Certificates).ToList());

        public bool Equals(TrustedCertificates? other) => other != null && _thumbprints == other._thumbprints;

        public override bool Equals(object? obj) => Equals(obj as TrustedCertificates);

        public override int GetHashCode() => _hash;

        public override string ToString() => $"{Certificates.Count} certificate(s) from {Source}";
    }

    /// <summary>
    /// How a call reaches the provider: through which proxy, trusting which certificate authorities, presenting which
    /// client certificate. Every call of one request (token, refresh, revoke, who-am-I, API) goes the same way; equal
    /// settings share one pooled HttpClient (<see cref="HttpClientPool"/>).
    /// </summary>
    public sealed record ConnectionSettings
    {
        public static ConnectionSettings Default { get; } = new ConnectionSettings();

        public ProxySettings Proxy { get; init; } = ProxySettings.System;

        /// <summary>Certificate authorities trusted beside the operating system's; null: the system's alone.</summary>
        public TrustedCertificates? TrustedCertificates { get; init; }

        /// <summary>Accept any server certificate. For a test server only; never the default.</summary>
        public bool SkipCertificateCheck { get; init; }

        private readonly X509Certificate2? _clientCertificate;

        /// <summary>Presented when the server asks for one (mutual TLS); tokens are cached per client certificate.</summary>
        public X509Certificate2? ClientCertificate
        {
            get => _clientCertificate;
            init
            {
                _clientCertificate = value;
                ClientCertificateThumbprint = value?.Thumbprint;
            }
        }

        /// <summary>Read once: X509Certificate2.Thumbprint makes a new string on every read, and every send compares settings.</summary>
        internal string? ClientCertificateThumbprint { get; private init; }

        /// <summary>The TLS versions allowed; None (the default): the operating system's choice.</summary>
        public SslProtocols SslProtocols { get; init; }

        /// <summary>
        /// The CAs of the session these settings were made from (Set-TokenAuthOption -CertificateBundle, the user's own
        /// choice), kept apart from a provider's own that <see cref="For"/> adds: they still hold off the provider's
        /// origin. Carried with the settings because the session's trust belongs to the runspace that set it.
        /// </summary>
        private TrustedCertificates? SessionTrust { get; init; }

        /// <summary>Whether <see cref="SessionTrust"/> was recorded (<see cref="AsSession"/>); else the engine's own settings are the session's.</summary>
        private bool KnowsSessionTrust { get; init; }

        /// <summary>These settings as a session's: their trusted CAs are the ones that hold everywhere.</summary>
        public ConnectionSettings AsSession() => this with { SessionTrust = TrustedCertificates, KnowsSessionTrust = true };

        /// <summary>The same settings with a provider's own trusted CAs (beside these) and client certificate, where it has them.</summary>
        public ConnectionSettings For(TrustedCertificates? providerTrust, X509Certificate2? providerCertificate) =>
            providerTrust == null && providerCertificate == null ? this
            : this with
            {
                TrustedCertificates = providerTrust == null ? TrustedCertificates : TrustedCertificates?.With(providerTrust) ?? providerTrust,
                ClientCertificate = providerCertificate ?? ClientCertificate,
            };

        /// <summary>
        /// How a call off the provider's origin goes (a redirect elsewhere): through the same proxy, with the same TLS
        /// versions and certificate check, but what is the provider's alone stays behind. It trusts the machine's store
        /// and the session's CAs, never the provider's trustedCertificates, and presents no client certificate.
        /// </summary>
        /// <param name="engineSessionTrust">The engine's own session CAs, for settings not made from a session's (<see cref="AsSession"/>).</param>
        public ConnectionSettings OffProvider(TrustedCertificates? engineSessionTrust)
        {
            var sessionTrust = KnowsSessionTrust ? SessionTrust : engineSessionTrust;
            return ClientCertificate == null && Equals(TrustedCertificates, sessionTrust) ? this : this with { TrustedCertificates = sessionTrust, ClientCertificate = null };
        }

        /// <summary>
        /// How a call to a CI pipeline's OIDC endpoint goes: off the provider (<see cref="OffProvider"/>), and never with
        /// -SkipCertificateCheck: that endpoint is the pipeline's, and the flag was given for the provider's.
        /// </summary>
        public ConnectionSettings ForPipelineEndpoint(TrustedCertificates? engineSessionTrust) => OffProvider(engineSessionTrust) with { SkipCertificateCheck = false };

        public bool Equals(ConnectionSettings? other) =>
            ReferenceEquals(this, other)
            || (other != null && Proxy.Equals(other.Proxy) && Equals(TrustedCertificates, other.TrustedCertificates)
                && SkipCertificateCheck == other.SkipCertificateCheck && ClientCertificateThumbprint == other.ClientCertificateThumbprint
                && SslProtocols == other.SslProtocols);

        public override int GetHashCode() =>
            Proxy.GetHashCode() ^ (TrustedCertificates?.GetHashCode() ?? 0) ^ (SkipCertificateCheck ? 7 : 0) ^ ((int)SslProtocols << 4)
            ^ (ClientCertificateThumbprint == null ? 0 : StringComparer.Ordinal.GetHashCode(ClientCertificateThumbprint));

        /// <summary>For verbose lines: how the call goes, never a password or key.</summary>
        public override string ToString()
        {
            var text = new StringBuilder("proxy: ").Append(Proxy);
            if (TrustedCertificates != null) text.Append("; also trusting ").Append(TrustedCertificates);
            if (SkipCertificateCheck) text.Append("; certificate check skipped");
            if (SslProtocols != SslProtocols.None) text.Append("; TLS versions ").Append(SslProtocols);
            if (ClientCertificate != null) text.Append("; client certificate ").Append(ClientCertificate.Subject).Append(" (").Append(ClientCertificate.Thumbprint).Append(')');
            return text.ToString();
        }
    }
}
