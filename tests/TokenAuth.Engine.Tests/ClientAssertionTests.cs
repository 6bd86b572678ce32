using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Providers;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>The RFC 7523 client assertion as built, on each framework the engine runs on: header, claims, and a signature the certificate's public key verifies.</summary>
public sealed class ClientAssertionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);

    [Fact]
    public void An_RS256_assertion_names_the_client_and_endpoint_and_its_signature_verifies_with_the_certificate() =>
        The_assertion_names_the_client_and_endpoint_and_its_signature_verifies_with_the_certificate(AssertionAlgorithm.RS256);

    [NotOnMonoTheory("its RSA keys take no PSS padding and it cannot read an EC key from a PFX; .NET Framework 4.7.2 does both (its keys are CNG's)")]
    [InlineData(AssertionAlgorithm.PS256)]
    [InlineData(AssertionAlgorithm.ES256)]
    public void The_assertion_names_the_client_and_endpoint_and_its_signature_verifies_with_the_certificate(AssertionAlgorithm algorithm)
    {
        using var certificate = SelfSigned(algorithm == AssertionAlgorithm.ES256);

        var assertion = ClientAssertion.Create("Example", "client-7", "https://auth.example/oauth2/token", certificate, algorithm, includeCertificate: true, Now);

        var parts = assertion.Split('.');
        Assert.Equal(3, parts.Length);
        using var header = JsonDocument.Parse(Decode(parts[0]));
        using var claims = JsonDocument.Parse(Decode(parts[1]));
        Assert.Equal(algorithm.ToString(), header.RootElement.GetProperty("alg").GetString());
        Assert.Equal("JWT", header.RootElement.GetProperty("typ").GetString());
        using var sha = SHA256.Create();
        Assert.Equal(ClientAssertion.Base64Url(sha.ComputeHash(certificate.RawData)), header.RootElement.GetProperty("x5t#S256").GetString());
        Assert.Equal(Convert.ToBase64String(certificate.RawData), header.RootElement.GetProperty("x5c")[0].GetString());
        Assert.Equal("client-7", claims.RootElement.GetProperty("iss").GetString());
        Assert.Equal("client-7", claims.RootElement.GetProperty("sub").GetString());
        Assert.Equal("https://auth.example/oauth2/token", claims.RootElement.GetProperty("aud").GetString());
        Assert.Equal(Now.ToUnixTimeSeconds(), claims.RootElement.GetProperty("iat").GetInt64());
        Assert.Equal(Now.ToUnixTimeSeconds(), claims.RootElement.GetProperty("nbf").GetInt64());
        Assert.Equal(Now.ToUnixTimeSeconds() + 300, claims.RootElement.GetProperty("exp").GetInt64());
        Assert.Matches("^[0-9a-f]{32}$", claims.RootElement.GetProperty("jti").GetString());
        Assert.True(Verifies(certificate, algorithm, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Decode(parts[2])));
    }

    [Fact]
    public void Each_assertion_has_its_own_id_and_no_certificate_unless_asked()
    {
        using var certificate = SelfSigned(ec: false);

        var first = ClientAssertion.Create("Example", "client-7", "https://auth.example/token", certificate, AssertionAlgorithm.RS256, includeCertificate: false, Now);
        var second = ClientAssertion.Create("Example", "client-7", "https://auth.example/token", certificate, AssertionAlgorithm.RS256, includeCertificate: false, Now);

        using var header = JsonDocument.Parse(Decode(first.Split('.')[0]));
        Assert.False(header.RootElement.TryGetProperty("x5c", out _));
        Assert.NotEqual(Jti(first), Jti(second));
    }

    [NotOnMonoFact("it cannot read an EC key from a PFX, which this test signs with the wrong algorithm; .NET Framework can")]
    public void A_key_that_does_not_fit_the_algorithm_is_named()
    {
        using var certificate = SelfSigned(ec: true);

        var error = Expect.Throws<CertificateException>(() =>
            ClientAssertion.Create("Example", "client-7", "https://auth.example/token", certificate, AssertionAlgorithm.RS256, includeCertificate: false, Now));

        Assert.Equal("ClientCertificateUnusable", error.ErrorId);
        Assert.Contains("RS256 needs an RSA private key", error.Message);
    }

    private static string? Jti(string assertion)
    {
        using var claims = JsonDocument.Parse(Decode(assertion.Split('.')[1]));
        return claims.RootElement.GetProperty("jti").GetString();
    }

    private static bool Verifies(X509Certificate2 certificate, AssertionAlgorithm algorithm, byte[] input, byte[] signature)
    {
        if (algorithm == AssertionAlgorithm.ES256)
        {
            using var ec = certificate.GetECDsaPublicKey()!;
            return ec.VerifyData(input, signature, HashAlgorithmName.SHA256);
        }

        using var rsa = certificate.GetRSAPublicKey()!;
        return rsa.VerifyData(input, signature, HashAlgorithmName.SHA256, algorithm == AssertionAlgorithm.PS256 ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
    }

    private static byte[] Decode(string part)
    {
        var base64 = part.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
    }

    /// <summary>The test client certificates with their keys, RSA or EC, as the emulator writes them (Mono has no CertificateRequest to make them).</summary>
    private static X509Certificate2 SelfSigned(bool ec)
    {
        var pfx = Path.Combine(TestCertificateFiles.Folder.Value, ec ? "ec-client.pfx" : "client.pfx");
#if NETFRAMEWORK
        return new X509Certificate2(pfx, TestCertificateFiles.Password);
#else
        return X509CertificateLoader.LoadPkcs12FromFile(pfx, TestCertificateFiles.Password);
#endif
    }
}
