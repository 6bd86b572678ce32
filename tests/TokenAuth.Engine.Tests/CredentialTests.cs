using TokenAuth.Credentials;
using TokenAuth.Errors;
using Xunit;

namespace TokenAuth.Tests;

public sealed class CredentialTests : IAsyncLifetime
{
    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public void ToString_never_shows_a_secret_and_masks_the_api_key()
    {
        var credential = new ProviderCredential("client-1", "cs-secret-value", "cc-credential-value", "ak_live_abc123xyz", "as-secret-value");
        LeakEvidence.Secret("cs-secret-value");
        LeakEvidence.Secret("cc-credential-value");
        LeakEvidence.Secret("as-secret-value");

        var text = credential.ToString();
        LeakEvidence.Saw(text);

        Assert.Contains("ClientId=client-1", text);
        Assert.Contains("ApiKey=ak_l***", text);
        Assert.DoesNotContain("secret-value", text);
        Assert.DoesNotContain("credential-value", text);
        Assert.DoesNotContain("abc123xyz", text);
    }

    [Fact]
    public async Task A_missing_field_is_named_before_anything_is_sent()
    {
        var error = await Expect.Throws<CredentialException>(() =>
            _harness.Engine.GetTokenAsync(_harness.Request("Akiba", new ProviderCredential("demo-akiba-client", "demo-akiba-secret-9f3k"))).AsTask());

        Assert.Equal("ClientCredential", error.Field);
        Assert.Contains("ClientCredential is missing", error.Message);
        Assert.Equal(0, _harness.Count("akiba", "token"));
    }

    [Fact]
    public async Task CoreBanking_limits_are_checked_before_anything_is_sent()
    {
        var longSecret = new string('s', 101);
        LeakEvidence.Secret(longSecret);

        var error = await Expect.Throws<CredentialException>(() =>
            _harness.Engine.GetTokenAsync(_harness.Request("CoreBanking", new ProviderCredential("demo-corebanking-client", longSecret))).AsTask());

        Assert.Equal("ClientSecret", error.Field);
        Assert.Contains("101 characters long; CoreBanking accepts at most 100", error.Message);
        Assert.Equal(0, _harness.Count("corebanking", "token"));
    }

    [Fact]
    public void A_rotated_secret_gets_its_own_cache_key_without_the_secret_in_it()
    {
        var one = _harness.Request("Akiba", new ProviderCredential("id", "secret-one", "credential"));
        var two = _harness.Request("Akiba", new ProviderCredential("id", "secret-two", "credential"));

        Assert.NotEqual(one.Key, two.Key);
        Assert.Equal(one.Key, _harness.Request("Akiba", new ProviderCredential("id", "secret-one", "credential")).Key);
        Assert.DoesNotContain("secret-one", one.Key.SecretFingerprint);
        Assert.Equal(32, one.Key.SecretFingerprint.Length);
    }

    [Fact]
    public void The_fingerprint_is_the_same_on_every_build()
    {
        // Processes on PowerShell 7 (net8.0) and Windows PowerShell 5.1 (netstandard2.0) that share a vault must name a
        // persisted token alike: this test runs on both builds.
        Assert.Equal("60362bbe4a48f43112ae251cfbf1dcb8", new ProviderCredential("id", "secret-é", "credential").SecretFingerprint);
    }
}
