using System.Collections;
using System.Net;
using System.Security;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Logging;
using TokenAuth.Providers;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>A vault kept in memory, answering as SecretManagement does; it records whether two calls ever overlapped.</summary>
internal sealed class InMemoryVault(string name) : ISecretStore
{
    private readonly Dictionary<string, SecretValue> _secrets = new(StringComparer.OrdinalIgnoreCase);
    private int _inside;

    public bool Locked { get; set; }

    public int Reads;

    public bool Overlapped;

    public void Set(string secretName, SecretValue value) => _secrets[secretName] = value;

    public SecretValue GetSecret(string secretName, string? vault)
    {
        if (Interlocked.Increment(ref _inside) > 1)
        {
            Overlapped = true;
        }

        try
        {
            Interlocked.Increment(ref Reads);
            // Widens the window in which a second caller would overlap, were calls not serialised.
            Thread.SpinWait(200_000);
            if (vault != null && !vault.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                throw new SecretLookupException(SecretFailure.VaultNotFound, null, $"No vault named '{vault}' is registered.");
            }

            if (Locked)
            {
                throw new SecretLookupException(SecretFailure.VaultLocked, null, $"The vault '{name}' is locked.");
            }

            return _secrets.TryGetValue(secretName, out var secret)
                ? secret
                : throw new SecretLookupException(SecretFailure.SecretNotFound, null, $"The secret {secretName} was not found.");
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
        }
    }
}

public sealed class CredentialSourceTests
{
    private static readonly ProviderRegistry Providers = new();

    private static SecureString Secure(string text)
    {
        var secure = new NetworkCredential("", text).SecurePassword;
        secure.MakeReadOnly();
        return secure;
    }

    [Fact]
    public void A_PSCredential_maps_user_name_to_the_identity_and_password_to_the_secret()
    {
        var apimw = CredentialResolver.FromSecret(Providers.Get("APIMW"), SecretValue.FromUserAndPassword("ak_1", Secure("sk-vault-secret-1")), "TokenAuth.APIMW");
        var ankorstore = CredentialResolver.FromSecret(Providers.Get("Ankorstore"), SecretValue.FromUserAndPassword("client-1", Secure("cs-vault-secret-2")), "x");
        LeakEvidence.Secret("sk-vault-secret-1");
        LeakEvidence.Secret("cs-vault-secret-2");

        Assert.Equal(("ak_1", "sk-vault-secret-1"), (apimw.ApiKey, apimw.ApiSecret));
        Assert.Equal(("client-1", "cs-vault-secret-2"), (ankorstore.ClientId, ankorstore.ClientSecret));
    }

    [Fact]
    public void Akiba_needs_a_hashtable_or_an_extra_SecureString_for_its_third_field()
    {
        var akiba = Providers.Get("Akiba");
        var error = Expect.Throws<SecretLookupException>(() => CredentialResolver.FromSecret(akiba, SecretValue.FromUserAndPassword("id", Secure("s")), "TokenAuth.Akiba"));
        var withThird = CredentialResolver.FromUserAndPassword(akiba, "id", Secure("s"), Secure("cred-3"), "-Credential");
        var fromTable = CredentialResolver.FromSecret(akiba, SecretValue.FromFields(new Dictionary<string, object?>
        {
            ["clientid"] = "id", ["ClientSecret"] = Secure("s"), ["ClientCredential"] = "cred-3",
        }), "TokenAuth.Akiba");

        Assert.Equal(SecretFailure.WrongShape, error.Failure);
        Assert.Contains("also needs ClientCredential", error.Message);
        Assert.Equal("cred-3", withThird.ClientCredential);
        Assert.Equal(("id", "s", "cred-3"), (fromTable.ClientId, fromTable.ClientSecret, fromTable.ClientCredential));
    }

