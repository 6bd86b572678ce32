using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// Where the private key of a client certificate read from a PFX or PEM files is kept. In memory alone
    /// (EphemeralKeySet) where the platform can both load and use such a key: .NET on Linux. Windows' TLS (SChannel)
    /// cannot present an ephemeral key, under .NET or .NET Framework (the netstandard2.0 build is for Windows
    /// PowerShell 5.1; Mono, its stand-in in tests, would load one), and macOS cannot load one: there the key goes to
    /// the user's key store as a temporary key, which disposing of the certificate deletes
    /// (<see cref="ClientCertificateResolver.ForgetAll"/>).
    /// </summary>
    internal static class ClientCertificateKeys
    {
        public static X509KeyStorageFlags StorageFlags { get; } =
#if NET8_0_OR_GREATER
            RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? X509KeyStorageFlags.EphemeralKeySet : X509KeyStorageFlags.DefaultKeySet;
#else
            X509KeyStorageFlags.DefaultKeySet;
#endif
    }
}
