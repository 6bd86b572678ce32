using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Identity.Client;
using TokenAuth.Credentials;
using TokenAuth.Emulator;
using TokenAuth.Providers;
using TokenAuth.Tokens;

namespace TokenAuth.Benchmarks;

/// <summary>
/// The emulator on 127.0.0.1 (plain http, plus TLS with an in-memory certificate for MSAL) and a TokenAuth request for
/// its plain OAuth2 server, which MSAL can use too, so both are measured against the same endpoint.
/// </summary>
public sealed class BenchmarkEnvironment : IAsyncDisposable
{
    public const string Scope = "api://tokenauth/.default";

    private BenchmarkEnvironment(ProviderEmulator emulator, X509Certificate2 certificate)
    {
        Emulator = emulator;
        Certificate = certificate;
        var definition = ProviderDefinitionLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "oauth2-client-secret-post.json"));
        Credential = new ProviderCredential(DemoCredentials.All["oauth2"].ClientId, DemoCredentials.All["oauth2"].ClientSecret);
        Target = ProviderTarget.Resolve(definition, baseUri: emulator.RootUri.ToString());
        Request = new TokenRequest(Target, Credential, Scope);
    }

    public ProviderEmulator Emulator { get; }

    public X509Certificate2 Certificate { get; }

    public ProviderCredential Credential { get; }

    public ProviderTarget Target { get; }

    public TokenRequest Request { get; }

    public Uri TokenEndpoint => new(Emulator.RootUri, "oauth2/token");

    public Uri SampleResource => new(Emulator.RootUri, "oauth2/resources/sample");

    public static async Task<BenchmarkEnvironment> StartAsync()
    {
        var certificate = CreateLoopbackCertificate();
        var emulator = await ProviderEmulator.StartAsync(new EmulatorOptions { HttpsCertificate = certificate });
        return new BenchmarkEnvironment(emulator, certificate);
    }

    /// <summary>A confidential client pointed at the emulator's OIDC authority over TLS, trusting only our certificate.</summary>
    public IConfidentialClientApplication CreateMsalClient() =>
        ConfidentialClientApplicationBuilder.Create(Credential.ClientId)
            .WithClientSecret(Credential.ClientSecret)
            .WithOidcAuthority(new Uri(Emulator.HttpsRootUri!, "oauth2").ToString())
            .WithHttpClientFactory(new TrustingHttpClientFactory(Certificate))
            .Build();

    /// <summary>What scripts do today: a token request for every call.</summary>
    public static FormUrlEncodedContent TokenForm() => new([
        new("grant_type", "client_credentials"),
        new("client_id", DemoCredentials.All["oauth2"].ClientId!),
        new("client_secret", DemoCredentials.All["oauth2"].ClientSecret!),
        new("scope", Scope),
    ]);

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        Certificate.Dispose();
    }

    private static X509Certificate2 CreateLoopbackCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Round-trip through PKCS#12 so that Kestrel gets a private key it can use on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    private sealed class TrustingHttpClientFactory(X509Certificate2 trusted) : IMsalHttpClientFactory
    {
        private readonly HttpClient _client = new(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == trusted.GetCertHashString() },
        });

        public HttpClient GetHttpClient() => _client;
    }
}