    [Fact]
    public void A_hashtable_of_the_wrong_shape_names_missing_and_unknown_keys_never_values()
    {
        var error = Expect.Throws<SecretLookupException>(() => CredentialResolver.FromSecret(Providers.Get("Kitegateway"),
            SecretValue.FromFields(new Dictionary<string, object?> { ["ApiKey"] = "k", ["Secret"] = Secure("value-never-shown-8") }), "TokenAuth.Kitegateway"));
        LeakEvidence.Secret("value-never-shown-8");

        Assert.Equal("SecretWrongShape", error.ErrorId);
        Assert.Contains("it lacks the keys ApiSecret", error.Message);
        Assert.Contains("it has keys Kitegateway does not use: Secret", error.Message);
    }

    [Fact]
    public void A_lone_SecureString_is_explained()
    {
        var error = Expect.Throws<SecretLookupException>(() => CredentialResolver.FromSecret(Providers.Get("APIMW"), SecretValue.Other("SecureString"), "TokenAuth.APIMW"));

        Assert.Contains("is a SecureString; APIMW needs a PSCredential (user name = ApiKey", error.Message);
    }

    [Fact]
    public void The_default_secret_name_is_documented_per_provider()
    {
        Assert.Equal("TokenAuth.CoreBanking", CredentialResolver.DefaultSecretName(Providers.Get("CoreBanking")));
    }

    [Fact]
    public void A_secret_is_read_once_per_session_unless_a_fresh_read_is_asked_for()
    {
        var vault = new InMemoryVault("Main");
        vault.Set("TokenAuth.APIMW", SecretValue.FromUserAndPassword("ak", Secure("sk")));
        var resolver = new CredentialResolver();

        var first = resolver.FromVault(Providers.Get("APIMW"), vault, null, null);
        var again = resolver.FromVault(Providers.Get("APIMW"), vault, null, null);
        var fresh = resolver.FromVault(Providers.Get("APIMW"), vault, null, null, reread: true);

        Assert.Same(first, again);
        Assert.NotSame(first, fresh);
        Assert.Equal(2, vault.Reads);
    }

    [Theory]
    [InlineData(null, "Other", SecretFailure.VaultNotFound)]
    [InlineData("Missing", null, SecretFailure.SecretNotFound)]
    [InlineData(null, null, SecretFailure.VaultLocked)]
    public void Vault_failures_keep_their_kind(string? secretName, string? vaultName, SecretFailure expected)
    {
        var vault = new InMemoryVault("Main") { Locked = expected == SecretFailure.VaultLocked };

        var error = Expect.Throws<SecretLookupException>(() => new CredentialResolver().FromVault(Providers.Get("Akiba"), vault, secretName, vaultName));

        Assert.Equal(expected, error.Failure);
    }

    [Fact]
    public async Task Vault_calls_from_many_threads_never_overlap()
    {
        var vault = new InMemoryVault("Main");
        foreach (var provider in Providers.All)
        {
            vault.Set("TokenAuth." + provider.Name, SecretValue.FromFields(provider.Credential.Fields.ToDictionary(field => field.ToString(), field => (object?)("v-" + field))));
        }

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            new CredentialResolver().FromVault(Providers.All[i % Providers.All.Count], vault, null, null))));

        Assert.Equal(40, vault.Reads);
        Assert.False(vault.Overlapped);
    }

    [Fact]
    public void Pipelines_are_told_to_mask_a_token_before_it_is_written()
    {
        var azure = CiMasking.CommandsFor("tok-123", new Hashtable { ["TF_BUILD"] = "True" });
        var github = CiMasking.CommandsFor("tok-123", new Hashtable { ["GITHUB_ACTIONS"] = "true" });
        var neither = CiMasking.CommandsFor("tok-123", new Hashtable { ["TF_BUILD"] = "" });

        Assert.Equal(["##vso[task.setsecret]tok-123"], azure);
        Assert.Equal(["::add-mask::tok-123"], github);
        Assert.Empty(neither);
    }
}
