using System.Collections.Concurrent;
using TokenAuth.Credentials;
using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Providers;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// A client assertion, signed or fetched, is a credential of its call from the moment it exists: whatever the provider
/// answers (a refusal, or a 200 carrying an error object that echoes it), it is never shown, and it is handed to the
/// caller's host for a CI's log masking.
/// </summary>
public sealed class AssertionCustodyTests : IAsyncLifetime
{
    private const string Client = "demo-jwt-client";
    private const string EchoingRefusal = """{"error":"invalid_client","error_description":"The assertion {form:client_assertion} is not trusted"}""";

    private Harness _harness = null!;
    private ProviderTarget _target = null!;
    private System.Security.Cryptography.X509Certificates.X509Certificate2 _certificate = null!;

    public async Task InitializeAsync()
    {
        _harness = await Harness.StartAsync();
        var definition = ProviderDefinitionLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "examples", "oauth2-private-key-jwt.json"));
        _harness.Providers.Register(definition);
        _target = ProviderTarget.Resolve(definition, baseUri: _harness.Emulator.RootUri.ToString());
        _certificate = ClientCertificateResolver.FromPfx(null, File.ReadAllBytes(Path.Combine(TestCertificateFiles.Folder.Value, "client.pfx")),
            TestCertificateFiles.Password, "the test PFX");
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Theory]
    [InlineData(200)]
    [InlineData(401)]
    public async Task A_signed_assertion_echoed_by_the_token_endpoint_is_never_shown_and_is_masked_in_CI(int status)
    {
        _harness.Emulator.InjectFault("oauth2", "token", new EmulatorFault { StatusCode = status, Body = EchoingRefusal });
        var host = new MaskingHost();
        var request = new TokenRequest(_target, new ProviderCredential(clientId: Client), connection: new ConnectionSettings { ClientCertificate = _certificate }, host: host);

        var error = await Expect.Throws<ProviderErrorException>(() => _harness.Engine.GetTokenAsync(request, log: host).AsTask());

        LeakEvidence.Saw(error);
        var assertion = Assert.Single(host.Masked);
        Assert.Equal(3, assertion.Split('.').Length);
        Assert.Equal("The assertion *** is not trusted", error.ProviderMessage);
        Assert.DoesNotContain(assertion, error.ToString());
        Assert.DoesNotContain(assertion, error.Summary);
        Assert.DoesNotContain(assertion, error.ResponseBody ?? "");
    }

    [Fact]
    public async Task A_fetched_assertion_echoed_in_a_200_error_object_is_never_shown_and_is_masked_in_CI()
    {
        var fetched = ClientAssertion.Create("test", "someone", "elsewhere", _certificate, AssertionAlgorithm.RS256, false, DateTimeOffset.UtcNow);
        var federated = ProviderDefinitionLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "examples", "oauth2-federated.json"));
        var target = ProviderTarget.Resolve(federated, baseUri: _harness.Emulator.RootUri.ToString());
        _harness.Emulator.InjectFault("oauth2", "token", new EmulatorFault { StatusCode = 200, Body = EchoingRefusal });
        var host = new MaskingHost();
        var request = new TokenRequest(target, new ProviderCredential(clientId: "demo-federated-client"),
            assertionSource: ClientAssertionSource.Parse("Env:TOKENAUTH_ASSERTION", null, _ => fetched), host: host);

        var error = await Expect.Throws<ProviderErrorException>(() => _harness.Engine.GetTokenAsync(request, log: host).AsTask());

        LeakEvidence.Saw(error);
        Assert.Equal(new[] { fetched }, host.Masked);
        Assert.Equal("The assertion *** is not trusted", error.ProviderMessage);
        Assert.DoesNotContain(fetched, error.ToString());
    }

    /// <summary>A caller's host that records what it is asked to mask.</summary>
    private sealed class MaskingHost : ITokenAuthLog, IClientAssertionHost
    {
        public ConcurrentQueue<string> Masked { get; } = new();

        public bool IsEnabled(LogLevel level) => true;

        public void Write(LogLevel level, string message) => LeakEvidence.Saw(message);

        public Task<string> RunOnCallerThreadAsync(Func<string> produce, CancellationToken cancellationToken) => Task.FromResult(produce());

        public void RegisterSecret(string value) => Masked.Enqueue(value);
    }
}
