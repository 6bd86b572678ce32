using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using TokenAuth.Credentials;
using TokenAuth.Providers;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Issue 28, point 13: a private_key_jwt definition may ask for the SHA-1 thumbprint header (x5t) beside or instead
/// of x5t#S256, for servers (older Entra ID configurations, ADFS) that look for it.
/// </summary>
public sealed class AssertionThumbprintTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(AssertionThumbprint.Sha256, true, false)]
    [InlineData(AssertionThumbprint.Sha1, false, true)]
    [InlineData(AssertionThumbprint.Both, true, true)]
    public void The_header_names_the_certificate_by_the_thumbprints_asked_for(AssertionThumbprint thumbprint, bool sha256, bool sha1)
    {
        using var certificate = ClientCertificate();

        var assertion = ClientAssertion.Create("Example", "client-7", "https://auth.example/token", certificate, AssertionAlgorithm.RS256, includeCertificate: false, Now, thumbprint);

        using var header = JsonDocument.Parse(Json.Jwt.FromBase64Url(assertion.Split('.')[0]));
        using var sha = SHA256.Create();
        Assert.Equal(sha256 ? ClientAssertion.Base64Url(sha.ComputeHash(certificate.RawData)) : null, Property(header, "x5t#S256"));
        Assert.Equal(sha1 ? ClientAssertion.Base64Url(SHA1Of(certificate.RawData)) : null, Property(header, "x5t"));
    }

    [Theory]
    [InlineData("", AssertionThumbprint.Sha256)]
    [InlineData(""", "thumbprint": "Sha1" """, AssertionThumbprint.Sha1)]
    [InlineData(""", "thumbprint": "both" """, AssertionThumbprint.Both)]
    public void A_definition_names_the_thumbprint_in_token_assertion(string field, AssertionThumbprint expected)
    {
        var definition = ProviderDefinitionLoader.Parse(Definition(field));

        Assert.Equal(expected, definition.Token.Assertion!.Thumbprint);
    }

    [Fact]
    public void An_unknown_thumbprint_is_refused_naming_the_ones_there_are()
    {
        var error = Expect.Throws<TokenAuth.Errors.ProviderConfigurationException>(() => ProviderDefinitionLoader.Parse(Definition(""", "thumbprint": "Md5" """)));

        Assert.Contains("Sha256, Sha1, Both", error.Message);
    }

    private static string Definition(string thumbprintField) => $$"""
        { "name": "JwtThumbprint", "environments": { "Live": "https://auth.example" }, "credential": { "fields": ["ClientId"] },
          "token": { "path": "/token", "encoding": "Form", "clientAuthentication": "PrivateKeyJwt", "fields": { "grant_type": "client_credentials" },
                     "assertion": { "algorithm": "RS256" {{thumbprintField}} } },
          "tokenResponse": { "accessToken": "access_token" } }
        """;

    private static string? Property(JsonDocument document, string name) => document.RootElement.TryGetProperty(name, out var value) ? value.GetString() : null;

    private static byte[] SHA1Of(byte[] data)
    {
        using var sha1 = SHA1.Create();
        return sha1.ComputeHash(data);
    }

    private static X509Certificate2 ClientCertificate()
    {
        var pfx = Path.Combine(TestCertificateFiles.Folder.Value, "client.pfx");
#if NETFRAMEWORK
        return new X509Certificate2(pfx, TestCertificateFiles.Password);
#else
        return X509CertificateLoader.LoadPkcs12FromFile(pfx, TestCertificateFiles.Password);
#endif
    }
}
