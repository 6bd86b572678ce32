using System.Net;
using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Providers;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// TLS through the engine's .NET Framework code path (HttpClientHandler, its validation callback, a chain built with
/// the bundle as extra certificates): the emulator, in a process of its own, serves HTTPS with a certificate from a
/// throwaway test CA that these tests trust from a PEM bundle, or do not.
/// </summary>
public sealed class TlsOnFrameworkTests : IAsyncLifetime
{
    private readonly string _certificates = TestCertificateFiles.Folder.Value;
    private readonly int _httpsPort = LoopbackPorts.Free();
    private ProviderEmulator _emulator = null!;

    public async Task InitializeAsync() =>
        _emulator = await ProviderEmulator.StartAsync(null, "--https", $"{_httpsPort}={Path.Combine(_certificates, "server.pfx")}");

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    private TokenRequest Request(ConnectionSettings? connection)
    {
        var provider = new ProviderRegistry().Get("APIMW");
        var demo = _emulator.Options.Credentials["apimw"];
        return new TokenRequest(ProviderTarget.Resolve(provider, baseUri: $"https://127.0.0.1:{_httpsPort}/apimw"),
            new Credentials.ProviderCredential(demo.ClientId, demo.ClientSecret, demo.ClientCredential, demo.ApiKey, demo.ApiSecret), connection: connection);
    }

    [Fact]
    public async Task A_bundle_with_the_test_CA_lets_the_token_call_through_over_https()
    {
        var trusting = new ConnectionSettings { TrustedCertificates = TrustedCertificates.FromPemFile(Path.Combine(_certificates, "ca.pem")) };

        var token = await new TokenAuthEngine().GetTokenAsync(Request(trusting));

        Assert.False(token.FromCache);
        Assert.Equal(1, _emulator.RequestCount("apimw", "token"));
    }

    [Fact]
    public async Task Without_the_bundle_the_certificate_is_refused_as_untrusted()
    {
        var error = await Expect.Throws<CertificateException>(() => new TokenAuthEngine().GetTokenAsync(Request(null)).AsTask());

        Assert.Equal(CertificateProblem.Untrusted, error.Problem);
        Assert.Contains("TokenAuth Test CA", error.Message);
        Assert.Equal(0, _emulator.RequestCount("apimw", "token"));
    }
}
