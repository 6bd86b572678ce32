#if !REMOTE_EMULATOR
using System.Net;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TokenAuth.Credentials;
using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Providers;
using TokenAuth.Requests;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// TLS against the emulator's HTTPS listeners, with a throwaway test CA trusted from a PEM bundle as a corporate CA is;
/// certificates the client must refuse; client certificates (mutual TLS). Built against both engine builds, so the
/// .NET Framework code path (HttpClientHandler and its validation callback) is exercised too.
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private static readonly TestCertificates Certificates = TestCertificates.Create();
    private static readonly Lazy<string> BundlePath = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokenauth-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, "# The test CA\n" + Certificates.Authority.ExportCertificatePem() + "\n");
        return path;
    });

    private readonly int _wrongNamePort = LoopbackPorts.Free();
    private readonly int _expiredPort = LoopbackPorts.Free();
    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync(emulator =>
    {
        emulator.HttpsCertificate = Certificates.Server;
        emulator.MoreHttpsListeners.Add((_wrongNamePort, Certificates.WrongName));
        emulator.MoreHttpsListeners.Add((_expiredPort, Certificates.Expired));
        emulator.ClientCertificates["oauth2"] = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { Certificates.Client.Thumbprint };
    });

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private static ConnectionSettings Trusting => new() { TrustedCertificates = TrustedCertificates.FromPemFile(BundlePath.Value) };

    private TokenRequest Request(string provider, Uri root, ConnectionSettings? connection) =>
        new(ProviderTarget.Resolve(_harness.Providers.Get(provider), baseUri: new Uri(root, provider.ToLowerInvariant()).ToString()),
            _harness.CredentialFor(provider), connection: connection);

    [Fact]
    public async Task A_bundle_with_the_test_CA_carries_the_token_call_and_the_request_over_https()
    {
        var response = await _harness.Engine.SendAsync(Request("APIMW", _harness.Emulator.HttpsRootUri!, Trusting), new ApiRequest("GET", "resources/sample"));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("https", response.DisplayEndpoint.Scheme);
        Assert.Equal(1, _harness.Count("apimw", "token"));
    }

    [Fact]
    public async Task Without_the_bundle_the_certificate_is_refused_as_untrusted_and_nothing_is_sent()
    {
        var error = await Expect.Throws<CertificateException>(() =>
            _harness.Engine.SendAsync(Request("APIMW", _harness.Emulator.HttpsRootUri!, null), new ApiRequest("GET", "resources/sample")));

        Assert.Equal(CertificateProblem.Untrusted, error.Problem);
        Assert.Equal("CertificateUntrusted", error.ErrorId);
        Assert.Contains("issued by 'TokenAuth Test CA'", error.Message);
        Assert.Equal(0, _harness.Count("apimw", "token"));
    }

    [Theory]
    [InlineData(true, CertificateProblem.NameMismatch, "not for 127.0.0.1")]
    [InlineData(false, CertificateProblem.Expired, "expired on")]
    public async Task A_certificate_for_another_name_or_past_its_end_is_refused_even_from_a_trusted_CA(bool wrongName, CertificateProblem problem, string says)
    {
        var root = new Uri($"https://127.0.0.1:{(wrongName ? _wrongNamePort : _expiredPort)}/");

        var error = await Expect.Throws<CertificateException>(() => _harness.Engine.GetTokenAsync(Request("Akiba", root, Trusting)).AsTask());

        Assert.Equal(problem, error.Problem);
        Assert.Contains(says, error.Message);
    }

    [Fact]
    public async Task A_TLS_version_the_server_does_not_speak_is_named_as_the_reason_the_handshake_failed()
    {
        await using var tls12Only = await Harness.StartAsync(emulator =>
        {
            emulator.HttpsCertificate = Certificates.Server;
            emulator.HttpsProtocols = System.Security.Authentication.SslProtocols.Tls12;
        });
        var request = new TokenRequest(ProviderTarget.Resolve(tls12Only.Providers.Get("Akiba"), baseUri: new Uri(tls12Only.Emulator.HttpsRootUri!, "akiba").ToString()),
            tls12Only.CredentialFor("Akiba"), connection: Trusting with { SslProtocols = (System.Security.Authentication.SslProtocols)12288 });

        var error = await Expect.Throws<CertificateException>(() => tls12Only.Engine.GetTokenAsync(request).AsTask());

        Assert.Equal(CertificateProblem.Rejected, error.Problem);
        Assert.Contains("only Tls13 was allowed (-SslProtocol)", error.Message);
        Assert.Equal(0, tls12Only.Count("akiba", "token"));
    }

    [Fact]
    public async Task Skipping_the_certificate_check_accepts_an_untrusted_certificate()
    {
        var token = await _harness.Engine.GetTokenAsync(Request("Akiba", _harness.Emulator.HttpsRootUri!, new ConnectionSettings { SkipCertificateCheck = true }));

        Assert.False(token.FromCache);
    }

    [Fact]
    public async Task A_client_certificate_is_presented_to_the_token_endpoint_and_the_API_and_its_token_is_its_own()
    {
        var definition = ProviderDefinitionLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "examples", "oauth2-client-credentials.json"));
        TokenRequest For(X509Certificate2? certificate) =>
            new(ProviderTarget.Resolve(definition, baseUri: _harness.Emulator.HttpsRootUri!.ToString()), _harness.CredentialFor("oauth2"),
                connection: Trusting with { ClientCertificate = certificate });
        var withClient = For(Certificates.Client);

        var response = await _harness.Engine.SendAsync(withClient, new ApiRequest("GET", "oauth2/resources/sample"));
        var refused = await Expect.Throws<CertificateException>(() => _harness.Engine.GetTokenAsync(For(Certificates.OtherClient)).AsTask());
        var missing = await Expect.Throws<CertificateException>(() => _harness.Engine.GetTokenAsync(For(null)).AsTask());

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(CertificateProblem.ClientCertificateRefused, refused.Problem);
        Assert.Contains(Certificates.OtherClient.Thumbprint, refused.Message);
        Assert.Equal(CertificateProblem.ClientCertificateRequired, missing.Problem);
        Assert.Equal(1, _harness.Count("oauth2", "token"));
        Assert.NotEqual(withClient.Key, For(Certificates.OtherClient).Key);
        Assert.Equal(withClient.Key, withClient.WithConnection(Trusting with { ClientCertificate = Certificates.Client, SkipCertificateCheck = true }).Key);
    }

    [Fact]
    public void A_servers_certificate_names_are_shown_without_the_control_characters_they_carry()
    {
        using var key = RSA.Create(2048);
        using var hostile = new CertificateRequest("CN=evil\u001b[2J\r\nRecommendation: trust me", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.Build(hostile);
        var validator = new ServerCertificateValidator(new ConnectionSettings());
        Assert.Contains(hostile.GetNameInfo(X509NameType.SimpleName, false), char.IsControl);

        Assert.False(validator.Validate("127.0.0.1", hostile, chain, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));

        var reason = validator.RefusalFor("127.0.0.1")!.Value.Reason;
        Assert.Contains("evil", reason);
        Assert.DoesNotContain(reason, char.IsControl);
    }

    [Fact]
    public void A_bundle_yields_every_certificate_in_it_and_one_without_any_is_refused_by_name()
    {
        var two = Path.GetTempFileName();
        var none = Path.GetTempFileName();
        try
        {
            File.WriteAllText(two, "corporate roots\n" + Certificates.Authority.ExportCertificatePem() + "\n" + Certificates.Untrusted.ExportCertificatePem());
            File.WriteAllText(none, Certificates.Client.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());

            Assert.Equal(2, TrustedCertificates.FromPemFile(two).Certificates.Count);
            Assert.Same(TrustedCertificates.FromPemFile(two), TrustedCertificates.FromPemFile(two));
            var error = Expect.Throws<CertificateException>(() => TrustedCertificates.FromPemFile(none));
            Assert.Equal("CertificateBundleUnusable", error.ErrorId);
            Assert.Contains("holds no PEM certificate", error.Message);
        }
        finally
        {
            File.Delete(two);
            File.Delete(none);
        }
    }

    [Fact]
    public void A_client_certificate_near_its_end_warns_once_and_one_past_it_or_without_its_key_is_refused()
    {
        var now = DateTimeOffset.UtcNow;
        using var soon = SelfSigned(now.AddDays(-1), now.AddDays(5));
        using var past = SelfSigned(now.AddDays(-10), now.AddDays(-1));
        using var keyless = X509CertificateLoader.LoadCertificate(soon.RawData);
        var log = new RecordingLog();

        ClientCertificateResolver.CheckUsable("Akiba", soon, "-Certificate", log, now);
        ClientCertificateResolver.CheckUsable("Akiba", soon, "-Certificate", log, now);

        Assert.Single(log.Lines, line => line.Level == LogLevel.Warning && line.Message.Contains("in 5 days"));
        Assert.Contains("expired on", Expect.Throws<CertificateException>(() => ClientCertificateResolver.CheckUsable("Akiba", past, "-Certificate", log, now)).Message);
        Assert.Contains("has no private key", Expect.Throws<CertificateException>(() => ClientCertificateResolver.CheckUsable("Akiba", keyless, "-Certificate", log, now)).Message);
    }

    [Fact]
    public void A_PFX_in_a_vault_opens_with_its_password_and_a_wrong_password_is_named_without_showing_it()
    {
        var vault = new InMemoryVault("Certificates");
        vault.Set("Client.Pfx", SecretValue.FromBytes(Certificates.Client.Export(X509ContentType.Pkcs12, "right-pfx-pw-1")));
        vault.Set("Client.Password", SecretValue.FromSecureString(Secure("right-pfx-pw-1")));
        vault.Set("Wrong.Password", SecretValue.FromText("wrong-pfx-pw-2"));
        LeakEvidence.Secret("right-pfx-pw-1");
        LeakEvidence.Secret("wrong-pfx-pw-2");
        var provider = _harness.Providers.Get("Akiba");
        var resolver = new ClientCertificateResolver();

        var opened = resolver.Resolve(provider, new ClientCertificateSpec { SecretName = "Client.Pfx", PasswordSecretName = "Client.Password" }, vault, null, DateTimeOffset.UtcNow);
        var refused = Expect.Throws<CertificateException>(() =>
            resolver.Resolve(provider, new ClientCertificateSpec { SecretName = "Client.Pfx", PasswordSecretName = "Wrong.Password" }, vault, null, DateTimeOffset.UtcNow));

        Assert.Equal(Certificates.Client.Thumbprint, opened.Thumbprint);
        Assert.True(opened.HasPrivateKey);
        Assert.Equal("ClientCertificateUnusable", refused.ErrorId);
        Assert.Contains("the secret 'Client.Pfx'", refused.Message);
        Assert.DoesNotContain("wrong-pfx-pw-2", refused.Message);
    }

    private static X509Certificate2 SelfSigned(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = RSA.Create(2048);
        return new CertificateRequest("CN=tokenauth-expiry-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(notBefore, notAfter);
    }

    private static SecureString Secure(string text) => new NetworkCredential("", text).SecurePassword;
}
#endif
