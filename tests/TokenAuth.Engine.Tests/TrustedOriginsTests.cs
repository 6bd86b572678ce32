using TokenAuth.Errors;
using TokenAuth.Providers;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Issue 28, point 12: a definition's trustedOrigins, the other https origins that belong to the provider and where a
/// redirect keeps the token. Exact origins only; the Pester suite (HostileInput3.Transport.Tests.ps1) follows redirects
/// to them and past them through the cmdlets.
/// </summary>
public sealed class TrustedOriginsTests
{
    [Theory]
    [InlineData("http://api.example.com", "must be an https origin")]
    [InlineData("https://*.example.com", "a wildcard would send the token to hosts nobody named")]
    [InlineData("*", "a wildcard")]
    [InlineData("https://api.example.com/v1", "must be an origin alone")]
    [InlineData("https://user@api.example.com", "must be an origin alone")]
    [InlineData("https://api.example.com/?a=1", "must be an origin alone")]
    [InlineData("api.example.com", "must be an https origin")]
    public void A_trusted_origin_that_is_not_one_exact_https_origin_is_refused(string origin, string says)
    {
        var error = Expect.Throws<ProviderConfigurationException>(() => ProviderDefinitionLoader.Parse(Definition(origin)));

        Assert.Contains("$.trustedOrigins[0]", error.Message);
        Assert.Contains(says, error.Message);
    }

    [Theory]
    [InlineData("https://api.example.com/data", true)]
    [InlineData("https://API.example.com:443/other", true)]
    [InlineData("https://files.example.com:8443/x", true)]
    [InlineData("https://files.example.com/x", false)]
    [InlineData("http://api.example.com/data", false)]
    [InlineData("https://evil.api.example.com/data", false)]
    [InlineData("https://api.example.com.evil.test/data", false)]
    [InlineData("https://auth.example/data", true)]
    public void A_redirect_keeps_the_token_on_the_base_origin_and_the_named_ones_alone(string next, bool providers)
    {
        var definition = ProviderDefinitionLoader.Parse(Definition("https://api.example.com", "https://files.example.com:8443/"));

        var target = ProviderTarget.Resolve(definition);

        Assert.Equal(providers, target.IsProviderOrigin(new Uri(next)));
    }

    private static string Definition(params string[] origins) => $$"""
        { "name": "Redirecting", "environments": { "Live": "https://auth.example" }, "credential": { "fields": ["ClientId", "ClientSecret"] },
          "token": { "path": "/token", "fields": { "client_id": "{ClientId}" } }, "tokenResponse": { "accessToken": "access_token" },
          "trustedOrigins": [{{string.Join(", ", origins.Select(origin => "\"" + origin + "\""))}}] }
        """;
}
