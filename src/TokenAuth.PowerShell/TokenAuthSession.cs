using TokenAuth.Credentials;
using TokenAuth.Providers;

namespace TokenAuth.Commands
{
    /// <summary>
    /// What the PowerShell session shares: one engine (and so one token cache), the providers and the credentials
    /// read from vaults. Static, so that ForEach-Object -Parallel runspaces, which run in the same process, share it.
    /// </summary>
    internal static class TokenAuthSession
    {
        public static readonly ProviderRegistry Providers = new ProviderRegistry();

        public static readonly TokenAuthEngine Engine = new TokenAuthEngine();

        public static readonly CredentialResolver Credentials = new CredentialResolver();

        public static readonly ClientCertificateResolver ClientCertificates = new ClientCertificateResolver();
    }
}
