using System.Net;
using System.Net.Http;
using TokenAuth.Credentials;
using TokenAuth.Http;
using TokenAuth.Providers;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// WWW-Authenticate as servers write it (RFC 9110 11.6.1): several challenges, quoted strings with commas and
/// escapes, token68, and hostile headers read boundedly; environment variable names for odd provider names.
/// </summary>
public sealed class AuthenticationChallengeTests
{
    [Fact]
    public void Several_challenges_with_commas_and_escapes_in_quoted_strings_are_told_apart()
    {
        var challenges = AuthenticationChallenges.Parse(
            "Basic realm=\"legacy, old\", Negotiate abc123==, Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"a, b\", error_description=\"say \\\"hi\\\"\"");

        Assert.Equal(new[] { "Basic", "Negotiate", "Bearer" }, challenges.Select(challenge => challenge.Scheme));
        Assert.Equal("legacy, old", challenges[0]["realm"]);
        Assert.Equal("insufficient_scope", challenges[2]["error"]);
        Assert.Equal("a, b", challenges[2]["scope"]);
        Assert.Equal("say \"hi\"", challenges[2]["error_description"]);
    }

    [Fact]
    public void Token_values_and_names_in_any_case_are_read()
    {
        var challenge = Assert.Single(AuthenticationChallenges.Parse("bearer ERROR=invalid_token,max_age=300"));

        Assert.Equal("invalid_token", challenge["error"]);
        Assert.Equal("300", challenge["max_age"]);
    }

    [Theory]
    [InlineData("Bearer error=\"insufficient_scope, scope=\"never closed")]
    [InlineData("Bearer ,,,, = = =")]
    [InlineData("\"Bearer\" error=x")]
    [InlineData("")]
    public void A_malformed_header_is_read_no_further_than_it_can_be_trusted(string header)
    {
        var challenges = AuthenticationChallenges.Parse(header);

        Assert.All(challenges, challenge => Assert.NotEqual("never closed", challenge["scope"]));
    }

    [Fact]
    public void A_huge_or_crowded_header_is_bounded()
    {
        Assert.Empty(AuthenticationChallenges.Parse("Bearer error=\"" + new string('x', AuthenticationChallenges.MaxHeaderLength) + "\""));
        var crowded = string.Join(", ", Enumerable.Range(0, 100).Select(i => $"S{i} a=b"));
        Assert.Equal(AuthenticationChallenges.MaxChallenges, AuthenticationChallenges.Parse(crowded).Count);
        var many = "Bearer " + string.Join(", ", Enumerable.Range(0, 100).Select(i => $"p{i}=v"));
        Assert.Equal(AuthenticationChallenges.MaxParameters, Assert.Single(AuthenticationChallenges.Parse(many)).Parameters.Count);
    }

    [Fact]
    public void Several_headers_are_read_in_order()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", "Basic realm=\"x\"");
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", "Bearer error=\"invalid_token\"");

        Assert.Equal(new[] { "Basic", "Bearer" }, AuthenticationChallenges.Of(response).Select(challenge => challenge.Scheme));
    }

    [Theory]
    [InlineData("OAuth2", "TOKENAUTH_OAUTH2_CLIENTSECRET")]
    [InlineData("my-api.v2", "TOKENAUTH_MY_API_V2_CLIENTSECRET")]
    [InlineData("Café", "TOKENAUTH_CAF__CLIENTSECRET")]
    public void A_providers_variables_are_named_safely(string provider, string expected) =>
        Assert.Equal(expected, EnvironmentCredentials.VariableName(provider, CredentialField.ClientSecret));
}
