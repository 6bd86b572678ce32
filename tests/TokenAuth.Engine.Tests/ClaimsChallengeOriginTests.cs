#if !REMOTE_EMULATOR
using System.Text;
using TokenAuth.Emulator;
using TokenAuth.Http;
using TokenAuth.Providers;
using TokenAuth.Requests;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// An insufficient_claims challenge shapes the next token request only when the API on the provider's base origin
/// sends it: another origin the token may go to (a definition's trustedOrigins, here the emulator's TLS listener)
/// gets a plain 401's renewal. The emulator's challenged resource answers with the claims its token was asked with.
/// </summary>
public sealed class ClaimsChallengeOriginTests : IAsyncLifetime
{
    private static readonly TestCertificates Certificates = TestCertificates.Create();
    private static readonly Lazy<TrustedCertificates> TestAuthority = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokenauth-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, Certificates.Authority.ExportCertificatePem() + "\n");
        return TrustedCertificates.FromPemFile(path);
    });

    private const string Claims = """{"access_token":{"acrs":{"essential":true,"value":"c1"}}}""";

    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync(emulator => emulator.HttpsCertificate = Certificates.Server);

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_claims_challenge_from_a_trusted_origin_that_is_not_the_base_gets_a_plain_renewal_without_its_claims()
    {
        await ChallengeAsync();
        var elsewhere = new Uri(_harness.Emulator.HttpsRootUri!, "oauth2/resources/challenged");

        var response = await _harness.Engine.SendAsync(Request(), new ApiRequest("GET", "oauth2/resources/redirect?status=307&to=" + Uri.EscapeDataString(elsewhere.ToString())),
            _harness.Log);

        var answer = Assert.IsType<Dictionary<string, object?>>(response.Content);
        Assert.Equal(200, response.StatusCode);
        Assert.Null(answer["claims"]);
        Assert.Equal(2, _harness.Count("oauth2", "challenged"));
        Assert.Equal(2, _harness.Count("oauth2", "token"));
    }

    [Fact]
    public async Task The_same_challenge_from_the_base_origin_gets_a_token_asked_with_its_claims()
    {
        await ChallengeAsync();

        var response = await _harness.Engine.SendAsync(Request(), new ApiRequest("GET", "oauth2/resources/challenged"), _harness.Log);

        Assert.Equal(Claims, Assert.IsType<Dictionary<string, object?>>(response.Content)["claims"]);
        Assert.Equal(2, _harness.Count("oauth2", "token"));
    }

    /// <summary>The standard OAuth2 provider on the emulator's plain-http origin, trusting its TLS listener's origin too.</summary>
    private TokenRequest Request()
    {
        var definition = ProviderDefinitionLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "examples", "oauth2-client-credentials.json"));
        definition = definition with { TrustedOrigins = new[] { _harness.Emulator.HttpsRootUri!.GetLeftPart(UriPartial.Authority) } };
        return new(ProviderTarget.Resolve(definition, baseUri: _harness.Emulator.RootUri.ToString()), _harness.CredentialFor("oauth2"),
            connection: new ConnectionSettings { TrustedCertificates = TestAuthority.Value });
    }

    private async Task ChallengeAsync()
    {
        var header = $"Bearer error=\"insufficient_claims\", claims=\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(Claims))}\"";
        using var http = new HttpClient();
        using var body = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { status = 401, header, unlessClaims = true }), Encoding.UTF8, "application/json");
        (await http.PostAsync(new Uri(_harness.Emulator.RootUri, "_emulator/challenges"), body)).EnsureSuccessStatusCode();
    }
}
#endif
