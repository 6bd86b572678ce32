using TokenAuth.Credentials;
using TokenAuth.Providers;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Issue 28, point 11: a client certificate read from a PFX in a vault is disposed of when the session forgets it, so
/// that no key it brought stays behind (on Windows, a temporary key in the user's key store); a later use reads it again.
/// </summary>
public sealed class ClientCertificateDisposalTests
{
    [Fact]
    public void A_forgotten_certificate_is_disposed_and_the_next_use_reads_a_new_one()
    {
        var vault = new InMemoryVault("Test");
        vault.Set("Client.Pfx", SecretValue.FromBytes(File.ReadAllBytes(Path.Combine(TestCertificateFiles.Folder.Value, "client.pfx"))));
        vault.Set("Client.PfxPassword", SecretValue.FromText(TestCertificateFiles.Password));
        var definition = ProviderDefinitionLoader.Parse("""
            { "name": "MutualTls", "environments": { "Live": "https://auth.example" }, "credential": { "fields": ["ClientId", "ClientSecret"] },
              "token": { "path": "/token", "fields": { "client_id": "{ClientId}" } }, "tokenResponse": { "accessToken": "access_token" },
              "clientCertificate": { "secretName": "Client.Pfx", "passwordSecretName": "Client.PfxPassword" } }
            """);
        var resolver = new ClientCertificateResolver();
        var now = DateTimeOffset.UtcNow;

        var first = resolver.Resolve(definition, definition.ClientCertificate!, vault, null, now);
        var again = resolver.Resolve(definition, definition.ClientCertificate!, vault, null, now);
        resolver.ForgetAll();
        var reread = resolver.Resolve(definition, definition.ClientCertificate!, vault, null, now);

        Assert.Same(first, again);
        Assert.Equal(IntPtr.Zero, first.Handle);
        Assert.NotSame(first, reread);
        Assert.True(reread.HasPrivateKey);
        Assert.Equal(4, vault.Reads); // the PFX and its password, read twice: once before ForgetAll, once after
    }
}
