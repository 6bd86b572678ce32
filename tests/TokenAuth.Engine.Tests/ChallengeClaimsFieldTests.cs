using System.Text;
using TokenAuth.Credentials;
using TokenAuth.Providers;
using TokenAuth.Requests;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// A definition with a claims field of its own, met by a claims challenge: the token request carries one claims field,
/// the challenge's, in place of the definition's (form and JSON bodies alike). Runs on Mono too.
/// </summary>
public sealed class ChallengeClaimsFieldTests : IAsyncLifetime
{
    private const string Claims = """{"access_token":{"acrs":{"essential":true,"value":"c1"}}}""";

    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_form_token_request_after_a_claims_challenge_carries_the_challenges_claims_once_in_place_of_the_definitions()
    {
        var header = $"Bearer error=\"insufficient_claims\", claims=\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(Claims))}\"";
        using (var http = new HttpClient())
        using (var body = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { status = 401, header }), Encoding.UTF8, "application/json"))
        {
            (await http.PostAsync(new Uri(_harness.Emulator.RootUri, "_emulator/challenges"), body)).EnsureSuccessStatusCode();
        }

        var request = new TokenRequest(ProviderTarget.Resolve(WithOwnClaims(BodyEncoding.Form), baseUri: _harness.Emulator.RootUri.ToString()), _harness.CredentialFor("oauth2"));
        var response = await _harness.Engine.SendAsync(request, new ApiRequest("GET", "oauth2/resources/challenged"), _harness.Log);

        // The emulator answers with the claims field of the renewed token's request, as it read it (two fields would be joined with a comma).
        Assert.Equal(Claims, Assert.IsType<Dictionary<string, object?>>(response.Content)["claims"]);
        Assert.Equal(2, _harness.Count("oauth2", "token"));
    }

    [Fact]
    public async Task A_json_token_request_after_a_claims_challenge_carries_the_challenges_claims_in_place_of_the_definitions()
    {
        var target = ProviderTarget.Resolve(WithOwnClaims(BodyEncoding.Json), baseUri: _harness.Emulator.RootUri.ToString());
        var call = TokenCalls.TokenCall(target, new ProviderCredential("id", "secret"), null, null, SecretInBody.Instance, new GrantTokens(null, null, Claims));

        using var message = TokenCalls.CreateMessage(call);
        using var body = System.Text.Json.JsonDocument.Parse(await message.Content!.ReadAsStringAsync());

        Assert.Equal(Claims, body.RootElement.GetProperty("claims").GetString());
        Assert.Single(body.RootElement.EnumerateObject(), property => property.Name == "claims");
    }

    /// <summary>The standard OAuth2 definition whose token request carries a claims field of its own.</summary>
    private static ProviderDefinition WithOwnClaims(BodyEncoding encoding)
    {
        var definition = ProviderDefinitionLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "examples", "oauth2-client-credentials.json"));
        return definition with
        {
            Token = definition.Token with { Encoding = encoding, Fields = new Dictionary<string, string>(definition.Token.Fields.ToDictionary(field => field.Key, field => field.Value)) { ["claims"] = "from-the-definition" } },
        };
    }
}
