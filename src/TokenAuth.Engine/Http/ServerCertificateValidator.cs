using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using TokenAuth.Errors;
using TokenAuth.Logging;

namespace TokenAuth.Http
{
    /// <summary>
    /// Checks a server's certificate as the operating system does, then, where that fails only on trust, against the
    /// extra certificate authorities of <see cref="ConnectionSettings.TrustedCertificates"/>. A refusal is remembered per
    /// host, so that the failure that follows (a bare AuthenticationException) can be reported as the check that failed.
    /// </summary>
    internal sealed class ServerCertificateValidator
    {
        private readonly ConnectionSettings _settings;
        private readonly ConcurrentDictionary<string, (CertificateProblem Problem, string Reason)> _refusals =
            new ConcurrentDictionary<string, (CertificateProblem, string)>(StringComparer.OrdinalIgnoreCase);

        public ServerCertificateValidator(ConnectionSettings settings)
        {
            _settings = settings;
        }

        public bool Validate(string host, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (errors == SslPolicyErrors.None || _settings.SkipCertificateCheck)
            {
                _refusals.TryRemove(host, out _);
                return true;
            }

            var server = certificate == null ? null : certificate as X509Certificate2 ?? new X509Certificate2(certificate);
            if (errors == SslPolicyErrors.RemoteCertificateChainErrors && server != null && _settings.TrustedCertificates is { } trusted
                && ChainsTo(trusted, server, chain))
            {
                _refusals.TryRemove(host, out _);
                return true;
            }

            _refusals[host] = Diagnose(host, server, chain, errors);
            return false;
        }

        /// <summary>Why the certificate of <paramref name="host"/> was last refused, if it was.</summary>
        public (CertificateProblem Problem, string Reason)? RefusalFor(string host) => _refusals.TryGetValue(host, out var refusal) ? refusal : null;

        private static bool ChainsTo(TrustedCertificates trusted, X509Certificate2 server, X509Chain? presented)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (presented != null)
            {
                foreach (var element in presented.ChainElements)
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
#if NET8_0_OR_GREATER
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            foreach (var certificate in trusted.Certificates)
            {
                chain.ChainPolicy.CustomTrustStore.Add(certificate);
            }

            return chain.Build(server);
#else
            // .NET Framework has no custom root store: build with the bundle as extra certificates, allow an unknown
            // root, and then insist that the root reached is one of the bundle's and that nothing else failed.
            foreach (var certificate in trusted.Certificates)
            {
                chain.ChainPolicy.ExtraStore.Add(certificate);
            }

            chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
            if (!chain.Build(server))
            {
                return false;
            }

            var root = chain.ChainElements[chain.ChainElements.Count - 1].Certificate;
            return trusted.Certificates.Any(certificate => certificate.Thumbprint == root.Thumbprint)
                && chain.ChainStatus.All(status => status.Status == X509ChainStatusFlags.NoError || status.Status == X509ChainStatusFlags.UntrustedRoot);
#endif
        }

        private static (CertificateProblem, string) Diagnose(string host, X509Certificate2? server, X509Chain? chain, SslPolicyErrors errors)
        {
            if (server == null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            {
                return (CertificateProblem.Rejected, $"{host} presented no certificate");
            }

            // Names a server's certificate carries are the server's own words: shown only as printable text.
            var subject = Redaction.Printable(server.GetNameInfo(X509NameType.SimpleName, false));
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            {
                var names = DnsNames(server);
                return (CertificateProblem.NameMismatch,
                    $"{host} presented a certificate for {(names.Length > 0 ? string.Join(", ", names) : subject)}, not for {host}");
            }

            var status = chain?.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, element) => all | element.Status) ?? X509ChainStatusFlags.NoError;
            if (status.HasFlag(X509ChainStatusFlags.NotTimeValid))
            {
                var now = DateTime.Now;
                return (CertificateProblem.Expired, server.NotAfter < now
                    ? $"the certificate of {host} ('{subject}') expired on {server.NotAfter.ToUniversalTime():u}"
                    : server.NotBefore > now
                        ? $"the certificate of {host} ('{subject}') is not valid until {server.NotBefore.ToUniversalTime():u} (is this machine's clock right?)"
                        : $"a certificate above that of {host} ('{subject}') has expired");
            }

            if (status.HasFlag(X509ChainStatusFlags.Revoked))
            {
                return (CertificateProblem.Revoked, $"the certificate of {host} ('{subject}') has been revoked");
            }

            if (status.HasFlag(X509ChainStatusFlags.UntrustedRoot) || status.HasFlag(X509ChainStatusFlags.PartialChain))
            {
                // The chain ends where it could go no further: at a root, or at the certificate whose issuer is unknown here.
                var last = chain!.ChainElements.Count > 0 ? chain.ChainElements[chain.ChainElements.Count - 1].Certificate : server;
                var issuer = last.Subject == last.Issuer ? last : null;
                return (CertificateProblem.Untrusted, issuer?.Thumbprint == server.Thumbprint
                    ? $"the certificate of {host} ('{subject}') is self-signed, and this machine does not trust it"
                    : $"the certificate of {host} ('{subject}') is issued by '{Redaction.Printable((issuer ?? last).GetNameInfo(X509NameType.SimpleName, issuer == null))}', "
                        + "a certificate authority this machine does not trust");
            }

            var details = chain == null ? "" : Redaction.Printable(string.Join("; ", chain.ChainStatus.Select(element => element.StatusInformation.Trim()).Where(text => text.Length > 0)));
            return (CertificateProblem.Rejected, $"the certificate of {host} ('{subject}') failed its checks ({errors}{(details.Length > 0 ? ": " + details : "")})");
        }

        private static string[] DnsNames(X509Certificate2 certificate)
        {
            // The subject alternative names, as the certificate's own text shows them ("DNS Name=x", "IP Address=y" on
            // Windows; "DNS:x, IP Address:y" elsewhere).
            var extension = certificate.Extensions.Cast<X509Extension>().FirstOrDefault(e => e.Oid?.Value == "2.5.29.17");
            if (extension == null)
            {
                return Array.Empty<string>();
            }

            return extension.Format(false).Split(new[] { ',', '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries)
                .Select(name => Redaction.Printable(name.Trim())).Where(name => name.Length > 0).ToArray();
        }
    }
}
