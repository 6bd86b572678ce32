using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Providers;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// A definition's own token.assertion.source is anyone's JSON: it is described (what it takes, where it would go,
/// which CAs would vouch for that), and never read unless the caller passes a source itself.
/// </summary>
public sealed class AmbientIdentityTests : IAsyncLifetime
{
    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Theory]
    [InlineData("GitHubActions:api://aud\u001b[2J\u001b]0;pwned\u0007")]
    [InlineData("File:/var/run/token\u001b[31m")]
    public void A_definitions_source_is_shown_without_its_control_characters(string source)
    {
        var parsed = ClientAssertionSource.Parse(source);

        Assert.DoesNotContain(parsed.Description, char.IsControl);
        Assert.DoesNotContain(parsed.Takes, char.IsControl);
    }

    [Fact]
    public async Task A_definitions_own_source_is_never_read_on_its_say_and_nothing_is_sent()
    {
        var definition = Definition("Env:TOKENAUTH_NEVER_READ", _harness.Emulator.RootUri.ToString());
        var request = new TokenRequest(ProviderTarget.Resolve(definition), new ProviderCredential(clientId: "demo-federated-client"));

        var error = await Expect.Throws<CredentialException>(() => _harness.Engine.GetTokenAsync(request).AsTask());

        Assert.Null(request.AssertionSource);
        Assert.Contains("Its definition names Env:TOKENAUTH_NEVER_READ, which is read only when you name it yourself", error.Message);
        Assert.Equal(0, _harness.Count("oauth2", "token"));
    }

    [Theory]
    [InlineData("GitHubActions:sts.amazonaws.com", "the GitHub Actions job's OIDC token (with ACTIONS_ID_TOKEN_REQUEST_TOKEN), for the audience 'sts.amazonaws.com'")]
    [InlineData("GitHubActions", "the GitHub Actions job's OIDC token (with ACTIONS_ID_TOKEN_REQUEST_TOKEN), for GitHub's default audience")]
    [InlineData("AzureDevOps:6f3c1b0e-2b7a-4c1e-9d7e-0a1b2c3d4e5f", "Azure Pipelines' OIDC token (with SYSTEM_ACCESSTOKEN), for the service connection 6f3c1b0e-2b7a-4c1e-9d7e-0a1b2c3d4e5f")]
    [InlineData("Env:SYSTEM_ACCESSTOKEN", "the value of the environment variable SYSTEM_ACCESSTOKEN")]
    [InlineData("File", "the content of the file AZURE_FEDERATED_TOKEN_FILE names")]
    public void A_definitions_source_is_described_with_what_it_takes_where_it_goes_and_who_vouches(string source, string takes)
    {
        var definition = Definition(source, "https://vendor.example/api", trustedCertificates: "/etc/vendor/ca.pem");

        var ambient = AmbientIdentity.Of(definition)!;

        Assert.Equal(
            $"The definition of Vendor names the client assertion source {source}: {takes}, to be sent to https://vendor.example/api/oauth/token, "
            + "trusting the CAs in /etc/vendor/ca.pem. TokenAuth reads it only when you name that source yourself: -ClientAssertion on a call, or for the session "
            + $"Set-TokenAuthOption -ClientAssertion '{source}' -ClientAssertionProvider Vendor.",
            ambient.Describe("Vendor"));
    }

    [Fact]
    public void A_definition_without_a_source_has_no_ambient_identity() =>
        Assert.Null(AmbientIdentity.Of(ProviderDefinitionLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "examples", "oauth2-federated.json"))));

    private static ProviderDefinition Definition(string source, string baseUri, string? trustedCertificates = null)
    {
        var trust = trustedCertificates == null ? "" : $$""", "trustedCertificates": "{{trustedCertificates}}" """;
        return ProviderDefinitionLoader.Parse($$"""
            { "name": "Vendor", "environments": { "Live": "{{baseUri}}" }, "credential": { "fields": ["ClientId"] },
              "token": { "path": "/oauth/token", "clientAuthentication": "FederatedAssertion", "encoding": "Form", "assertion": { "source": "{{source}}" } },
              "tokenResponse": { "accessToken": "access_token" }{{trust}} }
            """);
    }
}
