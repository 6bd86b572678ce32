using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// Reads the client certificate a provider definition names (a PFX in a vault, PEM files, a certificate store),
    /// once per session, and checks that it can be used: it has its private key and has not expired. Never shows a key
    /// or a password: a failure names the source and the check.
    /// </summary>
    public sealed class ClientCertificateResolver
    {
        /// <summary>A certificate that expires sooner than this is used, with a warning.</summary>
        public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(14);

        /// <summary>Certificates already warned about: once a session is enough, not once a call.</summary>
        private static readonly ConcurrentDictionary<string, bool> WarnedOfExpiry = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);

        private readonly ConcurrentDictionary<ClientCertificateSpec, X509Certificate2> _resolved = new ConcurrentDictionary<ClientCertificateSpec, X509Certificate2>();

        public X509Certificate2 Resolve(ProviderDefinition provider, ClientCertificateSpec spec, ISecretStore store, ITokenAuthLog? log, DateTimeOffset now)
        {
            if (!_resolved.TryGetValue(spec, out var certificate))
            {
                var read = spec.SecretName != null ? FromVault(provider, spec, store)
                    : spec.CertificateFile != null ? FromPemFiles(provider.Name, spec.CertificateFile, spec.KeyFile)
                    : FromStore(provider.Name, spec.Thumbprint!, spec.StoreLocation);
                certificate = _resolved.GetOrAdd(spec, read);
                if (!ReferenceEquals(certificate, read))
                {
                    // Another call read it at the same time: one copy of its key is enough.
                    read.Dispose();
                }
            }

            CheckUsable(provider.Name, certificate, spec.ToString(), log, now);
            return certificate;
        }

        /// <summary>
        /// Forgets every certificate read, so the next use reads its source again, and disposes of them: on Windows that
        /// deletes the key a PFX put in the user's key store. The pooled connections that present them are retired first.
        /// </summary>
        public void ForgetAll()
        {
            var forgotten = new List<X509Certificate2>();
            foreach (var spec in _resolved.Keys)
            {
                if (_resolved.TryRemove(spec, out var certificate))
                {
                    forgotten.Add(certificate);
                }
            }

            HttpClientPool.RetireClientsPresenting(forgotten);
            foreach (var certificate in forgotten)
            {
                certificate.Dispose();
            }
        }

        /// <summary>Refuses a certificate without its private key or past its end; warns when its end is near.</summary>
        public static void CheckUsable(string? provider, X509Certificate2 certificate, string source, ITokenAuthLog? log, DateTimeOffset now)
        {
            // Checked on every call that presents it: the certificate's name is composed only for a message.
            string Shown() => $"The client certificate '{certificate.Subject}' (thumbprint {certificate.Thumbprint}) from {source}";
            if (!certificate.HasPrivateKey)
            {
                throw new CertificateException(CertificateProblem.ClientCertificateUnusable, provider,
                    $"{Shown()} has no private key, so it cannot prove who this client is: export it with its key (a PFX), or give the key file.");
            }

            var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
            if (notAfter <= now)
            {
                throw new CertificateException(CertificateProblem.ClientCertificateUnusable, provider,
                    $"{Shown()} expired on {notAfter.UtcDateTime:u}: renew it and register the new one with the provider.");
            }

            if (notAfter - now < ExpiryWarning && WarnedOfExpiry.TryAdd(certificate.Thumbprint, true))
            {
                log.Warning($"{Shown()} expires on {notAfter.UtcDateTime:u}, in {(notAfter - now).TotalDays:0.#} days: renew it and register the new one with the provider.");
            }
        }

        /// <summary>A PFX (PKCS#12) as bytes, with its password, or none.</summary>
        public static X509Certificate2 FromPfx(string? provider, byte[] pfx, string? password, string source)
        {
            try
            {
                return new X509Certificate2(pfx, password, ClientCertificateKeys.StorageFlags);
            }
            catch (CryptographicException ex)
            {
                throw new CertificateException(CertificateProblem.ClientCertificateUnusable, provider,
                    $"The PFX in {source} could not be opened{(password == null ? " without a password (name the secret holding it in passwordSecretName)" : "; is its password right?")}: {ex.Message}",
                    ex);
            }
        }

        /// <summary>A PEM certificate and its private key (in the same file when <paramref name="keyFile"/> is null).</summary>
        public static X509Certificate2 FromPemFiles(string? provider, string certificateFile, string? keyFile)
        {
#if NET8_0_OR_GREATER
            try
            {
                using var fromPem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
                // Through PKCS#12 so that the key is one Windows' TLS can use (it cannot use an ephemeral key).
                return new X509Certificate2(fromPem.Export(X509ContentType.Pkcs12), (string?)null, ClientCertificateKeys.StorageFlags);
            }
            catch (Exception ex) when (ex is CryptographicException || ex is IOException || ex is UnauthorizedAccessException || ex is ArgumentException)
            {
                throw new CertificateException(CertificateProblem.ClientCertificateUnusable, provider,
                    $"The client certificate in '{certificateFile}'{(keyFile == null ? "" : $" with the key in '{keyFile}'")} could not be read: {ex.Message}", ex);
            }
#else
            throw new CertificateException(CertificateProblem.ClientCertificateUnusable, provider,
                $"Windows PowerShell 5.1 cannot read a certificate and key from PEM files ('{certificateFile}'): use a PFX in a vault (secretName) or the certificate store (thumbprint), "
                + "or PowerShell 7.");
#endif
        }

        public static X509Certificate2 FromStore(string? provider, string thumbprint, string location)
        {
            var storeLocation = location == "LocalMachine" ? StoreLocation.LocalMachine : StoreLocation.CurrentUser;
            using var store = new X509Store(StoreName.My, storeLocation);
            try
            {
                store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            }
            catch (CryptographicException ex)
            {
                throw new CertificateException(CertificateProblem.ClientCertificateUnusable, provider, $"The {location} personal certificate store cannot be opened: {ex.Message}", ex);
            }

            var found = store.Certificates.Find(X509FindType.FindByThumbprint, thumbprint.Replace(" ", ""), validOnly: false);
            if (found.Count == 0)
            {
                throw new CertificateException(CertificateProblem.ClientCertificateUnusable, provider,
                    $"No certificate with the thumbprint {thumbprint} is in the {location} personal certificate store (Cert:\\{location}\\My).");
            }

            return found[0];
        }

        private static X509Certificate2 FromVault(ProviderDefinition provider, ClientCertificateSpec spec, ISecretStore store)
        {
            SecretValue pfx;
            SecretValue? password = null;
            lock (CredentialResolver.VaultGate)
            {
                pfx = store.GetSecret(spec.SecretName!, spec.Vault);
                if (spec.PasswordSecretName != null)
                {
                    password = store.GetSecret(spec.PasswordSecretName, spec.Vault);
                }
            }

            var source = spec.ToString();
            byte[] bytes;
            try
            {
                bytes = pfx.Bytes ?? (pfx.Text != null ? Convert.FromBase64String(pfx.Text) : pfx.Password != null ? Convert.FromBase64String(CredentialResolver.Reveal(pfx.Password)) : null)
                    ?? throw new FormatException();
            }
            catch (FormatException)
            {
                throw new SecretLookupException(SecretFailure.WrongShape, provider.Name,
                    $"{source} is a {pfx.Shape}; a client certificate is stored as the PFX's bytes (Set-Secret -Name {spec.SecretName} -Value ([IO.File]::ReadAllBytes('client.pfx'))) "
                    + "or as Base64 text.");
            }

            var passwordText = password == null ? null
                : password.Password != null ? CredentialResolver.Reveal(password.Password)
                : password.Text ?? throw new SecretLookupException(SecretFailure.WrongShape, provider.Name,
                    $"The secret '{spec.PasswordSecretName}' is a {password.Shape}; the PFX's password is stored as a SecureString or a string.");
            return FromPfx(provider.Name, bytes, passwordText, source);
        }
    }
}
