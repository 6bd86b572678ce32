#if !REMOTE_EMULATOR
using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Providers;
using TokenAuth.Requests;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Issue 28, point 7: a redirect off the provider's origin leaves the client certificate and the provider's own trusted
/// CAs behind, as it leaves the token; the session's trusted CAs still hold there. Over two of the emulator's TLS
/// listeners (two origins), whose certificates are from the throwaway test CA.
/// </summary>
public sealed class OffOriginRedirectTests : IAsyncLifetime
{
    private static readonly TestCertificates Certificates = TestCertificates.Create();
    private static readonly Lazy<TrustedCertificates> TestAuthority = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokenauth-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, Certificates.Authority.ExportCertificatePem() + "\n");
        return TrustedCertificates.FromPemFile(path);
    });

    private readonly int _otherPort = LoopbackPorts.Free();
    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync(emulator =>
    {
        emulator.HttpsCertificate = Certificates.Server;
        emulator.MoreHttpsListeners.Add((_otherPort, Certificates.Server));
    });

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public void Off_the_provider_a_connection_keeps_proxy_TLS_versions_and_check_but_not_the_providers_trust_or_certificate()
    {
        var provider = new ConnectionSettings
        {
            Proxy = new ProxySettings(new Uri("http://proxy.example:3128")),
            TrustedCertificates = TestAuthority.Value,
            SkipCertificateCheck = true,
            ClientCertificate = Certificates.Client,
            SslProtocols = System.Security.Authentication.SslProtocols.Tls12,
        };

        var away = provider.OffProvider(null);

        Assert.Equal(provider.Proxy, away.Proxy);
        Assert.Equal(provider.SslProtocols, away.SslProtocols);
        Assert.True(away.SkipCertificateCheck);
        Assert.Null(away.TrustedCertificates);
        Assert.Null(away.ClientCertificate);
        Assert.False(provider.ForPipelineEndpoint(null).SkipCertificateCheck);
    }

    [Fact]
    public void A_sessions_own_CAs_travel_with_its_settings_past_a_providers_own()
    {
        // A runspace's settings (Set-TokenAuthOption -CertificateBundle) are the session's, whatever the engine's own say.
        var session = new ConnectionSettings { TrustedCertificates = TestAuthority.Value }.AsSession();
        var provider = session.For(TestAuthority.Value.With(TestAuthority.Value), Certificates.Client);
        var unmarked = new ConnectionSettings { TrustedCertificates = TestAuthority.Value.With(TestAuthority.Value), ClientCertificate = Certificates.Client };

        Assert.Same(TestAuthority.Value, provider.OffProvider(engineSessionTrust: null).TrustedCertificates);
        Assert.Null(provider.OffProvider(engineSessionTrust: null).ClientCertificate);
        Assert.Same(TestAuthority.Value, provider.ForPipelineEndpoint(engineSessionTrust: null).TrustedCertificates);
        Assert.Null(unmarked.OffProvider(engineSessionTrust: null).TrustedCertificates);
    }

    [Fact]
    public async Task The_providers_own_CA_does_not_vouch_for_the_origin_a_redirect_leads_to()
    {
        var error = await Expect.Throws<CertificateException>(() => _harness.Engine.SendAsync(Request(), Redirect(), _harness.Log));

        Assert.Equal(CertificateProblem.Untrusted, error.Problem);
        Assert.Contains($"127.0.0.1:{_otherPort}", error.Message);
        Assert.Contains("A redirect led away from ExampleOAuth2's origin", error.Message);
        Assert.Equal(0, _harness.Count("oauth2", "open"));
    }

    [Fact]
    public async Task The_sessions_own_CAs_hold_off_the_providers_origin()
    {
        var engine = new TokenAuthEngine(_harness.Engine.Options with { Connection = new ConnectionSettings { TrustedCertificates = TestAuthority.Value } }, _harness.Clock);

        var response = await engine.SendAsync(Request(), Redirect());

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(_otherPort, response.AnsweredUri.Port);
        Assert.Equal(1, _harness.Count("oauth2", "open"));
    }

    /// <summary>The standard OAuth2 provider over TLS, trusting the test CA and presenting a client certificate, as a definition would have it.</summary>
    private TokenRequest Request() =>
        new(ProviderTarget.Resolve(ProviderDefinitionLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "examples", "oauth2-client-credentials.json")),
                baseUri: _harness.Emulator.HttpsRootUri!.ToString()),
            _harness.CredentialFor("oauth2"), connection: new ConnectionSettings { TrustedCertificates = TestAuthority.Value, ClientCertificate = Certificates.Client });

    private ApiRequest Redirect() =>
        new("GET", "oauth2/resources/redirect?to=" + Uri.EscapeDataString($"https://127.0.0.1:{_otherPort}/oauth2/resources/open"));
}
#endif
