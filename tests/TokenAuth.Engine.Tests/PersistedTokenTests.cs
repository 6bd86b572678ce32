using System.Collections.Concurrent;
using TokenAuth.Credentials;
using TokenAuth.Logging;
using TokenAuth.Providers;
using TokenAuth.Requests;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Tokens persisted through the engine's <see cref="ITokenStore"/> seam, with an in-memory store standing in for the
/// vault and a second engine standing in for the next process: the entry's format, naming and checks, and the read,
/// write and failure rules. The module's SecretManagement store is proven through the cmdlets (PersistentCache.Tests.ps1).
/// </summary>
public sealed class PersistedTokenTests : IAsyncLifetime
{
    private const string Vault = "TestVault";
    private Harness _harness = null!;
    private readonly MemoryTokenStore _store = new();

    public async Task InitializeAsync()
    {
        _harness = await Harness.StartAsync(configureEngine: options => options with { TokenCacheVault = Vault });
        _harness.Engine.TokenStore = _store;
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    /// <summary>Another process: its own memory, the same vault and provider.</summary>
    private TokenAuthEngine NextProcess(Func<TokenAuthOptions, TokenAuthOptions>? change = null, ITokenStore? store = null) =>
        new(change?.Invoke(_harness.Engine.Options) ?? _harness.Engine.Options, _harness.Clock) { TokenStore = store ?? _store };

    [Fact]
    public async Task A_later_process_uses_the_persisted_token_without_asking_the_provider()
    {
        var first = (await _harness.Engine.GetTokenAsync(_harness.Request("APIMW"), log: _harness.Log)).Token;
        var log = new RecordingLog();

        var second = (await NextProcess().GetTokenAsync(_harness.Request("APIMW"), log: log)).Token;

        Assert.Equal(1, _harness.Count("APIMW", "token"));
        Assert.Equal(first.Value, second.Value);
        Assert.Equal(first.ExpiresOn, second.ExpiresOn);
        Assert.Equal(Vault, second.PersistedIn);
        Assert.Equal(Vault, first.PersistedIn);
        Assert.True(log.Contains("token read from the vault"));
        Assert.Single(_store.Entries);
    }

    [Fact]
    public async Task A_request_with_a_persisted_token_says_so_in_its_summary_and_one_from_memory_says_cache()
    {
        await _harness.Engine.GetTokenAsync(_harness.Request("APIMW"));
        var next = NextProcess();
        var log = new RecordingLog();

        await next.SendAsync(_harness.Request("APIMW"), new ApiRequest("GET", "resources/sample"), log);
        await next.SendAsync(_harness.Request("APIMW"), new ApiRequest("GET", "resources/sample"), log);

        var summaries = log.Lines.Select(line => line.Message).Where(line => line.Contains(" waited, token ")).ToList();
        Assert.Equal(2, summaries.Count);
        Assert.EndsWith($"token read from the vault '{Vault}'.", summaries[0]);
        Assert.EndsWith("token from the cache.", summaries[1]);
        Assert.Equal(1, _harness.Count("APIMW", "token"));
    }

    [Fact]
    public async Task Nothing_is_written_without_a_vault_for_the_request()
    {
        var engine = NextProcess(options => options with { TokenCacheVault = null });

        var token = (await engine.GetTokenAsync(_harness.Request("APIMW"))).Token;

        Assert.Empty(_store.Entries);
        Assert.Equal(0, _store.Calls);
        Assert.Null(token.PersistedIn);
    }

    [Fact]
    public async Task A_definition_that_names_a_vault_persists_its_tokens_without_the_session_option()
    {
        var engine = NextProcess(options => options with { TokenCacheVault = null });
        var definition = _harness.Providers.Get("APIMW") with { Name = "PersistedApimw", TokenCacheVault = "DefinitionVault" };
        var request = new TokenRequest(ProviderTarget.Resolve(definition, baseUri: _harness.Emulator.BaseUriOf("APIMW").ToString()), _harness.CredentialFor("APIMW"));

        var token = (await engine.GetTokenAsync(request)).Token;

        Assert.Equal("DefinitionVault", token.PersistedIn);
        Assert.Equal("DefinitionVault", Assert.Single(_store.Entries).Key.Vault);
    }

    [Fact]
    public async Task The_entry_holds_the_tokens_but_never_the_credential_and_its_name_reveals_nothing()
    {
        var request = _harness.Request("Akiba");
        var token = (await _harness.Engine.GetTokenAsync(request)).Token;

        var entry = Assert.Single(_store.Entries);
        var (key, text) = (entry.Key, entry.Value);

        Assert.StartsWith(PersistedTokenName.Prefix, key.Name);
        Assert.Matches("^TokenAuth\\.Token\\.[0-9a-f]{32}$", key.Name);
        Assert.Contains(token.Value, text);
        // Akiba answers a refresh token that nothing spends (no refresh endpoint): it is not put at rest for nothing.
        Assert.NotNull(token.RefreshToken);
        Assert.DoesNotContain("\"refreshToken\"", text);
        Assert.Contains("\"version\":1", text);
        foreach (var part in new[] { request.Credential.ClientId!, request.Credential.ClientSecret!, request.Credential.ClientCredential!, request.Credential.SecretFingerprint })
        {
            Assert.DoesNotContain(part, text);
            Assert.DoesNotContain(part, key.Name);
        }

        Assert.DoesNotContain("Akiba", key.Name, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_entry_holds_the_refresh_token_a_provider_renews_with()
    {
        var token = (await _harness.Engine.GetTokenAsync(_harness.Request("APIMW"))).Token;

        var text = Assert.Single(_store.Entries).Value;

        Assert.Contains($"\"refreshToken\":\"{token.RefreshToken}\"", text);
    }

    [Fact]
    public void Every_identity_field_changes_the_canonical_identity_and_so_the_name()
    {
        var key = new TokenCacheKey("P", "https://a/", "id", "fp", "scope", 0, "thumb", "source");
        var variants = new[]
        {
            new TokenCacheKey("Q", "https://a/", "id", "fp", "scope", 0, "thumb", "source"),
            new TokenCacheKey("P", "https://b/", "id", "fp", "scope", 0, "thumb", "source"),
            new TokenCacheKey("P", "https://a/", "id2", "fp", "scope", 0, "thumb", "source"),
            new TokenCacheKey("P", "https://a/", "id", "fp2", "scope", 0, "thumb", "source"),
            new TokenCacheKey("P", "https://a/", "id", "fp", "scope2", 0, "thumb", "source"),
            new TokenCacheKey("P", "https://a/", "id", "fp", "scope", 60, "thumb", "source"),
            new TokenCacheKey("P", "https://a/", "id", "fp", "scope", 0, "thumb2", "source"),
            new TokenCacheKey("P", "https://a/", "id", "fp", "scope", 0, "thumb", "source2"),
            new TokenCacheKey("P", "https://a/", "id", "fp", "scope", 0, "thumb", "source", tokenParameters: "tenant=contoso"),
            new TokenCacheKey("P", "https://a/", "id", "fp", "scope", 0, "thumb", "source", account: "person:alice"),
            // Length-prefixed: moving a character from one field to the next is another identity.
            new TokenCacheKey("P", "https://a/", "i", "dfp", "scope", 0, "thumb", "source"),
        };

        var names = variants.Select(variant => PersistedTokenName.Of(variant).Name).Append(PersistedTokenName.Of(key).Name).ToList();

        Assert.Equal(names.Count, names.Distinct().Count());
        // One variant per identity field, and the length-prefix one: a field added to the key needs its variant here.
        Assert.Equal(typeof(TokenCacheKey).GetProperties().Length, variants.Length - 1);
        Assert.Equal(PersistedTokenName.Of(key).Name, PersistedTokenName.Of(new TokenCacheKey("p", "https://a/", "id", "fp", "scope", 0, "thumb", "source")).Name);
        Assert.DoesNotContain("fp", PersistedTokenName.Of(key).Check);
    }

    /// <summary>
    /// The derivation gives the same bytes on every target (the runtime's PBKDF2 on .NET 8, a managed loop on .NET
    /// Framework; this file runs on both): RFC 7914 section 11's PBKDF2-HMAC-SHA256 vector cut to one block, one at
    /// TokenAuth's own salt and iterations (python3 hashlib.pbkdf2_hmac), and a name pinned as earlier builds wrote it.
    /// </summary>
    [Fact]
    public void The_name_derivation_gives_the_same_bytes_as_ever_on_every_target()
    {
        static string Derived(string password, string salt, int iterations) =>
            string.Concat(PersistedTokenName.Pbkdf2Sha256(System.Text.Encoding.UTF8.GetBytes(password), System.Text.Encoding.UTF8.GetBytes(salt), iterations)
                .Select(b => b.ToString("x2")));

        Assert.Equal("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc", Derived("passwd", "salt", 1));
        Assert.Equal("4c925b0e7a58b392b69f722022042a5bcd110824598d7d6021134b120e22c0ae",
            Derived("password", "TokenAuth persisted token name, format 1", PersistedTokenName.Iterations));
        var name = PersistedTokenName.Of(new TokenCacheKey("P", "https://a/", "id", "fp", "scope", 0, "thumb", "source"));
        Assert.Equal("TokenAuth.Token.750b232fbe7acf723a7320416c6fbe72", name.Name);
        Assert.Equal("0b315b1ceec287f3c267ffb4d3749d7c", name.Check);
    }

    [Fact]
    public async Task Another_credentials_entry_under_this_name_is_foreign_warned_once_and_replaced()
    {
        var mine = _harness.Request("APIMW");
        var other = _harness.Request("APIMW", new ProviderCredential(apiKey: "ak_other", apiSecret: "sk_other_secret"));
        var theirs = PersistedTokenEntry.Write(new AccessToken(other, "their-token-value", "Bearer", "Bearer", null, null, _harness.Clock.GetUtcNow(),
            _harness.Clock.GetUtcNow().AddHours(1), false, _harness.Clock.GetUtcNow().AddMinutes(59)), PersistedTokenName.For(other));
        _store.Put(Vault, PersistedTokenName.For(mine).Name, theirs);
        var log = new RecordingLog();

        var token = (await NextProcess().GetTokenAsync(mine, log: log)).Token;

        Assert.NotEqual("their-token-value", token.Value);
        Assert.Equal(1, _harness.Count("APIMW", "token"));
        Assert.Single(log.Lines, line => line.Level == LogLevel.Warning);
        Assert.Contains("not written for this provider, credential and scope", log.Lines.Single(line => line.Level == LogLevel.Warning).Message);
        Assert.Contains(token.Value, _store.Get(Vault, PersistedTokenName.For(mine).Name));
        Assert.NotEqual(PersistedTokenName.For(mine).Name, PersistedTokenName.For(other).Name);
    }

    [Theory]
    [InlineData("{\"format\":\"TokenAuth.PersistedToken\",\"version\":1,\"accessTo", "not JSON")]
    [InlineData("{\"format\":\"TokenAuth.PersistedToken\",\"version\":7}", "format version 7")]
    [InlineData("[1,2,3]", "not a TokenAuth token entry")]
    [InlineData("", "not JSON")]
    public async Task A_corrupt_or_future_entry_gives_one_warning_a_working_call_and_is_replaced(string text, string said)
    {
        var request = _harness.Request("APIMW");
        _store.Put(Vault, PersistedTokenName.For(request).Name, text);
        var log = new RecordingLog();

        var token = (await NextProcess().GetTokenAsync(request, log: log)).Token;

        var warning = Assert.Single(log.Lines, line => line.Level == LogLevel.Warning);
        Assert.Contains(said, warning.Message);
        Assert.Contains(token.Value, _store.Get(Vault, PersistedTokenName.For(request).Name));
    }

    [Theory]
    [InlineData("raw")]
    [InlineData("accessToken")]
    [InlineData("account")]
    [InlineData("format")]
    [InlineData("name")]
    public async Task An_entry_holding_half_a_UTF16_pair_gives_one_warning_a_working_call_and_is_replaced(string where)
    {
        // A vault writer's worst text: half a surrogate pair, raw or escaped, which the JSON reader refuses as text (not as JSON).
        var request = _harness.Request("APIMW");
        var name = PersistedTokenName.For(request);
        var now = _harness.Clock.GetUtcNow();
        var good = PersistedTokenEntry.Write(new AccessToken(request, "fine", "Bearer", "Bearer", null, null, now, now.AddHours(1), false, now.AddMinutes(59)), name);
        _store.Put(Vault, name.Name, where switch
        {
            "raw" => good.Replace("\"fine\"", "\"fi\uD800ne\""),
            "accessToken" => good.Replace("\"fine\"", "\"fi\\uD800ne\""),
            "account" => good.Replace("{", "{\"account\":\"\\uDC00\","),
            "format" => good.Replace("TokenAuth.PersistedToken", "TokenAuth.PersistedToken\\uD800"),
            _ => good.Replace("{", "{\"\\uD800\":1,"),
        });
        var log = new RecordingLog();

        var token = (await NextProcess().GetTokenAsync(request, log: log)).Token;

        var warning = Assert.Single(log.Lines, line => line.Level == LogLevel.Warning);
        Assert.Contains("is ignored and will be replaced", warning.Message);
        Assert.NotEqual("fine", token.Value);
        Assert.Equal(1, _harness.Count("APIMW", "token"));
        Assert.Contains(token.Value, _store.Get(Vault, name.Name));
        // Listing the vault shows no such entry as a token of TokenAuth's, and does not fail on it.
        _store.Put(Vault, name.Name + "0", _store.Get(Vault, name.Name).Replace("{", "{\"\\uD800\":1,"));
        Assert.DoesNotContain(await NextProcess().ListPersistedTokensAsync(Vault), summary => summary.Name == name.Name + "0");
    }

    [Theory]
    [InlineData("Bearer", "Basic")]
    [InlineData("", "Basic")]
    [InlineData("Bearer", "Bearer")]
    public async Task An_entry_whose_scheme_is_not_its_token_types_is_not_used(string tokenType, string scheme)
    {
        // CoreBanking sends its token with the answer's token type: an entry naming another scheme was not written by TokenAuth.
        var request = _harness.Request("CoreBanking");
        var name = PersistedTokenName.For(request);
        var now = _harness.Clock.GetUtcNow();
        var written = PersistedTokenEntry.Write(new AccessToken(request, "fine", tokenType, scheme, null, null, now, now.AddHours(1), false, now.AddMinutes(59)), name);
        _store.Put(Vault, name.Name, written);
        var log = new RecordingLog();

        var token = (await NextProcess().GetTokenAsync(request, log: log)).Token;

        var used = scheme == "Bearer";
        Assert.Equal(used, token.Value == "fine");
        Assert.Equal(used ? 0 : 1, _harness.Count("CoreBanking", "token"));
        Assert.Equal(used ? 0 : 1, log.Lines.Count(line => line.Level == LogLevel.Warning));
    }

    [Fact]
    public async Task An_entry_whose_token_would_break_the_header_is_not_used()
    {
        var request = _harness.Request("APIMW");
        var name = PersistedTokenName.For(request);
        var now = _harness.Clock.GetUtcNow();
        var good = PersistedTokenEntry.Write(new AccessToken(request, "fine", "Bearer", "Bearer", null, null, now, now.AddHours(1), false, now.AddMinutes(59)), name);
        _store.Put(Vault, name.Name, good.Replace("\"fine\"", "\"x\\r\\nX-Injected: 1\""));
        var log = new RecordingLog();

        var token = (await NextProcess().GetTokenAsync(request, log: log)).Token;

        Assert.DoesNotContain("X-Injected", token.AuthorizationHeaderValue);
        Assert.Contains("not fit for a header", Assert.Single(log.Lines, line => line.Level == LogLevel.Warning).Message);
        Assert.Equal(1, _harness.Count("APIMW", "token"));
    }

    [Theory]
    [InlineData("tokenType")]
    [InlineData("scope")]
    public async Task An_entry_with_control_characters_in_a_field_shown_to_the_user_is_not_used(string field)
    {
        // The worst writer of a vault entry would put terminal escapes on the user's screen through the token object.
        var request = _harness.Request("APIMW");
        var name = PersistedTokenName.For(request);
        var now = _harness.Clock.GetUtcNow();
        var good = PersistedTokenEntry.Write(new AccessToken(request, "fine", "shown", "Bearer", null, "shown", now, now.AddHours(1), false, now.AddMinutes(59)), name);
        _store.Put(Vault, name.Name, good.Replace($"\"{field}\":\"shown\"", $"\"{field}\":\"\\u001b]0;pwned\\u0007\""));
        var log = new RecordingLog();

        var token = (await NextProcess().GetTokenAsync(request, log: log)).Token;

        Assert.NotEqual("fine", token.Value);
        Assert.Contains("control characters", Assert.Single(log.Lines, line => line.Level == LogLevel.Warning).Message);
        Assert.Equal(1, _harness.Count("APIMW", "token"));
    }

    [Fact]
    public async Task A_listing_describes_every_entry_in_the_vault_without_its_tokens_and_names_one_it_cannot_read()
    {
        var token = (await _harness.Engine.GetTokenAsync(_harness.Request("APIMW"))).Token;
        var request = _harness.Request("Akiba");
        var name = PersistedTokenName.For(request);
        var now = _harness.Clock.GetUtcNow();
        var shown = PersistedTokenEntry.Write(new AccessToken(request, "fine", null, "Bearer", null, null, now, now.AddHours(1), false, now.AddMinutes(59)) { Account = "shown" }, name);
        _store.Put(Vault, name.Name, shown.Replace("\"account\":\"shown\"", "\"account\":\"\\u001b]0;pwned\\u0007\""));
        _store.Put(Vault, PersistedTokenName.Prefix + "cut", "{\"format\":\"TokenAuth.PersistedToken\",\"version\":1,\"accessTo");
        _store.Put(Vault, PersistedTokenName.Prefix + "\u001b]0;named\u0007", shown.Replace("\"account\":\"shown\"", "\"account\":\"fine\""));
        _store.Put(Vault, "NotTokenAuth", "kept");
        // A sign-in's people index shares the prefix: not a token, so neither listed nor warned of.
        _store.Put(Vault, PersistedTokenName.Prefix + "people", PersistedPeople.Write([new People.KnownPerson("someone", ["someone@example.test"])], "someone", name));
        var log = new RecordingLog();

        var listed = await NextProcess().ListPersistedTokensAsync(Vault, log);

        var entry = Assert.Single(listed);
        Assert.Equal(("APIMW", token.BaseUri, token.Scope, token.ExpiresOn, true, Vault, PersistedTokenName.For(token.Request).Name),
            (entry.Provider, entry.BaseUri, entry.Scope, entry.ExpiresOn, entry.HasRefreshToken, entry.Vault, entry.Name));
        var warnings = log.Lines.Where(line => line.Level == LogLevel.Warning).Select(line => line.Message).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, warning => warning.Contains("name or a field shown to the user holds control characters") && !warning.Contains('\u001b'));
        Assert.Contains(warnings, warning => warning.Contains($"'{name.Name}'") && warning.Contains("control characters"));
        Assert.Contains(warnings, warning => warning.Contains($"'{PersistedTokenName.Prefix}cut'") && warning.Contains("not JSON"));
        Assert.DoesNotContain(log.Lines, line => line.Message.Contains(token.Value) || line.Message.Contains("fine"));
        Assert.Equal(1, _harness.Count("APIMW", "token"));
    }

    [Fact]
    public async Task An_entry_written_under_another_definition_is_not_used_and_not_warned_about()
    {
        var request = _harness.Request("APIMW");
        var name = PersistedTokenName.For(request);
        var now = _harness.Clock.GetUtcNow();
        var changed = request.Target.Definition with { Description = "edited since" };
        var otherDefinition = new TokenRequest(ProviderTarget.Resolve(changed, baseUri: request.Target.BaseUri.ToString()), request.Credential);
        _store.Put(Vault, name.Name, PersistedTokenEntry.Write(new AccessToken(otherDefinition, "old-definition-token", "Bearer", "Bearer", null, null, now,
            now.AddHours(1), false, now.AddMinutes(59)), name));
        var log = new RecordingLog();

        var token = (await NextProcess().GetTokenAsync(request, log: log)).Token;

        Assert.NotEqual("old-definition-token", token.Value);
        Assert.DoesNotContain(log.Lines, line => line.Level == LogLevel.Warning);
        Assert.True(log.Contains("written under another definition"));
    }

    [Fact]
    public void A_definition_file_gives_the_same_fingerprint_each_time_it_is_loaded_and_another_once_edited()
    {
        var folder = Path.Combine(Path.GetTempPath(), "tokenauth-fingerprint-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var path = Path.Combine(folder, "provider.json");
            var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", "oauth2-client-credentials.json"));
            File.WriteAllText(path, json);
            var first = DefinitionFingerprint.Of(ProviderDefinitionLoader.LoadFile(path));
            var again = DefinitionFingerprint.Of(ProviderDefinitionLoader.LoadFile(path));
            File.WriteAllText(path, json.Insert(json.LastIndexOf('}'), ", \"tokenCacheVault\": \"Elsewhere\""));
            var edited = DefinitionFingerprint.Of(ProviderDefinitionLoader.LoadFile(path));

            Assert.Equal(first, again);
            Assert.NotEqual(first, edited);
            Assert.NotEqual(first, DefinitionFingerprint.Of(_harness.Providers.Get("APIMW")));
            Assert.Equal(DefinitionFingerprint.Of(_harness.Providers.Get("APIMW")), DefinitionFingerprint.Of(new ProviderRegistry().Get("APIMW")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_due_entry_is_renewed_with_its_refresh_token_by_the_sessions_renewal_rule_and_written_back()
    {
        var request = _harness.Request("APIMW");
        var first = (await _harness.Engine.GetTokenAsync(request)).Token;
        _harness.Clock.Advance(first.RenewAfter - _harness.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));

        var renewed = (await NextProcess().GetTokenAsync(_harness.Request("APIMW"))).Token;

        Assert.NotEqual(first.Value, renewed.Value);
        Assert.Equal(1, _harness.Count("APIMW", "token"));
        Assert.Equal(1, _harness.Count("APIMW", "refresh"));
        Assert.Contains(renewed.Value, _store.Get(Vault, PersistedTokenName.For(request).Name));
    }

    [Fact]
    public async Task A_persisted_token_the_API_refuses_is_renewed_and_replaced_not_read_back()
    {
        var first = (await _harness.Engine.GetTokenAsync(_harness.Request("Akiba"))).Token;
        _harness.Emulator.RevokeAllTokens("akiba");
        var engine = NextProcess();

        var response = await engine.SendAsync(_harness.Request("Akiba"), new Requests.ApiRequest("GET", "resources/sample"));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(2, _harness.Count("Akiba", "token"));
        var persisted = _store.Get(Vault, PersistedTokenName.For(_harness.Request("Akiba")).Name);
        Assert.DoesNotContain(first.Value, persisted);
    }

    [Fact]
    public async Task A_failing_vault_warns_once_and_the_session_carries_on_without_it()
    {
        var failing = new MemoryTokenStore { Failure = new InvalidOperationException("The vault is locked: a password is required") };
        var engine = NextProcess(store: failing);
        var log = new RecordingLog();

        var first = (await engine.GetTokenAsync(_harness.Request("APIMW"), log: log)).Token;
        var again = (await engine.GetTokenAsync(_harness.Request("APIMW"), forceNew: true, log: log)).Token;
        await engine.GetTokenAsync(_harness.Request("Akiba"), log: log);

        var warning = Assert.Single(log.Lines, line => line.Level == LogLevel.Warning);
        Assert.Contains("locked", warning.Message);
        Assert.Equal(1, failing.Calls);
        Assert.Null(first.PersistedIn);
        Assert.NotEqual(first.Value, again.Value);
    }

    [Fact]
    public async Task A_vault_that_does_not_answer_is_given_up_within_the_token_timeout()
    {
        var silent = new MemoryTokenStore { Silent = true };
        var engine = NextProcess(options => options with { TokenTimeout = TimeSpan.FromMilliseconds(300) }, silent);
        var log = new RecordingLog();
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var token = (await engine.GetTokenAsync(_harness.Request("APIMW"), log: log)).Token;

        Assert.NotNull(token.Value);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Contains("did not answer within the token timeout", Assert.Single(log.Lines, line => line.Level == LogLevel.Warning).Message);
        Assert.True(silent.Cancelled, "the store's call was cancelled");
    }

    [Fact]
    public async Task A_vault_that_reads_but_does_not_answer_a_write_is_given_up_once_not_on_every_renewal()
    {
        var writesHang = new MemoryTokenStore { SilentWrites = true };
        var engine = NextProcess(options => options with { TokenTimeout = TimeSpan.FromMilliseconds(300) }, writesHang);
        var log = new RecordingLog();

        var first = (await engine.GetTokenAsync(_harness.Request("APIMW"), log: log)).Token;
        var renewed = (await engine.GetTokenAsync(_harness.Request("APIMW"), forceNew: true, log: log)).Token;
        await engine.GetTokenAsync(_harness.Request("Akiba"), log: log);

        Assert.NotEqual(first.Value, renewed.Value);
        var warning = Assert.Single(log.Lines, line => line.Level == LogLevel.Warning);
        Assert.Contains("did not answer within the token timeout", warning.Message);
        Assert.Contains("not asked again", warning.Message);
        // One read and the one write given up on; neither later token went to the vault.
        Assert.Equal(2, writesHang.Calls);
        Assert.Null(renewed.PersistedIn);
    }

    [Fact]
    public async Task Revoking_in_a_fresh_process_revokes_the_persisted_token_and_removes_its_entry()
    {
        await _harness.Engine.GetTokenAsync(_harness.Request("Akiba"));

        var result = await NextProcess().RevokeAsync(_harness.Request("Akiba"));
        var after = await NextProcess().GetTokenAsync(_harness.Request("Akiba"));

        Assert.True(result.ProviderNotified);
        Assert.Equal(Vault, result.RemovedFromVault);
        Assert.Contains($"vault '{Vault}' was removed", result.Message);
        Assert.Equal(1, _harness.Count("Akiba", "revoke"));
        Assert.Equal(2, _harness.Count("Akiba", "token"));
        Assert.False(after.FromCache);
    }

    [Fact]
    public async Task Revoking_where_another_process_persisted_a_newer_token_revokes_that_one_too()
    {
        // A shell open for hours holds the first token; a scheduled task has since renewed and persisted its own.
        var shell = _harness.Engine;
        var held = (await shell.GetTokenAsync(_harness.Request("Akiba"))).Token;
        var newer = (await NextProcess().GetTokenAsync(_harness.Request("Akiba"), forceNew: true)).Token;

        var result = await shell.RevokeAsync(_harness.Request("Akiba"));

        Assert.NotEqual(held.Value, newer.Value);
        Assert.Equal(2, _harness.Count("Akiba", "revoke"));
        Assert.True(result.ProviderNotified);
        Assert.Contains($"The newer token another process persisted in the vault '{Vault}'; Akiba revoked it.", result.Message);
        Assert.Equal(Vault, result.RemovedFromVault);
        Assert.Empty(_store.Entries);
    }

    [Fact]
    public async Task Revoking_a_handed_over_token_leaves_the_newer_one_another_process_persisted_since()
    {
        // A token object kept in a variable (or listed by Get-ProviderTokenCache) is revoked after a scheduled task renewed.
        var held = (await _harness.Engine.GetTokenAsync(_harness.Request("Akiba"))).Token;
        var newer = (await NextProcess().GetTokenAsync(_harness.Request("Akiba"), forceNew: true)).Token;

        var result = await _harness.Engine.RevokeAsync(held);
        var next = await NextProcess().GetTokenAsync(_harness.Request("Akiba"));

        Assert.True(result.ProviderNotified);
        Assert.Null(result.RemovedFromVault);
        Assert.True(_harness.Emulator.IsRevoked(held.Value));
        Assert.False(_harness.Emulator.IsRevoked(newer.Value));
        Assert.Equal(newer.Value, next.Token.Value);
        Assert.Equal(2, _harness.Count("Akiba", "token"));
    }

    [Fact]
    public async Task Revoking_a_handed_over_token_removes_its_own_entry()
    {
        var held = (await _harness.Engine.GetTokenAsync(_harness.Request("Akiba"))).Token;

        var result = await NextProcess().RevokeAsync(held);

        Assert.True(result.ProviderNotified);
        Assert.Equal(Vault, result.RemovedFromVault);
        Assert.Empty(_store.Entries);
    }

    [Fact]
    public async Task Clearing_removes_every_TokenAuth_entry_and_nothing_else()
    {
        await _harness.Engine.GetTokenAsync(_harness.Request("Akiba"));
        await _harness.Engine.GetTokenAsync(_harness.Request("APIMW"));
        _store.Put(Vault, "SomeoneElses.Secret", "kept");

        var removed = await _harness.Engine.ClearPersistedTokensAsync(Vault);

        Assert.Equal(2, removed);
        Assert.Equal("SomeoneElses.Secret", Assert.Single(_store.Entries).Key.Name);
    }

    /// <summary>A vault in memory: entries by (vault, name); can fail every call, or never answer until cancelled.</summary>
    internal sealed class MemoryTokenStore : ITokenStore
    {
        private readonly ConcurrentDictionary<(string Vault, string Name), string> _entries = new();
        private int _calls;

        public Exception? Failure { get; init; }

        public bool Silent { get; init; }

        /// <summary>Reads answer; writes never do, until cancelled.</summary>
        public bool SilentWrites { get; init; }

        public bool Cancelled { get; private set; }

        public int Calls => _calls;

        public IReadOnlyList<KeyValuePair<(string Vault, string Name), string>> Entries => _entries.ToList();

        public void Put(string vault, string name, string text) => _entries[(vault, name)] = text;

        public string Get(string vault, string name) => _entries[(vault, name)];

        public Task<string?> ReadAsync(string vault, string name, CancellationToken cancellationToken) =>
            Call(() => _entries.TryGetValue((vault, name), out var text) ? text : null, cancellationToken);

        public Task WriteAsync(string vault, string name, string text, CancellationToken cancellationToken) =>
            Call(() => _entries[(vault, name)] = text, cancellationToken, silent: Silent || SilentWrites);

        public Task<int> RemoveAsync(string vault, IReadOnlyCollection<string> names, CancellationToken cancellationToken) =>
            Call(() => names.Count(name => _entries.TryRemove((vault, name), out _)), cancellationToken);

        public Task<IReadOnlyList<string>> ListAsync(string vault, string prefix, CancellationToken cancellationToken) =>
            Call(() => (IReadOnlyList<string>)_entries.Keys.Where(key => key.Vault == vault && key.Name.StartsWith(prefix, StringComparison.Ordinal))
                .Select(key => key.Name).ToList(), cancellationToken);

        private Task<T> Call<T>(Func<T> work, CancellationToken cancellationToken) => Call(work, cancellationToken, Silent);

        private async Task<T> Call<T>(Func<T> work, CancellationToken cancellationToken, bool silent)
        {
            Interlocked.Increment(ref _calls);
            if (Failure != null)
            {
                throw Failure;
            }

            if (silent)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Cancelled = true;
                    throw;
                }
            }

            return work();
        }
    }
}
