using TokenAuth.Credentials;
using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Providers;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Renewing a person's token with their refresh token, where tokens persist (an in-memory vault): which refusals mean
/// the refresh token is spent (RFC 6749 §5.2: invalid_grant) and what is forgotten then, and which are only the
/// provider's error. Against the emulator's authorization server for people; runs on Mono too.
/// </summary>
public sealed class PersonRefreshTests : IAsyncLifetime
{
    private const string Vault = "TestVault";
    private readonly PersistedTokenTests.MemoryTokenStore _store = new();
    private Harness _harness = null!;
    private ProviderDefinition _people = null!;

    public async Task InitializeAsync()
    {
        _harness = await Harness.StartAsync(configureEngine: options => options with { TokenCacheVault = Vault });
        _harness.Engine.TokenStore = _store;
        _people = await _harness.DiscoverPeopleAsync();
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private TokenRequest PersonRequest(ISignInHost host, string? prompt = null, SignInFlow flow = SignInFlow.DeviceCode) =>
        new(ProviderTarget.Resolve(_people), new ProviderCredential(clientId: "tokenauth-cli"),
            signIn: new SignInRequest(flow, host, "alice", prompt, TimeSpan.FromSeconds(30)));

    private SignInTests.Person Nobody() => new(_harness.Emulator.RootUri) { WhyNoPerson = "no person is at this test" };

    private async Task<AccessToken> SignInAliceAsync() =>
        (await _harness.Engine.GetTokenAsync(PersonRequest(new SignInTests.Person(_harness.Emulator.RootUri)), log: _harness.Log)).Token;

    private string PersistedName(AccessToken token) => PersistedTokenName.For(token.Request).Name;

    [Theory]
    [InlineData(400, "invalid_client")]
    [InlineData(400, "invalid_request")]
    [InlineData(400, "unauthorized_client")]
    [InlineData(400, "server_error")]
    [InlineData(401, "invalid_client")]
    public async Task A_refresh_refused_for_another_reason_than_invalid_grant_is_the_providers_error_and_keeps_the_refresh_token(int status, string error)
    {
        var alice = await SignInAliceAsync();
        _harness.Emulator.InjectFault("people", "token", new EmulatorFault { StatusCode = status, Body = $$"""{"error":"{{error}}"}""" });

        var refused = await Expect.Throws<ProviderErrorException>(() => _harness.Engine.GetTokenAsync(PersonRequest(Nobody()), forceNew: true).AsTask());
        var keptInSession = _harness.Engine.CachedTokens().Any(token => token.Value == alice.Value);
        var keptInVault = _store.Get(Vault, PersistedName(alice)).Contains(alice.Value);
        var renewed = (await _harness.Engine.GetTokenAsync(PersonRequest(Nobody()), forceNew: true)).Token;

        Assert.Equal(error, refused.ProviderCode);
        Assert.Equal(status, (int)refused.StatusCode);
        Assert.True(keptInSession);
        Assert.True(keptInVault);
        // The refresh token was not spent: the next renewal uses it, and nobody is asked to sign in again.
        Assert.NotEqual(alice.Value, renewed.Value);
        Assert.Equal(1, _harness.Count("people", "sign-in"));
        Assert.Equal(1, _harness.Count("people", "refresh"));
        Assert.Contains(renewed.Value, _store.Get(Vault, PersistedName(renewed)));
    }

    [Fact]
    public async Task A_spent_refresh_token_of_the_sessions_own_token_removes_its_persisted_entry_too()
    {
        var alice = await SignInAliceAsync();
        _harness.Emulator.InjectFault("people", "token", new EmulatorFault { StatusCode = 400, Body = """{"error":"invalid_grant"}""" });

        var spent = await Expect.Throws<SignInException>(() => _harness.Engine.GetTokenAsync(PersonRequest(Nobody()), forceNew: true).AsTask());

        Assert.Equal(SignInFailure.SignInAgain, spent.Failure);
        Assert.DoesNotContain(_store.Entries, entry => entry.Key.Name == PersistedName(alice));
        Assert.DoesNotContain(_harness.Engine.CachedTokens(), token => token.Value == alice.Value);
    }

    [Fact]
    public async Task A_spent_refresh_token_leaves_a_persisted_entry_another_process_renewed_meanwhile()
    {
        var alice = await SignInAliceAsync();
        // Another process renews alice's token: the emulator rotates the refresh token, so this session's one is spent.
        var elsewhere = new TokenAuthEngine(_harness.Engine.Options, _harness.Clock) { TokenStore = _store };
        var renewed = (await elsewhere.GetTokenAsync(PersonRequest(Nobody()), forceNew: true)).Token;

        var spent = await Expect.Throws<SignInException>(() => _harness.Engine.GetTokenAsync(PersonRequest(Nobody()), forceNew: true).AsTask());

        Assert.Equal(SignInFailure.SignInAgain, spent.Failure);
        Assert.NotEqual(alice.RefreshToken, renewed.RefreshToken);
        Assert.Contains(renewed.RefreshToken!, _store.Get(Vault, PersistedName(alice)));
    }

    [Fact]
    public async Task A_due_token_is_renewed_with_the_refresh_token_another_process_left_in_the_vault_not_the_sessions_spent_one()
    {
        var alice = await SignInAliceAsync();
        // Another process renews alice's token and writes it back; the emulator rotates refresh tokens, so the session's is spent.
        var elsewhere = new TokenAuthEngine(_harness.Engine.Options, _harness.Clock) { TokenStore = _store };
        var renewedElsewhere = (await elsewhere.GetTokenAsync(PersonRequest(Nobody()), forceNew: true)).Token;
        // Later, both are due: the session's token and the vault's.
        _harness.Clock.Advance(renewedElsewhere.ExpiresOn - _harness.Clock.GetUtcNow());

        var renewed = (await _harness.Engine.GetTokenAsync(PersonRequest(Nobody()), log: _harness.Log)).Token;

        Assert.NotEqual(alice.RefreshToken, renewedElsewhere.RefreshToken);
        Assert.NotEqual(renewedElsewhere.Value, renewed.Value);
        Assert.Equal(1, _harness.Count("people", "sign-in"));
        Assert.Equal(2, _harness.Count("people", "refresh"));
        Assert.Contains(renewed.Value, _store.Get(Vault, PersistedName(renewed)));
    }

    [Fact]
    public async Task A_renewal_that_lands_after_a_new_sign_in_does_not_replace_its_token_in_the_session_or_the_vault()
    {
        var alice = await SignInAliceAsync();
        // The renewal is held once its answer has come, until the new sign-in is done: a gate, not a clock.
        var answered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var renewalLog = new RecordingLog();
        renewalLog.Written += message =>
        {
            if (message.Contains("HTTP 200 from") && answered.TrySetResult(true))
            {
                gate.Task.Wait(TimeSpan.FromSeconds(30));
            }
        };

        var renewing = Task.Run(() => _harness.Engine.GetTokenAsync(PersonRequest(Nobody()), forceNew: true, log: renewalLog).AsTask());
        Assert.Same(answered.Task, await Task.WhenAny(answered.Task, Task.Delay(TimeSpan.FromSeconds(30))));
        var signedIn = (await _harness.Engine.GetTokenAsync(PersonRequest(new SignInTests.Person(_harness.Emulator.RootUri), prompt: "login", flow: SignInFlow.Browser),
            log: _harness.Log)).Token;
        gate.SetResult(true);
        var renewed = (await renewing).Token;
        var cached = (await _harness.Engine.GetTokenAsync(PersonRequest(Nobody()))).Token;

        Assert.NotEqual(alice.Value, renewed.Value);
        Assert.NotEqual(renewed.Value, signedIn.Value);
        Assert.Equal(signedIn.Value, cached.Value);
        Assert.Contains(signedIn.Value, _store.Get(Vault, PersistedName(signedIn)));
        Assert.Equal(2, _harness.Count("people", "sign-in"));
    }
}
