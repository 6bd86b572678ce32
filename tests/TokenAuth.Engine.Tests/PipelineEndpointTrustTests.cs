#if !REMOTE_EMULATOR
using System.Net;
using TokenAuth.Credentials;
using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Providers;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Issue 28, point 1: a pipeline's OIDC endpoint is trusted as the machine and the session trust it, never through a
/// provider's trustedCertificates or -SkipCertificateCheck; and a token got over an unchecked connection is not sent
/// over one later unless the caller says so again. Over the emulator's TLS listener, whose certificate is from the
/// throwaway test CA (trusted here only where a test says so).
/// </summary>
public sealed class PipelineEndpointTrustTests : IAsyncLifetime
{
    private const string Client = "demo-federated-client";
    private const string ServiceConnection = "6f3c1b0e-2b7a-4c1e-9d7e-0a1b2c3d4e5f";
    private const string AccessToken = "emulator-azure-pipelines-system-access-token";

    private static readonly TestCertificates Certificates = TestCertificates.Create();
    private static readonly Lazy<TrustedCertificates> TestAuthority = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokenauth-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, Certificates.Authority.ExportCertificatePem() + "\n");
        return TrustedCertificates.FromPemFile(path);
    });

    private Harness _harness = null!;
    private ProviderTarget _target = null!;

    public async Task InitializeAsync()
    {
        _harness = await Harness.StartAsync(options =>
        {
            options.HttpsCertificate = Certificates.Server;
            options.FederatedCredentials[Client] = new HashSet<string> { EmulatedPipelines.AzureDevOpsSubject(ServiceConnection) };
        });
        var definition = ProviderDefinitionLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "examples", "oauth2-federated.json"));
        _target = ProviderTarget.Resolve(definition, baseUri: _harness.Emulator.HttpsRootUri!.ToString());
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public void The_pipeline_endpoint_keeps_the_proxy_and_TLS_versions_but_takes_only_the_session_trust()
    {
        var session = TestAuthority.Value;
        var provider = new ConnectionSettings
        {
            Proxy = new ProxySettings(new Uri("http://proxy.example:3128")),
            TrustedCertificates = session.With(TestAuthority.Value),
            SkipCertificateCheck = true,
            ClientCertificate = Certificates.Client,
            SslProtocols = System.Security.Authentication.SslProtocols.Tls12,
        };

        var pipeline = provider.ForPipelineEndpoint(null);

        Assert.Equal(provider.Proxy, pipeline.Proxy);
        Assert.Equal(provider.SslProtocols, pipeline.SslProtocols);
        Assert.Null(pipeline.TrustedCertificates);
        Assert.False(pipeline.SkipCertificateCheck);
        Assert.Null(pipeline.ClientCertificate);
        Assert.Same(session, provider.ForPipelineEndpoint(session).TrustedCertificates);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_pipeline_bearer_is_not_sent_where_only_the_providers_trust_or_skip_flag_would_accept_the_certificate(bool skip)
    {
        var connection = skip ? new ConnectionSettings { SkipCertificateCheck = true } : new ConnectionSettings { TrustedCertificates = TestAuthority.Value };

        var error = await Expect.Throws<CertificateException>(() => _harness.Engine.GetTokenAsync(Request(connection), log: _harness.Log).AsTask());

        Assert.Equal(CertificateProblem.Untrusted, error.Problem);
        Assert.Contains($"the pipeline's OIDC endpoint at {OidcEndpoint}", error.Message);
        Assert.DoesNotContain("trustedCertificates", error.Message);
        Assert.DoesNotContain("SkipCertificateCheck", error.Message);
        Assert.Equal(0, _harness.Count("azure-devops", "oidctoken"));
        Assert.Equal(0, _harness.Count("oauth2", "token"));
    }

    [Fact]
    public async Task The_sessions_own_bundle_is_trusted_for_the_pipeline_endpoint()
    {
        var engine = new TokenAuthEngine(_harness.Engine.Options with { Connection = new ConnectionSettings { TrustedCertificates = TestAuthority.Value } }, _harness.Clock);

        var token = await engine.GetTokenAsync(Request(null));

        Assert.False(token.FromCache);
        Assert.Equal(1, _harness.Count("azure-devops", "oidctoken"));
    }

    [Fact]
    public async Task A_token_got_without_the_certificate_check_is_revoked_with_it_unless_the_revocation_skips_it_again()
    {
        var skipping = new ConnectionSettings { SkipCertificateCheck = true };
        var akiba = new TokenRequest(ProviderTarget.Resolve(_harness.Providers.Get("Akiba"), baseUri: new Uri(_harness.Emulator.HttpsRootUri!, "akiba").ToString()),
            _harness.CredentialFor("Akiba"), connection: skipping);
        var token = (await _harness.Engine.GetTokenAsync(akiba)).Token;

        var checkedRevoke = await _harness.Engine.RevokeAsync(token);
        var skippedAgain = await _harness.Engine.RevokeAsync(token, connection: skipping);

        Assert.IsType<CertificateException>(checkedRevoke.ProviderFailure);
        Assert.True(skippedAgain.ProviderNotified, skippedAgain.Message);
        Assert.Equal(1, _harness.Count("akiba", "revoke"));
    }

    private Uri OidcEndpoint => new(_harness.Emulator.HttpsRootUri!, "azure-devops/oidctoken");

    /// <summary>A federated token request whose pipeline endpoint is the emulator's TLS listener, as the provider is.</summary>
    private TokenRequest Request(ConnectionSettings? connection)
    {
        var endpoint = OidcEndpoint.AbsoluteUri;
        Func<string, string?> variables = name => name switch
        {
            "SYSTEM_OIDCREQUESTURI" => endpoint,
            "SYSTEM_ACCESSTOKEN" => AccessToken,
            _ => null,
        };
        return new TokenRequest(_target, new ProviderCredential(clientId: Client), connection: connection,
            assertionSource: ClientAssertionSource.Parse("AzureDevOps:" + ServiceConnection, null, variables));
    }
}
#endif
