using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace TokenAuth.Emulator;

/// <summary>
/// Client authentication by assertion at the OAuth2 server (RFC 7523 3): a JWT the client signed with a key registered
/// for it (private_key_jwt), or a federated one, an emulated pipeline's OIDC token (ProviderEmulator.OidcIssuers.cs)
/// whose subject has a federated credential for the client, as Entra ID trusts them.
/// </summary>
public sealed partial class ProviderEmulator
{
    /// <summary>
    /// RFC 7523 3: why a client assertion is refused, or null: a JWT signed by a key registered for its issuer, for this
    /// token endpoint (<paramref name="tokenPath"/>: the OAuth2 server's, or the people's), within its time (30 s of skew), never seen before.
    /// </summary>
    private string? AssertionRefusal(HttpContext context, IFormCollection form, string tokenPath = "/oauth2/token")
    {
        if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            return "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
        }

        if (Jwt.Read(form["client_assertion"].ToString()) is not { } assertion)
        {
            return "client_assertion is not a JWT";
        }

        var claims = assertion.Claims;
        var issuer = (string?)claims?["iss"];
        if (IsPipelineIssuer(issuer))
        {
            // A federated assertion: the client is named by client_id, the token by its issuer and subject.
            var client = form["client_id"].ToString();
            if (client.Length == 0)
            {
                return "client_id is required with a federated assertion";
            }

            return FederatedAssertionRefusal(client, assertion) ?? TimeOrReplayRefusal(issuer!, claims);
        }

        if (issuer == null || (string?)claims?["sub"] != issuer || (form.ContainsKey("client_id") && form["client_id"] != issuer))
        {
            return "iss and sub must both be the client id";
        }

        if (!_options.AssertionCertificates.TryGetValue(issuer, out var certificates))
        {
            return $"No client '{issuer}' authenticates with an assertion here";
        }

        var input = assertion.SigningInput;
        var signature = assertion.Signature;
        var algorithm = (string?)assertion.Header?["alg"];
        var verified = certificates.Any(certificate => algorithm switch
        {
            "RS256" => certificate.GetRSAPublicKey()?.VerifyData(input, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1) == true,
            "PS256" => certificate.GetRSAPublicKey()?.VerifyData(input, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss) == true,
            "ES256" => certificate.GetECDsaPublicKey()?.VerifyData(input, signature, HashAlgorithmName.SHA256) == true,
            _ => false,
        });
        if (!verified)
        {
            return $"The assertion's signature ({algorithm}) does not verify with any key registered for '{issuer}'";
        }

        // The token endpoint is the audience, for a revoke request too (RFC 7523 3).
        var endpoint = $"{context.Request.Scheme}://{context.Request.Host}{tokenPath}";
        if ((string?)claims?["aud"] != endpoint)
        {
            return $"The assertion's audience must be this token endpoint, {endpoint}";
        }

        return TimeOrReplayRefusal(issuer, claims);
    }

    /// <summary>
    /// Why a federated assertion is refused, or null: an RS256 token from one of the emulated pipelines, signed with
    /// their key, for the federated audience, whose subject has a federated credential for the client.
    /// </summary>
    private string? FederatedAssertionRefusal(string client, Jwt assertion)
    {
        if ((string?)assertion.Header?["alg"] != "RS256"
            || !_oidcKey.VerifyData(assertion.SigningInput, assertion.Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return "The assertion's signature does not verify with its issuer's key";
        }

        var claims = assertion.Claims;
        if ((string?)claims?["aud"] != FederatedAudience)
        {
            return $"The assertion's audience must be {FederatedAudience}";
        }

        var subject = (string?)claims?["sub"];
        if (!_options.FederatedCredentials.TryGetValue(client, out var subjects) || subject == null || !subjects.Contains(subject))
        {
            return $"No federated credential of client '{client}' matches the assertion's issuer and subject ({subject})";
        }

        return null;
    }

    /// <summary>Why an assertion is refused for its time (30 s of skew) or a jti seen before, or null.</summary>
    private string? TimeOrReplayRefusal(string issuer, JsonNode? claims)
    {
        var now = _options.Clock.GetUtcNow().ToUnixTimeSeconds();
        if (claims?["exp"]?.GetValue<long>() is not { } expires || expires < now - 30 || claims["nbf"]?.GetValue<long>() > now + 30)
        {
            return "The assertion has expired or is not valid yet";
        }

        var jti = (string?)claims["jti"];
        if (string.IsNullOrEmpty(jti) || !_assertionIds.TryAdd(issuer + " " + jti, 0))
        {
            return "The assertion was used before (its jti is not new)";
        }

        return null;
    }
}
