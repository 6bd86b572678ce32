#if !REMOTE_EMULATOR
using TokenAuth.Credentials;
using TokenAuth.Emulator;
using TokenAuth.Http;
using TokenAuth.Providers;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// A confidential client for people's sign-in: its definition's token.clientAuthentication applies to redeeming the
/// code and to refreshing, as to the client's own token requests. Here PrivateKeyJwt, against the emulator's people
/// server with a key registered for its client (it then refuses a request without an assertion).
/// </summary>
public sealed class ConfidentialSignInTests : IAsyncLifetime
{
    private static readonly TestCertificates Certificates = TestCertificates.Create();

    private Harness _harness = null!;
    private ProviderDefinition _people = null!;

    public async Task InitializeAsync()
    {
        _harness = await Harness.StartAsync(emulator => emulator.AssertionCertificates[ProviderEmulator.PeopleClientId] = new() { Certificates.Client });
        var discovered = await _harness.Engine.DiscoverProviderAsync("People", new Uri(_harness.Emulator.RootUri, "people"), ProviderEmulator.PeopleClientId);
        _people = discovered with { Token = discovered.Token with { ClientAuthentication = ClientAuthentication.PrivateKeyJwt } };
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_private_key_jwt_client_signs_an_assertion_to_redeem_the_code_and_to_refresh()
    {
        var request = new TokenRequest(ProviderTarget.Resolve(_people), new ProviderCredential(clientId: ProviderEmulator.PeopleClientId),
            connection: new ConnectionSettings { ClientCertificate = Certificates.Client },
            signIn: new SignInRequest(SignInFlow.Browser, new SignInTests.Person(_harness.Emulator.RootUri), "alice", null, TimeSpan.FromSeconds(30)));

        var signedIn = (await _harness.Engine.GetTokenAsync(request, log: _harness.Log)).Token;
        var renewed = (await _harness.Engine.GetTokenAsync(request, forceNew: true, log: _harness.Log)).Token;

        Assert.Equal("alice", renewed.Account);
        Assert.NotEqual(signedIn.Value, renewed.Value);
        Assert.Equal(1, _harness.Count("people", "sign-in"));
        Assert.Equal(1, _harness.Count("people", "refresh"));
        Assert.Equal(2, _harness.Count("people", "assertion-accepted"));
        Assert.Equal(0, _harness.Count("people", "assertion-refused"));
    }
}
#endif
