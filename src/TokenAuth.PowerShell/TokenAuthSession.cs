using System.Diagnostics;
using System.Management.Automation;
using System.Runtime.InteropServices;
using TokenAuth.Credentials;
using TokenAuth.Http;
using TokenAuth.Providers;

namespace TokenAuth.Commands
{
    /// <summary>
    /// What the PowerShell session shares: one engine (and so one token cache and the limits of its options), the
    /// providers and the credentials read from vaults. Static, so that ForEach-Object -Parallel runspaces, which run in
    /// the same process, share it; the proxy, trusted CAs and assertion sources are each runspace's (<see cref="RunspaceSettings"/>).
    /// </summary>
    internal static class TokenAuthSession
    {
        public static readonly ProviderRegistry Providers = PersistedProviders.LoadInto(new ProviderRegistry());

        public static readonly TokenAuthEngine Engine = new TokenAuthEngine(DefaultOptions()) { TokenStore = new SecretManagementTokenStore() };

        public static readonly CredentialResolver Credentials = new CredentialResolver();

        public static readonly ClientCertificateResolver ClientCertificates = new ClientCertificateResolver();

        /// <summary>The engine's defaults, with a User-Agent that names PowerShell and the platform too.</summary>
        public static TokenAuthOptions DefaultOptions() => new TokenAuthOptions
        {
            UserAgent = $"{TokenAuthOptions.DefaultUserAgent} PowerShell/{PowerShellVersion()} "
                + $"({(RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "Windows" : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "macOS" : "Linux")} {RuntimeInformation.OSArchitecture})",
        };

        /// <summary>PowerShell's own version (7.6.5), which its assembly's version (7.6.0.500) does not give.</summary>
        private static string PowerShellVersion()
        {
            var assembly = typeof(PSObject).Assembly;
            var product = string.IsNullOrEmpty(assembly.Location) ? null : FileVersionInfo.GetVersionInfo(assembly.Location).ProductVersion;
            return product?.Split(' ')[0] ?? assembly.GetName().Version!.ToString(3);
        }
    }
}
