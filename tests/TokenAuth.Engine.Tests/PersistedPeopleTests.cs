using TokenAuth.Credentials;
using TokenAuth.Logging;
using TokenAuth.Providers;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Who is who across processes where tokens persist: the people index a sign-in writes to the vault beside the person's
/// token, read by a later engine (a new process) that does not know the person yet. An in-memory store stands in for the
/// vault; the cmdlets over a real SecretStore vault are proven in PersistentCache.Tests.ps1. Runs on Mono too.
/// </summary>
public sealed class PersistedPeopleTests : IAsyncLifetime
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

    /// <summary>Another process: its own memory (no people known), the same vault.</summary>
    private TokenAuthEngine NextProcess() => new(_harness.Engine.Options, _harness.Clock) { TokenStore = _store };

    private TokenRequest PersonRequest(ISignInHost host, string? loginHint = null, string? prompt = null, string clientId = "tokenauth-cli") =>
        new(ProviderTarget.Resolve(_people), new ProviderCredential(clientId: clientId),
            signIn: new SignInRequest(SignInFlow.DeviceCode, host, loginHint, prompt, TimeSpan.FromSeconds(30)));

    private SignInTests.Person Person(string user = "alice", string? whyNoPerson = null) => new(_harness.Emulator.RootUri) { User = user, WhyNoPerson = whyNoPerson };

    private string IndexName(TokenRequest request) => PersistedTokenName.For(PersistedPeople.IndexKey(request.Key)).Name;

    private async Task<AccessToken> SignInAliceAsync() => (await _harness.Engine.GetTokenAsync(PersonRequest(Person(), "alice"), log: _harness.Log)).Token;

    [Fact]
    public async Task A_new_process_finds_the_person_by_hint_and_as_the_current_person_without_a_sign_in()
    {
        var alice = await SignInAliceAsync();
        var nobody = Person(whyNoPerson: "no person is at this test");

        var byHint = (await NextProcess().GetTokenAsync(PersonRequest(nobody, "alice"))).Token;
        var byEmail = (await NextProcess().GetTokenAsync(PersonRequest(nobody, "ALICE@example.test"))).Token;
        var current = (await NextProcess().GetTokenAsync(PersonRequest(nobody))).Token;

        Assert.Equal(alice.Value, byHint.Value);
        Assert.Equal(alice.Value, byEmail.Value);
        Assert.Equal(alice.Value, current.Value);
        Assert.Equal("alice", current.Account);
        Assert.Equal(1, _harness.Count("people", "sign-in"));
        Assert.Equal(1, _harness.Count("people", "token"));
        Assert.Empty(nobody.Prompts);
    }

    [Fact]
    public async Task Someone_never_signed_in_and_a_prompt_still_sign_in()
    {
        await SignInAliceAsync();

        var unattended = await Assert.ThrowsAsync<Errors.SignInException>(async () =>
            await NextProcess().GetTokenAsync(PersonRequest(Person("bob", whyNoPerson: "no person is at this test"), "bob")));
        var bob = (await NextProcess().GetTokenAsync(PersonRequest(Person("bob"), "bob"))).Token;
        var again = (await NextProcess().GetTokenAsync(PersonRequest(Person(), "alice", prompt: "login"))).Token;

        Assert.Equal(Errors.SignInFailure.NotInteractive, unattended.Failure);
        Assert.Equal("bob", bob.Account);
        Assert.Equal("alice", again.Account);
        Assert.Equal(3, _harness.Count("people", "sign-in"));
        // Bob signed in last before alice's prompt: she is the current person again, in the index too.
        var current = (await NextProcess().GetTokenAsync(PersonRequest(Person(whyNoPerson: "no person is at this test")))).Token;
        Assert.Equal(again.Value, current.Value);
    }

    [Fact]
    public async Task The_index_holds_names_only_under_a_name_that_reveals_nothing_and_each_client_has_its_own()
    {
        var alice = await SignInAliceAsync();
        var request = PersonRequest(Person(), "alice");
        var name = IndexName(request);

        var text = _store.Get(Vault, name);

        Assert.Matches("^TokenAuth\\.Token\\.[0-9a-f]{32}$", name);
        Assert.Equal(2, _store.Entries.Count);
        Assert.Contains("\"format\":\"TokenAuth.PersistedPeople\"", text);
        Assert.Contains("\"version\":1", text);
        Assert.Contains("\"alice\"", text);
        foreach (var secret in new[] { alice.Value, alice.RefreshToken!, "tokenauth-cli" })
        {
            Assert.DoesNotContain(secret, text);
            Assert.DoesNotContain(secret, name);
        }

        // Another client of the same provider: another index name; this one's index under its name is foreign, and not used.
        var other = PersonRequest(Person(), "alice", clientId: "another-cli");
        Assert.NotEqual(name, IndexName(other));
        Assert.NotEqual(name, PersistedTokenName.For(request).Name);
        _store.Put(Vault, IndexName(other), text);
        var log = new RecordingLog();
        var refused = await Assert.ThrowsAsync<Errors.SignInException>(async () =>
            await NextProcess().GetTokenAsync(PersonRequest(Person(whyNoPerson: "no person is at this test"), "alice", clientId: "another-cli"), log: log));
        Assert.Equal(Errors.SignInFailure.NotInteractive, refused.Failure);
        Assert.Contains("not written for this provider and client", Assert.Single(log.Lines, line => line.Level == LogLevel.Warning).Message);
    }

    [Theory]
    [InlineData("{\"format\":\"TokenAuth.PersistedPeople\",\"version\":1,\"peo", "not JSON")]
    [InlineData("{\"format\":\"TokenAuth.PersistedPeople\",\"version\":4}", "format version 4")]
    [InlineData("{\"format\":\"TokenAuth.PersistedToken\",\"version\":1}", "not a TokenAuth people index")]
    public async Task A_corrupt_foreign_or_future_index_gives_one_warning_a_sign_in_and_is_replaced(string text, string said)
    {
        var request = PersonRequest(Person(), "alice");
        _store.Put(Vault, IndexName(request), text);
        var log = new RecordingLog();
        var engine = NextProcess();

        await engine.GetTokenAsync(request, log: log);
        var again = (await NextProcess().GetTokenAsync(PersonRequest(Person(whyNoPerson: "no person is at this test"), "alice"))).Token;

        Assert.Contains(said, Assert.Single(log.Lines, line => line.Level == LogLevel.Warning).Message);
        Assert.Equal("alice", again.Account);
        Assert.Equal(1, _harness.Count("people", "sign-in"));
        Assert.Contains("\"version\":1", _store.Get(Vault, IndexName(request)));
    }

    [Fact]
    public void An_index_that_names_something_other_than_a_person_or_a_current_person_it_does_not_hold_is_not_used()
    {
        var name = PersistedTokenName.Of(new TokenCacheKey("P", "https://a/", "id", "", "", 0, "", "", "", PersistedPeople.IndexAccount));
        string Index(string body) => "{\"format\":\"TokenAuth.PersistedPeople\",\"version\":1,\"check\":\"" + name.Check + "\"," + body + "}";

        var good = PersistedPeople.Read(Index("\"current\":\"person:sub=1\",\"people\":[{\"account\":\"person:sub=1\",\"names\":[\"Alice\"]}]"), name, out var current, out _);

        Assert.Equal("person:sub=1", current);
        Assert.Equal("alice", Assert.Single(Assert.Single(good!).Names));
        Assert.Null(PersistedPeople.Read(Index("\"people\":[{\"account\":\"\",\"names\":[]}]"), name, out _, out _));
        Assert.Null(PersistedPeople.Read(Index("\"people\":[{\"account\":\"person:sub=1\",\"names\":[\"a\\r\\nb\"]}]"), name, out _, out _));
        Assert.Null(PersistedPeople.Read(Index("\"current\":\"person:sub=2\",\"people\":[{\"account\":\"person:sub=1\",\"names\":[]}]"), name, out _, out _));
        Assert.Null(PersistedPeople.Read(Index("\"people\":{}"), name, out _, out _));
    }

    [Fact]
    public async Task Revoking_a_person_in_a_new_process_removes_their_entry_so_the_next_process_signs_them_in()
    {
        var alice = await SignInAliceAsync();

        var result = await NextProcess().RevokeAsync(PersonRequest(Person(whyNoPerson: "no person is at this test"), "alice"));
        var refused = await Assert.ThrowsAsync<Errors.SignInException>(async () =>
            await NextProcess().GetTokenAsync(PersonRequest(Person(whyNoPerson: "no person is at this test"), "alice")));

        Assert.Equal(Vault, result.RemovedFromVault);
        // Her refresh token is revoked at the provider as well: a copy taken from the vault renews nothing.
        Assert.True(_harness.Emulator.IsRevoked(alice.RefreshToken!));
        Assert.Equal(1, _harness.Count("people", "refresh-revoked"));
        Assert.Equal(Errors.SignInFailure.NotInteractive, refused.Failure);
        Assert.DoesNotContain(_store.Entries, entry => entry.Value.Contains(alice.Value));
        // The index stays (it holds no token): it still says who alice is, and she signs in again.
        Assert.Contains("\"alice\"", _store.Get(Vault, IndexName(PersonRequest(Person(), "alice"))));
    }

    [Fact]
    public async Task A_due_persisted_token_is_renewed_with_its_refresh_token_by_a_new_process_and_a_spent_one_is_removed()
    {
        var alice = await SignInAliceAsync();
        _harness.Clock.Advance(alice.RenewAfter - _harness.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));

        var renewed = (await NextProcess().GetTokenAsync(PersonRequest(Person(whyNoPerson: "no person is at this test"), "alice"))).Token;

        Assert.NotEqual(alice.Value, renewed.Value);
        Assert.Equal(1, _harness.Count("people", "refresh"));
        Assert.Contains(renewed.Value, _store.Get(Vault, PersistedTokenName.For(renewed.Request).Name));

        // The vault's refresh token spent elsewhere (the emulator refuses a used one): the entry goes, so no process meets the refusal again.
        _store.Put(Vault, PersistedTokenName.For(renewed.Request).Name, PersistedTokenEntry.Write(alice, PersistedTokenName.For(renewed.Request)));
        var spent = await Assert.ThrowsAsync<Errors.SignInException>(async () =>
            await NextProcess().GetTokenAsync(PersonRequest(Person(whyNoPerson: "no person is at this test"), "alice")));
        Assert.Equal(Errors.SignInFailure.SignInAgain, spent.Failure);
        Assert.DoesNotContain(_store.Entries, entry => entry.Key.Name == PersistedTokenName.For(renewed.Request).Name);
    }
}
