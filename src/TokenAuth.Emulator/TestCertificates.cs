using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TokenAuth.Emulator;

/// <summary>
/// A throwaway certificate authority and the certificates tests need from it, made fresh on each run (nothing checked
/// in that could expire): the emulator's server certificate for 127.0.0.1 and localhost, certificates a client must
/// refuse (another name, expired, from an untrusted root), and client certificates for mutual TLS.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    /// <summary>The password of every PFX written, and of the client certificate in a vault.</summary>
    public const string PfxPassword = "tokenauth-test-pfx";

    private TestCertificates(X509Certificate2 authority, X509Certificate2 server, X509Certificate2 wrongName, X509Certificate2 expired,
        X509Certificate2 untrusted, X509Certificate2 client, X509Certificate2 otherClient)
    {
        Authority = authority;
        Server = server;
        WrongName = wrongName;
        Expired = expired;
        Untrusted = untrusted;
        Client = client;
        OtherClient = otherClient;
    }

    /// <summary>The test CA, with its key: what a user trusts with a PEM bundle.</summary>
    public X509Certificate2 Authority { get; }

    public X509Certificate2 Server { get; }

    /// <summary>Issued by the CA for other.example: a name mismatch at 127.0.0.1.</summary>
    public X509Certificate2 WrongName { get; }

    /// <summary>Issued by the CA for 127.0.0.1, expired yesterday.</summary>
    public X509Certificate2 Expired { get; }

    /// <summary>For 127.0.0.1, but self-signed: no trust anywhere.</summary>
    public X509Certificate2 Untrusted { get; }

    /// <summary>A client certificate issued by the CA, the one the emulator is told to accept.</summary>
    public X509Certificate2 Client { get; }

    /// <summary>Another client certificate from the CA, which the emulator refuses.</summary>
    public X509Certificate2 OtherClient { get; }

    public static TestCertificates Create()
    {
        var now = DateTimeOffset.UtcNow;
        using var authorityKey = RSA.Create(2048);
        var authorityRequest = new CertificateRequest("CN=TokenAuth Test CA, O=TokenAuth tests", authorityKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        authorityRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(authorityRequest.PublicKey, false));
        // Valid from before the expired certificate it issues, which .NET checks.
        var authority = authorityRequest.CreateSelfSigned(now.AddDays(-7), now.AddDays(60));

        var server = Issue(authority, "CN=127.0.0.1", Loopback, now.AddMinutes(-10), now.AddDays(1), serverAuth: true);
        var wrongName = Issue(authority, "CN=other.example", names => names.AddDnsName("other.example"), now.AddMinutes(-10), now.AddDays(1), serverAuth: true);
        var expired = Issue(authority, "CN=127.0.0.1 (expired)", Loopback, now.AddDays(-3), now.AddDays(-1), serverAuth: true);
        // Client certificates outlast TokenAuth's 14-day expiry warning.
        var client = Issue(authority, "CN=tokenauth-test-client", null, now.AddMinutes(-10), now.AddDays(30), serverAuth: false);
        var otherClient = Issue(authority, "CN=tokenauth-other-client", null, now.AddMinutes(-10), now.AddDays(30), serverAuth: false);

        using var untrustedKey = RSA.Create(2048);
        var untrustedRequest = new CertificateRequest("CN=127.0.0.1 (self-signed)", untrustedKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        untrustedRequest.CertificateExtensions.Add(SubjectNames(Loopback));
        var untrusted = untrustedRequest.CreateSelfSigned(now.AddMinutes(-10), now.AddDays(1));
        return new TestCertificates(authority, server, wrongName, expired, untrusted, client, otherClient);
    }

    /// <summary>
    /// Writes ca.pem (the CA alone, as a user's bundle), a PFX of each certificate with <see cref="PfxPassword"/>
    /// (server, wrong-name, expired, untrusted, client, other-client), client.pem with client.key, and a self-signed
    /// EC client certificate, ec-client.pem with ec-client.key (and ec-client.pfx).
    /// </summary>
    public void WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "ca.pem"), Authority.ExportCertificatePem() + "\n");
        foreach (var (name, certificate) in new[]
                 {
                     ("server", Server), ("wrong-name", WrongName), ("expired", Expired), ("untrusted", Untrusted), ("client", Client), ("other-client", OtherClient),
                 })
        {
            File.WriteAllBytes(Path.Combine(folder, name + ".pfx"), certificate.Export(X509ContentType.Pkcs12, PfxPassword));
        }

        File.WriteAllText(Path.Combine(folder, "client.pem"), Client.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(folder, "client.key"), Client.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n");
        // An EC (P-256) client certificate and key, for ES256 assertions.
        using var ecKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ecRequest = new CertificateRequest("CN=tokenauth-ec-client", ecKey, HashAlgorithmName.SHA256);
        using var ecClient = ecRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllText(Path.Combine(folder, "ec-client.pem"), ecClient.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(folder, "ec-client.key"), ecKey.ExportPkcs8PrivateKeyPem() + "\n");
        File.WriteAllBytes(Path.Combine(folder, "ec-client.pfx"), ecClient.Export(X509ContentType.Pkcs12, PfxPassword));
    }

    public void Dispose()
    {
        foreach (var certificate in new[] { Authority, Server, WrongName, Expired, Untrusted, Client, OtherClient })
        {
            certificate.Dispose();
        }
    }

    /// <summary>
    /// A name that is not loopback to a client, which never sends loopback through a proxy: the Pester suite's test proxy
    /// alone resolves it, to 127.0.0.1 (tests/pester/TokenAuth.TestSupport.psm1, Start-TokenAuthTestProxy).
    /// </summary>
    public const string ProxiedHostName = "tokenauth-emulator.test";

    private static void Loopback(SubjectAlternativeNameBuilder names)
    {
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        names.AddDnsName(ProxiedHostName);
    }

    private static X509Extension SubjectNames(Action<SubjectAlternativeNameBuilder> add)
    {
        var names = new SubjectAlternativeNameBuilder();
        add(names);
        return names.Build();
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string subject, Action<SubjectAlternativeNameBuilder>? names, DateTimeOffset notBefore,
        DateTimeOffset notAfter, bool serverAuth)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2") }, false));
        if (names != null)
        {
            request.CertificateExtensions.Add(SubjectNames(names));
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var issued = request.Create(authority, notBefore, notAfter, serial);
        // With its key, through PKCS#12, so that the server (and Windows' TLS) can use it.
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
